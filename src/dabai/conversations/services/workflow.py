"""Who handles a conversation and where it stands: assignment, status and tags."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from dabai.accounts.models import Team, User
from dabai.accounts.services import record_audit
from dabai.conversations import signals
from dabai.conversations.live import publish_conversation_event
from dabai.conversations.models import Conversation, ConversationTag, Status


def assign(
    conversation: Conversation, assignee: User | None, *, actor: User, team: Team | None = None
) -> None:
    """Hand the conversation to an agent (or back to the queue with ``assignee=None``)."""
    with transaction.atomic():
        old = conversation.assignee_id
        conversation.assignee = assignee
        fields = ["assignee"]
        if team is not None:
            conversation.team = team
            fields.append("team")
        conversation.save(update_fields=fields)
        record_audit(
            actor,
            "conversation.assign",
            conversation,
            {"from": old, "to": assignee.pk if assignee else None, "team": team.pk if team else None},
        )
        signals.assigned.send(
            sender=Conversation,
            conversation=conversation,
            assignee_id=conversation.assignee_id,
            team_id=conversation.team_id,
            actor=actor,
        )
    publish_conversation_event(conversation.pk, "conversation.assigned")


def change_status(conversation: Conversation, status: str, *, actor: User | None) -> None:
    """Move the conversation through open → pending → resolved → closed (or back to open).

    A finished conversation is no longer snoozed: there is nothing left to come back to.
    """
    if status not in Status.values:
        raise ValueError(f"unknown status {status!r}")
    now = timezone.now()
    with transaction.atomic():
        old_status = conversation.status
        conversation.status = status
        if status == Status.RESOLVED:
            conversation.resolved_at = now
        elif status == Status.CLOSED:
            conversation.closed_at = now
            conversation.resolved_at = conversation.resolved_at or now
        else:
            conversation.resolved_at = None
            conversation.closed_at = None
        woke = status in {Status.RESOLVED, Status.CLOSED} and conversation.snoozed_until is not None
        conversation.snoozed_until = None if woke else conversation.snoozed_until
        conversation.save(update_fields=["status", "resolved_at", "closed_at", "snoozed_until"])
        record_audit(
            actor,
            "conversation.status",
            conversation,
            {"from": old_status, "to": status, **({"unsnoozed": True} if woke else {})},
        )
        signals.status_changed.send(
            sender=Conversation, conversation=conversation, old_status=old_status, actor=actor
        )
    publish_conversation_event(conversation.pk, "conversation.status")


TAG_LENGTH = 50


def tag(
    conversation: Conversation,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    actor: User | None,
) -> list[str]:
    """Put tags on a conversation (creating new names) and take others off; returns its tags, sorted.

    Names are trimmed and cut to the column; blank ones are ignored. Audited when anything changed.
    """
    wanted = {name.strip()[:TAG_LENGTH] for name in add if name and name.strip()}
    dropped = {name.strip()[:TAG_LENGTH] for name in remove if name and name.strip()} - wanted
    with transaction.atomic():
        before = set(conversation.tags.values_list("name", flat=True))
        new = wanted - before
        if new:
            ConversationTag.objects.bulk_create([ConversationTag(name=n) for n in new], ignore_conflicts=True)
            conversation.tags.add(*ConversationTag.objects.filter(name__in=new))
        gone = dropped & before
        if gone:
            conversation.tags.remove(*ConversationTag.objects.filter(name__in=gone))
        if new or gone:
            record_audit(
                actor, "conversation.tags", conversation, {"added": sorted(new), "removed": sorted(gone)}
            )
    if new or gone:
        publish_conversation_event(conversation.pk, "conversation.tags")
    return sorted((before | new) - gone)

"""Who handles a conversation and where it stands: assignment and status."""

from django.db import transaction
from django.utils import timezone

from dabai.accounts.models import Team, User
from dabai.accounts.services import record_audit
from dabai.conversations import signals
from dabai.conversations.live import publish_conversation_event
from dabai.conversations.models import (
    Conversation,
    Status,
)


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
    """Move the conversation through open → pending → resolved → closed (or back to open)."""
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
        conversation.save(update_fields=["status", "resolved_at", "closed_at"])
        record_audit(actor, "conversation.status", conversation, {"from": old_status, "to": status})
        signals.status_changed.send(
            sender=Conversation, conversation=conversation, old_status=old_status, actor=actor
        )
    publish_conversation_event(conversation.pk, "conversation.status")

"""The workspace's state changes: what an agent read, replies that also set the status, bulk actions.

Each calls the conversations' own services (the one writer) and checks permissions per conversation: a bulk
action never reaches a conversation the agent could not open one by one.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from dabai.accounts.models import User
from dabai.accounts.permissions import visible_conversations
from dabai.accounts.services import record_audit
from dabai.conversations import services as conversation_services
from dabai.conversations.models import Conversation, Message, Status
from dabai.desk.models import ConversationRead
from dabai.replies import services as reply_services

BULK_LIMIT = 200  # a page of the list is 25; more than this at once is a mistake, not a workflow
BULK_ACTIONS = ("assign", "status", "tag", "close")


class BulkRefused(ValueError):
    """The bulk action itself is wrong (unknown action, bad value, nothing selected): nothing was changed."""


@dataclass(frozen=True)
class BulkResult:
    done: int
    skipped: int  # selected, but not this agent's to change (or gone): left untouched


def mark_read(user: User, conversation: Conversation) -> None:
    """The agent opened the conversation: it is no longer unread for them until the customer writes again."""
    ConversationRead.objects.update_or_create(
        user=user, conversation=conversation, defaults={"read_at": timezone.now()}
    )


def reply_and_set_status(
    conversation: Conversation, author: User, *, kind: str, body: str, then: str = "", **extra
) -> Message:
    """Send from the reply box and, in the same step, set the status ("send and resolve"). If the reply is
    refused (personal data in public, an unfilled blank) nothing changes, the status included."""
    if then and then not in {Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED}:
        raise ValueError(f"unknown status {then!r}")
    with transaction.atomic():
        message = reply_services.send_from_desk(conversation, author, kind=kind, body=body, **extra)
        if then and then != conversation.status:
            conversation_services.change_status(conversation, then, actor=author)
    return message


def bulk_apply(
    actor: User,
    ids: Iterable[int],
    action: str,
    *,
    assignee: User | None = None,
    status: str = "",
    tag: str = "",
) -> BulkResult:
    """Apply one action to the selected conversations the actor may open, each through the conversations'
    service and with an audit entry of its own ("conversation.bulk": which action, which value)."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        raise BulkRefused("select at least one conversation")
    if len(wanted) > BULK_LIMIT:
        raise BulkRefused("too many conversations at once")
    if action not in BULK_ACTIONS:
        raise BulkRefused(f"unknown action {action!r}")
    if action == "status" and status not in Status.values:
        raise BulkRefused("choose a status")
    tag = tag.strip()
    if action == "tag" and not tag:
        raise BulkRefused("write the tag to add")
    allowed = list(
        visible_conversations(actor, Conversation.objects.filter(pk__in=wanted)).select_related("assignee")
    )
    for conversation in allowed:
        with transaction.atomic():
            detail = _apply_one(actor, conversation, action, assignee=assignee, status=status, tag=tag)
            record_audit(actor, "conversation.bulk", conversation, {"action": action, **detail})
    return BulkResult(done=len(allowed), skipped=len(wanted) - len(allowed))


def _apply_one(
    actor: User, conversation: Conversation, action: str, *, assignee: User | None, status: str, tag: str
) -> dict:
    if action == "assign":
        conversation_services.assign(conversation, assignee, actor=actor)
        return {"assignee": assignee.pk if assignee else None}
    if action == "tag":
        conversation_services.tag(conversation, add=[tag], actor=actor)
        return {"tag": tag}
    target = Status.CLOSED if action == "close" else status
    if conversation.status != target:
        conversation_services.change_status(conversation, target, actor=actor)
    return {"status": target}

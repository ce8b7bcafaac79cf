"""Every state change of a conversation, one function each (like Zulip's actions)."""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dabai.accounts.models import Team, User
from dabai.accounts.services import record_audit
from dabai.conversations import signals
from dabai.conversations.live import publish_conversation_event
from dabai.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Insight,
    Message,
    Priority,
    Status,
)
from dabai.customers.models import Customer
from dabai.filter import mask

logger = logging.getLogger(__name__)

PREVIEW_LENGTH = 120
URGENCY_PRIORITY = {
    "low": Priority.LOW,
    "normal": Priority.NORMAL,
    "high": Priority.HIGH,
    "critical": Priority.URGENT,
}


@dataclass(frozen=True)
class Received:
    message: Message
    created: bool


def _active_conversation(customer: Customer, channel: str) -> Conversation | None:
    return (
        Conversation.objects.select_for_update()
        .filter(customer=customer, channel=channel, status__in=[Status.OPEN, Status.PENDING])
        .order_by("-last_message_at")
        .first()
    )


def _existing(channel: str, external_id: str | None) -> Message | None:
    if not external_id:
        return None
    return Message.objects.filter(channel=channel, external_id=external_id).first()


def receive_message(
    *,
    channel: str,
    customer: Customer,
    body: str,
    external_id: str | None = None,
    raw_payload: dict[str, Any] | None = None,
    sent_at: datetime | None = None,
    subject: str = "",
    is_public: bool = False,
    conversation: Conversation | None = None,
    open_new: bool = False,
) -> Received:
    """Store one inbound customer message exactly once and queue its analysis.

    The same (channel, external id) delivered twice returns the stored message with ``created=False``.
    Without an explicit ``conversation`` the message joins the customer's active conversation on that
    channel, or opens a new one; ``open_new`` always opens a new one (a new email subject, a Weibo DM).
    """
    existing = _existing(channel, external_id)
    if existing is not None:
        return Received(existing, False)
    sent_at = sent_at or timezone.now()
    try:
        with transaction.atomic():
            message, new_conversation = _store_inbound(
                channel,
                customer,
                body,
                external_id,
                raw_payload or {},
                sent_at,
                subject,
                is_public,
                conversation,
                open_new,
            )
    except IntegrityError:
        existing = _existing(channel, external_id)
        if existing is None:
            raise
        return Received(existing, False)
    _after_inbound(message, new_conversation)
    return Received(message, True)


def _store_inbound(
    channel: str,
    customer: Customer,
    body: str,
    external_id: str | None,
    raw_payload: dict[str, Any],
    sent_at: datetime,
    subject: str,
    is_public: bool,
    conversation: Conversation | None,
    open_new: bool = False,
) -> tuple[Message, bool]:
    if conversation is None and not open_new:
        conversation = _active_conversation(customer, channel)
    new_conversation = conversation is None
    if conversation is None:
        conversation = Conversation.objects.create(
            customer=customer,
            channel=channel,
            subject=subject[:255],
            is_public=is_public,
            last_message_at=sent_at,
        )
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.INBOUND,
        channel=channel,
        external_id=external_id or None,
        body=body,
        raw_payload=raw_payload,
        sent_at=sent_at,
    )
    conversation.last_message_at = max(conversation.last_message_at, sent_at)
    conversation.last_inbound_at = sent_at
    conversation.message_count = F("message_count") + 1
    conversation.preview = mask(body)[:PREVIEW_LENGTH]
    if conversation.status != Status.OPEN:
        conversation.status = Status.OPEN
        conversation.resolved_at = None
        conversation.closed_at = None
    conversation.save()
    conversation.refresh_from_db(fields=["message_count"])
    signals.messages_received.send(
        sender=Message, arrivals=[signals.Arrival(message, conversation, new_conversation)]
    )
    return message, new_conversation


def _after_inbound(message: Message, new_conversation: bool) -> None:
    from dabai.conversations.tasks import analyse_message

    transaction.on_commit(lambda: analyse_message.enqueue(message.pk))
    publish_conversation_event(
        message.conversation_id, "conversation.created" if new_conversation else "message.new"
    )


def store_insight(message: Message, analysis: dict[str, Any]) -> Insight:
    """Save the filter's reading of a message (replacing an earlier one) and raise priority if urgent."""
    intent = analysis.get("intent") or {}
    voice = analysis.get("voice") or {}
    with transaction.atomic():
        insight, _ = Insight.objects.update_or_create(
            message=message,
            defaults={
                "sentiment": analysis["sentiment"]["label"],
                "sentiment_score": float(analysis["sentiment"]["score"]),
                "intent": intent.get("label") or "",
                "voice": voice.get("label") or "",
                "urgency": analysis["urgency"]["label"],
                "escalation_risk": bool(analysis["escalation"]["risk"]),
                "is_spam": bool(analysis["spam"]["is_spam"]),
                "has_personal_data": bool(analysis.get("pii")),
                "masked_text": analysis.get("masked_text", ""),
                "analysis": analysis,
                "model_version": str(analysis.get("model_version", "")),
            },
        )
        priority = URGENCY_PRIORITY.get(insight.urgency, Priority.NORMAL)
        Conversation.objects.filter(pk=message.conversation_id, priority__lt=priority).update(
            priority=priority
        )
        insight.message = message
        signals.insights_stored.send(sender=Insight, insights=[insight])
    publish_conversation_event(message.conversation_id, "insight.new", message_id=message.pk)
    return insight


def post_reply(conversation: Conversation, author: User, body: str) -> Message:
    """Store the agent's reply; the channel's sender (if any) delivers it after commit."""
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation,
            direction=Direction.OUTBOUND,
            channel=conversation.channel,
            author=author,
            body=body,
            sent_at=now,
            delivery_status=DeliveryStatus.QUEUED,
        )
        updates: dict[str, Any] = {"last_message_at": now, "message_count": F("message_count") + 1}
        if not author.is_automated:
            # A bot's answer is self-service; the first response a customer waits for is a person's.
            if conversation.first_response_at is None:
                updates["first_response_at"] = now
            if conversation.assignee_id is None:
                updates["assignee"] = author
        Conversation.objects.filter(pk=conversation.pk).update(**updates)
        transaction.on_commit(lambda: signals.reply_posted.send(sender=Message, message=message))
    publish_conversation_event(conversation.pk, "message.new", message_id=message.pk)
    conversation.refresh_from_db()
    return message


def add_note(conversation: Conversation, author: User, body: str) -> Message:
    """An internal note: visible to colleagues only, never sent to the customer."""
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.NOTE,
        channel=conversation.channel,
        author=author,
        body=body,
        sent_at=timezone.now(),
    )
    publish_conversation_event(conversation.pk, "note.new", message_id=message.pk)
    return message


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

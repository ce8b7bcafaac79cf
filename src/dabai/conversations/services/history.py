"""Past conversations stored as they were: no clocks, no routing, nothing live."""

from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any

from django.db import transaction

from dabai.accounts.models import Team, User
from dabai.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    Status,
)
from dabai.conversations.services.insights import _raise_priorities, _readings, _write_insights
from dabai.conversations.services.intake import PREVIEW_LENGTH
from dabai.customers.models import Customer
from dabai.filter import mask


@dataclass(frozen=True)
class PastMessage:
    """One message of a conversation's past, as it was: which way, what, when, by whom."""

    direction: str
    body: str
    sent_at: datetime
    author: User | None = None
    external_id: str | None = None
    raw_payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PastConversation:
    """A conversation that happened before dabai stored it (the demo centre, another helpdesk's history)."""

    customer: Customer
    channel: str
    messages: list[PastMessage]
    subject: str = ""
    status: str = Status.CLOSED
    is_public: bool = False
    team: Team | None = None
    assignee: User | None = None


def record_history(past: list[PastConversation], *, read: bool = True) -> list[Conversation]:
    """Store past conversations with their messages as they were: a handful of queries whatever their number.

    History is not new work: nothing reopens, routes, starts clocks, notifies or goes live. The counters
    follow from the messages as live intake would have moved them (message count, last message, last
    customer message and its masked preview, first response, resolved and closed times). With ``read`` the
    filter reads the customer messages in the same transaction and urgent ones raise their conversation's
    priority, as ``read_messages`` does, but quietly.
    """
    with transaction.atomic():
        conversations = Conversation.objects.bulk_create([_past_conversation(p) for p in past])
        messages = Message.objects.bulk_create(
            [
                _past_message(conversation, m)
                for conversation, p in zip(conversations, past, strict=True)
                for m in p.messages
            ]
        )
        inbound = [m for m in messages if m.direction == Direction.INBOUND]
        if read and inbound:
            _raise_priorities(_write_insights(_readings(inbound)))
    return conversations


def _past_conversation(past: PastConversation) -> Conversation:
    written = [m for m in past.messages if m.direction != Direction.NOTE]
    inbound = [m for m in written if m.direction == Direction.INBOUND]
    latest_in = max(inbound, key=attrgetter("sent_at"), default=None)
    replies = [
        m.sent_at
        for m in written
        if m.direction == Direction.OUTBOUND and not (m.author is not None and m.author.is_automated)
    ]
    last = max(m.sent_at for m in written)
    return Conversation(
        customer=past.customer,
        channel=past.channel,
        subject=past.subject[:255],
        status=past.status,
        is_public=past.is_public,
        team=past.team,
        assignee=past.assignee,
        last_message_at=last,
        last_inbound_at=latest_in.sent_at if latest_in else None,
        message_count=len(written),
        preview=mask(latest_in.body)[:PREVIEW_LENGTH] if latest_in else "",
        first_response_at=min(replies, default=None),
        resolved_at=last if past.status in {Status.RESOLVED, Status.CLOSED} else None,
        closed_at=last if past.status == Status.CLOSED else None,
    )


def _past_message(conversation: Conversation, past: PastMessage) -> Message:
    return Message(
        conversation=conversation,
        direction=past.direction,
        channel=conversation.channel,
        external_id=past.external_id,
        author=past.author,
        body=past.body,
        raw_payload=past.raw_payload,
        sent_at=past.sent_at,
        delivery_status=DeliveryStatus.SENT if past.direction == Direction.OUTBOUND else DeliveryStatus.NONE,
    )

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
from dabai.core.bulk import build, insert_rows, update_rows
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
        conversations = insert_rows(Conversation, [_past_conversation(p) for p in past])
        messages = insert_rows(
            Message,
            [
                _past_message(conversation, m)
                for conversation, p in zip(conversations, past, strict=True)
                for m in p.messages
            ],
        )
        inbound = [m for m in messages if m.direction == Direction.INBOUND]
        if read and inbound:
            _raise_priorities(_write_insights(_readings(inbound), fresh=True))
    return conversations


def _past_conversation(past: PastConversation) -> Conversation:
    # ``build``: a million imported messages paid more for the models' constructor than for storing them.
    conversation = build(
        Conversation,
        {
            "customer_id": past.customer.pk,
            "channel": past.channel,
            "subject": past.subject[:255],
            "status": past.status,
            "is_public": past.is_public,
            "team_id": past.team.pk if past.team is not None else None,
            "assignee_id": past.assignee.pk if past.assignee is not None else None,
            "message_count": 0,
        },
    )
    cache = conversation._state.fields_cache
    cache["customer"] = past.customer
    if past.team is not None:
        cache["team"] = past.team
    if past.assignee is not None:
        cache["assignee"] = past.assignee
    return _fold(conversation, past.messages)


def _past_message(conversation: Conversation, past: PastMessage) -> Message:
    # Ids with the objects cached (what the relation descriptors would do, at a fraction of the cost for a
    # million imported messages): later readers still find ``message.conversation`` without a query.
    message = build(
        Message,
        {
            "conversation_id": conversation.pk,
            "direction": past.direction,
            "channel": conversation.channel,
            "external_id": past.external_id,
            "author_id": past.author.pk if past.author is not None else None,
            "body": past.body,
            "raw_payload": past.raw_payload,
            "sent_at": past.sent_at,
            "delivery_status": DeliveryStatus.SENT
            if past.direction == Direction.OUTBOUND
            else DeliveryStatus.NONE,
        },
    )
    message._state.fields_cache["conversation"] = conversation
    if past.author is not None:
        message._state.fields_cache["author"] = past.author
    return message


def append_history(additions: dict[Conversation, list[PastMessage]], *, read: bool = True) -> list[Message]:
    """Add past messages to conversations already stored, set-wise (a bulk import whose conversation spans
    several chunks): one insert for the messages, one update for the counters, whatever their number.

    The counters move as ``record_history`` sets them, from the stored values and the added messages, so a
    conversation imported in two halves ends exactly as if imported at once. Nothing reopens, routes or goes
    live; with ``read`` the filter reads the added customer messages in the same transaction.
    """
    if not additions:
        return []
    with transaction.atomic():
        messages = insert_rows(
            Message,
            [_past_message(conversation, m) for conversation, past in additions.items() for m in past],
        )
        changed = [_fold(conversation, past) for conversation, past in additions.items()]
        # ``update_rows``, not ``bulk_update``: its CASE WHEN per field and row cost 0.5 s of CPU for 500
        # conversations (update_rows 0.02 s), and an export in time order appends to hundreds per chunk.
        counters = [(c.pk, *(getattr(c, name) for name in COUNTERS)) for c in changed]
        update_rows(Conversation, COUNTERS, counters)
        inbound = [m for m in messages if m.direction == Direction.INBOUND]
        if read and inbound:
            _raise_priorities(_write_insights(_readings(inbound), fresh=True))
    return messages


COUNTERS = [
    "message_count",
    "last_message_at",
    "last_inbound_at",
    "preview",
    "first_response_at",
    "resolved_at",
    "closed_at",
]


def _fold(conversation: Conversation, added: list[PastMessage]) -> Conversation:
    """Move a conversation's counters over past messages as live intake would have: the one rule for a
    conversation stored at once (``record_history``) and one that grows over chunks (``append_history``).

    Notes don't count; the last customer message gives the masked preview; the first human reply is the first
    response; a resolved or closed conversation was resolved (and closed) at its last message."""
    written = [m for m in added if m.direction != Direction.NOTE]
    if not written:
        return conversation
    conversation.message_count += len(written)
    last = max(m.sent_at for m in written)
    if conversation.last_message_at is None or last > conversation.last_message_at:
        conversation.last_message_at = last
        if conversation.status in {Status.RESOLVED, Status.CLOSED}:
            conversation.resolved_at = last
        if conversation.status == Status.CLOSED:
            conversation.closed_at = last
    latest_in = max(
        (m for m in written if m.direction == Direction.INBOUND), key=attrgetter("sent_at"), default=None
    )
    if latest_in is not None and (
        conversation.last_inbound_at is None or latest_in.sent_at > conversation.last_inbound_at
    ):
        conversation.last_inbound_at = latest_in.sent_at
        conversation.preview = mask(latest_in.body)[:PREVIEW_LENGTH]
    first = min(
        (
            m.sent_at
            for m in written
            if m.direction == Direction.OUTBOUND and not (m.author is not None and m.author.is_automated)
        ),
        default=None,
    )
    if first is not None and (
        conversation.first_response_at is None or first < conversation.first_response_at
    ):
        conversation.first_response_at = first
    return conversation

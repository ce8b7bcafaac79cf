"""Live intake: customer messages stored exactly once, set-wise, and queued for the filter."""

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from dabai.conversations import signals
from dabai.conversations.live import publish_conversation_event, publish_conversation_events
from dabai.conversations.models import (
    Conversation,
    Direction,
    Message,
    Status,
)
from dabai.conversations.services.snooze import woken_by_customer
from dabai.core.bulk import insert_rows
from dabai.core.tasking import enqueue_on_commit
from dabai.customers.models import Customer
from dabai.customers.services import Handle, resolve_customers
from dabai.filter import mask

PREVIEW_LENGTH = 120


@dataclass(frozen=True)
class Received:
    message: Message
    created: bool


@dataclass(frozen=True)
class Inbound:
    """One customer message as a channel parsed it, not stored yet.

    Who wrote is either a known ``customer`` or a channel ``handle`` resolved (in bulk) when stored. Without
    an explicit ``conversation`` the message joins the customer's active conversation on that channel, or
    opens a new one; ``open_new`` always opens a new one (a new email subject, a Weibo DM).
    """

    channel: str
    body: str
    customer: Customer | None = None
    handle: Handle | None = None
    external_id: str | None = None
    raw_payload: dict[str, Any] = field(default_factory=dict)
    sent_at: datetime | None = None
    subject: str = ""
    is_public: bool = False
    conversation: Conversation | None = None
    open_new: bool = False

    @property
    def key(self) -> tuple[str, str] | None:
        return (self.channel, self.external_id) if self.external_id else None


def receive_message(*, customer: Customer, **fields: Any) -> Received:
    """Store one inbound customer message exactly once and queue its analysis (see ``receive_messages``)."""
    return receive_messages([Inbound(customer=customer, **fields)])[0]


def receive_messages(items: list[Inbound], *, analyse: bool = True) -> list[Received]:
    """Store a batch of inbound messages, each exactly once, in a handful of queries whatever its size.

    The same (channel, external id) delivered twice, in an earlier batch or twice in this one, returns the
    stored message with ``created=False``. With ``analyse`` one task reads every new message after commit;
    a caller that analyses the batch itself (the inbound drain) passes ``analyse=False``.
    """
    items = _with_customers(items)
    stored = _existing({item.key for item in items if item.key})
    fresh, seen = [], set()
    for item in items:
        if item.key is None or (item.key not in stored and item.key not in seen):
            fresh.append(item)
            seen.add(item.key)
    try:
        with transaction.atomic():
            arrivals = _store_inbound(fresh)
    except IntegrityError:
        if len(fresh) > 1:  # another process stored one of them meanwhile: settle them one by one
            return [receive_messages([item], analyse=analyse)[0] for item in items]
        stored |= _existing({item.key for item in fresh if item.key})
        if not all(item.key in stored for item in fresh):
            raise
        fresh, arrivals = [], []
    if analyse and arrivals:
        _queue_analysis([arrival.message.pk for arrival in arrivals])
    created = {id(item): arrival.message for item, arrival in zip(fresh, arrivals, strict=True)}
    stored |= {item.key: created[id(item)] for item in fresh if item.key}
    results = []
    for item in items:
        message = created.pop(id(item), None)
        results.append(Received(message, True) if message else Received(stored[item.key], False))
    return results


def _with_customers(items: list[Inbound]) -> list[Inbound]:
    handles = [item.handle for item in items if item.customer is None and item.handle is not None]
    if not handles:
        return items
    customers = resolve_customers(handles)
    return [
        replace(item, customer=customers[item.handle]) if item.customer is None else item for item in items
    ]


def _existing(keys: set[tuple[str, str]]) -> dict[tuple[str, str], Message]:
    if not keys:
        return {}
    rows = Message.objects.filter(
        channel__in={channel for channel, _ in keys}, external_id__in={ext for _, ext in keys}
    )
    return {(m.channel, m.external_id): m for m in rows if (m.channel, m.external_id) in keys}


def _store_inbound(items: list[Inbound]) -> list[signals.Arrival]:
    """Find or open each message's conversation, insert the messages, move the counters: set-wise."""
    if not items:
        return []
    now = timezone.now()
    active, locked = _locked_conversations(items)
    opened: dict[int, Conversation] = {}
    woken: dict[int, datetime] = {}
    conversations = []
    for item in items:
        key = (item.customer.pk, item.channel, item.is_public)
        conversation = _survivor(locked, item.conversation.pk) if item.conversation else None
        if conversation is None and not item.open_new:
            conversation = active.get(key)
        if conversation is None:
            conversation = _new_conversation(item, item.sent_at or now)
            opened[id(conversation)] = conversation
        conversation.customer = item.customer
        active[key] = conversation
        conversations.append(conversation)
        snoozed_until = _count_inbound(conversation, item.sent_at or now)
        if snoozed_until is not None:
            woken.setdefault(id(conversation), snoozed_until)
    last_body = {id(c): item.body for c, item in zip(conversations, items, strict=True)}
    touched = {id(c): c for c in conversations}
    for key, conversation in touched.items():
        conversation.preview = mask(last_body[key])[:PREVIEW_LENGTH]
    insert_rows(Conversation, list(opened.values()))
    Conversation.objects.bulk_update([c for k, c in touched.items() if k not in opened], COUNTED_FIELDS)
    messages = insert_rows(
        Message, [_inbound_message(c, item, now) for c, item in zip(conversations, items, strict=True)]
    )
    if woken:
        woken_by_customer([touched[k] for k in woken], {touched[k].pk: at for k, at in woken.items()})
    arrivals, seen = [], set()
    for message, conversation in zip(messages, conversations, strict=True):
        new = id(conversation) in opened and id(conversation) not in seen
        seen.add(id(conversation))
        arrivals.append(signals.Arrival(message, conversation, new))
    signals.messages_received.send(sender=Message, arrivals=arrivals)
    publish_conversation_events(
        [(c.pk, "conversation.created" if k in opened else "message.new", {}) for k, c in touched.items()]
    )
    return arrivals


COUNTED_FIELDS = [
    "last_message_at",
    "last_inbound_at",
    "message_count",
    "preview",
    "status",
    "resolved_at",
    "closed_at",
    "snoozed_until",
]


def _locked_conversations(
    items: list[Inbound],
) -> tuple[dict[tuple[int, str, bool], Conversation], dict[int, Conversation]]:
    """The active conversation per (customer, channel, public or not) and the named ones, locked, fresh."""
    wanted = {
        (i.customer.pk, i.channel, i.is_public) for i in items if i.conversation is None and not i.open_new
    }
    named = {i.conversation.pk for i in items if i.conversation is not None}
    if not wanted and not named:
        return {}, {}
    named |= _merge_targets(named)
    candidates = Q(pk__in=named) | Q(
        customer_id__in={customer for customer, _, _ in wanted},
        channel__in={channel for _, channel, _ in wanted},
        status__in=[Status.OPEN, Status.PENDING],
    )
    active: dict[tuple[int, str, bool], Conversation] = {}
    locked: dict[int, Conversation] = {}
    rows = (
        Conversation.objects.select_for_update(of=("self",)).filter(candidates).order_by("-last_message_at")
    )
    for conversation in rows:
        locked[conversation.pk] = conversation
        key = (conversation.customer_id, conversation.channel, conversation.is_public)
        if key in wanted and conversation.status in (Status.OPEN, Status.PENDING):
            active.setdefault(key, conversation)
    return active, locked


def _merge_targets(named: set[int]) -> set[int]:
    """The conversations the named ones were merged into (and theirs): a customer writing into a merged
    conversation's thread (an email reply, a chat session) writes into the one that survived."""
    targets: set[int] = set()
    frontier = named
    while frontier:
        found = set(
            Conversation.objects.filter(pk__in=frontier, merged_into__isnull=False).values_list(
                "merged_into_id", flat=True
            )
        )
        frontier = found - targets - named
        targets |= found
    return targets


def _survivor(locked: dict[int, Conversation], pk: int) -> Conversation:
    """The named conversation, or the one it was merged into (the chain followed to its end)."""
    conversation = locked[pk]
    seen = {pk}
    while conversation.merged_into_id and conversation.merged_into_id not in seen:
        seen.add(conversation.merged_into_id)
        conversation = locked[conversation.merged_into_id]
    return conversation


def _new_conversation(item: Inbound, sent_at: datetime) -> Conversation:
    return Conversation(
        customer=item.customer,
        channel=item.channel,
        subject=item.subject[:255],
        is_public=item.is_public,
        last_message_at=sent_at,
        message_count=0,
    )


def _count_inbound(conversation: Conversation, sent_at: datetime) -> datetime | None:
    """A customer wrote: the conversation is open again (and awake) and its counters move.

    Returns when it had been snoozed until, if the customer's message woke it.
    """
    snoozed_until, conversation.snoozed_until = conversation.snoozed_until, None
    conversation.last_message_at = max(conversation.last_message_at, sent_at)
    conversation.last_inbound_at = sent_at
    conversation.message_count += 1
    if conversation.status != Status.OPEN:
        conversation.status = Status.OPEN
        conversation.resolved_at = None
        conversation.closed_at = None
    return snoozed_until


def _inbound_message(conversation: Conversation, item: Inbound, now: datetime) -> Message:
    return Message(
        conversation=conversation,
        direction=Direction.INBOUND,
        channel=item.channel,
        external_id=item.external_id or None,
        body=item.body,
        raw_payload=item.raw_payload,
        sent_at=item.sent_at or now,
    )


def _queue_analysis(message_ids: list[int]) -> None:
    from dabai.conversations.tasks import analyse_messages

    enqueue_on_commit(analyse_messages, message_ids)


def receive_feedback(conversation: Conversation, body: str, *, key: str, sent_at: datetime) -> Message:
    """A customer's comment about a finished conversation (a satisfaction survey): customer voice, so it is
    stored as their message in that conversation and read by the filter, but it neither reopens the
    conversation nor starts clocks (no ``messages_received``). ``key`` stores it once (e.g. ``survey-12``).
    """
    with transaction.atomic():
        message, created = Message.objects.get_or_create(
            channel=conversation.channel,
            external_id=key,
            defaults={
                "conversation": conversation,
                "direction": Direction.INBOUND,
                "body": body,
                "raw_payload": {"source": "feedback"},
                "sent_at": sent_at,
            },
        )
        if created:
            Conversation.objects.filter(pk=conversation.pk).update(message_count=F("message_count") + 1)
            _queue_analysis([message.pk])
    if created:
        publish_conversation_event(conversation.pk, "message.new", message_id=message.pk)
    return message

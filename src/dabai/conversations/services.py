"""Every state change of a conversation, one function each (like Zulip's actions)."""

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import attrgetter
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from dabai.accounts.models import Team, User
from dabai.accounts.permissions import visible_conversations
from dabai.accounts.services import record_audit
from dabai.conversations import signals
from dabai.conversations.filtering import current_model
from dabai.conversations.live import publish_conversation_event, publish_conversation_events
from dabai.conversations.models import (
    Conversation,
    CorrectedSignal,
    DeliveryStatus,
    Direction,
    Insight,
    LabelCorrection,
    Message,
    Priority,
    Status,
)
from dabai.core.tasking import enqueue_on_commit
from dabai.customers.models import Customer
from dabai.customers.services import Handle, resolve_customers
from dabai.filter import analyse_many, mask
from dabai.filter.analysis import INTENTS, SENTIMENTS, VOICES

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
    conversations = []
    for item in items:
        key = (item.customer.pk, item.channel, item.is_public)
        conversation = locked[item.conversation.pk] if item.conversation else None
        if conversation is None and not item.open_new:
            conversation = active.get(key)
        if conversation is None:
            conversation = _new_conversation(item, item.sent_at or now)
            opened[id(conversation)] = conversation
        conversation.customer = item.customer
        active[key] = conversation
        conversations.append(conversation)
        _count_inbound(conversation, item.sent_at or now)
    last_body = {id(c): item.body for c, item in zip(conversations, items, strict=True)}
    touched = {id(c): c for c in conversations}
    for key, conversation in touched.items():
        conversation.preview = mask(last_body[key])[:PREVIEW_LENGTH]
    Conversation.objects.bulk_create(list(opened.values()))
    Conversation.objects.bulk_update([c for k, c in touched.items() if k not in opened], COUNTED_FIELDS)
    messages = Message.objects.bulk_create(
        [_inbound_message(c, item, now) for c, item in zip(conversations, items, strict=True)]
    )
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


def _new_conversation(item: Inbound, sent_at: datetime) -> Conversation:
    return Conversation(
        customer=item.customer,
        channel=item.channel,
        subject=item.subject[:255],
        is_public=item.is_public,
        last_message_at=sent_at,
        message_count=0,
    )


def _count_inbound(conversation: Conversation, sent_at: datetime) -> None:
    """A customer wrote: the conversation is open again and its counters move."""
    conversation.last_message_at = max(conversation.last_message_at, sent_at)
    conversation.last_inbound_at = sent_at
    conversation.message_count += 1
    if conversation.status != Status.OPEN:
        conversation.status = Status.OPEN
        conversation.resolved_at = None
        conversation.closed_at = None


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


def read_messages(messages: list[Message]) -> list[Insight]:
    """The filter (the active model) reads a batch of customer messages in one pass; the insights are stored.

    Besides the filter's JSON contract the stored reading keeps ``uncertain``: the signals whose score is
    below the model's calibrated floor, which the desk shows as uncertain rather than as a confident badge.
    """
    return store_insights(_readings(messages))


def _readings(messages: list[Message]) -> list[tuple[Message, dict[str, Any]]]:
    analyses = analyse_many([(m.body, m.channel) for m in messages], model=current_model())
    return [
        (m, {**a.to_dict(), "uncertain": list(a.uncertain)}) for m, a in zip(messages, analyses, strict=True)
    ]


def store_insight(message: Message, analysis: dict[str, Any]) -> Insight:
    """Save the filter's reading of one message (see ``store_insights``)."""
    return store_insights([(message, analysis)])[0]


def store_insights(readings: list[tuple[Message, dict[str, Any]]], attempts: int = 3) -> list[Insight]:
    """Save the filter's readings (replacing earlier ones), raise urgent conversations' priority: set-wise.

    Two workers reading the same message at once (a sweep re-queued it) collide on the unique message; the
    loser reads again and replaces the winner's row.
    """
    readings = list({message.pk: (message, analysis) for message, analysis in readings}.values())
    try:
        with transaction.atomic():
            insights = _write_insights(readings)
            _raise_priorities(insights)
            signals.insights_stored.send(sender=Insight, insights=insights)
    except IntegrityError:
        if attempts <= 1:
            raise
        return store_insights(readings, attempts - 1)
    publish_conversation_events(
        [(m.conversation_id, "insight.new", {"message_id": m.pk}) for m, _ in readings]
    )
    return insights


INSIGHT_FIELDS = [
    "sentiment",
    "sentiment_score",
    "intent",
    "voice",
    "urgency",
    "escalation_risk",
    "is_spam",
    "has_personal_data",
    "masked_text",
    "analysis",
    "model_version",
]


def _write_insights(readings: list[tuple[Message, dict[str, Any]]]) -> list[Insight]:
    earlier = Insight.objects.in_bulk([m.pk for m, _ in readings], field_name="message_id")
    corrections = _latest_corrections([m.pk for m, _ in readings])
    insights = []
    for message, analysis in readings:
        insight = earlier.get(message.pk) or Insight(message=message)
        insight.message = message
        _read_into(insight, analysis)
        for correction in corrections.get(message.pk, []):
            _apply_correction(insight, correction)
        insights.append(insight)
    Insight.objects.bulk_create([i for i in insights if i.pk is None])
    Insight.objects.bulk_update([i for i in insights if i.message_id in earlier], INSIGHT_FIELDS)
    return insights


def _read_into(insight: Insight, analysis: dict[str, Any]) -> None:
    intent = analysis.get("intent") or {}
    voice = analysis.get("voice") or {}
    insight.sentiment = analysis["sentiment"]["label"]
    insight.sentiment_score = float(analysis["sentiment"]["score"])
    insight.intent = intent.get("label") or ""
    insight.voice = voice.get("label") or ""
    insight.urgency = analysis["urgency"]["label"]
    insight.escalation_risk = bool(analysis["escalation"]["risk"])
    insight.is_spam = bool(analysis["spam"]["is_spam"])
    insight.has_personal_data = bool(analysis.get("pii"))
    insight.masked_text = analysis.get("masked_text", "")
    insight.analysis = analysis
    insight.model_version = str(analysis.get("model_version", ""))


# ----------------------------------------------------------------------------------------------- corrections

CORRECTION_LABELS: dict[str, tuple[str, ...]] = {
    CorrectedSignal.SENTIMENT: SENTIMENTS,
    CorrectedSignal.INTENT: INTENTS,
    CorrectedSignal.VOICE: VOICES,
    CorrectedSignal.ESCALATION: ("true", "false"),
    CorrectedSignal.SPAM: ("true", "false"),
}


class InvalidCorrection(ValueError):
    """The signal or label of a correction is not one the filter knows."""


def correct_insight(
    message: Message, *, signal: str, value: str | bool, actor: User, request: Any = None
) -> LabelCorrection:
    """An agent or supervisor corrects one badge of a customer message: stored, audited, shown at once.

    Whoever may open the conversation may correct it (department members and customers may not).  The
    insight's column takes the corrected value immediately (routing and reports read the columns), and every
    later reading of the message (the sweep, a new model) keeps it: see ``_write_insights``.
    """
    if not visible_conversations(actor, Conversation.objects.filter(pk=message.conversation_id)).exists():
        raise PermissionDenied
    if isinstance(value, bool):
        value = "true" if value else "false"
    value = str(value).strip().lower()
    if signal not in CORRECTION_LABELS or value not in CORRECTION_LABELS[signal]:
        raise InvalidCorrection(f"{signal}={value}")
    if message.direction != Direction.INBOUND:
        raise InvalidCorrection("only customer messages carry the filter's labels")
    with transaction.atomic():
        insight = Insight.objects.select_for_update().filter(message=message).first()
        if insight is None:
            raise InvalidCorrection("the filter has not read this message yet")
        previous = _column_value(insight, signal)
        correction = LabelCorrection.objects.create(
            message=message, signal=signal, value=value, previous=previous, corrected_by=actor
        )
        correction.corrected_by = actor
        _apply_correction(insight, correction)
        insight.save(update_fields=INSIGHT_FIELDS)
        record_audit(
            actor,
            "insight.corrected",
            message,
            {"signal": signal, "value": value, "previous": previous, "correction": correction.pk},
            request=request,
        )
    publish_conversation_event(message.conversation_id, "insight.new", message_id=message.pk)
    return correction


def _column_value(insight: Insight, signal: str) -> str:
    if signal == CorrectedSignal.ESCALATION:
        return "true" if insight.escalation_risk else "false"
    if signal == CorrectedSignal.SPAM:
        return "true" if insight.is_spam else "false"
    return str(getattr(insight, signal) or "")


def _latest_corrections(message_ids: list[int]) -> dict[int, list[LabelCorrection]]:
    """The newest correction per (message, signal), with who made it: one query for a whole batch."""
    latest: dict[int, dict[str, LabelCorrection]] = {}
    rows = (
        LabelCorrection.objects.filter(message_id__in=message_ids)
        .select_related("corrected_by")
        .order_by("message_id", "signal", "-id")
    )
    for row in rows:
        latest.setdefault(row.message_id, {}).setdefault(row.signal, row)
    return {message_id: list(by_signal.values()) for message_id, by_signal in latest.items()}


def _apply_correction(insight: Insight, correction: LabelCorrection) -> None:
    """Put a correction into the insight's column and note it (who, when, what the model said) in its JSON."""
    signal, value = correction.signal, correction.value
    model_said = _column_value(insight, signal)
    if signal == CorrectedSignal.ESCALATION:
        insight.escalation_risk = value == "true"
    elif signal == CorrectedSignal.SPAM:
        insight.is_spam = value == "true"
    else:
        setattr(insight, signal, value)
    analysis = dict(insight.analysis or {})
    notes = dict(analysis.get("corrections") or {})
    earlier = notes.get(signal) or {}
    by = correction.corrected_by
    notes[signal] = {
        "value": value,
        "model": earlier.get("model", model_said),
        "by": str(by) if by is not None else "",
        "at": (correction.corrected_at or timezone.now()).isoformat(),
        "id": correction.pk,
    }
    analysis["corrections"] = notes
    analysis["uncertain"] = [s for s in analysis.get("uncertain") or [] if s != signal]
    insight.analysis = analysis


def _raise_priorities(insights: list[Insight]) -> None:
    """An urgent message lifts its conversation's priority (never lowers it): one UPDATE per level."""
    by_priority: dict[int, set[int]] = {}
    for insight in insights:
        priority = URGENCY_PRIORITY.get(insight.urgency, Priority.NORMAL)
        by_priority.setdefault(priority, set()).add(insight.message.conversation_id)
    for priority, conversation_ids in by_priority.items():
        Conversation.objects.filter(pk__in=conversation_ids, priority__lt=priority).update(priority=priority)


# --------------------------------------------------------------------------------------------------- history


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


# --------------------------------------------------------------------------------------------------- writing


def start_conversation(
    customer: Customer, channel: str, *, subject: str = "", status: str = Status.PENDING
) -> Conversation:
    """The centre writes first (an article by SMS): a conversation with no customer message, waiting on them.

    The caller posts the first message (``post_reply``), which announces it.
    """
    now = timezone.now()
    return Conversation.objects.create(
        customer=customer, channel=channel, subject=subject[:255], status=status, last_message_at=now
    )


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

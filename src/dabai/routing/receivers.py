"""Routing listens to conversations (conversations never import routing): clocks, assignment, complaints;
and to the worker starting (the minute SLA sweep).

Arrivals and insights come in batches (a webhook burst is stored and read in one go), so each batch is handled
set-wise: a fixed number of queries however many items it holds. A routing bug must never roll back the
customer's message or the filter's insight: the batch runs in a savepoint, and if it raises it is logged and
each item is handled again on its own (each in its own savepoint, logging instead of raising), so one bad
item blocks nothing. The minute sweep starts missing clocks and routes what is left.
"""

import functools
import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from dabai.conversations import signals
from dabai.conversations.models import Conversation, Insight, Message, Status
from dabai.core.signals import worker_started
from dabai.routing import services
from dabai.routing.models import ClockKind, ClockState
from dabai.routing.tasks import start_sla_sweep

ANSWERED = (ClockKind.FIRST_RESPONSE, ClockKind.NEXT_RESPONSE)
OPENING = (ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION)
logger = logging.getLogger(__name__)
Item = TypeVar("Item")


def contained(handler: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(handler)
    def run(*args, **kwargs) -> None:
        try:
            with transaction.atomic():
                handler(*args, **kwargs)
        except Exception:
            logger.exception("routing: %s failed; the sweep will catch up", handler.__name__)

    return run


def batch_or_each(
    batch: Callable[[Sequence[Item]], None], items: Sequence[Item], each: Callable[[Item], None]
) -> None:
    """Handle the whole batch in one savepoint; if that raises, log it and handle the items one by one."""
    if not items:
        return
    try:
        with transaction.atomic():
            batch(items)
    except Exception:
        logger.exception(
            "routing: %s failed for %d items; handling them one by one", batch.__name__, len(items)
        )
        for item in items:
            each(item)


@receiver(signals.messages_received, dispatch_uid="routing.messages_received")
def on_messages_received(sender, arrivals: list[signals.Arrival], **kwargs) -> None:
    batch_or_each(start_clocks_on_arrival, arrivals, on_arrival)


def start_clocks_on_arrival(arrivals: Sequence[signals.Arrival]) -> None:
    """``on_message_received`` for a batch, in one ``start_clocks_for``: the paused clocks of the
    conversations waiting on the customer resume and every arrival's clocks start, from one read."""
    services.start_clocks_for(
        [
            (a.conversation, a.message.sent_at, clocks_to_start(a.conversation, a.new_conversation))
            for a in arrivals
        ],
        resuming={a.conversation.pk for a in arrivals if not a.new_conversation},
        resumed_at=timezone.now(),
    )


def clocks_to_start(conversation: Conversation, new_conversation: bool) -> list[str]:
    """A new conversation starts first response and resolution; a follow-up starts resolution (unless it is
    running) and first response while never answered, else next response."""
    if new_conversation:
        return list(OPENING)
    answered = conversation.first_response_at is not None
    return [ClockKind.RESOLUTION, ClockKind.NEXT_RESPONSE if answered else ClockKind.FIRST_RESPONSE]


def on_arrival(arrival: signals.Arrival) -> None:
    on_message_received(arrival.message, arrival.conversation, arrival.new_conversation)


@contained
def on_message_received(message: Message, conversation: Conversation, new_conversation: bool) -> None:
    """A customer wrote: start the first-response clock, or resume paused clocks and start next-response."""
    if not new_conversation and conversation.sla_clocks.filter(state=ClockState.PAUSED).exists():
        services.resume_clocks(conversation, timezone.now())
    services.start_clocks(conversation, clocks_to_start(conversation, new_conversation), message.sent_at)


@receiver(signals.insights_stored, dispatch_uid="routing.insights_stored")
def on_insights_stored(sender, insights: list[Insight], **kwargs) -> None:
    batch_or_each(act_on_insights, insights, on_insight)


def act_on_insights(insights: Sequence[Insight]) -> None:
    """``on_insight_stored`` for a batch in a fixed number of queries: retarget, route, open complaints.

    Decisions are made in memory in the batch's order, as one call per insight would make them; each queued
    conversation is routed once, by the intent of its latest message in the batch (the insight ``route``
    would read). Everything is written at the end.
    """
    ids = list(dict.fromkeys(i.message.conversation_id for i in insights))
    found = Conversation.objects.select_related("customer").in_bulk(ids)
    conversations = [found[pk] for pk in ids if pk in found]
    rules = services.SlaRules({c.channel for c in conversations})
    clocks = services.retarget_clocks_for(conversations, rules)
    now = timezone.now()
    contacts = services.recent_contacts({c.customer_id for c in conversations}, now)
    items = [(i, found[i.message.conversation_id]) for i in insights if i.message.conversation_id in found]
    triggered = [(c, services.complaint_triggers(c, i, now, contacts)) for i, c in items]
    latest = {
        i.message.conversation_id: i
        for i in sorted(insights, key=lambda i: (i.message.sent_at, i.message_id))
    }
    queued = {c.pk for c in conversations if c.status == Status.OPEN and c.assignee_id is None}
    router = services.BatchRouter({found[pk].team_id for pk in queued})
    complaints = services.ComplaintBatch([c for c, why in triggered if why], now, rules, clocks)
    for c, why in triggered:
        if c.pk in queued:
            queued.discard(c.pk)
            router.decide(c, latest[c.pk].intent)
        before = c.assignee_id
        if why and complaints.open(c, why) is not None and c.assignee_id != before:
            router.hand_over(c, before, c.assignee_id)
    router.write()
    complaints.write()


def on_insight(insight: Insight) -> None:
    on_insight_stored(insight, insight.message)


@contained
def on_insight_stored(insight: Insight, message: Message) -> None:
    """The filter has read the message: route by its intent, and open a complaint case when it is one."""
    conversation = Conversation.objects.select_related("customer").get(pk=message.conversation_id)
    services.retarget_clocks(conversation)
    if conversation.status == Status.OPEN and conversation.assignee_id is None:
        services.route(conversation)
    triggers = services.complaint_triggers(conversation, insight, timezone.now())
    if triggers:
        services.open_complaint(conversation, triggers, timezone.now())


@receiver(signals.reply_posted, dispatch_uid="routing.reply_posted")
@contained
def on_reply_posted(sender, message: Message, **kwargs) -> None:
    """An agent answered: the response clocks end (met, or breached if late). A bot's answer does not."""
    if message.author is not None and message.author.is_automated:
        return
    services.stop_clocks(message.conversation, ANSWERED, message.sent_at)


@receiver(signals.status_changed, dispatch_uid="routing.status_changed")
@contained
def on_status_changed(sender, conversation: Conversation, old_status: str, **kwargs) -> None:
    """Pending pauses the clocks, reopening resumes them, resolving or closing ends them."""
    now = timezone.now()
    new = conversation.status
    if new == Status.PENDING:
        services.pause_clocks(conversation, now)
    elif new in {Status.RESOLVED, Status.CLOSED}:
        services.stop_clocks(conversation, ClockKind.values, now)
    elif new == Status.OPEN and old_status == Status.PENDING:
        services.resume_clocks(conversation, now)
    elif new == Status.OPEN and old_status in {Status.RESOLVED, Status.CLOSED}:
        services.start_clocks(conversation, [ClockKind.RESOLUTION], now)


@receiver(worker_started, dispatch_uid="routing.worker_started")
def start_sweep(sender, **kwargs) -> None:
    """A worker starts the minute SLA sweep (a fresh chain; an older one retires at its next run)."""
    start_sla_sweep()

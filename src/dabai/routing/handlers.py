"""Routing listens to conversations (conversations never import routing): clocks, assignment, complaints.

Each receiver runs in its own savepoint and logs instead of raising: a routing bug must never roll back the
customer's message or the filter's insight. The minute sweep starts missing clocks and routes what is left.
"""

import functools
import logging
from collections.abc import Callable

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from dabai.conversations import signals
from dabai.conversations.models import Conversation, Insight, Message, Status
from dabai.routing import services
from dabai.routing.models import ClockKind, ClockState

ANSWERED = (ClockKind.FIRST_RESPONSE, ClockKind.NEXT_RESPONSE)
logger = logging.getLogger(__name__)


def contained(handler: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(handler)
    def run(*args, **kwargs) -> None:
        try:
            with transaction.atomic():
                handler(*args, **kwargs)
        except Exception:
            logger.exception("routing: %s failed; the sweep will catch up", handler.__name__)

    return run


@receiver(signals.messages_received, dispatch_uid="routing.messages_received")
def on_messages_received(sender, arrivals: list[signals.Arrival], **kwargs) -> None:
    for arrival in arrivals:
        on_message_received(arrival.message, arrival.conversation, arrival.new_conversation)


@contained
def on_message_received(message: Message, conversation: Conversation, new_conversation: bool) -> None:
    """A customer wrote: start the first-response clock, or resume paused clocks and start next-response."""
    if new_conversation:
        services.start_clocks(conversation, [ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION], message.sent_at)
        return
    now = timezone.now()
    if conversation.sla_clocks.filter(state=ClockState.PAUSED).exists():
        services.resume_clocks(conversation, now)
    # Never answered yet: the first-response clock (if it is not already running); else next-response.
    answered = conversation.first_response_at is not None
    kinds = [ClockKind.RESOLUTION, ClockKind.NEXT_RESPONSE if answered else ClockKind.FIRST_RESPONSE]
    services.start_clocks(conversation, kinds, message.sent_at)


@receiver(signals.insights_stored, dispatch_uid="routing.insights_stored")
def on_insights_stored(sender, insights: list[Insight], **kwargs) -> None:
    for insight in insights:
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

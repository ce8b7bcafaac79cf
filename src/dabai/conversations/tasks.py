"""Background work on conversations: every inbound message is read by the filter; snoozed conversations
wake at their time (one task each, and a minute sweep for the ones a stopped worker missed)."""

import logging
import uuid
from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks import task

from dabai.conversations.models import Message, SnoozeSweep
from dabai.conversations.services import read_messages, wake_due, wake_if_due
from dabai.core.tasking import retry_later

logger = logging.getLogger(__name__)


@task()
def analyse_messages(message_ids: list[int], attempt: int = 0) -> str:
    """Run the filter on a batch of messages and store their Insights; retried with back-off on failure."""
    messages = list(Message.objects.filter(pk__in=message_ids).select_related("conversation__customer"))
    if not messages:
        return "missing"
    try:
        read_messages(messages)
    except Exception:
        logger.exception("analysis of %d messages failed (attempt %d)", len(messages), attempt)
        if not retry_later(analyse_messages, attempt, message_ids):
            logger.error("gave up analysing messages %s after %d attempts", message_ids, attempt + 1)
        raise
    return "ok"


@task()
def wake_snoozed(conversation_id: int, scheduled_for: str) -> str:
    """Wake one snoozed conversation at its time (scheduled with ``run_after`` when it was snoozed)."""
    until = datetime.fromisoformat(scheduled_for)
    outcome = wake_if_due(conversation_id, until)
    if outcome == "early":  # a worker ran it before its time: come back then
        wake_snoozed.using(run_after=until).enqueue(conversation_id, scheduled_for)
    return outcome


SNOOZE_SWEEP_INTERVAL = timedelta(minutes=1)


def start_snooze_sweep() -> str:
    """Start a fresh sweep chain (when a worker starts); an older chain retires at its next run."""
    chain = uuid.uuid4().hex
    SnoozeSweep.objects.update_or_create(pk=1, defaults={"chain": chain})
    snooze_sweep.enqueue(chain)
    return chain


@task()
def snooze_sweep(chain: str) -> dict:
    """Every minute, wake the snoozed conversations whose time has passed: the net under ``wake_snoozed``
    when the worker was down at the time (its task then runs late, or was lost with a flushed queue)."""
    if not SnoozeSweep.objects.filter(pk=1, chain=chain).update(swept_at=timezone.now()):
        return {"retired": True}
    try:
        woken = wake_due()
    finally:
        snooze_sweep.using(run_after=timezone.now() + SNOOZE_SWEEP_INTERVAL).enqueue(chain)
    return {"woken": woken}

"""Background work on conversations: every inbound message is read by the filter."""

import logging

from django_tasks import task

from dabai.conversations.models import Message
from dabai.conversations.services import read_messages
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

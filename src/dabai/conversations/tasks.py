"""Background work on conversations: every inbound message is read by the filter."""

import logging

from django_tasks import task

from dabai.conversations.models import Message
from dabai.conversations.services import store_insight
from dabai.core.tasking import retry_later
from dabai.filter import analyse

logger = logging.getLogger(__name__)


@task()
def analyse_message(message_id: int, attempt: int = 0) -> str:
    """Run the filter on one message and store its Insight; retried with back-off on failure."""
    message = Message.objects.filter(pk=message_id).select_related("conversation").first()
    if message is None:
        return "missing"
    try:
        analysis = analyse(message.body, channel=message.channel).to_dict()
        store_insight(message, analysis)
    except Exception:
        logger.exception("analysis of message %s failed (attempt %d)", message_id, attempt)
        if not retry_later(analyse_message, attempt, message_id):
            logger.error("gave up analysing message %s after %d attempts", message_id, attempt + 1)
        raise
    return "ok"

"""Background work of the knowledge app: the bot reads each inbound chat/WeChat message after the filter."""

import logging

from django_tasks import task

from dabai.conversations.models import Message
from dabai.core.tasking import retry_later

logger = logging.getLogger(__name__)


@task()
def bot_respond(message_id: int, attempt: int = 0) -> str:
    """Let the bot answer or hand over; retried with back-off (a retried run never answers twice)."""
    from dabai.knowledge.bot import respond

    message = Message.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None:
        return "missing"
    try:
        event = respond(message)
    except Exception:
        logger.exception("bot failed on message %s (attempt %d)", message_id, attempt)
        if not retry_later(bot_respond, attempt, message_id):
            logger.error("bot gave up on message %s", message_id)
        raise
    return f"{event.action}:{event.reason}" if event else "silent"

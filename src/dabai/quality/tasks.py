"""Background work of quality: the survey after a resolution, and recomputing outcomes."""

import logging

from django_tasks import task

from dabai.conversations.models import Conversation
from dabai.core.tasking import retry_later
from dabai.quality import services

logger = logging.getLogger(__name__)


@task()
def send_survey(conversation_id: int, attempt: int = 0) -> str:
    """Send the survey of one resolved conversation (if it may still go out when this runs)."""
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        return "gone"
    try:
        survey = services.send_survey(conversation)
    except Exception:
        logger.exception("survey for conversation #%s failed (attempt %d)", conversation_id, attempt)
        return "retrying" if retry_later(send_survey, attempt, conversation_id) else "failed"
    return "sent" if survey else "skipped"


@task()
def recompute_outcomes(conversation_ids: list[int]) -> int:
    """Recompute these conversations' outcomes (e.g. after a rule change), in chunks."""
    return len(services.recompute_outcomes(conversation_ids))

import logging

from django_tasks import task

from dabai.core.tasking import retry_later

logger = logging.getLogger(__name__)


@task()
def index_cases(conversation_ids: list[int], attempt: int = 0) -> int:
    """Refresh the portal's cases of these conversations; retried with back-off."""
    from dabai.insights.services import index_cases as index

    try:
        return index(conversation_ids)
    except Exception:
        logger.exception(
            "case index failed for %d conversations (attempt %d)", len(conversation_ids), attempt
        )
        if not retry_later(index_cases, attempt, conversation_ids):
            raise
        return 0

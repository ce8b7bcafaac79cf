"""Small helpers around the Tasks framework, so every app enqueues and retries the same way."""

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks.base import Task

logger = logging.getLogger(__name__)

RETRY_DELAYS_SECONDS = (5, 30, 120, 600, 1800)


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Enqueue after the surrounding transaction commits, so workers never see rows that roll back."""
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))


def retry_later(task: Task, attempt: int, *args: Any) -> bool:
    """Re-enqueue ``task(*args, attempt=attempt + 1)`` with back-off through the framework's ``run_after``.

    Returns False once the attempts are used up, so the caller can record the give-up.
    """
    if attempt >= len(RETRY_DELAYS_SECONDS):
        return False
    run_after = timezone.now() + timedelta(seconds=RETRY_DELAYS_SECONDS[attempt])
    task.using(run_after=run_after).enqueue(*args, attempt=attempt + 1)
    logger.info("retrying %s%r as attempt %d at %s", task.name, args, attempt + 1, run_after.isoformat())
    return True

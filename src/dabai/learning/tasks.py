"""Background work of the model registry: training a candidate (minutes on the full corpus)."""

import logging

from django_tasks import task

from dabai.core.tasking import retry_later
from dabai.learning.models import FilterModelVersion, VersionStatus
from dabai.learning.services import train_version

logger = logging.getLogger(__name__)


@task()
def train_filter_model(version_id: int, attempt: int = 0) -> str:
    """Train, judge and (if no worse) activate the requested version; retried with back-off on failure."""
    version = FilterModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        return "missing"
    if version.status not in (VersionStatus.TRAINING, VersionStatus.FAILED):
        return "done"
    if version.status == VersionStatus.FAILED:
        version.status = VersionStatus.TRAINING
        version.save(update_fields=["status"])
    try:
        version = train_version(version, actor=None)
    except Exception:
        if not retry_later(train_filter_model, attempt, version_id):
            logger.error(
                "gave up training filter model version %s after %d attempts", version_id, attempt + 1
            )
        raise
    return version.status

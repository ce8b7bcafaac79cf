"""Background work of quality: the survey after a resolution, recomputing outcomes, the channel probes."""

import logging
import uuid
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from dabai.conversations.models import Conversation
from dabai.core.tasking import retry_later
from dabai.quality import conf, services
from dabai.quality.models import ProbeSchedule, ProbeStatus
from dabai.quality.probes import runs as probe_runs

PROBE_CHECK_GRACE = timedelta(seconds=5)

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


# ------------------------------------------------------------------------------------------ channel probes


def start_probes() -> str | None:
    """Start a fresh probe chain (when a worker starts); an older chain retires at its next run. None when
    probes are turned off (``DABAI_PROBE_INTERVAL_MINUTES=0``)."""
    if conf.probe_interval_minutes() <= 0:
        return None
    chain = uuid.uuid4().hex
    ProbeSchedule.objects.update_or_create(pk=1, defaults={"chain": chain})
    probe_cycle.enqueue(chain)
    return chain


@task()
def probe_cycle(chain: str) -> dict:
    """Every N minutes: fail the overdue probes, send a new one through each configured channel, and ask for
    a check at each one's deadline; then schedule the next cycle."""
    if not ProbeSchedule.objects.filter(pk=1, chain=chain).update(ran_at=timezone.now()):
        return {"retired": True}
    try:
        failed = probe_runs.fail_overdue()
        sent = probe_runs.send_probes()
        for run in sent:
            if run.status == ProbeStatus.PENDING:
                check_probes.using(run_after=run.deadline + PROBE_CHECK_GRACE).enqueue()
    finally:
        interval = timedelta(minutes=max(conf.probe_interval_minutes(), 1))
        probe_cycle.using(run_after=timezone.now() + interval).enqueue(chain)
    return {"sent": len(sent), "failed": len(failed)}


@task()
def check_probes() -> int:
    """The second check: the probes still pending past their deadline fail (and supervisors hear of it)."""
    return len(probe_runs.fail_overdue())

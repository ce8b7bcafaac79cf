"""Background work of follow-ups: the overdue sweep (a self re-enqueuing chain, hourly; each follow-up is
escalated at most once a day) and the e-mails of notices (retried with back-off)."""

import logging
import uuid
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from dabai.core.tasking import retry_later
from dabai.followups import notify, services
from dabai.followups.models import EscalationChain, Notice

logger = logging.getLogger(__name__)
SWEEP_INTERVAL = timedelta(hours=1)


def start_overdue_sweep() -> str:
    """Start a fresh chain (when a worker starts); the previous chain retires at its next run."""
    chain = uuid.uuid4().hex
    EscalationChain.objects.update_or_create(pk=1, defaults={"chain": chain})
    overdue_sweep.enqueue(chain)
    return chain


@task()
def overdue_sweep(chain: str) -> dict:
    if not EscalationChain.objects.filter(pk=1, chain=chain).update(swept_at=timezone.now()):
        return {"retired": True}
    try:
        escalated = services.escalate_overdue()
    finally:
        overdue_sweep.using(run_after=timezone.now() + SWEEP_INTERVAL).enqueue(chain)
    if escalated:
        logger.info("follow-ups: %d overdue follow-ups escalated", len(escalated))
    return {"escalated": [f.pk for f in escalated]}


@task()
def mail_notices(notice_ids: list[int], attempt: int = 0) -> dict:
    """E-mail each notice once; the ones a mail failure stopped are tried again later."""
    sent, failed = [], []
    for notice in Notice.objects.filter(pk__in=notice_ids).select_related("recipient", "followup"):
        try:
            if notify.mail_notice(notice):
                sent.append(notice.pk)
        except Exception:
            logger.exception("follow-ups: e-mail of notice %s failed", notice.pk)
            failed.append(notice.pk)
    if failed and not retry_later(mail_notices, attempt, failed):
        logger.error("follow-ups: gave up e-mailing notices %s", failed)
    return {"sent": sent, "failed": failed}

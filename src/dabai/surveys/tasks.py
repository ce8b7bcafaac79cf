"""Background work of surveys: invitation and reminder emails (retried when the mail server fails), and the
hourly reminder run for surveys that remind automatically (a task that re-enqueues itself)."""

import logging
import uuid
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from dabai.core.tasking import retry_later
from dabai.surveys import conf, services
from dabai.surveys.models import Invitation, ReminderChain, Survey

logger = logging.getLogger(__name__)

REMINDER_INTERVAL = timedelta(hours=1)


@task()
def deliver_invitation(invitation_id: int, kind: str = "invitation", attempt: int = 0) -> str:
    """Email one invitation or reminder (``kind``), unless it was answered, expired or closed meanwhile."""
    invitation = Invitation.objects.select_related("survey", "user").filter(pk=invitation_id).first()
    if invitation is None:
        return "gone"
    try:
        sent = services.deliver(invitation, kind)
    except Exception:
        logger.exception("survey %s #%s failed (attempt %d)", kind, invitation_id, attempt)
        return "retrying" if retry_later(deliver_invitation, attempt, invitation_id, kind) else "failed"
    return "sent" if sent else "skipped"


def start_reminders() -> str:
    """Start a fresh reminder chain (called when a worker starts); an older chain stops at its next run."""
    chain = uuid.uuid4().hex
    ReminderChain.objects.update_or_create(name="reminders", defaults={"chain": chain})
    remind_due.enqueue(chain)
    return chain


@task()
def remind_due(chain: str) -> dict:
    """Remind who has not answered the surveys that remind automatically (the gap and the cap of two are
    ``send_reminders``'), then schedule the next run."""
    if not ReminderChain.objects.filter(name="reminders", chain=chain).update(ran_at=timezone.now()):
        return {"retired": True}
    reminded = 0
    try:
        for survey in Survey.objects.filter(is_open=True, auto_remind=True):
            reminded += services.send_reminders(survey, min_gap=conf.reminder_gap())
    finally:
        remind_due.using(run_after=timezone.now() + REMINDER_INTERVAL).enqueue(chain)
    return {"reminded": reminded}

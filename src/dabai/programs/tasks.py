"""Background work of programmes: letters and SMS out (retried), offers lapsing at the deadline, reminders."""

import logging

from django_tasks import task

from dabai.core.tasking import retry_later
from dabai.programs.services import mail, reminders, seats

logger = logging.getLogger(__name__)


@task()
def send_programme_mail(registration_id: int, kind: str, attempt: int = 0) -> str:
    try:
        return "sent" if mail.send(registration_id, kind) else "skipped"
    except Exception:
        logger.exception(
            "programme mail %s to registration %s failed (attempt %d)", kind, registration_id, attempt
        )
        return "retrying" if retry_later(send_programme_mail, attempt, registration_id, kind) else "failed"


@task()
def send_programme_sms(registration_id: int, kind: str, attempt: int = 0) -> str:
    try:
        return "sent" if mail.send_sms(registration_id, kind) else "skipped"
    except Exception:
        logger.exception(
            "programme SMS %s to registration %s failed (attempt %d)", kind, registration_id, attempt
        )
        return "retrying" if retry_later(send_programme_sms, attempt, registration_id, kind) else "failed"


@task()
def expire_offer(registration_id: int) -> bool:
    """Runs at an offer's deadline: if still unanswered, the seat passes to the next person."""
    return seats.expire_offer(registration_id)


@task()
def send_reminders(session_id: int) -> int:
    return reminders.remind_unanswered(session_id)

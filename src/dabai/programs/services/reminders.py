"""Reminders to people who have not answered: at most two per person (``conf.MAX_REMINDERS``)."""

from django.db.models import F

from dabai.core.tasking import enqueue_on_commit
from dabai.programs import conf
from dabai.programs.models import Registration, RegStatus


def remind_unanswered(session_id: int) -> int:
    """Remind everyone invited or offered a seat who has not answered; returns how many were reminded."""
    from dabai.programs import tasks

    due = list(
        Registration.objects.filter(
            session_id=session_id,
            status__in=[RegStatus.SELECTED, RegStatus.OFFERED],
            reminders_sent__lt=conf.MAX_REMINDERS,
        )
        .exclude(email="")
        .values_list("pk", flat=True)
    )
    for pk in due:
        counted = Registration.objects.filter(pk=pk, reminders_sent__lt=conf.MAX_REMINDERS).update(
            reminders_sent=F("reminders_sent") + 1
        )
        if counted:
            enqueue_on_commit(tasks.send_programme_mail, pk, "reminder")
    return len(due)

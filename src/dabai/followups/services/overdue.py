"""Overdue follow-ups are escalated, at most once a day each."""

from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import Role, User
from dabai.followups import notify
from dabai.followups.models import (
    ACTIVE,
    EventKind,
    FollowUp,
    NoticeKind,
)
from dabai.followups.services.followups import _department_people, _log


def escalate_overdue(today: date | None = None) -> list[FollowUp]:
    """Escalate each active follow-up past its due date, at most once a day: its owner (or department) and the
    centre's supervisors (and whoever opened it) are told. Returns the follow-ups escalated now."""
    today = today or timezone.localdate()
    due = FollowUp.objects.filter(status__in=ACTIVE, due__lt=today).filter(
        Q(escalated_on__isnull=True) | Q(escalated_on__lt=today)
    )
    escalated = []
    supervisors = list(User.objects.filter(role=Role.SUPERVISOR, is_active=True))
    for followup in due.select_related("department", "owner", "opened_by"):
        with transaction.atomic():
            # The claim: another sweep that raced us updates nothing and sends nothing.
            claimed = (
                FollowUp.objects.filter(pk=followup.pk)
                .filter(Q(escalated_on__isnull=True) | Q(escalated_on__lt=today))
                .update(escalated_on=today, escalation_count=followup.escalation_count + 1)
            )
            if not claimed:
                continue
            days = (today - followup.due).days
            _log(followup, EventKind.ESCALATED, None, detail={"days_overdue": days})
            text = _("“%(title)s” (%(department)s) is %(days)s days overdue (due %(due)s).") % {
                "title": followup.title,
                "department": followup.department.name,
                "days": days,
                "due": followup.due.isoformat(),
            }
            owners = [followup.owner] if followup.owner_id else _department_people(followup.department)
            notify.notify(
                [*owners, *supervisors, followup.opened_by], NoticeKind.OVERDUE, text=text, followup=followup
            )
            escalated.append(followup)
    return escalated

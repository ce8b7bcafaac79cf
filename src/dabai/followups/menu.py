"""Menu entries of follow-ups: the queue (with the number of unread notices) for departments, supervisors
and agents."""

from django.urls import reverse
from django.utils.translation import gettext as _

from dabai.followups import policy
from dabai.followups.models import Notice


def items(user) -> list[dict]:
    if not policy.uses_followups(user):
        return []
    label = _("Follow-ups")
    unread = Notice.objects.filter(recipient=user, read_at__isnull=True).count()
    if unread:
        label = f"{label} ({unread})"
    return [{"url": reverse("followups:queue"), "label": label, "order": 35}]

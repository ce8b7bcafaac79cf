"""Menu entries of follow-ups: the queue for departments, supervisors and agents."""

from django.urls import reverse
from django.utils.translation import gettext as _

from dabai.followups import policy


def items(user) -> list[dict]:
    if not policy.uses_followups(user):
        return []
    return [{"url": reverse("followups:queue"), "label": _("Follow-ups"), "order": 35}]

"""The programmes' menu entries: organisers (supervisors) and staff who take part (department members)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from dabai.accounts.permissions import is_department_member, is_supervisor


def items(user) -> list[dict]:
    if is_supervisor(user) and user.is_active:
        return [{"url": reverse("programs:organise"), "label": _("Programmes"), "order": 35}]
    if is_department_member(user):
        return [{"url": reverse("programs:front"), "label": _("Programmes"), "order": 35}]
    return []

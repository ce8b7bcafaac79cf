from django.urls import reverse
from django.utils.translation import gettext as _

from dabai.accounts.permissions import is_supervisor


def items(user) -> list[dict]:
    if not is_supervisor(user):
        return []
    return [
        {"url": reverse("outreach:at_risk"), "label": _("At risk"), "order": 36},
        {"url": reverse("outreach:campaigns"), "label": _("Campaigns"), "order": 37},
        {"url": reverse("outreach:incidents"), "label": _("Incidents"), "order": 38},
    ]

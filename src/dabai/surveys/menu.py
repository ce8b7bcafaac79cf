from django.urls import reverse
from django.utils.translation import gettext as _

from dabai.surveys.policy import may_build


def items(user) -> list[dict]:
    if not may_build(user):
        return []
    return [{"url": reverse("surveys:index"), "label": _("Surveys"), "order": 55}]

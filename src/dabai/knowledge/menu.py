"""Menu entry of the knowledge base: agents look answers up and write drafts; supervisors publish."""

from django.urls import reverse
from django.utils.translation import gettext as _

from dabai.accounts.permissions import is_desk_user


def items(user) -> list[dict]:
    if not is_desk_user(user):
        return []
    return [{"url": reverse("knowledge:list"), "label": _("Knowledge base"), "order": 20}]

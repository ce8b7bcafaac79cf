"""Menu entry of conversations: supervisors reach the recent merges and splits, to undo a wrong one."""

from django.urls import reverse
from django.utils.translation import gettext as _

from dabai.accounts.permissions import is_supervisor


def items(user) -> list[dict]:
    if not is_supervisor(user):
        return []
    return [{"url": reverse("conversations:merges"), "label": _("Merges and splits"), "order": 85}]

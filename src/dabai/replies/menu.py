"""Menu entry of canned replies: every desk user keeps their own and uses their teams' and the centre's."""

from django.urls import reverse
from django.utils.translation import gettext as _

from dabai.accounts.permissions import is_desk_user


def items(user) -> list[dict]:
    if not is_desk_user(user):
        return []
    return [{"url": reverse("replies:macros"), "label": _("Canned replies"), "order": 22}]

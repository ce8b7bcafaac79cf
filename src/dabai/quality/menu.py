from django.urls import reverse
from django.utils.translation import gettext as _

from dabai.accounts.permissions import is_supervisor
from dabai.quality.policy import may_review


def items(user) -> list[dict]:
    """Reviewers reach the review cycles (the outcome report and "my outcomes" are in the core menu)."""
    if not may_review(user):
        return []
    label = _("Reviews") if is_supervisor(user) else _("Reviews to do")
    entries = [{"url": reverse("quality:reviews"), "label": label, "order": 52}]
    if is_supervisor(user):
        entries.append({"url": reverse("quality:probes"), "label": _("Channel probes"), "order": 53})
    return entries

"""How each risk factor is explained to a supervisor ("why at risk"), one sentence per factor."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "repeat_contacts": _("Contacted us %(contacts)s times in 30 days"),
    "open_complaints": _("%(complaints)s complaint case(s) still open"),
    "sla_breaches": _("We broke our answer-time promise %(breaches)s time(s) in 30 days"),
    "negative_sentiment": _("%(negative)s negative message(s) in 30 days"),
    "escalation_cues": _("%(messages)s message(s) threatening to escalate (regulator, media, lawyer)"),
    "cancellation_intent": _("Spoke of cancelling (%(messages)s message(s))"),
    "bad_satisfaction": _("Rated us 2 stars or less in a survey"),
    "high_value": _("High-value customer (%(tier)s): losing them costs more"),
}
WORSENING = _("getting worse in the last two weeks")


def explain(factor: dict) -> str:
    label = LABELS.get(factor.get("key", ""))
    if label is None:
        return str(factor.get("key", ""))
    try:
        text = str(label) % factor
    except (KeyError, TypeError, ValueError):
        text = str(label)
    if factor.get("worsening"):
        text = f"{text}, {WORSENING}"
    return text

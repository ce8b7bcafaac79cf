"""How quality figures read: "3分钟", "2小时15分", "87.5%", "4.2 / 5"."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from dabai.routing.selectors.reports import customer_label
from dabai.routing.timewords import span

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """Business seconds as people say them, in the user's language ("3分钟", "2小时15分")."""
    return span(seconds)


@register.filter
def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}%".replace(".0%", "%")


@register.filter
def score(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} / 5"


@register.simple_tag
def conversation_url(pk: int) -> str:
    """The desk's page of a conversation (the workspace app's, or the older conversations app's)."""
    for name in ("desk:detail", "conversations:detail"):
        try:
            return reverse(name, args=[pk])
        except NoReverseMatch:
            continue
    return ""


OUTCOME_METRICS = {
    "all": _("all resolved"),
    "fcr": _("resolved on first contact"),
    "not_fcr": _("not resolved on first contact"),
    "reopened": _("reopened"),
    "contained": _("solved without an agent"),
    "csat": _("rated by the customer"),
    "csat_good": _("rated 4–5★"),
    "csat_low": _("rated 1–2★"),
    "effort": _("ease rated"),
}


@register.filter
def outcome_metric(key: str) -> str:
    """What an outcome figure counts, in words."""
    return str(OUTCOME_METRICS.get(key, key))


@register.simple_tag
def drilled(text: str, base: str, key: object, metric: str) -> str:
    """A figure as a link to the conversations behind it (plain text where there is no drill-down)."""
    if not base:
        return format_html("{}", text)
    query = urlencode({"key": "" if key is None else key, "metric": metric})
    return format_html('<a href="{}&amp;{}" data-testid="drill-{}">{}</a>', base, query, metric, text)


@register.filter
def report_customer(customer) -> str:
    """A customer's name as reports show it: masked (see ``customer_label``)."""
    return customer_label(getattr(customer, "display_name", "") if customer is not None else "")

"""How quality figures read: "3分钟", "2小时15分", "87.5%", "4.2 / 5"."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """Business seconds as people say them, in the user's language."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if seconds < 60:
        return _("%(n)d s") % {"n": int(seconds)}
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if minutes == 0:
            return _("%(h)d h") % {"h": hours}
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}


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

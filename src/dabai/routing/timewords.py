"""Durations as people say them, in the user's language: "45秒", "3分钟", "2小时15分", "1天4小时".

Shared by routing's SLA report and quality's outcome figures (quality imports routing, never the reverse).
"""

from django.utils.translation import gettext as _


def span(seconds: float | None) -> str:
    """Seconds as words; "—" for no value."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return _("%(n)d s") % {"n": max(0, int(seconds))}
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if minutes == 0:
            return _("%(h)d h") % {"h": hours}
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}

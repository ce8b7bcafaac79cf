"""Time as an agent reads it at a glance: "已超时3分钟", "剩余2小时15分", "昨天 19:53", "3分12秒".

Never "0 小时 3 分" or "1 日，7 小时前": the largest two units that matter, no zero units, no spaces inside a
Chinese phrase. The texts are msgids in English and translated through the desk's catalog, so an English
interface reads "3 min overdue", "2 h 15 min left", "yesterday 19:53", "3 min 12 s".
"""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy


def span(seconds: int) -> str:
    """A length of time in its two largest units, rounded down to the minute (seconds under a minute)."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        if hours:
            return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
        return _("%(days)d d") % {"days": days}
    if hours:
        if minutes:
            return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
        return _("%(hours)d h") % {"hours": hours}
    if minutes:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("%(seconds)d s") % {"seconds": secs}


def time_left(due: datetime | None, now: datetime | None = None) -> str:
    """Time left until *due* ("剩余2小时15分") or how far past it ("已超时3分钟"); "" without a deadline."""
    if due is None:
        return ""
    seconds = int((due - (now or timezone.now())).total_seconds())
    if seconds <= 0:
        return _("%(span)s overdue") % {"span": span(max(60, -seconds))}
    return _("%(span)s left") % {"span": span(max(seconds, 60))}


def duration(seconds: int | float | None) -> str:
    """A call's length: "3分12秒", "1小时2分", "45秒"."""
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    minutes, secs = divmod(seconds, 60)
    if minutes >= 60:
        return span(seconds)
    if minutes and secs:
        return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": secs}
    if minutes:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("%(seconds)d s") % {"seconds": secs}


def moment(value: datetime | None, now: datetime | None = None) -> str:
    """When something happened, in the centre's time: "今天 09:05", "昨天 19:53", "11月28日 14:00"."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    today = timezone.localtime(now or timezone.now()).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return _("today %(time)s") % {"time": clock}
    if local.date() == today - timedelta(days=1):
        return _("yesterday %(time)s") % {"time": clock}
    values = {"year": local.year, "day": local.day, "time": clock, "month": str(MONTHS[local.month - 1])}
    if local.year == today.year:
        return _("%(day)d %(month)s %(time)s") % values
    return _("%(day)d %(month)s %(year)d %(time)s") % values


# The month as a date shows it: "Nov" in English ("28 Nov"), "11月" in Chinese ("11月28日").
MONTHS = (
    pgettext_lazy("month in a short date", "Jan"),
    pgettext_lazy("month in a short date", "Feb"),
    pgettext_lazy("month in a short date", "Mar"),
    pgettext_lazy("month in a short date", "Apr"),
    pgettext_lazy("month in a short date", "May"),
    pgettext_lazy("month in a short date", "Jun"),
    pgettext_lazy("month in a short date", "Jul"),
    pgettext_lazy("month in a short date", "Aug"),
    pgettext_lazy("month in a short date", "Sep"),
    pgettext_lazy("month in a short date", "Oct"),
    pgettext_lazy("month in a short date", "Nov"),
    pgettext_lazy("month in a short date", "Dec"),
)

"""Business-time arithmetic on a Chinese working calendar.

Why a module of its own: SLA targets such as "4 business hours" only mean something against a calendar that
knows statutory holidays *and* make-up workdays (调休, e.g. Saturday 2026-10-10). The maintained
``chinese_calendar`` library knows the years the State Council has announced; for later years we fall back to
weekday rules plus the days admins enter themselves (``overrides``), which also win over the library so a
late correction never needs a code release.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar

MAX_DAYS_SCANNED = 800


@cache
def library_years() -> range:
    """The years the installed chinese_calendar release has official data for."""
    years = sorted({d.year for d in chinese_calendar.holidays})
    return range(years[0], years[-1] + 1)


def library_knows(year: int) -> bool:
    return year in library_years()


def is_statutory_workday(day: date, overrides: Mapping[date, bool] | None = None) -> bool:
    """True when people work on ``day``: admin overrides first, then the library, then Monday–Friday."""
    if overrides and day in overrides:
        return overrides[day]
    if library_knows(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


@dataclass(frozen=True)
class WorkingCalendar:
    """Opening hours in one time zone; ``always_open`` is the 24/7 option (chat, hotline, public Weibo)."""

    tz: str = "Asia/Shanghai"
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    always_open: bool = False
    overrides: Mapping[date, bool] = field(default_factory=dict)
    # Each day's window, worked out once per calendar: a batch shares one calendar per team (see
    # ``routing.services.sla.Calendars``), so two hundred deadlines on the same days ask the holiday
    # library once per day, not once per deadline and day.
    _windows: dict[date, tuple[datetime, datetime] | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The aware opening window of ``day``, or None when the centre is closed all day."""
        if day not in self._windows:
            self._windows[day] = self._window(day)
        return self._windows[day]

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if not is_statutory_workday(day, self.overrides):
            return None
        zone = self.zone
        return datetime.combine(day, self.opens, tzinfo=zone), datetime.combine(day, self.closes, tzinfo=zone)

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment ``seconds`` of business time after ``start`` (clock paused outside opening hours)."""
        if self.always_open:
            return start + timedelta(seconds=seconds)
        remaining = timedelta(seconds=seconds)
        local = start.astimezone(self.zone)
        day = local.date()
        for _ in range(MAX_DAYS_SCANNED):
            window = self.window(day)
            if window is not None:
                begin = max(local, window[0])
                if begin < window[1]:
                    available = window[1] - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("no business time found within the scanned horizon")

    def between(self, start: datetime, end: datetime) -> float:
        """Business seconds from ``start`` to ``end`` (negative when ``end`` comes first)."""
        if end < start:
            return -self.between(end, start)
        if self.always_open:
            return (end - start).total_seconds()
        total = timedelta()
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            window = self.window(day)
            if window is not None:
                begin, finish = max(start, window[0]), min(end, window[1])
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total.total_seconds()

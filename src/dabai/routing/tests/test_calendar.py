"""Business-time arithmetic pinned to real 2026 dates, plus the fallback for a year not yet announced."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from dabai.routing.calendar import WorkingCalendar, is_statutory_workday

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = 3600


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_email_on_the_evening_before_national_day_is_due_after_the_holiday():
    # 2026-09-30 20:00 is after hours; 1–7 October are the National Day holiday; the 8th is a workday.
    due = WorkingCalendar().add(at(2026, 9, 30, 20, 0), 4 * HOUR)
    assert due == at(2026, 10, 8, 13, 0)


def test_saturday_2026_10_10_is_a_make_up_workday():
    assert is_statutory_workday(date(2026, 10, 10))
    assert not is_statutory_workday(date(2026, 10, 11))
    due = WorkingCalendar().add(at(2026, 10, 9, 17, 0), 2 * HOUR)
    assert due == at(2026, 10, 10, 10, 0)


def test_an_ordinary_weekend_is_skipped():
    # Friday 2026-11-13 17:30 + 1 business hour → Monday 2026-11-16 09:30.
    assert WorkingCalendar().add(at(2026, 11, 13, 17, 30), HOUR) == at(2026, 11, 16, 9, 30)


def test_mid_autumn_festival_2026_is_a_holiday():
    assert not is_statutory_workday(date(2026, 9, 25))
    assert WorkingCalendar().add(at(2026, 9, 24, 17, 0), 2 * HOUR) == at(2026, 9, 28, 10, 0)


def test_round_the_clock_channels_ignore_the_calendar():
    start = at(2026, 10, 1, 3, 0)
    assert WorkingCalendar(always_open=True).add(start, 20 * 60) == start + timedelta(minutes=20)


def test_unannounced_year_falls_back_to_weekdays():
    # 2027 is not in chinese_calendar yet: New Year's Day (a Friday) counts as a workday by weekday rules...
    assert is_statutory_workday(date(2027, 1, 1))
    assert WorkingCalendar().add(at(2026, 12, 31, 17, 0), 2 * HOUR) == at(2027, 1, 1, 10, 0)


def test_admin_entered_days_fill_an_unannounced_year():
    # ...until an admin enters it as a holiday, and a make-up Saturday as a workday.
    overrides = {date(2027, 1, 1): False, date(2027, 1, 2): True}
    calendar = WorkingCalendar(overrides=overrides)
    assert calendar.add(at(2026, 12, 31, 17, 0), 2 * HOUR) == at(2027, 1, 2, 10, 0)


def test_hours_are_kept_in_the_team_time_zone():
    # A team in Ürümqi (UTC+6) opens 09:00 local, which is 11:00 in Beijing.
    calendar = WorkingCalendar(tz="Asia/Urumqi")
    start = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # 06:00 in Ürümqi, before opening
    assert calendar.add(start, HOUR) == datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo("Asia/Urumqi"))


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(SHANGHAI)
)


@settings(max_examples=60, deadline=None)
@given(start=moments, seconds=st.integers(min_value=1, max_value=40 * HOUR))
def test_business_time_added_is_business_time_measured(start, seconds):
    calendar = WorkingCalendar()
    due = calendar.add(start, seconds)
    assert due > start
    assert abs(calendar.between(start, due) - seconds) < 1e-6


@settings(max_examples=40, deadline=None)
@given(start=moments, first=st.integers(1, 20 * HOUR), second=st.integers(1, 20 * HOUR))
def test_pausing_in_between_does_not_change_the_deadline_if_no_time_passes(start, first, second):
    # A clock paused with time left and resumed at the same moment ends where it would have.
    calendar = WorkingCalendar()
    midway = calendar.add(start, first)
    assert calendar.add(midway, second) == calendar.add(start, first + second)

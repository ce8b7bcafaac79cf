"""Festival greetings follow the real calendar, in the centre's time zone."""

from datetime import UTC, date, datetime

import pytest

from dabai.replies.festivals import centre_today, festival_on


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2027, 2, 20), "元宵节"),  # 正月十五 of 2027
        (date(2026, 2, 17), "春节"),
        (date(2026, 2, 16), "除夕"),  # 腊月廿九: that lunar year's twelfth month has 29 days
        (date(2025, 1, 28), "除夕"),
        (date(2026, 6, 19), "端午节"),
        (date(2026, 8, 19), "七夕节"),
        (date(2026, 9, 25), "中秋节"),
        (date(2026, 10, 18), "重阳节"),
        (date(2027, 1, 1), "元旦"),
        (date(2026, 5, 1), "劳动节"),
        (date(2026, 10, 1), "国庆节"),
        (date(2020, 10, 1), "中秋节"),  # 中秋 met 国庆: the family festival is greeted
    ],
)
def test_festival_days_pinned_to_real_dates(day, name):
    festival = festival_on(day)
    assert festival is not None
    assert festival.name == name


@pytest.mark.parametrize("day", [date(2027, 2, 19), date(2026, 3, 10), date(2026, 4, 5), date(2026, 11, 25)])
def test_ordinary_days_and_qingming_have_no_greeting(day):
    assert festival_on(day) is None


def test_dragon_boat_greeting_wishes_wellbeing_not_fun():
    assert festival_on(date(2026, 6, 19)).short == "端午安康！"


def test_the_centres_date_is_beijing_time_not_utc():
    late_evening_utc = datetime(2027, 2, 19, 17, 0, tzinfo=UTC)  # 01:00 on 20 February in Beijing
    assert centre_today(late_evening_utc) == date(2027, 2, 20)
    assert festival_on(centre_today(late_evening_utc)).name == "元宵节"

"""Which festival today is, in the centre's time zone, so a draft can carry the greeting people expect.

Framework-free on purpose: drafts are built from plain data and this module only needs a date.  Lunar dates
come from ``lunar-python`` (a maintained lunar calendar with the official month lengths and leap months),
never from a hand-made table that silently expires.  Leap months hold no festival: 闰五月初五 is not 端午.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from lunar_python import Solar

CENTRE_TIME_ZONE = "Asia/Shanghai"


@dataclass(frozen=True, slots=True)
class Festival:
    """A festival with its greeting: ``short`` for chat, SMS and Weibo; ``formal`` for email."""

    key: str
    name: str
    short: str
    formal: str


# Lunar (month, day) → festival.  除夕 is handled apart: it is the day before 正月初一 (the 29th or the 30th).
LUNAR_FESTIVALS: dict[tuple[int, int], Festival] = {
    (1, 1): Festival("spring_festival", "春节", "新春快乐！", "值此新春佳节，祝您和家人新春快乐、万事如意！"),
    (1, 15): Festival("lantern", "元宵节", "元宵节快乐！", "值此元宵佳节，祝您和家人团团圆圆、幸福安康！"),
    (5, 5): Festival("dragon_boat", "端午节", "端午安康！", "值此端午佳节，祝您和家人端午安康！"),
    (7, 7): Festival("qixi", "七夕节", "七夕快乐！", "值此七夕佳节，祝您生活甜蜜、幸福美满！"),
    (8, 15): Festival("mid_autumn", "中秋节", "中秋快乐！", "值此中秋佳节，祝您和家人花好月圆、阖家幸福！"),
    (9, 9): Festival("double_ninth", "重阳节", "重阳安康！", "值此重阳佳节，祝您和家人身体健康、福寿安康！"),
}
NEW_YEARS_EVE = Festival(
    "new_years_eve", "除夕", "除夕快乐，新春大吉！", "值此除夕，祝您和家人阖家团圆、新春大吉！"
)

# Solar (month, day) → festival.  清明 is deliberately absent: it is a day of remembrance, not of greetings.
SOLAR_FESTIVALS: dict[tuple[int, int], Festival] = {
    (1, 1): Festival("new_year", "元旦", "元旦快乐！", "值此元旦佳节，祝您新年快乐、万事顺意！"),
    (5, 1): Festival("labour_day", "劳动节", "劳动节快乐！", "值此五一劳动节，祝您节日快乐、假期愉快！"),
    (10, 1): Festival("national_day", "国庆节", "国庆快乐！", "值此国庆佳节，祝您节日快乐、假期愉快！"),
}


def festival_on(day: date) -> Festival | None:
    """The festival falling on *day* (a civil date in China), or None on an ordinary day.

    Lunar festivals win over solar ones when both fall on one day (春节 on 元旦 has not happened since 1900,
    but 中秋 met 国庆 in 2020): the family festival is the one people greet each other for.
    """
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    month, lunar_day = lunar.getMonth(), lunar.getDay()
    if month > 0:  # a negative month is a leap month: no festival there
        festival = LUNAR_FESTIVALS.get((month, lunar_day))
        if festival is not None:
            return festival
        if month == 12:
            tomorrow = lunar.next(1)
            if tomorrow.getMonth() == 1 and tomorrow.getDay() == 1:
                return NEW_YEARS_EVE
    return SOLAR_FESTIVALS.get((day.month, day.day))


def centre_today(now: datetime, time_zone: str = CENTRE_TIME_ZONE) -> date:
    """The civil date at the centre for an aware *now*: 01:00 in Beijing is already tomorrow in UTC terms."""
    return now.astimezone(ZoneInfo(time_zone)).date()

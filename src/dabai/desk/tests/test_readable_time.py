"""Time at the desk reads like a person wrote it, in Chinese by default and in English when asked."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from dabai.desk import timefmt

# 2026-11-30 10:00 in Shanghai (the centre's time zone)
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(minutes=-3), "已超时3分钟"),
        (timedelta(seconds=-20), "已超时1分钟"),
        (timedelta(hours=-1, minutes=-5), "已超时1小时5分"),
        (timedelta(days=-1, hours=-7), "已超时1天7小时"),
        (timedelta(hours=2, minutes=15, seconds=40), "剩余2小时15分"),
        (timedelta(minutes=45), "剩余45分钟"),
        (timedelta(hours=3), "剩余3小时"),
        (timedelta(days=2, hours=1), "剩余2天1小时"),
    ],
)
def test_sla_time_left_reads_as_a_short_chinese_phrase(delta, expected):
    assert timefmt.time_left(NOW + delta, NOW) == expected


def test_no_deadline_says_nothing():
    assert timefmt.time_left(None, NOW) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 11, 30, 1, 5, tzinfo=UTC), "今天 09:05"),
        (datetime(2026, 11, 29, 11, 53, tzinfo=UTC), "昨天 19:53"),
        (datetime(2026, 11, 29, 16, 30, tzinfo=UTC), "今天 00:30"),  # already today in Shanghai
        (datetime(2026, 11, 28, 6, 0, tzinfo=UTC), "11月28日 14:00"),
        (datetime(2025, 3, 2, 6, 0, tzinfo=UTC), "2025年3月2日 14:00"),
    ],
)
def test_moments_say_today_yesterday_or_the_date(value, expected):
    assert timefmt.moment(value, NOW) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"), [(192, "3分12秒"), (45, "45秒"), (180, "3分钟"), (3720, "1小时2分")]
)
def test_call_durations(seconds, expected):
    assert timefmt.duration(seconds) == expected


def test_english_when_the_interface_is_english():
    with translation.override("en"):
        assert timefmt.time_left(NOW - timedelta(minutes=3), NOW) == "3 min overdue"
        assert timefmt.time_left(NOW + timedelta(hours=2, minutes=15), NOW) == "2 h 15 min left"
        assert timefmt.moment(datetime(2026, 11, 29, 11, 53, tzinfo=UTC), NOW) == "yesterday 19:53"
        assert timefmt.moment(datetime(2026, 11, 28, 6, 0, tzinfo=UTC), NOW) == "28 Nov 14:00"
        assert timefmt.duration(192) == "3 min 12 s"


@pytest.mark.parametrize("delta", [timedelta(minutes=-3), timedelta(hours=5), timedelta(days=-1, hours=-7)])
def test_never_zero_units_or_spaces_inside_the_chinese(delta):
    text = timefmt.time_left(NOW + delta, NOW)
    assert " " not in text and "0小时" not in text and "日，" not in text

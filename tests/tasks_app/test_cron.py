from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tasks_app.cron import CronExpression
from tasks_app.exceptions import InvalidSchedule

UTC_ZONE = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")


def fires(expression: str, start: datetime, count: int, *, syntax: str = "unix", zone: ZoneInfo = UTC_ZONE) -> list[datetime]:
    cron = CronExpression(expression, syntax)
    moments, moment = [], start
    for _ in range(count):
        moment = cron.next_after(moment, zone)
        assert moment is not None
        moments.append(moment)
    return moments


def local(moments: list[datetime], zone: ZoneInfo) -> list[str]:
    return [m.astimezone(zone).strftime("%a %Y-%m-%d %H:%M:%S %Z") for m in moments]


def test_five_field_unix_cron() -> None:
    start = datetime(2026, 1, 1, 10, 7, tzinfo=UTC)
    assert local(fires("*/15 * * * *", start, 3), UTC_ZONE) == [
        "Thu 2026-01-01 10:15:00 UTC",
        "Thu 2026-01-01 10:30:00 UTC",
        "Thu 2026-01-01 10:45:00 UTC",
    ]


def test_six_fields_have_seconds_first() -> None:
    start = datetime(2026, 1, 1, 10, 0, 0, tzinfo=UTC)
    assert [m.second for m in fires("*/20 * * * * *", start, 3, syntax="unix")] == [20, 40, 0]


def test_unix_day_of_week_counts_from_sunday_zero() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert local(fires("0 12 * * 0", start, 1), UTC_ZONE) == ["Sun 2026-01-04 12:00:00 UTC"]


def test_quartz_day_of_week_counts_from_sunday_one() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert local(fires("0 0 12 ? * 1", start, 1, syntax="quartz"), UTC_ZONE) == ["Sun 2026-01-04 12:00:00 UTC"]
    assert local(fires("0 0 12 ? * 2-6", start, 3, syntax="quartz"), UTC_ZONE) == [
        "Thu 2026-01-01 12:00:00 UTC",
        "Fri 2026-01-02 12:00:00 UTC",
        "Mon 2026-01-05 12:00:00 UTC",
    ]


def test_quartz_third_friday_of_the_month() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert local(fires("0 15 10 ? * 6#3", start, 3, syntax="quartz"), UTC_ZONE) == [
        "Fri 2026-01-16 10:15:00 UTC",
        "Fri 2026-02-20 10:15:00 UTC",
        "Fri 2026-03-20 10:15:00 UTC",
    ]


def test_quartz_last_friday_and_last_day() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert local(fires("0 0 8 ? * 6L", start, 2, syntax="quartz"), UTC_ZONE) == [
        "Fri 2026-01-30 08:00:00 UTC",
        "Fri 2026-02-27 08:00:00 UTC",
    ]
    assert local(fires("0 0 8 L * ?", start, 2, syntax="quartz"), UTC_ZONE) == [
        "Sat 2026-01-31 08:00:00 UTC",
        "Sat 2026-02-28 08:00:00 UTC",
    ]


def test_quartz_nearest_and_last_weekday() -> None:
    start = datetime(2026, 2, 1, tzinfo=UTC)
    # 14 Feb 2026 is a Saturday: the nearest weekday is Friday the 13th.
    assert local(fires("0 0 9 14W * ?", start, 1, syntax="quartz"), UTC_ZONE) == ["Fri 2026-02-13 09:00:00 UTC"]
    # 31 May 2026 is a Sunday: the last weekday of May is Friday the 29th.
    start = datetime(2026, 5, 1, tzinfo=UTC)
    assert local(fires("0 0 9 LW * ?", start, 2, syntax="quartz"), UTC_ZONE) == [
        "Fri 2026-05-29 09:00:00 UTC",
        "Tue 2026-06-30 09:00:00 UTC",
    ]


def test_quartz_year_field_ends_the_schedule() -> None:
    cron = CronExpression("0 0 0 1 1 ? 2027", "quartz")
    first = cron.next_after(datetime(2026, 6, 1, tzinfo=UTC), UTC_ZONE)
    assert first == datetime(2027, 1, 1, tzinfo=UTC)
    assert cron.next_after(first, UTC_ZONE) is None


def test_spring_forward_gap_fires_once_just_after_the_change() -> None:
    # 2026-03-08 02:00 does not exist in New York (clocks jump to 03:00).
    start = datetime(2026, 3, 7, 12, tzinfo=NEW_YORK)
    assert local(fires("0 30 2 * * *", start, 3, zone=NEW_YORK), NEW_YORK) == [
        "Sun 2026-03-08 03:30:00 EDT",
        "Mon 2026-03-09 02:30:00 EDT",
        "Tue 2026-03-10 02:30:00 EDT",
    ]


def test_fall_back_repeated_hour_fires_once() -> None:
    # 2026-11-01 01:30 happens twice in New York; the job fires at the first one only.
    start = datetime(2026, 10, 31, 12, tzinfo=NEW_YORK)
    moments = fires("0 30 1 * * *", start, 2, zone=NEW_YORK)
    assert local(moments, NEW_YORK) == ["Sun 2026-11-01 01:30:00 EDT", "Mon 2026-11-02 01:30:00 EST"]
    assert (moments[1] - moments[0]).total_seconds() == 25 * 3600


def test_every_half_hour_across_fall_back_never_repeats_or_goes_back() -> None:
    start = datetime(2026, 11, 1, 0, 45, tzinfo=NEW_YORK)
    moments = fires("*/30 * * * *", start, 4, zone=NEW_YORK)
    assert moments == sorted(set(moments))
    assert local(moments, NEW_YORK)[0] == "Sun 2026-11-01 01:00:00 EDT"


@pytest.mark.parametrize(
    ("expression", "syntax"),
    [
        ("bad", "unix"),
        ("61 * * * *", "unix"),
        ("0 0 12 * *", "quartz"),  # 5 fields is not Quartz
        ("0 0 12 1 * MON", "quartz"),  # both day fields
        ("0 0 12 ? * 8", "quartz"),
        ("0 0 12 ? * 0", "quartz"),
        ("* * * * *", "cobol"),
    ],
)
def test_invalid_expressions_are_rejected(expression: str, syntax: str) -> None:
    with pytest.raises(InvalidSchedule):
        CronExpression(expression, syntax)

"""A task's type and start_time as triggers, and when they disagree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api_app.crontab.schedule import go_duration_seconds, trigger_for
from tasks_app.exceptions import InvalidSchedule
from tasks_app.triggers import build_trigger

NOW = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _utc(settings) -> None:
    settings.CRONTAB_TIME_ZONE = "UTC"
    settings.CRONTAB_PAST_GRACE_SECONDS = 5


def next_fire(task_type: int, start_time: object) -> datetime | None:
    return build_trigger(trigger_for(task_type, start_time, now=NOW), now=NOW).upcoming(NOW)


@pytest.mark.parametrize(
    ("start_time", "expected"),
    [
        (int(NOW.timestamp()) + 60, NOW + timedelta(seconds=60)),
        (str(int(NOW.timestamp()) + 60), NOW + timedelta(seconds=60)),
        (NOW.timestamp() + 0.5, NOW + timedelta(seconds=0.5)),
        (int(NOW.timestamp()) - 3, NOW - timedelta(seconds=3)),  # within the grace: fires at once
        ("0 30 14 * * *", datetime(2026, 3, 10, 14, 30, tzinfo=UTC)),  # a cron: its next occurrence
        ("30 14 * * *", datetime(2026, 3, 10, 14, 30, tzinfo=UTC)),
        ("@daily", datetime(2026, 3, 11, tzinfo=UTC)),
        ("@every 1m30s", NOW + timedelta(seconds=90)),
    ],
)
def test_single_fires_once(start_time: object, expected: datetime) -> None:
    trigger = trigger_for(1, start_time, now=NOW)
    assert trigger["kind"] == "at"
    assert next_fire(1, start_time) == expected


@pytest.mark.parametrize(
    ("start_time", "every"),
    [(90, 90), ("90", 90), (1.5, 1.5), ("@every 1m30s", 90), ("@every 2h", 7200), ("@every 1.5h", 5400), ("@every 1s500ms", 1.5)],
)
def test_interval_numbers_and_durations(start_time: object, every: float) -> None:
    trigger = trigger_for(2, start_time, now=NOW)
    assert trigger["kind"] == "interval" and trigger["every_seconds"] == every
    assert next_fire(2, start_time) == NOW + timedelta(seconds=every)  # as robfig's @every: one interval from now


@pytest.mark.parametrize(
    ("task_type", "start_time", "first"),
    [
        (2, "*/10 * * * * *", datetime(2026, 3, 10, 12, 0, 10, tzinfo=UTC)),
        (3, "0 15 * * * *", datetime(2026, 3, 10, 12, 15, tzinfo=UTC)),
        (3, "@hourly", datetime(2026, 3, 10, 13, tzinfo=UTC)),
        (3, "0 0,30 * * * *", datetime(2026, 3, 10, 12, 30, tzinfo=UTC)),
        (4, "0 30 2 * * *", datetime(2026, 3, 11, 2, 30, tzinfo=UTC)),
        (4, "30 2 * * *", datetime(2026, 3, 11, 2, 30, tzinfo=UTC)),
        (4, "@midnight", datetime(2026, 3, 11, tzinfo=UTC)),
        (4, "0 0 9-17/4 * * ?", datetime(2026, 3, 10, 13, tzinfo=UTC)),
        (5, "0 0 8 15 * *", datetime(2026, 3, 15, 8, tzinfo=UTC)),
        (5, "@monthly", datetime(2026, 4, 1, tzinfo=UTC)),
        (6, "0 0 0 1 6 *", datetime(2026, 6, 1, tzinfo=UTC)),
        (6, "@yearly", datetime(2027, 1, 1, tzinfo=UTC)),
        (6, "@annually", datetime(2027, 1, 1, tzinfo=UTC)),
        (7, "0 0 9 * * 1", datetime(2026, 3, 16, 9, tzinfo=UTC)),  # 0 = Sunday, as robfig numbers it
        (7, "0 0 9 * * MON", datetime(2026, 3, 16, 9, tzinfo=UTC)),
        (7, "@weekly", datetime(2026, 3, 15, tzinfo=UTC)),
    ],
)
def test_repeating_types_take_the_crons_that_agree(task_type: int, start_time: str, first: datetime) -> None:
    trigger = trigger_for(task_type, start_time, now=NOW)
    assert trigger["kind"] == "cron" and trigger["syntax"] == "unix" and len(trigger["cron"].split()) == 6
    assert next_fire(task_type, start_time) == first


@pytest.mark.parametrize(
    ("task_type", "start_time", "says"),
    [
        (4, "0 0 * * * *", "repeats every hour: it fits type 3 (hourly), not the task's type 4 (daily)"),
        (4, "@hourly", "fits type 3 (hourly)"),
        (3, "0 30 2 * * *", "fits type 4 (daily)"),
        (3, "* * * * * *", "fits type 2 (interval)"),
        (7, "@monthly", "fits type 5 (monthly)"),
        (5, "0 0 0 * 1 *", "fits type 6 (yearly)"),
        (6, "@weekly", "fits type 7 (weekly)"),
        (4, "@every 1h", "is an interval: it fits type 2 (interval)"),
        (4, 3600, "is an interval"),
        (2, "0 */5 * * * *", "fits type 3 (hourly)"),
        (2, "@daily", "fits type 4 (daily)"),
        (5, "0 0 0 1 * 1", "restricts both day-of-month and day-of-week"),
    ],
)
def test_a_type_that_disagrees_with_its_expression_is_an_error(task_type: int, start_time: object, says: str) -> None:
    with pytest.raises(InvalidSchedule) as error:
        trigger_for(task_type, start_time, now=NOW)
    assert error.value.field == "start_time" and says in error.value.message


@pytest.mark.parametrize(
    ("task_type", "start_time", "says"),
    [
        (1, int(NOW.timestamp()) - 60, "60s in the past"),
        (1, 10**13, "not a Unix timestamp in seconds"),
        (1, 0, "not a Unix timestamp"),
        (1, "0 0 0 30 2 *", "never fires"),
        (4, "0 61 2 * * *", "invalid cron"),
        (4, "0 0 2 * *  * *", "6 fields (seconds first) or 5, got 7"),
        (4, "tomorrow", "6 fields (seconds first) or 5, got 1"),
        (4, "@fortnightly", "unknown descriptor"),
        (2, "@every soon", "Go duration"),
        (2, "@every 10", "Go duration"),
        (2, "@every 500ms", "at least 1 second"),
        (2, 0, "at least 1 second"),
        (4, "", "must be a Unix timestamp"),
        (4, None, "must be a Unix timestamp"),
    ],
)
def test_malformed_start_times(task_type: int, start_time: object, says: str) -> None:
    with pytest.raises(InvalidSchedule) as error:
        trigger_for(task_type, start_time, now=NOW)
    assert error.value.field == "start_time" and says in error.value.message


def test_crons_are_read_in_the_dialects_zone(settings) -> None:
    settings.CRONTAB_TIME_ZONE = "Asia/Shanghai"
    assert next_fire(4, "0 30 2 * * *") == datetime(2026, 3, 10, 18, 30, tzinfo=UTC)


def test_go_durations() -> None:
    assert go_duration_seconds("1h2m3s") == 3723
    assert go_duration_seconds("250ms") == 0.25
    assert go_duration_seconds("1m 30s") is None
    assert go_duration_seconds("") is None

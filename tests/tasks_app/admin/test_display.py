"""How the console words triggers and policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tasks_app.admin import display
from tasks_app.models import Job
from tasks_app.triggers import build_trigger

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def stored(data: dict) -> dict:
    return build_trigger(data, now=NOW).to_json()


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        ({"kind": "cron", "cron": "0 12 * * *", "time_zone": "Asia/Shanghai"}, "every day at 12:00 Asia/Shanghai"),
        ({"kind": "cron", "cron": "0 30 2 * * ?"}, "every day at 02:30 UTC"),
        ({"kind": "cron", "cron": "*/10 * * * * *", "syntax": "unix"}, "every 10 seconds UTC"),
        ({"kind": "cron", "cron": "0 0 12 ? * 2#1", "time_zone": "Asia/Tokyo"}, "at 12:00, on the first Monday of the month, Asia/Tokyo"),
        ({"kind": "cron", "cron": "0 9 * * 1", "syntax": "unix"}, "at 09:00, only on Monday, UTC"),
        ({"kind": "interval", "every_seconds": 300}, "every 5 minutes UTC"),
        ({"kind": "interval", "every_seconds": 90, "repeat_count": 3}, "every 90 seconds, 3 times in all, UTC"),
        ({"kind": "at", "at": "2026-11-22T08:00:00", "time_zone": "Asia/Shanghai"}, "once at 2026-11-22 08:00:00 Asia/Shanghai"),
        ({"kind": "delay", "seconds": 60}, "once at 2026-11-21 10:01:00 (1 minute after it was created) UTC"),
        ({"kind": "now"}, "once, as soon as it was created, UTC"),
    ],
)
def test_triggers_read_as_sentences(trigger: dict, expected: str) -> None:
    assert display.describe_trigger(stored(trigger), now=NOW) == expected


def test_a_future_start_and_an_end_are_said() -> None:
    trigger = stored({"kind": "interval", "every_seconds": 3600, "start_at": "2026-12-01T00:00:00Z", "end_at": "2026-12-31T00:00:00Z"})
    assert display.describe_trigger(trigger, now=NOW) == "every 1 hour, from 2026-12-01 00:00:00, until 2026-12-31 00:00:00, UTC"


@pytest.mark.parametrize(
    ("retry", "expected"),
    [
        ({"delays_seconds": [2, 4, 8]}, "3 retries, after 2 seconds, 4 seconds, 8 seconds"),
        ({"delays_seconds": []}, "no retries"),
        (
            {"max_attempts": 5, "backoff_seconds": 1, "max_backoff_seconds": 60},
            "up to 5 attempts in all, waiting 1 second doubling each time, at most 1 minute apart",
        ),
    ],
)  # fmt: skip
def test_retry_policies_read_as_sentences(retry: dict, expected: str) -> None:
    assert display.describe_retry(retry) == expected


def test_fire_times_are_the_next_five_from_the_next_fire() -> None:
    job = Job(trigger=stored({"kind": "cron", "cron": "0 12 * * *", "time_zone": "Asia/Shanghai"}), enabled=True, fire_count=0)
    job.next_fire_at = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
    times = display.fire_times(job, now=NOW)
    assert times == [datetime(2026, 11, 22 + day, 4, 0, tzinfo=UTC) for day in range(5)]


def test_a_paused_job_shows_where_a_resume_would_start_and_a_fired_one_shot_none() -> None:
    paused = Job(trigger=stored({"kind": "interval", "every_seconds": 60}), enabled=False, fire_count=3, next_fire_at=None)
    assert display.fire_times(paused, now=NOW + timedelta(seconds=30)) == [NOW + timedelta(minutes=m) for m in range(1, 6)]
    fired = Job(trigger=stored({"kind": "now"}), enabled=True, fire_count=1, next_fire_at=None)
    assert display.fire_times(fired, now=NOW) == []


def test_badges_escape_what_they_show() -> None:
    assert "&lt;b&gt;" in display.badge("<b>") and display.badge(None) == "—"

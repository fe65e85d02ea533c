from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tasks_app.exceptions import InvalidSchedule
from tasks_app.triggers import build_trigger, stored_trigger

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def test_now_fires_at_creation_once() -> None:
    trigger = build_trigger({"kind": "now"}, now=NOW)
    assert trigger.upcoming(NOW) == NOW
    assert trigger.next_fire(NOW, 1) is None
    assert trigger.upcoming(NOW + timedelta(hours=1), fired=1) is None


def test_at_reads_a_moment_without_offset_in_its_zone() -> None:
    trigger = build_trigger({"kind": "at", "at": "2026-11-22T08:00:00", "time_zone": "Asia/Shanghai"}, now=NOW)
    assert trigger.upcoming(NOW) == datetime(2026, 11, 22, 0, 0, tzinfo=UTC)


def test_delay_is_fixed_when_built_and_survives_storage() -> None:
    trigger = build_trigger({"kind": "delay", "seconds": 90}, now=NOW)
    assert trigger.upcoming(NOW) == NOW + timedelta(seconds=90)
    later = NOW + timedelta(hours=3)
    assert stored_trigger(trigger.to_json()).upcoming(later) == NOW + timedelta(seconds=90)


def test_interval_with_start_end_and_repeat_count() -> None:
    start = NOW + timedelta(minutes=1)
    trigger = build_trigger({"kind": "interval", "every_seconds": 30, "start_at": start.isoformat(), "repeat_count": 3}, now=NOW)
    first = trigger.upcoming(NOW)
    assert first == start
    second = trigger.next_fire(first, 1)
    third = trigger.next_fire(second, 2)
    assert [second, third] == [start + timedelta(seconds=30), start + timedelta(seconds=60)]
    assert trigger.next_fire(third, 3) is None
    bounded = build_trigger(
        {"kind": "interval", "every_seconds": 60, "start_at": NOW.isoformat(), "end_at": (NOW + timedelta(seconds=90)).isoformat()},
        now=NOW,
    )
    assert bounded.next_fire(NOW, 1) == NOW + timedelta(seconds=60)
    assert bounded.next_fire(NOW + timedelta(seconds=60), 2) is None


def test_interval_resumed_later_keeps_its_grid() -> None:
    trigger = build_trigger({"kind": "interval", "every_seconds": 60, "start_at": NOW.isoformat()}, now=NOW)
    assert trigger.upcoming(NOW + timedelta(seconds=130), fired=2) == NOW + timedelta(seconds=180)


def test_cron_in_its_own_zone_with_start_and_end() -> None:
    trigger = build_trigger({"kind": "cron", "cron": "0 30 2 * * ?", "time_zone": "Asia/Shanghai"}, now=NOW)
    assert trigger.upcoming(NOW) == datetime(2026, 11, 21, 18, 30, tzinfo=UTC)  # 02:30 +08:00 on the 22nd
    ended = build_trigger({"kind": "cron", "cron": "0 * * * *", "end_at": "2026-11-21T10:30:00+00:00"}, now=NOW)
    assert ended.upcoming(NOW) is None


def test_cron_syntax_follows_field_count_unless_given() -> None:
    assert build_trigger({"kind": "cron", "cron": "0 0 12 ? * 1"}, now=NOW).to_json()["syntax"] == "quartz"
    assert build_trigger({"kind": "cron", "cron": "0 12 * * 1"}, now=NOW).to_json()["syntax"] == "unix"
    unix_seconds = build_trigger({"kind": "cron", "cron": "0 0 12 * * 0", "syntax": "unix"}, now=NOW)
    assert unix_seconds.upcoming(NOW).strftime("%a") == "Sun"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "cron", "cron": "0 0 * * *", "colour": "red"}, "colour"),
        ({"kind": "cron", "cron": "not a cron"}, "cron"),
        ({"kind": "delay", "seconds": -1}, "seconds"),
        ({"kind": "delay", "seconds": "5"}, "seconds"),
        ({"kind": "interval", "every_seconds": 0}, "every_seconds"),
        ({"kind": "interval", "every_seconds": 5, "repeat_count": -2}, "repeat_count"),
        ({"kind": "at", "at": "tomorrow"}, "at"),
        ({"kind": "at"}, "at"),
        ({"kind": "weekly"}, "kind"),
        ({"kind": "now", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"kind": "interval", "every_seconds": 5, "start_at": "2026-01-02T00:00:00Z", "end_at": "2026-01-01T00:00:00Z"}, "end_at"),
    ],
)
def test_bad_triggers_name_the_field(data: dict, field: str) -> None:
    with pytest.raises(InvalidSchedule) as error:
        build_trigger(data, now=NOW)
    assert error.value.field == field

"""A crontab task's ``type`` and ``start_time`` as one of the domain's triggers.

Type 1 (single) fires once: at a Unix timestamp, or at the next occurrence of a cron or
descriptor. Type 2 (interval) repeats every ``@every <Go duration>`` or plain number of seconds,
or on a cron that repeats within every minute. Types 3-7 are calendar crons (seconds first, as
Go's robfig/cron reads them; 5 fields mean second 0). A cron *agrees* with a calendar type when
the pattern it repeats on is that type's: the coarsest field it restricts decides (month: yearly,
day-of-month: monthly, day-of-week: weekly, hour: daily, minute: hourly). See
docs/decisions/0301-crontab-types-and-schedules.md.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from tasks_app.cron import CronExpression
from tasks_app.exceptions import InvalidSchedule
from tasks_app.triggers import zone_named

SINGLE, INTERVAL, HOURLY, DAILY, MONTHLY, YEARLY, WEEKLY = range(1, 8)
TYPE_NAMES = {
    SINGLE: "single",
    INTERVAL: "interval",
    HOURLY: "hourly",
    DAILY: "daily",
    MONTHLY: "monthly",
    YEARLY: "yearly",
    WEEKLY: "weekly",
}
REPEATS = {
    INTERVAL: "within every minute",
    HOURLY: "every hour",
    DAILY: "every day",
    WEEKLY: "every week",
    MONTHLY: "every month",
    YEARLY: "every year",
}

DESCRIPTORS = {
    "@hourly": "0 0 * * * *",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@weekly": "0 0 0 * * 0",
    "@monthly": "0 0 0 1 * *",
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
}
# Six fields: second minute hour day-of-month month day-of-week. Coarsest first.
_PERIOD_OF_FIELD = ((4, YEARLY), (3, MONTHLY), (5, WEEKLY), (2, DAILY), (1, HOURLY))
_UNRESTRICTED = {"*", "?", "*/1"}
_GO_DURATION = re.compile(r"(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+")
_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
# No timestamp past year 9999 (a millisecond timestamp lands there: it is an error, not a guess).
_LAST_TIMESTAMP = 253402300799


def trigger_for(task_type: int, start_time: Any, *, now: datetime) -> dict[str, Any]:
    """The trigger JSON for a task; raises InvalidSchedule naming ``start_time`` (or ``type``)."""
    zone = settings.CRONTAB_TIME_ZONE
    if task_type == SINGLE:
        return {"kind": "at", "at": single_moment(start_time, now=now).isoformat(), "time_zone": zone}
    seconds = interval_seconds(start_time)
    if seconds is not None:
        if task_type != INTERVAL:
            raise _disagree(start_time, INTERVAL, task_type, what="is an interval")
        return {"kind": "interval", "every_seconds": seconds, "start_at": (now + timedelta(seconds=seconds)).isoformat(), "time_zone": zone}
    fields = cron_fields(start_time)
    repeats = period_of(fields, start_time)
    if repeats != task_type:
        raise _disagree(start_time, repeats, task_type, what=f"repeats {REPEATS[repeats]}")
    return {"kind": "cron", "cron": " ".join(fields), "syntax": "unix", "time_zone": zone}


def _disagree(start_time: Any, fits: int, task_type: int, *, what: str) -> InvalidSchedule:
    return InvalidSchedule(
        f"{start_time!r} {what}: it fits type {fits} ({TYPE_NAMES[fits]}), not the task's type {task_type} ({TYPE_NAMES[task_type]})",
        field="start_time",
    )


def single_moment(start_time: Any, *, now: datetime) -> datetime:
    """Type 1: a Unix timestamp (a few seconds in the past still fire, now), or the next
    occurrence of ``@every``, a descriptor or a cron."""
    timestamp = _number(start_time)
    if timestamp is None:
        seconds = interval_seconds(start_time)
        return now + timedelta(seconds=seconds) if seconds is not None else _next_occurrence(start_time, now)
    if not 0 < timestamp <= _LAST_TIMESTAMP:
        raise InvalidSchedule(f"{start_time!r} is not a Unix timestamp in seconds", field="start_time")
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    late = (now - moment).total_seconds()
    if late > settings.CRONTAB_PAST_GRACE_SECONDS:
        raise InvalidSchedule(f"{start_time!r} is {late:.0f}s in the past", field="start_time")
    return moment


def _next_occurrence(start_time: Any, now: datetime) -> datetime:
    fields = cron_fields(start_time)
    moment = CronExpression(" ".join(fields), "unix").next_after(now, zone_named(settings.CRONTAB_TIME_ZONE))
    if moment is None:
        raise InvalidSchedule(f"{start_time!r} never fires", field="start_time")
    return moment


def _number(value: Any) -> float | None:
    """A plain number of seconds, given as a JSON number or a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
        return float(value) if "." in value else int(value)
    return None


def interval_seconds(start_time: Any) -> float | None:
    """Seconds between fires for ``@every <duration>`` or a plain number; None for anything else."""
    seconds = _number(start_time)
    if seconds is None and isinstance(start_time, str) and start_time.strip().lower().startswith("@every"):
        seconds = go_duration_seconds(start_time.strip()[len("@every") :].strip())
        if seconds is None:
            raise InvalidSchedule(f"{start_time!r}: @every takes a Go duration such as 90s, 1m30s or 2h", field="start_time")
    if seconds is not None and seconds < 1:
        raise InvalidSchedule(f"{start_time!r}: an interval must be at least 1 second", field="start_time")
    return seconds


def go_duration_seconds(text: str) -> float | None:
    """Go's ``time.ParseDuration`` for positive durations: ``1h30m``, ``90s``, ``1.5h``, ``500ms``."""
    if not _GO_DURATION.fullmatch(text):
        return None
    return sum(float(amount) * _GO_UNITS[unit] for amount, unit in _GO_DURATION_PART.findall(text))


def cron_fields(start_time: Any) -> list[str]:
    """A descriptor or a 5/6-field cron as six fields, seconds first; validated by croniter."""
    if not isinstance(start_time, str) or not start_time.strip():
        raise InvalidSchedule("must be a Unix timestamp, a number of seconds, a cron or a descriptor", field="start_time")
    text = start_time.strip()
    if text.startswith("@"):
        if text.lower() not in DESCRIPTORS:
            raise InvalidSchedule(
                f"unknown descriptor {text!r}; use one of {', '.join(DESCRIPTORS)} or @every <duration>", field="start_time"
            )
        return DESCRIPTORS[text.lower()].split()
    fields = text.split()
    if len(fields) not in (5, 6):
        raise InvalidSchedule(f"a cron needs 6 fields (seconds first) or 5, got {len(fields)}: {text!r}", field="start_time")
    fields = ["0", *fields] if len(fields) == 5 else fields
    try:
        CronExpression(" ".join(fields), "unix")
    except InvalidSchedule as error:
        raise InvalidSchedule(f"{text!r}: {error.message}", field="start_time") from None
    return fields


def period_of(fields: list[str], start_time: Any) -> int:
    """The type whose pattern the cron repeats on: its coarsest restricted field decides."""
    restricted = [field not in _UNRESTRICTED for field in fields]
    if restricted[3] and restricted[5]:
        raise InvalidSchedule(f"{start_time!r} restricts both day-of-month and day-of-week; no type repeats on that", field="start_time")
    return next((period for index, period in _PERIOD_OF_FIELD if restricted[index]), INTERVAL)

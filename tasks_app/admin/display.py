"""How the console words things: triggers in plain English (cron via cron-descriptor), retry and
misfire policies, durations and moments in a trigger's own zone. Pure functions, no queries."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from cron_descriptor import CasingTypeEnum, ExpressionDescriptor, FormatException, MissingFieldException, Options, WrongArgumentException
from django.utils import timezone
from django.utils.html import format_html

from tasks_app.exceptions import JobError
from tasks_app.models import Job, MisfirePolicy
from tasks_app.retry import RetryPolicy
from tasks_app.triggers import At, Cron, Delay, Interval, Now, Trigger, stored_trigger

_WILDCARDS = {"*", "?"}
_UNITS = ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))


def moment(value: datetime | None, zone: str | ZoneInfo | None = None) -> str:
    """A moment as an operator reads it: in the given zone, to the second."""
    if value is None:
        return "—"
    local = value.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone) if zone else value
    return local.strftime("%Y-%m-%d %H:%M:%S")


def moment_ms(value: datetime | None) -> str:
    """A moment in the platform's zone, to the millisecond (an attempt's own timings)."""
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + timezone.localtime(value).strftime(" %Z")


def seconds(value: float) -> str:
    """``90`` -> ``90 seconds``, ``3600`` -> ``1 hour``, ``86400 * 2`` -> ``2 days``."""
    for size, unit in _UNITS:
        if value >= size and value % size == 0:
            count = int(value // size)
            return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
    return f"{value:g} seconds"


def milliseconds(value: int | None) -> str:
    if value is None:
        return "—"
    return f"{value} ms" if abs(value) < 10_000 else f"{value / 1000:.1f} s"


@lru_cache(maxsize=4096)
def describe_cron(expression: str, syntax: str) -> str:
    """cron-descriptor's sentence for one of our crons. Six fields are passed with a year so that
    cron-descriptor reads the first as seconds (as we do), whatever the last one looks like."""
    fields = expression.split()
    if len(fields) == 6:
        fields.append("*")
    options = Options()
    options.use_24hour_time_format = True
    options.casing_type = CasingTypeEnum.Sentence
    options.day_of_week_start_index_zero = syntax != "quartz"  # Quartz: 1 = Sunday
    try:
        text = ExpressionDescriptor(" ".join(fields), options).get_description()
    except (FormatException, MissingFieldException, WrongArgumentException, ValueError, KeyError, IndexError):
        return f"cron {expression}"
    text = text[:1].lower() + text[1:]
    day_fields = fields[-3:] if len(fields) == 5 else fields[3:6]
    if text.startswith("at ") and set(day_fields) <= _WILDCARDS:
        text = f"every day {text}"
    return text


def _window(trigger: Interval | Cron, now: datetime | None) -> str:
    parts = []
    if trigger.start_at and (now is None or trigger.start_at > now):
        parts.append(f"from {moment(trigger.start_at, trigger.zone)}")
    if trigger.end_at:
        parts.append(f"until {moment(trigger.end_at, trigger.zone)}")
    if isinstance(trigger, Interval) and trigger.repeat_count is not None:
        parts.append(f"{trigger.repeat_count} time{'s' if trigger.repeat_count != 1 else ''} in all")
    return ", ".join(parts)


def _sentence(trigger: Trigger) -> str:
    if isinstance(trigger, Cron):
        return describe_cron(trigger.cron.expression, trigger.cron.syntax)
    if isinstance(trigger, Interval):
        return f"every {seconds(trigger.every_seconds)}"
    if isinstance(trigger, Delay):
        return f"once at {moment(trigger.at, trigger.zone)} ({seconds(trigger.seconds)} after it was created)"
    if isinstance(trigger, At):
        return f"once at {moment(trigger.at, trigger.zone)}"
    if isinstance(trigger, Now):
        return "once, as soon as it was created"
    return trigger.kind


def describe_trigger(data: dict[str, Any], *, now: datetime | None = None) -> str:
    """``every day at 12:00 Asia/Shanghai``, ``every 5 minutes UTC``, ``once at … UTC``. Given
    ``now``, a start that has passed goes unsaid."""
    try:
        trigger = stored_trigger(data)
    except JobError:
        return f"invalid trigger {data!r}"
    text = _sentence(trigger)
    window = _window(trigger, now) if isinstance(trigger, Interval | Cron) else ""
    text = f"{text}, {window}" if window else text
    return f"{text}, {trigger.time_zone}" if "," in text else f"{text} {trigger.time_zone}"


def describe_retry(data: dict[str, Any]) -> str:
    try:
        policy = RetryPolicy.from_json(data)
    except JobError:
        return f"invalid retry policy {data!r}"
    if policy.max_attempts is not None:
        cap = f", at most {seconds(policy.max_backoff_seconds)} apart" if policy.max_backoff_seconds is not None else ""
        return f"up to {policy.max_attempts} attempts in all, waiting {seconds(policy.backoff_seconds)} doubling each time{cap}"
    if not policy.delays_seconds:
        return "no retries"
    waits = ", ".join(seconds(d) for d in policy.delays_seconds)
    return f"{len(policy.delays_seconds)} retr{'y' if len(policy.delays_seconds) == 1 else 'ies'}, after {waits}"


def describe_misfire(job: Job) -> str:
    policy = MisfirePolicy(job.misfire_policy)
    detail = f" (up to {job.misfire_catchup_limit})" if policy == MisfirePolicy.FIRE_ALL else ""
    return f"{policy.label}{detail} when more than {seconds(job.misfire_grace_seconds)} late"


def fire_times(job: Job, *, now: datetime, count: int = 5) -> list[datetime]:
    """The job's next ``count`` occurrences: from its next fire time, or, for a paused job, from
    where a resume now would start."""
    trigger = stored_trigger(job.trigger)
    upcoming = job.next_fire_at if job.enabled else trigger.upcoming(now, job.fire_count)
    times: list[datetime] = []
    fired = job.fire_count
    while upcoming is not None and len(times) < count:
        times.append(upcoming)
        fired += 1
        upcoming = trigger.next_fire(upcoming, fired)
    return times


def duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "—"
    return milliseconds(round((end - start) / timedelta(milliseconds=1)))


_BADGE_COLOURS = {
    "succeeded": "#1e7e34",
    "failed": "#b02a37",
    "skipped": "#6c757d",
    "running": "#0b5ed7",
    "queued": "#a15c00",
    "scheduled": "#1e7e34",
    "paused": "#a15c00",
    "finished": "#6c757d",
}


def badge(text: str | None) -> str:
    """A status as a small coloured label (inline style: the console loads nothing external)."""
    if not text:
        return "—"
    colour = _BADGE_COLOURS.get(text, "#495057")
    return format_html(
        '<span class="console-badge" style="color:#fff;background:{};border-radius:3px;padding:1px 6px;font-size:11px">{}</span>',
        colour,
        text,
    )

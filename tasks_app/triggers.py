"""When a job fires: one small class per trigger kind, built from (and turned back into) the
JSON stored on the job. ``upcoming`` gives the occurrence a job scheduled (or resumed) now
fires next; ``next_fire`` the one after an occurrence. All times are aware; zones are per trigger."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils.dateparse import parse_datetime

from tasks_app import bounds
from tasks_app.cron import CronExpression
from tasks_app.exceptions import InvalidSchedule
from tasks_app.stored import Writers, stored_fields


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSchedule(f"unknown time zone {name!r}", field="time_zone") from None


def parse_moment(value: Any, *, field: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 moment; one without an offset is read in the trigger's zone."""
    try:
        moment = value if isinstance(value, datetime) else parse_datetime(str(value)) if value is not None else None
    except ValueError as error:  # a date that does not exist, an offset beyond ±24h
        raise InvalidSchedule(f"not a valid date-time: {value!r} ({error})", field=field) from None
    if moment is None:
        raise InvalidSchedule(f"not an ISO 8601 date-time: {value!r}", field=field)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
    problem = bounds.moment_problem(moment)
    if problem:
        raise InvalidSchedule(problem, field=field)
    return moment


def parse_seconds(value: Any, *, field: str, positive: bool = False, minimum: float = 0.0) -> float:
    problem = bounds.seconds_problem(value, minimum=minimum, inclusive=not positive or minimum > 0)
    if problem:
        raise InvalidSchedule(problem, field=field)
    return value  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Trigger(ABC):
    kind: ClassVar[str]
    fields: ClassVar[tuple[str, ...]] = ()
    # How the kind stores fields that are not stored as themselves (tasks_app.stored).
    stored_as: ClassVar[Writers] = {}
    time_zone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @abstractmethod
    def upcoming(self, now: datetime, fired: int = 0) -> datetime | None:
        """The occurrence a job scheduled (or resumed) at ``now`` fires next, after ``fired``
        fires so far. A one-shot keeps its moment even when it is past: it fires late, once."""
        ...

    def next_fire(self, previous: datetime, fired: int) -> datetime | None:
        """The occurrence after ``previous``, the ``fired``-th occurrence so far."""
        return None

    def to_json(self) -> dict[str, Any]:
        """What is stored on the job: the kind, then the fields in their declared order."""
        return {"kind": self.kind} | stored_fields(self, self.stored_as)


@dataclass(frozen=True)
class Now(Trigger):
    kind = "now"
    created_at: datetime | None = None

    def upcoming(self, now: datetime, fired: int = 0) -> datetime | None:
        return None if fired else self.created_at or now

    @classmethod
    def build(cls, data: dict[str, Any], zone: ZoneInfo, now: datetime) -> Now:
        created = data.get("created_at")
        return cls(time_zone=str(zone), created_at=parse_moment(created, field="created_at", zone=zone) if created else now)


@dataclass(frozen=True)
class At(Trigger):
    kind = "at"
    fields: ClassVar[tuple[str, ...]] = ("at",)
    at: datetime

    def upcoming(self, now: datetime, fired: int = 0) -> datetime | None:
        return None if fired else self.at

    @classmethod
    def build(cls, data: dict[str, Any], zone: ZoneInfo, now: datetime) -> At:
        if data.get("at") is None:
            raise InvalidSchedule("is required", field="at")
        return cls(time_zone=str(zone), at=parse_moment(data["at"], field="at", zone=zone))


@dataclass(frozen=True)
class Delay(At):
    """A one-shot after ``seconds``; the moment is fixed when the trigger is first built."""

    kind = "delay"
    fields: ClassVar[tuple[str, ...]] = ("seconds", "at")
    seconds: float = 0

    @classmethod
    def build(cls, data: dict[str, Any], zone: ZoneInfo, now: datetime) -> Delay:
        if data.get("seconds") is None:
            raise InvalidSchedule("is required", field="seconds")
        seconds = parse_seconds(data["seconds"], field="seconds")
        at = parse_moment(data["at"], field="at", zone=zone) if data.get("at") else now + timedelta(seconds=seconds)
        return cls(time_zone=str(zone), at=at, seconds=seconds)


@dataclass(frozen=True)
class Interval(Trigger):
    """Every ``every_seconds`` from ``start_at`` (default: when created), at most
    ``repeat_count`` fires in all, none after ``end_at``."""

    kind = "interval"
    fields = ("every_seconds", "start_at", "end_at", "repeat_count")
    every_seconds: float
    start_at: datetime
    end_at: datetime | None = None
    repeat_count: int | None = None

    @property
    def every(self) -> timedelta:
        return timedelta(seconds=self.every_seconds)

    def upcoming(self, now: datetime, fired: int = 0) -> datetime | None:
        """``start_at`` (even a little late, while its first interval lasts), else the first
        point of its grid from now on: occurrences before a job existed are not missed."""
        if self.repeat_count is not None and fired >= self.repeat_count:
            return None
        if self.start_at >= now or (fired == 0 and self.start_at + self.every > now):
            return self._within_end(self.start_at)
        steps = math.ceil((now - self.start_at) / self.every)
        return self._within_end(self.start_at + steps * self.every)

    def next_fire(self, previous: datetime, fired: int) -> datetime | None:
        if self.repeat_count is not None and fired >= self.repeat_count:
            return None
        return self._within_end(previous + self.every)

    def _within_end(self, moment: datetime) -> datetime | None:
        return None if self.end_at and moment > self.end_at else moment

    @classmethod
    def build(cls, data: dict[str, Any], zone: ZoneInfo, now: datetime) -> Interval:
        if data.get("every_seconds") is None:
            raise InvalidSchedule("is required", field="every_seconds")
        # A shorter interval would fire faster than beat claims (decision 0903).
        every = parse_seconds(data["every_seconds"], field="every_seconds", positive=True, minimum=settings.SCHEDULER_MIN_INTERVAL_SECONDS)
        start = parse_moment(data["start_at"], field="start_at", zone=zone) if data.get("start_at") else now
        end = parse_moment(data["end_at"], field="end_at", zone=zone) if data.get("end_at") else None
        if end and end < start:
            raise InvalidSchedule("is before start_at", field="end_at")
        repeat = data.get("repeat_count")
        if repeat is not None and bounds.count_problem(repeat):
            raise InvalidSchedule(bounds.count_problem(repeat) or "", field="repeat_count")
        return cls(time_zone=str(zone), every_seconds=every, start_at=start, end_at=end, repeat_count=repeat)


@dataclass(frozen=True)
class Cron(Trigger):
    kind = "cron"
    fields = ("cron", "syntax", "start_at", "end_at")
    stored_as: ClassVar[Writers] = {"cron": lambda _, cron: {"cron": cron.expression, "syntax": cron.syntax}}
    cron: CronExpression
    start_at: datetime | None = None
    end_at: datetime | None = None

    def upcoming(self, now: datetime, fired: int = 0) -> datetime | None:
        base = max(now, self.start_at - timedelta(microseconds=1)) if self.start_at else now
        return self._within_end(self.cron.next_after(base, self.zone))

    def next_fire(self, previous: datetime, fired: int) -> datetime | None:
        return self._within_end(self.cron.next_after(previous, self.zone))

    def _within_end(self, moment: datetime | None) -> datetime | None:
        return None if moment is None or (self.end_at and moment > self.end_at) else moment

    @classmethod
    def build(cls, data: dict[str, Any], zone: ZoneInfo, now: datetime) -> Cron:
        expression = data.get("cron")
        if not isinstance(expression, str) or not expression.strip():
            raise InvalidSchedule("is required", field="cron")
        syntax = data.get("syntax") or ("quartz" if len(expression.split()) > 5 else "unix")
        start = parse_moment(data["start_at"], field="start_at", zone=zone) if data.get("start_at") else None
        end = parse_moment(data["end_at"], field="end_at", zone=zone) if data.get("end_at") else None
        if start and end and end < start:
            raise InvalidSchedule("is before start_at", field="end_at")
        return cls(time_zone=str(zone), cron=CronExpression(expression.strip(), syntax), start_at=start, end_at=end)


TRIGGER_KINDS: dict[str, Any] = {kind.kind: kind for kind in (Now, At, Delay, Interval, Cron)}


def build_trigger(data: Any, *, now: datetime) -> Trigger:
    """Validate a trigger's JSON and build it; raises InvalidSchedule naming the field."""
    if not isinstance(data, dict):
        raise InvalidSchedule("must be an object", field="trigger")
    kind_class = TRIGGER_KINDS.get(data.get("kind"))  # type: ignore[arg-type]
    if kind_class is None:
        raise InvalidSchedule(f"unknown trigger kind {data.get('kind')!r}; use one of {', '.join(TRIGGER_KINDS)}", field="kind")
    allowed = {"kind", "time_zone", *kind_class.fields} | ({"created_at"} if kind_class is Now else set())
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidSchedule(f"unknown field(s) for a {kind_class.kind} trigger: {', '.join(unknown)}", field=unknown[0])
    zone = zone_named(data.get("time_zone") or settings.TIME_ZONE)
    return kind_class.build(data, zone, now)  # type: ignore[no-any-return]


def new_trigger(data: Any, *, now: datetime) -> Trigger:
    """``build_trigger`` for a trigger a caller sets ``now``: a cron with no occurrence from now
    on (``0 0 30 2 *``) is refused rather than stored as a job that is finished at once."""
    trigger = build_trigger(data, now=now)
    if isinstance(trigger, Cron) and trigger.cron.next_after(max(now, trigger.start_at or now), trigger.zone) is None:
        raise InvalidSchedule(f"never fires: {trigger.cron.expression!r} has no occurrence from now on", field="cron")
    return trigger


_EPOCH = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))


def stored_trigger(data: dict[str, Any]) -> Trigger:
    """Rebuild a trigger saved on a job: it was validated, and its relative times resolved, when
    it was saved, so nothing here depends on the current time."""
    return build_trigger(data, now=_EPOCH)

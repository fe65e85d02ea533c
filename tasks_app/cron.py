"""Cron expressions, evaluated by croniter in a job's own time zone.

Two syntaxes share one evaluator. ``unix``: 5 fields, or 6/7 with seconds first and year last,
day-of-week 0-6 from Sunday (as Vixie cron and Go's robfig/cron number it). ``quartz``: 6 or 7
fields, seconds first, ``?``, ``L``, ``W``, ``LW``, ``#`` and day-of-week 1-7 from Sunday.
This module only rewrites Quartz's spellings into croniter's; croniter does the parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, CroniterError, croniter

from tasks_app.exceptions import InvalidSchedule

SYNTAXES = ("unix", "quartz")
_DOW_ATOM = re.compile(r"^(?P<start>\d+)(?:-(?P<end>\d+))?(?:/(?P<step>\d+))?$")
# Quartz's day-of-month "L", "L-3" (three days before the last), "LW", "L-3W": croniter knows
# only "L", so the offset and the nearest-weekday move are applied to its candidates.
_LAST_DAY = re.compile(r"^L(?:-(?P<offset>\d+))?(?P<weekday>W)?$")
_MAX_LAST_DAY_OFFSET = 30
# A cron can only skip so many wall-clock candidates (DST gaps, LW adjustments) in a row.
_MAX_CANDIDATES = 64


def _shift_quartz_day(token: str) -> str:
    """Quartz numbers weekdays 1-7 from Sunday; croniter 0-6. Names pass through."""
    if not token.isdigit():
        return token
    number = int(token)
    if not 1 <= number <= 7:
        raise InvalidSchedule(f"day-of-week {number} is outside Quartz's 1-7 (1 = Sunday)", field="cron")
    return str(number - 1)


def _quartz_dow_atom(atom: str) -> str:
    if atom in ("*", "?"):
        return "*"
    if atom == "L":  # alone, the last day of the week: Saturday
        return "6"
    if "#" in atom:
        day, nth = atom.split("#", 1)
        return f"{_shift_quartz_day(day)}#{nth}"
    if atom.endswith("L"):  # "6L": the last Friday of the month, croniter's "L5"
        return f"L{_shift_quartz_day(atom[:-1])}"
    match = _DOW_ATOM.match(atom)
    if not match:
        return atom
    text = _shift_quartz_day(match["start"])
    if match["end"]:
        text += "-" + _shift_quartz_day(match["end"])
    if match["step"]:
        text += "/" + match["step"]
    return text


def quartz_day_of_week_to_unix(day_of_week: str) -> str:
    """A Quartz day-of-week field in croniter's spelling (0 = Sunday, ``L5`` for ``6L``)."""
    return ",".join(_quartz_dow_atom(atom) for atom in day_of_week.upper().split(","))


@dataclass(frozen=True)
class CronExpression:
    """A validated cron expression; ``next_after`` gives its next fire time in a zone."""

    expression: str
    syntax: str = "unix"
    _croniter_expression: str = field(init=False, repr=False)
    _last_offset: int = field(init=False, repr=False)
    _last_weekday: bool = field(init=False, repr=False)
    _has_seconds: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.syntax not in SYNTAXES:
            raise InvalidSchedule(f"unknown cron syntax {self.syntax!r}; use one of {', '.join(SYNTAXES)}", field="syntax")
        fields = self.expression.split()
        allowed = (6, 7) if self.syntax == "quartz" else (5, 6, 7)
        if len(fields) not in allowed:
            raise InvalidSchedule(f"{self.syntax} cron needs {' or '.join(map(str, allowed))} fields, got {len(fields)}", field="cron")
        has_seconds = len(fields) >= 6
        dom_index, dow_index = (3, 5) if has_seconds else (2, 4)
        last_offset, last_weekday = self._last_day(fields[dom_index])
        if last_offset or last_weekday:
            fields[dom_index] = "L"
        fields[dom_index] = "*" if fields[dom_index] == "?" else fields[dom_index]
        if self.syntax == "quartz":
            self._check_quartz_days(fields[dom_index], fields[dow_index])
            fields[dow_index] = quartz_day_of_week_to_unix(fields[dow_index])
        else:
            fields[dow_index] = "*" if fields[dow_index] == "?" else fields[dow_index]
        translated = " ".join(fields)
        if not croniter.is_valid(translated, second_at_beginning=has_seconds):
            raise InvalidSchedule(f"invalid cron expression {self.expression!r}", field="cron")
        object.__setattr__(self, "_croniter_expression", translated)
        object.__setattr__(self, "_last_offset", last_offset)
        object.__setattr__(self, "_last_weekday", last_weekday)
        object.__setattr__(self, "_has_seconds", has_seconds)

    @staticmethod
    def _last_day(day_of_month: str) -> tuple[int, bool]:
        """(days before the last day, nearest weekday) of an "L..." day-of-month, else (0, False)."""
        match = _LAST_DAY.match(day_of_month.upper())
        if not match:
            return 0, False
        offset = int(match["offset"] or 0)
        if offset > _MAX_LAST_DAY_OFFSET:
            raise InvalidSchedule(f"offset from the last day must be at most {_MAX_LAST_DAY_OFFSET}", field="cron")
        return offset, bool(match["weekday"])

    @staticmethod
    def _check_quartz_days(dom: str, dow: str) -> None:
        if dom not in ("?", "*") and dow not in ("?", "*"):
            raise InvalidSchedule("Quartz takes day-of-month or day-of-week, with '?' in the other", field="cron")

    def next_after(self, moment: datetime, zone: ZoneInfo) -> datetime | None:
        """The first fire time strictly after ``moment``, or None when the cron has no more.

        Wall-clock candidates come from croniter in ``zone``; a time skipped by a DST change is
        read with the offset in force before it (so it fires once, just after the change), and
        a time that occurs twice fires at its first occurrence only.
        """
        local = moment.astimezone(zone).replace(tzinfo=None)
        try:
            candidates = croniter(self._croniter_expression, local, second_at_beginning=self._has_seconds)
            for _ in range(_MAX_CANDIDATES):
                wall = candidates.get_next(datetime)
                if self._last_offset or self._last_weekday:
                    wall = _from_last_day(wall, self._last_offset, self._last_weekday)
                    if wall is None:
                        continue
                # Through UTC: Python compares and subtracts same-zone times by wall clock.
                aware = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
                if aware > moment:
                    return aware
        except (CroniterBadDateError, CroniterError, ValueError):
            return None
        return None


def _from_last_day(last: datetime, offset: int, weekday: bool) -> datetime | None:
    """Quartz's "L-offset[W]" from a last-day-of-month candidate; None when the offset leaves
    the month (Quartz skips such months)."""
    day = last - timedelta(days=offset)
    if day.month != last.month:
        return None
    return _nearest_weekday(day) if weekday else day


def _nearest_weekday(day: datetime) -> datetime:
    """Quartz's "W": Saturday moves to Friday and Sunday to Monday, without leaving the month."""
    if day.weekday() < 5:
        return day
    step = timedelta(days=-1 if day.weekday() == 5 else 1)
    moved = day + step
    return moved if moved.month == day.month else day - 2 * step

"""Typed reads of environment variables that note a bad value instead of stopping at it, and
the dataclass fields that declare a variable by how it is read.

Each read names its variable and says what was expected, so that ``scheduler_project.conf`` can
refuse a whole configuration at start-up with every problem listed at once. Kept free of Django
imports: the settings module uses it before Django is set up."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import field, fields
from typing import Any, Self, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

T = TypeVar("T")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})
# DRF's throttle rates: a count per second, minute, hour or day (only the unit's first letter counts).
RATE_UNITS = frozenset("smhd")
# The names logging's configuration takes (in capitals: "info" is refused there too).
LOG_LEVELS = tuple(logging.getLevelNamesMapping())


class Environment:
    """The variables in ``values``, read as the type each setting needs. A value that does not
    parse or is out of range is recorded in ``problems`` and its default is used, so reading goes
    on and the caller reports every problem together."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.problems: list[str] = []

    def given(self, name: str) -> bool:
        return name in self.values

    def text(self, name: str, default: str) -> str:
        return self.values.get(name, default)

    def flag(self, name: str, default: bool) -> bool:
        raw = self.values.get(name)
        if raw is None:
            return default
        word = raw.strip().lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        return self._refuse(name, raw, "true or false (also 1/0, yes/no, on/off)", default)

    def integer(self, name: str, default: int, *, minimum: int = 0) -> int:
        raw, expected = self.values.get(name), f"a whole number of at least {minimum}"
        try:
            value = default if raw is None else int(raw)
        except ValueError:
            return self._refuse(name, raw, expected, default)
        return value if value >= minimum else self._refuse(name, raw, expected, default)

    def seconds(self, name: str, default: float, *, positive: bool = False) -> float:
        """A duration in seconds (fractions allowed): at least 0, or above 0 when ``positive``."""
        raw = self.values.get(name)
        expected = f"a number of seconds {'above' if positive else 'of at least'} 0"
        try:
            value = float(default if raw is None else raw)
        except ValueError:
            return self._refuse(name, raw, expected, default)
        in_range = value > 0 if positive else value >= 0
        return value if in_range and value != float("inf") else self._refuse(name, raw, expected, default)

    def items(self, name: str, default: str) -> list[str]:
        """A comma-separated list; blanks around and between items are dropped."""
        return [item.strip() for item in self.values.get(name, default).split(",") if item.strip()]

    def seconds_list(self, name: str, default: str) -> list[float]:
        try:
            delays = [float(item) for item in self.items(name, default)]
        except ValueError:
            return self._refuse(name, self.values.get(name), "comma-separated numbers of seconds", [float(d) for d in default.split(",")])
        if any(not 0 <= delay < float("inf") for delay in delays):
            return self._refuse(name, self.values.get(name), "seconds of at least 0", [float(d) for d in default.split(",")])
        return delays

    def counts_by_name(self, name: str) -> dict[str, int]:
        """``"billing=90,audit=365"`` as ``{"billing": 90, "audit": 365}`` (empty when unset)."""
        try:
            counts = {key.strip(): int(value) for key, value in (item.rsplit("=", 1) for item in self.items(name, ""))}
        except ValueError:
            return self._refuse(name, self.values.get(name), "name=number,name=number", {})
        if "" in counts:
            return self._refuse(name, self.values.get(name), "name=number,name=number (a name is missing)", {})
        return counts

    def zone(self, name: str, default: str) -> str:
        if name not in self.values:
            return default
        value = self.values[name]
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return self._refuse(name, value, "an IANA time zone name such as UTC or Asia/Shanghai", default)
        return value

    def rate(self, name: str, default: str) -> str:
        """A rate as DRF reads it: ``<count>/<unit>``, the unit starting with s, m, h or d."""
        value = self.values.get(name, default)
        count, _, unit = value.partition("/")
        if count.isdigit() and unit[:1] in RATE_UNITS:
            return value
        return self._refuse(name, value, "a rate such as 6000/min (count per s, min, hour or day)", default)

    def log_level(self, name: str, default: str) -> str:
        value = self.values.get(name, default)
        if value in LOG_LEVELS:
            return value
        return self._refuse(name, value, f"one of {', '.join(LOG_LEVELS)}", default)

    def _refuse(self, name: str, raw: str | None, expected: str, default: T) -> T:
        self.problems.append(f"{name}={raw!r}: expected {expected}")
        return default


def variable(read: Callable[[Environment, str], Any]) -> Any:
    """A group's field read by ``read(environment, the field's name)``."""
    return field(metadata={"read": read})


def text(default: str) -> Any:
    return variable(lambda env, name: env.text(name, default))


def flag(default: bool) -> Any:
    return variable(lambda env, name: env.flag(name, default))


def whole(default: int, *, minimum: int = 0) -> Any:
    return variable(lambda env, name: env.integer(name, default, minimum=minimum))


def seconds(default: float, *, positive: bool = False) -> Any:
    return variable(lambda env, name: env.seconds(name, default, positive=positive))


def items(default: str) -> Any:
    return variable(lambda env, name: env.items(name, default))


class Group:
    """A dataclass of variables, each field read as its ``variable`` says."""

    @classmethod
    def read(cls, env: Environment) -> Self:
        return cls(**{f.name: f.metadata["read"](env, f.name) for f in fields(cls)})  # type: ignore[arg-type]

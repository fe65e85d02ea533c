"""Retry policies: an explicit list of delays, or a number of attempts with exponential backoff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tasks_app import bounds
from tasks_app.exceptions import InvalidInput
from tasks_app.stored import stored_fields


def _number(value: Any, *, field: str, minimum: float = 0) -> float:
    problem = bounds.seconds_problem(value, minimum=minimum)
    if problem:
        raise InvalidInput(problem, field=field)
    return value  # type: ignore[no-any-return]


@dataclass(frozen=True)
class RetryPolicy:
    """``delays_seconds[i]`` is the wait before attempt i + 2. Built from either JSON form."""

    delays_seconds: tuple[float, ...] = ()
    max_attempts: int | None = None
    backoff_seconds: float = 0
    max_backoff_seconds: float | None = None

    def delay_before(self, attempt: int) -> float | None:
        """Seconds to wait before ``attempt`` (2 is the first retry); None when it is not allowed."""
        retry_index = attempt - 2
        if self.max_attempts is None:
            return self.delays_seconds[retry_index] if 0 <= retry_index < len(self.delays_seconds) else None
        if retry_index < 0 or attempt > self.max_attempts:
            return None
        delay = min(self.backoff_seconds * 2.0 ** min(retry_index, 64), bounds.MAX_SECONDS)
        return min(delay, self.max_backoff_seconds) if self.max_backoff_seconds is not None else delay

    def to_json(self) -> dict[str, Any]:
        """One form or the other: the list of delays, or the backoff fields (in declared order)."""
        if self.max_attempts is None:
            return {"delays_seconds": list(self.delays_seconds)}
        backoff = stored_fields(self)
        del backoff["delays_seconds"]
        return backoff

    @classmethod
    def from_json(cls, data: Any) -> RetryPolicy:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise InvalidInput("must be an object", field="retry")
        unknown = sorted(set(data) - {"delays_seconds", "max_attempts", "backoff_seconds", "max_backoff_seconds"})
        if unknown:
            raise InvalidInput(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
        if "max_attempts" in data:
            return cls._with_backoff(data)
        delays = data.get("delays_seconds", [])
        if not isinstance(delays, list | tuple) or len(delays) > bounds.MAX_RETRIES:
            raise InvalidInput(f"must be a list of seconds, at most {bounds.MAX_RETRIES} of them", field="delays_seconds")
        return cls(delays_seconds=tuple(_number(d, field="delays_seconds") for d in delays))

    @classmethod
    def _with_backoff(cls, data: dict[str, Any]) -> RetryPolicy:
        attempts = data["max_attempts"]
        if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= bounds.MAX_RETRIES + 1:
            raise InvalidInput(f"must be a whole number from 1 to {bounds.MAX_RETRIES + 1}", field="max_attempts")
        cap = data.get("max_backoff_seconds")
        return cls(
            max_attempts=attempts,
            backoff_seconds=_number(data.get("backoff_seconds", 1), field="backoff_seconds"),
            max_backoff_seconds=None if cap is None else _number(cap, field="max_backoff_seconds"),
        )

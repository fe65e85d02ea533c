"""The ranges every number and moment a job is given must fall in, so that none can overflow a
datetime, a database column or the scheduler's arithmetic later (decision 0903)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

# The longest span a duration may name: 100 years.
MAX_SECONDS = 100 * 365.25 * 86_400
# Moments from the Unix epoch up to (not including) the year 9999, where the scheduler keeps its
# "held" marker; a moment in any offset is still a moment in UTC within these.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
MAX_COUNT = 2**31 - 1
MAX_RETRIES = 100


def seconds_problem(value: Any, *, minimum: float = 0.0, inclusive: bool = True) -> str | None:
    """Why ``value`` is not a number of seconds in [minimum, MAX_SECONDS], or None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "must be a number of seconds"
    if value < minimum or (not inclusive and value == minimum):
        return f"must be {'at least' if inclusive else 'greater than'} {minimum:g}"
    if value > MAX_SECONDS:
        return f"must be at most {MAX_SECONDS:.0f} (100 years)"
    return None


def moment_problem(moment: datetime) -> str | None:
    """Why an aware ``moment`` cannot be scheduled, or None."""
    try:
        in_utc = moment.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not EARLIEST <= in_utc < LATEST:
        return f"must be from {EARLIEST.date()} to {LATEST.year - 1}-12-31"
    return None


def count_problem(value: Any, *, minimum: int = 0) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_COUNT:
        return f"must be a whole number from {minimum} to {MAX_COUNT}"
    return None

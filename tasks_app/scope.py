"""Which namespaces the current caller may see and change: the one place tenancy is decided.

A ``Scope`` is a set of shell-style namespace patterns (``billing``, ``team-a-*``; ``*`` and ``?``
are the wildcards), optionally read-only and with a job quota. The API sets the caller's scope
for the length of a request (or a gRPC call) with ``using``; everything else (beat, workers, the
admin, management commands) runs with ``EVERYTHING``.

The models' default managers read ``current()`` (tasks_app.models.scoped), so every list, lookup
and count made while a scope is active sees only its namespaces: another tenant's object is not
found, exactly as if it did not exist. The services call ``require_write`` before they change
anything, so creating in a foreign namespace, or writing with a read-only token, is refused with
``Forbidden``. Decision 1001."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property

from tasks_app.exceptions import Forbidden, QuotaExceeded


def pattern_regex(patterns: tuple[str, ...]) -> str:
    """One regular expression matching any of the glob ``patterns``, written so that Python's
    ``re`` (SQLite's REGEXP) and PostgreSQL's ``~`` read it alike: literal characters escaped,
    ``*`` as ``.*``, ``?`` as ``.``, anchored at both ends."""
    alternatives = []
    for pattern in patterns:
        parts = (".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
        alternatives.append("".join(parts))
    return "^(" + "|".join(alternatives) + ")$" if alternatives else "^$.$"  # nothing matches "^$.$"


@dataclass(frozen=True)
class Scope:
    """``patterns`` None: every namespace (staff, superusers, the platform itself). ``holder``
    names the caller in refusals ("the token 'billing-team'")."""

    patterns: tuple[str, ...] | None = None
    read_only: bool = False
    max_jobs: int | None = None
    holder: str = "this caller"

    @property
    def unrestricted(self) -> bool:
        return self.patterns is None

    @cached_property
    def regex(self) -> str:
        return pattern_regex(self.patterns or ())

    def sees(self, namespace: str) -> bool:
        return self.patterns is None or re.match(self.regex, namespace) is not None

    def require_write(self, namespace: str, *, field: str = "namespace") -> None:
        """Raise Forbidden unless this scope may change things in ``namespace``."""
        if self.read_only:
            raise Forbidden(f"{self.holder} is read-only", field=field)
        if not self.sees(namespace):
            raise Forbidden(f"{self.holder} does not hold namespace {namespace!r}", field=field)

    def require_room_for_job(self, jobs_held: int) -> None:
        if self.max_jobs is not None and jobs_held >= self.max_jobs:
            raise QuotaExceeded(f"job quota reached: {self.holder} may hold at most {self.max_jobs} jobs", field="max_jobs")


EVERYTHING = Scope()
# A non-staff user's DRF token: no namespaces (decision 1001).
NOTHING = Scope(patterns=(), holder="a non-staff user's token (ask for an API token)")
_current: ContextVar[Scope] = ContextVar("tasks_app_scope", default=EVERYTHING)


def current() -> Scope:
    return _current.get()


@contextmanager
def using(scope: Scope) -> Iterator[Scope]:
    """Run the block with ``scope`` as the current one (restored after, even on errors)."""
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def activate(scope: Scope) -> None:
    """Set the scope for the rest of the current request; ``using`` around it restores it."""
    _current.set(scope)

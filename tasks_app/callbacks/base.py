"""What every callback kind shares: the context of one attempt, its outcome, and the contract."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings

from tasks_app.egress import Transport
from tasks_app.exceptions import InvalidCallback
from tasks_app.stored import Writers, stored_fields


@dataclass(frozen=True)
class CallContext:
    """The attempt a callback is made for; kinds put these ids into what they send."""

    execution_id: int
    job_id: int
    attempt: int
    scheduled_for: datetime
    # The job's namespace: whose secret signs the call's webhook headers ("": unsigned).
    namespace: str = ""
    # The connections an HTTP call goes through: the worker runtime's (None: the call's own).
    transport: Transport | None = field(default=None, compare=False, repr=False)

    @property
    def occurrence_key(self) -> str:
        """The same for every attempt of one occurrence (its job and scheduled moment)."""
        return f"msg_{self.job_id}_{round(self.scheduled_for.timestamp() * 1_000_000)}"


@dataclass
class Outcome:
    """What an attempt did. ``pending`` means the callee reports the result later."""

    succeeded: bool
    request: dict[str, Any]
    response_status: int | None = None
    response_body: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)
    error: str = ""
    retryable: bool = True
    retry_after_seconds: float | None = None
    pending: bool = False
    # For a pending outcome: how long the callee has to report before the attempt is failed.
    report_within_seconds: float | None = None


def truncate(text: str, limit: int | None = None) -> str:
    limit = settings.EXECUTION_RESPONSE_MAX_CHARS if limit is None else limit
    return text if len(text) <= limit else text[:limit] + f"…[{len(text) - limit} more]"


def timeout_from(data: dict[str, Any], default: float | None = None) -> float:
    """A callback timeout in seconds, bounded by CALLBACK_MAX_TIMEOUT_SECONDS."""
    value = data.get("timeout_seconds", default if default is not None else settings.CALLBACK_DEFAULT_TIMEOUT_SECONDS)
    ceiling = settings.CALLBACK_MAX_TIMEOUT_SECONDS
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= ceiling:
        raise InvalidCallback(f"must be a number of seconds in (0, {ceiling}]", field="timeout_seconds")
    return float(value)


def host_port(host: str, port: int) -> str:
    """A call's target as limits name it: the host in lower case (an IPv6 address in brackets), port."""
    host = host.strip("[]").lower()
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def reject_unknown(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidCallback(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])


class Callback(ABC):
    """One callback kind. Subclasses are dataclasses that validate in ``from_json`` and make
    exactly one attempt in ``call``; they never raise for a failed call, they return it."""

    kind: ClassVar[str]
    timeout_seconds: float
    # How the kind stores fields that are not stored as themselves (tasks_app.stored).
    stored_as: ClassVar[Writers] = {}

    @classmethod
    @abstractmethod
    def from_json(cls, data: dict[str, Any]) -> Callback: ...

    def to_json(self) -> dict[str, Any]:
        """What is stored on the job: the kind, then the fields in their declared order."""
        return {"kind": self.kind} | stored_fields(self, self.stored_as)

    @abstractmethod
    def call(self, context: CallContext) -> Outcome: ...

    def check_references(self) -> None:
        """Raise InvalidCallback when something the callback names (a registered service) does
        not exist. Checked when a job is saved; a running attempt reports it as a failure.
        Most kinds name nothing registered: nothing to check."""
        return None

    @property
    def target(self) -> str:
        """Where the call goes, as ``host_port`` writes it: per-target limits count calls by it
        (tasks_app.host_limits). Empty for a kind that calls no host: no limit applies."""
        return ""

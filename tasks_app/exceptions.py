"""One error tree for the domain. Each family has a stable code; dialects map codes to their
own status and envelope (see api_app/*/errors.py), so no HTTP status lives here."""

from __future__ import annotations

from typing import Any


class JobError(Exception):
    """Root of every error the services raise on purpose."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.data = data

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class NotFound(JobError):
    code = "not_found"


class InvalidInput(JobError):
    code = "invalid"


class InvalidSchedule(InvalidInput):
    code = "invalid_schedule"


class InvalidCallback(InvalidInput):
    code = "invalid_callback"


class Conflict(JobError):
    code = "conflict"


class Forbidden(JobError):
    """The caller's token may not do this here (a namespace it does not hold, or it is read-only)."""

    code = "forbidden"


class QuotaExceeded(Forbidden):
    code = "quota_exceeded"

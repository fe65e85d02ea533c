"""What a pull-queue task's fields may hold: checked alike where tasks are written (the queue
services) and where they are looked up (the queue selectors), so a bad key is the same 400 both ways."""

from __future__ import annotations

from tasks_app.exceptions import InvalidInput

# Wire integers are uint64; the database holds signed 64-bit ones.
MAX_STORED_INT = 2**63 - 1


def checked_text(value: str, *, field: str, required: bool = False, max_length: int | None = None) -> str:
    if required and not value:
        raise InvalidInput("is required", field=field)
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(f"is longer than {max_length} characters", field=field)
    if "\x00" in value:
        raise InvalidInput("must not contain NUL characters", field=field)
    return value


def checked_channel(value: str) -> str:
    return checked_text(value, field="Channel", required=True, max_length=200)


def checked_hash_code(value: str, *, required: bool = False) -> str:
    return checked_text(value, field="HashCode", required=required, max_length=128)

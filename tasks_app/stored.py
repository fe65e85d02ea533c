"""The JSON a value object (a trigger, a callback, a retry policy) is stored as on its job: its
dataclass fields in the order they are declared, so each field is named once, where it is
declared. The order is part of what is stored: the v1 API and the console show the documents
key by key as they were written."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

# Stores one field its own way: given its name and value, the key(s) and value(s) to store.
Writer = Callable[[str, Any], dict[str, Any]]
# The fields a unit stores otherwise than as themselves, by name.
Writers = Mapping[str, Writer]


def stored_fields(unit: Any, writers: Writers | None = None) -> dict[str, Any]:
    """``unit``'s fields, each as itself (a moment in ISO 8601), or as ``writers[name]`` stores it."""
    stored: dict[str, Any] = {}
    for field in dataclasses.fields(unit):
        write = (writers or {}).get(field.name, as_itself)
        stored |= write(field.name, getattr(unit, field.name))
    return stored


def as_itself(name: str, value: Any) -> dict[str, Any]:
    return {name: value.isoformat() if isinstance(value, datetime) else value}


def value_as(transform: Callable[[Any], Any]) -> Writer:
    """A writer that stores a field under its own name, as ``transform`` turns it."""
    return lambda name, value: {name: transform(value)}

"""A JSON value a client gave that must reach the callee as written, object keys in their order.

A job's callback is stored in a JSON column, which on PostgreSQL (jsonb) reorders every object's
keys (shorter first). An object or a list (which may hold objects) is therefore stored as its JSON
text under ``<name>_json``, and read back with Python's json, which keeps the order of the text;
any other value is stored as itself under ``<name>``."""

from __future__ import annotations

import json
from typing import Any

from tasks_app import jsontext
from tasks_app.exceptions import InvalidCallback


def stored(name: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict | list):
        return {f"{name}_json": json.dumps(value, ensure_ascii=False)}
    return {name: value}


def loaded(data: dict[str, Any], name: str) -> Any:
    """The value ``stored`` wrote (a caller may also give the value itself under ``name``)."""
    text = data.get(f"{name}_json")
    if text is None:
        return data.get(name)
    problem = InvalidCallback("must be the JSON text of the value", field=f"{name}_json")
    if not isinstance(text, str):
        raise problem
    try:
        return jsontext.loads(text)
    except ValueError:
        raise problem from None


def names(name: str) -> set[str]:
    """The keys a stored value may take."""
    return {name, f"{name}_json"}

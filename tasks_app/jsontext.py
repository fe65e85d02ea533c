"""JSON read from outside (request bodies, callback bodies, callees' replies) within bounds that
every store and every later reader can live with (decision 0902):

- at most MAX_DEPTH levels of nesting: Python's parser recurses once per level (deep enough, it
  raises RecursionError), and so would anything that walks the value later;
- no NUL character and no unpaired surrogate in any string or key: PostgreSQL stores neither
  (text and jsonb refuse NUL, UTF-8 has no surrogates), so such a value could never be saved;
- no NaN or Infinity, which JSON does not have.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(text: str | bytes) -> Any:
    """``json.loads`` within the bounds above; ValueError (with the reason) otherwise."""
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    problem = value_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def text_problem(text: str) -> str | None:
    """Why a string cannot be stored, or None."""
    if UNSTORABLE.search(text):
        return "contains a NUL character or an unpaired surrogate"
    return None


def value_problem(value: Any) -> str | None:
    """Why a parsed JSON value is out of bounds, or None. Iterative: the value may be deep."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list) and depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels"
        if isinstance(item, dict):
            pending.extend((key, depth) for key in item)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and text_problem(item):
            return text_problem(item)
    return None

"""Wire-format helpers that more than one dialect needs."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from tasks_app import jsontext


def json_object(data: Any) -> dict[str, Any]:
    """An object, given as itself or as its JSON text (several originals sent nested objects
    both ways)."""
    if isinstance(data, str):
        try:
            data = jsontext.loads(data)
        except ValueError as error:
            raise serializers.ValidationError(f"is a string but not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise serializers.ValidationError("must be a JSON object (or the JSON text of one)")
    return data

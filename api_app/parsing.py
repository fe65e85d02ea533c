"""Parsing a request's input with its serializer, for the views (and crontab's batch actions)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


def parsed(serializer_class: type[serializers.Serializer], data: Any, *, partial: bool = False) -> dict[str, Any]:
    """The serializer's validated data; raises DRF's ValidationError, which each dialect's
    exception handler answers in its envelope."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)

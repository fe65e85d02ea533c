from __future__ import annotations

import re
from typing import Any

from django.urls import URLPattern, re_path


def endpoint(route: str, view: Any, name: str | None = None) -> URLPattern:
    """A fixed path written without a trailing slash that also answers with one."""
    return re_path(rf"^{re.escape(route)}/?$", view, name=name)

"""Reading API clients (namespace-scoped tokens). They are not namespaced themselves: who may list
them is the API's decision (staff only), and a key is looked up before any scope exists."""

from __future__ import annotations

from django.db.models import QuerySet

from tasks_app import keys
from tasks_app.models import ApiClient


def api_clients() -> QuerySet[ApiClient]:
    """Every API client, by name."""
    return ApiClient.objects.order_by("name")


def api_client_for_key(*, key: str) -> ApiClient | None:
    """The client holding ``key`` (by its digest), with its user: one query, since every
    authenticated request makes it and then reads the user."""
    return ApiClient.objects.select_related("user").filter(key_digest=keys.digest(key)).first()

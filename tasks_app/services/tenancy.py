"""Writing API clients: namespace-scoped tokens, made (the key returned once) and revoked."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from tasks_app import keys
from tasks_app.exceptions import Conflict, InvalidInput
from tasks_app.models import ApiClient
from tasks_app.services import audit

RATE = re.compile(r"^[1-9][0-9]{0,8}/(s|sec|second|m|min|minute|h|hour|d|day)$")
NAME = re.compile(r"^[\w.@+-]{1,100}$")


def _name(value: Any) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise InvalidInput("must be 1-100 letters, digits or . @ + - _", field="name")
    return value


def _namespaces(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(p, str) and p.strip() and len(p) <= 200 for p in value):
        raise InvalidInput("must be a non-empty list of namespace patterns (e.g. billing, team-a-*)", field="namespaces")
    return [pattern.strip() for pattern in value]


def _rate(value: Any) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not RATE.match(value.strip()):
        raise InvalidInput("must be requests per period, e.g. 120/min (periods: s, min, h, day)", field="rate")
    return value.strip()


def _max_jobs(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput("must be a whole number from 0", field="max_jobs")
    return value


# Each field's check, shared with the admin's form.
def _audited(client: ApiClient) -> dict[str, Any]:
    """What the audit trail shows of a token: never its key (only a digest is kept anyway)."""
    return {
        "name": client.name,
        "namespaces": client.namespaces,
        "read_only": client.read_only,
        "rate": client.rate,
        "max_jobs": client.max_jobs,
    }


FIELD_CHECKS = {"name": _name, "namespaces": _namespaces, "rate": _rate, "max_jobs": _max_jobs}


def create_api_client(
    *, name: str, namespaces: list[str], read_only: bool = False, rate: str = "", max_jobs: int | None = None
) -> tuple[ApiClient, str]:
    """A new scoped token and its key (returned here only: the database keeps its digest)."""
    client = ApiClient(
        name=_name(name), namespaces=_namespaces(namespaces), read_only=bool(read_only), rate=_rate(rate), max_jobs=_max_jobs(max_jobs)
    )
    key = keys.new_key()
    client.key_digest, client.key_prefix = keys.digest(key), key[:12]
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(username=f"api-token:{client.name}"[:150])
            user.set_unusable_password()
            user.save()
            client.user = user
            client.save()
            audit.record(
                action="create", object_type="api_token", object_id=client.pk, changes=audit.diff({}, _audited(client)), label=client.name
            )
    except IntegrityError:
        raise Conflict(f"an API token named {client.name!r} already exists", field="name") from None
    return client, key


@transaction.atomic
def revoke_api_client(*, client: ApiClient) -> None:
    """Revoke a token: it and its user account are deleted, so the key stops working at once."""
    audit.record(action="revoke", object_type="api_token", object_id=client.pk, changes=audit.diff(_audited(client), {}), label=client.name)
    client.user.delete()

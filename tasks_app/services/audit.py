"""The audit trail's one writer. Services call ``record`` for every change they make; who made it
and through which door come from the context the entry point set: the web middleware binds the
request (its user, or its token's name once authentication ran), other callers use ``acting``.
Anything not bound is recorded as via ``system``.

Issue-19-style objects (tokens, signing secrets) record through the same ``record``; values of
secret-looking keys are never stored, only ``"***"``."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from tasks_app.models import AuditEntry

SECRET_NAME = re.compile(r"auth|token|secret|passw|key|cookie|sign|credential|session", re.IGNORECASE)
MASK = "***"


@dataclass(frozen=True)
class Acting:
    via: str
    actor: str = ""
    request: Any = None  # a Django HttpRequest whose user (and auth) is read when a change is recorded


_acting: ContextVar[Acting | None] = ContextVar("audit_acting", default=None)


@contextmanager
def acting(*, via: str, actor: str = "") -> Iterator[None]:
    token = _acting.set(Acting(via, actor))
    try:
        yield
    finally:
        _acting.reset(token)


def bind_request(request: Any, *, via: str) -> Token[Acting | None]:
    return _acting.set(Acting(via, request=request))


def unbind(token: Token[Acting | None]) -> None:
    _acting.reset(token)


def _actor_of(request: Any) -> str:
    """The token's name when the request's token has one, else the user's name."""
    auth_name = getattr(getattr(request, "auth", None), "name", None)
    if auth_name:
        return str(auth_name)
    user = getattr(request, "user", None)
    return str(user.get_username()) if user is not None and user.is_authenticated else ""


def current() -> tuple[str, str]:
    """(via, actor) of the change being made now."""
    bound = _acting.get()
    if bound is None:
        return "system", ""
    return bound.via, bound.actor or (_actor_of(bound.request) if bound.request is not None else "")


def masked(value: Any) -> Any:
    """``value`` with the values of secret-looking keys (at any depth) replaced by ``"***"``."""
    if isinstance(value, Mapping):
        return {k: MASK if SECRET_NAME.search(str(k)) and v not in (None, "") else masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for each field whose value changed, secrets masked."""
    names = [name for name in {**before, **after} if before.get(name) != after.get(name)]
    return {name: [_shown(name, before.get(name)), _shown(name, after.get(name))] for name in names}


def _shown(name: str, value: Any) -> Any:
    """A field's value as recorded: a secret-looking field (a signing secret) only as "***"."""
    return MASK if SECRET_NAME.search(name) and value not in (None, "") else masked(value)


def record(
    *, action: str, object_type: str, object_id: Any, namespace: str = "", changes: dict[str, list[Any]] | None = None, label: str = ""
) -> None:
    if action == "update" and not changes:  # an update that changed nothing is no change
        return
    via, actor = current()
    AuditEntry.objects.create(
        via=via, actor=actor[:200], action=action, object_type=object_type, object_id=str(object_id),
        object_repr=label[:300], namespace=namespace, changes=changes or {},
    )  # fmt: skip

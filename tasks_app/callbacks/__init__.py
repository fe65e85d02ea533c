"""Callback kinds, one small module each, looked up by ``kind`` in one registry."""

from __future__ import annotations

from typing import Any

from tasks_app.callbacks.base import Callback, CallContext, Outcome
from tasks_app.callbacks.consume import ConsumeCallback
from tasks_app.callbacks.http import HttpCallback
from tasks_app.callbacks.recall import HttpRecallCallback
from tasks_app.callbacks.rpc import RpcCallback
from tasks_app.callbacks.socket import SocketCallback
from tasks_app.callbacks.transfer import TransferCallback
from tasks_app.exceptions import InvalidCallback

CALLBACK_KINDS: dict[str, type[Callback]] = {
    kind.kind: kind for kind in (HttpCallback, ConsumeCallback, HttpRecallCallback, RpcCallback, SocketCallback, TransferCallback)
}


def build_callback(data: Any, *, check_references: bool = False) -> Callback:
    """Validate a callback's JSON and build it; raises InvalidCallback naming the field. With
    ``check_references``, what it names (a registered service) must exist too."""
    if not isinstance(data, dict):
        raise InvalidCallback("must be an object", field="callback")
    kind = data.get("kind", "http")
    if kind not in CALLBACK_KINDS:
        raise InvalidCallback(f"unknown callback kind {kind!r}; use one of {', '.join(CALLBACK_KINDS)}", field="kind")
    callback = CALLBACK_KINDS[kind].from_json(data)
    if check_references:
        callback.check_references()
    return callback


__all__ = ["CALLBACK_KINDS", "CallContext", "Callback", "Outcome", "build_callback"]

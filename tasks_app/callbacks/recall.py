"""The recall protocol, and its HTTP kind (``http_recall``); the ``socket`` kind speaks it over TCP.

What is sent, over HTTP (a JSON POST) or over TCP (``socket``, one line):
``{"data": <the recall's data, exactly as given>, "tasklogid": "<execution id>"}``.
What is expected back: a JSON object whose ``success`` is ``true`` or ``"true"`` (any case);
anything else, including a reply that is not JSON, is a failure. When ``asynchronized`` is also
true, the callee has only accepted the work: the attempt stays running until the callee reports
its outcome (through a dialect's report endpoint, which calls ``tasks_app.services.complete_pending``)
and fails if no report comes within ``DISPATCH_ASYNC_DEADLINE_SECONDS``. Where the protocol comes
from and why it is judged so: docs/decisions/0402.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from django.conf import settings

from tasks_app import jsontext
from tasks_app.callbacks import verbatim
from tasks_app.callbacks.base import Callback, CallContext, Outcome, reject_unknown, timeout_from
from tasks_app.callbacks.http import send_http, url_target, validate_url
from tasks_app.stored import Writers

# How much of a refusing reply's own explanation goes into the attempt's error.
_DETAIL_CHARS = 300


def recall_document(data: Any, context: CallContext) -> str:
    """The JSON document of one recall; ``tasklogid`` is what the callee reports back."""
    return json.dumps({"data": data, "tasklogid": str(context.execution_id)}, ensure_ascii=False)


def is_true(value: Any) -> bool:
    """The original's clients answer with booleans or their Java string forms."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _reply_object(text: str) -> dict[str, Any] | None:
    try:
        reply = jsontext.loads(text)
    except ValueError:
        return None
    return reply if isinstance(reply, dict) else None


def _refusal(reply: dict[str, Any]) -> str:
    detail = reply.get("error") or reply.get("resultValue")
    text = f"the reply says success={reply.get('success')!r}"
    return f"{text}: {str(detail)[:_DETAIL_CHARS]}" if detail not in (None, "") else text


def judge_reply(text: str, outcome: Outcome) -> Outcome:
    """Judge a reply that arrived (the transport worked) by the recall's ``success`` rule."""
    reply = _reply_object(text)
    if reply is None:
        return replace(outcome, succeeded=False, error="the reply is not a JSON object")
    if not is_true(reply.get("success")):
        return replace(outcome, succeeded=False, error=_refusal(reply))
    if is_true(reply.get("asynchronized")):
        return replace(outcome, succeeded=False, pending=True, report_within_seconds=settings.DISPATCH_ASYNC_DEADLINE_SECONDS)
    return replace(outcome, succeeded=True, error="")


@dataclass(frozen=True)
class HttpRecallCallback(Callback):
    """POST the recall document as JSON to ``url`` and judge the reply by the recall rule."""

    kind: ClassVar[str] = "http_recall"
    url: str
    data: Any = None
    timeout_seconds: float = 10.0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HttpRecallCallback:
        reject_unknown(data, {"kind", "url", "timeout_seconds"} | verbatim.names("data"))
        return cls(url=validate_url(data.get("url")), data=verbatim.loaded(data, "data"), timeout_seconds=timeout_from(data))

    stored_as: ClassVar[Writers] = {"data": verbatim.stored}

    @property
    def target(self) -> str:
        return url_target(self.url)

    def call(self, context: CallContext) -> Outcome:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Job-Id": str(context.job_id),
            "X-Execution-Id": str(context.execution_id),
        }
        body = recall_document(self.data, context).encode()
        arguments = {"method": "POST", "url": self.url, "headers": headers, "data": body}
        return send_http(arguments, timeout=self.timeout_seconds, judge=judge_reply, signed_for=context)

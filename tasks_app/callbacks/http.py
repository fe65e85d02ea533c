"""HTTP callbacks: method, URL, headers, a raw/JSON/form body, a timeout and an optional
regexp that the response body must match for the call to count as a success."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

import urllib3
from django.utils import timezone

from tasks_app import jsontext, secret_headers, signing
from tasks_app.callbacks.base import Callback, CallContext, Outcome, host_port, reject_unknown, timeout_from, truncate
from tasks_app.egress import EgressDenied, Expired, Reply, Transport, check_url, fetch
from tasks_app.exceptions import InvalidCallback
from tasks_app.stored import Writers, value_as

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
BODY_FORMATS = ("raw", "json", "form")
RETRY_AFTER_STATUSES = (429, 503)
# RFC 9110: a header name is a token; a value has no control characters but tab (no CR/LF).
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
HEADER_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
CHARSET = re.compile(r'charset="?([\w.:-]+)', re.IGNORECASE)


def validate_url(url: Any, *, field: str = "url") -> str:
    if not isinstance(url, str) or not url:
        raise InvalidCallback("is required", field=field)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidCallback(f"must be an http(s) URL, got {url!r}", field=field)
    check_url(url, field=field)
    return url


def url_target(url: str) -> str:
    """The host:port an http(s) URL calls (the scheme's port when it names none)."""
    parts = urlsplit(url)
    return host_port(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))


def validate_headers(headers: Any, *, field: str = "headers") -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, dict) or not all(isinstance(k, str) for k in headers):
        raise InvalidCallback("must be an object of header names to values", field=field)
    cleaned = {name: str(value) for name, value in headers.items()}
    for name, value in cleaned.items():
        if not HEADER_NAME.fullmatch(name):
            raise InvalidCallback(f"{name!r} is not a header name (letters, digits and !#$%&'*+-.^_`|~)", field=field)
        if HEADER_UNSAFE.search(value):
            raise InvalidCallback(f"the value of {name} may not contain CR, LF, NUL or other control characters", field=field)
    return cleaned


def compile_regexp(pattern: Any, *, field: str = "success_regexp") -> str | None:
    if pattern in (None, ""):
        return None
    if not isinstance(pattern, str):
        raise InvalidCallback("must be a string", field=field)
    try:
        re.compile(pattern)
    except re.error as error:
        raise InvalidCallback(f"invalid regular expression: {error}", field=field) from None
    return pattern


def retry_after_seconds(status: int, headers: Any) -> float | None:
    """Retry-After as seconds, from either of its forms, on 429 and 503 only."""
    value = headers.get("Retry-After")
    if status not in RETRY_AFTER_STATUSES or not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
    except (TypeError, ValueError):
        return None


def _normal_body(body: Any, body_format: str) -> str | None:
    if body is None or body == "":
        return None
    if body_format == "raw":
        if not isinstance(body, str):
            raise InvalidCallback("a raw body must be a string", field="body")
        return body
    parsed = body
    if isinstance(body, str):
        try:
            parsed = jsontext.loads(body)
        except ValueError as error:
            raise InvalidCallback(f"is not valid JSON ({error}), but body_format is {body_format}", field="body") from None
    if body_format == "form" and not isinstance(parsed, dict):
        raise InvalidCallback("a form body must be a JSON object of fields", field="body")
    return body if isinstance(body, str) else json.dumps(body)


@dataclass(frozen=True)
class HttpCallback(Callback):
    kind: ClassVar[str] = "http"
    url: str
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    body_format: str = "raw"
    timeout_seconds: float = 10.0
    success_regexp: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HttpCallback:
        reject_unknown(data, {"kind", "url", "method", "headers", "body", "body_format", "timeout_seconds", "success_regexp"})
        method = str(data.get("method") or "POST").upper()
        if method not in METHODS:
            raise InvalidCallback(f"unsupported method {data.get('method')!r}; use one of {', '.join(METHODS)}", field="method")
        body_format = data.get("body_format") or "raw"
        if body_format not in BODY_FORMATS:
            raise InvalidCallback(f"must be one of {', '.join(BODY_FORMATS)}", field="body_format")
        return cls(
            url=validate_url(data.get("url")),
            method=method,
            headers=secret_headers.unseal(validate_headers(data.get("headers"))),
            body=_normal_body(data.get("body"), body_format),
            body_format=body_format,
            timeout_seconds=timeout_from(data),
            success_regexp=compile_regexp(data.get("success_regexp")),
        )

    # Secret header values are stored encrypted (decision 1004).
    stored_as: ClassVar[Writers] = {"headers": value_as(secret_headers.seal)}

    @property
    def target(self) -> str:
        return url_target(self.url)

    def request_arguments(self, context: CallContext) -> dict[str, Any]:
        headers = {"X-Job-Id": str(context.job_id), "X-Execution-Id": str(context.execution_id), **self.headers}
        arguments: dict[str, Any] = {"method": self.method, "url": self.url, "headers": headers}
        if self.body is None:
            return arguments
        if self.body_format == "form":
            arguments["data"] = {k: v if isinstance(v, str) else json.dumps(v) for k, v in json.loads(self.body).items()}
        else:
            if self.body_format == "json" and not any(k.lower() == "content-type" for k in headers):
                headers["Content-Type"] = "application/json"
            arguments["data"] = self.body.encode()
        return arguments

    def call(self, context: CallContext) -> Outcome:
        return send_http(
            self.request_arguments(context), timeout=self.timeout_seconds, success_regexp=self.success_regexp, signed_for=context
        )


def _text(reply: Reply) -> str:
    """The body as text, in the charset the response names, else UTF-8 (JSON's)."""
    charset = CHARSET.search(reply.headers.get("Content-Type", ""))
    try:
        return reply.body.decode(charset.group(1) if charset else "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return reply.body.decode("utf-8", errors="replace")


def _failure(error: Exception) -> str:
    """A failed request in the words our users' logs already use: Timeout or ConnectionError."""
    if isinstance(error, urllib3.exceptions.MaxRetryError) and error.reason is not None:
        error = error.reason
    kind = "Timeout" if isinstance(error, urllib3.exceptions.TimeoutError) else "ConnectionError"
    return f"{kind}: {type(error).__name__}: {error}"


# Judges a successful (2xx) response by its whole body, before the body is truncated for storage.
BodyJudge = Callable[[str, Outcome], Outcome]


def send_http(
    arguments: dict[str, Any],
    *,
    timeout: float,
    success_regexp: str | None = None,
    judge: BodyJudge | None = None,
    signed_for: CallContext | None = None,
    transport: Transport | None = None,
) -> Outcome:
    """Make one HTTP request and judge it: 2xx (and a regexp match, when one is given) succeeds;
    ``judge`` may then decide on the whole body. Shared by every kind that calls over HTTP.
    ``arguments``: method, url, headers, and data (bytes, or a dict of form fields).
    ``signed_for``: the attempt the call is made for: its namespace signs the call (Standard
    Webhooks headers) and its transport carries it. ``transport``: for a call made for no attempt."""
    summary = {"method": arguments["method"], "url": arguments["url"], "headers": secret_headers.masked(arguments["headers"])}
    body, headers = arguments.get("data"), dict(arguments["headers"])
    if isinstance(body, dict):
        body = urlencode(body).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    if body is not None:
        summary["body"] = truncate(body.decode(errors="replace"))
    if signed_for is not None:
        headers |= signing.webhook_headers(namespace=signed_for.namespace, message_id=signed_for.occurrence_key, body=body)
        transport = signed_for.transport
    try:
        reply = fetch(arguments["method"], arguments["url"], headers=headers, body=body, timeout=timeout, transport=transport)
    except EgressDenied as refusal:
        return Outcome(succeeded=False, request=summary, error=str(refusal), retryable=False)
    except Expired as expired:
        return Outcome(succeeded=False, request=summary, error=f"Timeout: {expired}")
    except (urllib3.exceptions.HTTPError, OSError) as error:
        return Outcome(succeeded=False, request=summary, error=_failure(error))
    return _judged(reply, summary, success_regexp, judge)


def _judged(reply: Reply, summary: dict[str, Any], success_regexp: str | None, judge: BodyJudge | None) -> Outcome:
    text = _text(reply)
    ok = 200 <= reply.status < 300
    problem = "" if ok else f"HTTP {reply.status}" + (f": {reply.problem}" if reply.problem else "")
    if ok and success_regexp and not re.search(success_regexp, text):
        ok, problem = False, f"response does not match {success_regexp!r}"
    outcome = Outcome(
        succeeded=ok,
        request=summary,
        response_status=reply.status,
        response_body=truncate(text) + (f"…[cut at {len(reply.body)} bytes]" if reply.cut else ""),
        response_headers=dict(reply.headers),
        error=problem,
        retry_after_seconds=retry_after_seconds(reply.status, reply.headers),
    )
    return judge(text, outcome) if judge and ok else outcome

"""HTTP callbacks: method, URL, headers, a raw/JSON/form body, a timeout and an optional
regexp that the response body must match for the call to count as a success."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from django.utils import timezone

from tasks_app.callbacks.base import Callback, CallContext, Outcome, host_port, reject_unknown, timeout_from, truncate
from tasks_app.exceptions import InvalidCallback

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
BODY_FORMATS = ("raw", "json", "form")
RETRY_AFTER_STATUSES = (429, 503)
_sessions = threading.local()


class CallbackSession(requests.Session):
    """A pooled session (connections to each host are reused) that reads the proxy and CA
    environment once per origin: requests re-reads it, and ~/.netrc, on every request, which
    cost more than the rest of a call to a fast receiver. netrc is not consulted: a callback
    carries its own credentials in its headers."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False
        self.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        self._proxies: dict[str, dict[str, str]] = {}

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("proxies") is None:
            kwargs["proxies"] = self._proxies_for(str(url))
        return super().request(method, url, *args, **kwargs)

    def _proxies_for(self, url: str) -> dict[str, str]:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._proxies:
            if len(self._proxies) > 1000:
                self._proxies.clear()
            self._proxies[origin] = requests.utils.get_environ_proxies(origin)
        return self._proxies[origin]


def session() -> requests.Session:
    """One session per worker thread (requests' sessions are not made for sharing)."""
    if not hasattr(_sessions, "session"):
        _sessions.session = CallbackSession()
    return _sessions.session  # type: ignore[no-any-return]


def validate_url(url: Any, *, field: str = "url") -> str:
    if not isinstance(url, str) or not url:
        raise InvalidCallback("is required", field=field)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidCallback(f"must be an http(s) URL, got {url!r}", field=field)
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
    return {name: str(value) for name, value in headers.items()}


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


def retry_after_seconds(response: requests.Response) -> float | None:
    """Retry-After as seconds, from either of its forms, on 429 and 503 only."""
    value = response.headers.get("Retry-After")
    if response.status_code not in RETRY_AFTER_STATUSES or not value:
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
            parsed = json.loads(body)
        except ValueError:
            raise InvalidCallback(f"is not valid JSON, but body_format is {body_format}", field="body") from None
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
            headers=validate_headers(data.get("headers")),
            body=_normal_body(data.get("body"), body_format),
            body_format=body_format,
            timeout_seconds=timeout_from(data),
            success_regexp=compile_regexp(data.get("success_regexp")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": self.url,
            "method": self.method,
            "headers": self.headers,
            "body": self.body,
            "body_format": self.body_format,
            "timeout_seconds": self.timeout_seconds,
            "success_regexp": self.success_regexp,
        }

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
        return send_http(self.request_arguments(context), timeout=self.timeout_seconds, success_regexp=self.success_regexp)


def _text(response: requests.Response) -> str:
    """The body as text. Without a charset requests guesses one from the bytes (slow, and wrong
    for JSON, which is UTF-8): we read UTF-8 then."""
    return response.content.decode(response.encoding or "utf-8", errors="replace")


# Judges a successful (2xx) response by its whole body, before the body is truncated for storage.
BodyJudge = Callable[[str, Outcome], Outcome]


def send_http(arguments: dict[str, Any], *, timeout: float, success_regexp: str | None = None, judge: BodyJudge | None = None) -> Outcome:
    """Make one HTTP request and judge it: 2xx (and a regexp match, when one is given) succeeds;
    ``judge`` may then decide on the whole body. Shared by every kind that calls over HTTP."""
    summary = {k: arguments[k] for k in ("method", "url", "headers")}
    if "data" in arguments:
        data = arguments["data"]
        summary["body"] = truncate(data.decode(errors="replace") if isinstance(data, bytes) else json.dumps(data))
    try:
        response = session().request(timeout=timeout, **arguments)
    except requests.RequestException as error:
        return Outcome(succeeded=False, request=summary, error=f"{type(error).__name__}: {error}")
    body = _text(response)
    ok = 200 <= response.status_code < 300
    problem = "" if ok else f"HTTP {response.status_code}"
    if ok and success_regexp and not re.search(success_regexp, body):
        ok, problem = False, f"response does not match {success_regexp!r}"
    outcome = Outcome(
        succeeded=ok,
        request=summary,
        response_status=response.status_code,
        response_body=truncate(body),
        response_headers=dict(response.headers),
        error=problem,
        retry_after_seconds=retry_after_seconds(response),
    )
    return judge(body, outcome) if judge and ok else outcome

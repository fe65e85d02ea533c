"""What the ``consume`` and ``transfer`` kinds share: they name a registered service and a message
instead of a URL. The registry is read when the job is saved (an unknown service is refused
there) and again when each attempt runs, so a re-registered address takes effect at once; a
service or route gone by then is a permanent failure, not something a retry can mend."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

from django.conf import settings

from tasks_app import jsontext, secret_headers
from tasks_app.callbacks.base import Callback, CallContext, Outcome, reject_unknown
from tasks_app.callbacks.http import send_http, url_target
from tasks_app.exceptions import InvalidCallback
from tasks_app.models import Service, ServiceRoute

ID_MAX = 2**31 - 1
# Request ids and client addresses become header values: no control characters (no CR/LF).
_HEADER_UNSAFE = {chr(c) for c in range(32)} | {chr(127)}


def _identifier(data: dict[str, Any], field: str) -> int:
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ID_MAX:
        raise InvalidCallback(f"must be a whole number from 1 to {ID_MAX}", field=field)
    return value


def _text(data: dict[str, Any], field: str, *, header: bool = False) -> str:
    value = data.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidCallback("must be a string", field=field)
    if header and (len(value) > 255 or _HEADER_UNSAFE & set(value)):
        raise InvalidCallback("must be at most 255 characters, without control characters", field=field)
    return value


def _gateway_failure(outcome: Outcome) -> str:
    """The services answer in the gateway's envelope: HTTP 200 with a non-zero ``returnCode`` is
    a failure too. A body that is not such an envelope is judged by its status alone."""
    try:
        body = jsontext.loads(outcome.response_body)
    except ValueError:
        return ""
    code = body.get("returnCode", 0) if isinstance(body, dict) else 0
    if code in (0, "0", None):
        return ""
    return f"returnCode {code}: {body.get('returnMessage', '')}".strip()


@dataclass(frozen=True)
class Registered:
    """What the registry says when an attempt runs; ``problem`` when it cannot be called."""

    service: Service | None
    route: ServiceRoute | None = None
    problem: str = ""
    field: str = ""


@dataclass(frozen=True)
class RegisteredCallback(Callback):
    """A call to a registered service about one of its messages, made for a request whose id and
    client address travel along as ``X-Request-Id`` and ``X-Forwarded-For``."""

    needs_route: ClassVar[bool] = False
    service_id: int
    message_id: int
    data: str = ""
    request_id: str = ""
    client_ip: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RegisteredCallback:
        reject_unknown(data, {"kind", "service_id", "message_id", "data", "request_id", "client_ip"})
        return cls(
            service_id=_identifier(data, "service_id"),
            message_id=_identifier(data, "message_id"),
            data=cls.checked_data(_text(data, "data")),
            request_id=_text(data, "request_id", header=True),
            client_ip=_text(data, "client_ip", header=True),
        )

    @classmethod
    def checked_data(cls, data: str) -> str:
        return data

    def check_references(self) -> None:
        registered = self.lookup()
        if registered.problem:
            raise InvalidCallback(registered.problem, field=registered.field)

    def lookup(self) -> Registered:
        """The registry's rows for this callback, read now (not cached: see ``registered``)."""
        service = Service.objects.filter(service_id=self.service_id).first()
        if service is None:
            return Registered(None, problem=f"service {self.service_id} is not registered", field="service_id")
        if not self.needs_route:
            return Registered(service)
        route = service.routes.filter(message_id=self.message_id).first()
        if route is None:
            problem = f"service {self.service_id} has no route for message {self.message_id}"
            return Registered(service, problem=problem, field="message_id")
        return Registered(service, route)

    @cached_property
    def registered(self) -> Registered:
        """Read once per attempt: the timeout that sets the attempt's deadline and the call made
        in it come from the same rows."""
        return self.lookup()

    @property
    def timeout_seconds(self) -> float:  # type: ignore[override]  # read-only: the registry decides it
        service = self.registered.service
        return service.timeout_seconds if service is not None else float(settings.CALLBACK_DEFAULT_TIMEOUT_SECONDS)

    @property
    def target(self) -> str:
        """The registered service's host:port (read with the attempt's registry lookup)."""
        service = self.registered.service
        return url_target(service.base_url) if service is not None else ""

    def headers(self, service: Service, context: CallContext) -> dict[str, str]:
        """The service's own headers (a token, say), then what belongs to this request: those
        are not the service's to override."""
        headers = {"Content-Type": "application/json", **secret_headers.unseal(service.headers)}
        headers |= {"X-Job-Id": str(context.job_id), "X-Execution-Id": str(context.execution_id)}
        if self.request_id:
            headers["X-Request-Id"] = self.request_id
        if self.client_ip:
            headers["X-Forwarded-For"] = self.client_ip
        return headers

    @abstractmethod
    def request_arguments(self, registered: Registered, context: CallContext) -> dict[str, Any]: ...

    def call(self, context: CallContext) -> Outcome:
        registered = self.registered
        if registered.service is None or registered.problem:
            request = {"service_id": self.service_id, "message_id": self.message_id}
            return Outcome(succeeded=False, request=request, error=registered.problem, retryable=False)
        outcome = send_http(self.request_arguments(registered, context), timeout=self.timeout_seconds, signed_for=context)
        problem = _gateway_failure(outcome) if outcome.succeeded else ""
        if problem:
            outcome.succeeded, outcome.error = False, problem
        return outcome

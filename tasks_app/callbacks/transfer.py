"""``transfer``: the request is forwarded to the route registered for (service, message): ``data``
is the JSON body, the request id and client address go along as headers."""

from __future__ import annotations

from typing import Any, ClassVar

from tasks_app import jsontext
from tasks_app.callbacks.base import CallContext
from tasks_app.callbacks.registered import Registered, RegisteredCallback
from tasks_app.exceptions import InvalidCallback

# Methods that carry no body: the data is not sent with them.
BODILESS = ("GET", "HEAD")


class TransferCallback(RegisteredCallback):
    kind: ClassVar[str] = "transfer"
    needs_route: ClassVar[bool] = True

    @classmethod
    def checked_data(cls, data: str) -> str:
        """The data becomes a JSON body, so it must be JSON (or empty: no body)."""
        if data:
            try:
                jsontext.loads(data)
            except ValueError:
                raise InvalidCallback("must be a JSON document: it is forwarded as the JSON body", field="data") from None
        return data

    def request_arguments(self, registered: Registered, context: CallContext) -> dict[str, Any]:
        assert registered.service is not None and registered.route is not None
        service, route = registered.service, registered.route
        arguments: dict[str, Any] = {"method": route.method, "url": service.url_for(route.path), "headers": self.headers(service, context)}
        if route.method not in BODILESS:
            arguments["data"] = self.data.encode()
        return arguments

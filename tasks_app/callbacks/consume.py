"""``consume``: the registered service's consumer endpoint receives the job, as the original
TaskConsumerService.Excute did: POST ``{"jobId", "serviceId", "messageId", "data"}`` as JSON."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from tasks_app.callbacks.base import CallContext
from tasks_app.callbacks.registered import Registered, RegisteredCallback


class ConsumeCallback(RegisteredCallback):
    kind: ClassVar[str] = "consume"

    def request_arguments(self, registered: Registered, context: CallContext) -> dict[str, Any]:
        assert registered.service is not None
        service = registered.service
        # jobId as a string: the original's job ids were strings, and a proto3 consumer reads
        # an int64 from a JSON string as well.
        body = {"jobId": str(context.job_id), "serviceId": self.service_id, "messageId": self.message_id, "data": self.data}
        return {
            "method": "POST",
            "url": service.url_for(service.consumer_path),
            "headers": self.headers(service, context),
            "data": json.dumps(body).encode(),
        }

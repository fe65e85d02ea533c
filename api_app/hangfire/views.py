"""TaskProducerService: six POST endpoints, one view. Each parses its request, submits one task
through the services, and answers in the gateway's envelope."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_app.hangfire import rules
from api_app.hangfire.errors import exception_handler
from api_app.hangfire.serializers import EnqueueTaskSerializer
from api_app.inputs import BoundedJSONParser

ENVELOPE = inline_serializer(
    "HangfireTaskReply",
    {
        "returnCode": serializers.IntegerField(help_text="0: success"),
        "returnMessage": serializers.CharField(),
        "data": inline_serializer(
            "HangfireTaskData",
            {"jobId": serializers.CharField(), "xRequestId": serializers.CharField(), "duplicate": serializers.BooleanField()},
        ),
    },
)


def envelope(submission: rules.Submission) -> dict[str, Any]:
    job = submission.job
    data = {"jobId": str(job.pk), "xRequestId": job.name, "duplicate": submission.duplicate}
    return {"returnCode": 0, "returnMessage": "success", "data": data}


class TaskProducerView(APIView):
    """One endpoint of TaskProducerService; ``as_view`` sets which (see urls)."""

    parser_classes = [BoundedJSONParser]
    serializer_class: type[EnqueueTaskSerializer] = EnqueueTaskSerializer
    endpoint = "enqueue"
    transfer = False

    def get_exception_handler(self) -> Any:
        return exception_handler

    def get_serializer_class(self) -> type[EnqueueTaskSerializer]:
        return self.serializer_class

    @extend_schema(description="Submits one task of TaskProducerService (each path is one of its methods).", responses={200: ENVELOPE})
    def post(self, request: Request) -> Response:
        context = {"request": request, "endpoint": self.endpoint, "transfer": self.transfer}
        serializer = self.serializer_class(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        return Response(envelope(rules.submit_task(task=serializer.validated_data["task"])))

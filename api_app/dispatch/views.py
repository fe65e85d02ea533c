"""The dispatch endpoints: parse with a serializer, call one service, answer in the envelope.

Bodies are JSON or form-encoded (``application/x-www-form-urlencoded`` or multipart), alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_app.dispatch.errors import envelope, exception_handler
from api_app.dispatch.serializers import AddSerializer, EnvelopeSerializer, TaskLogSerializer, TaskRefSerializer
from tasks_app import services
from tasks_app.models import Job


def _parsed(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def answered(result: Any = None) -> Response:
    return Response(envelope(success=True, result=result))


class DispatchView(APIView):
    http_method_names = ["post"]

    def get_exception_handler(self) -> Callable[..., Response]:
        return exception_handler


class AddView(DispatchView):
    @extend_schema(request=AddSerializer, responses=EnvelopeSerializer)
    def post(self, request: Request) -> Response:
        services.add_dispatch_task(**_parsed(AddSerializer, request))
        return answered()


class TaskView(DispatchView):
    """An action on the task named by ``jobName`` and ``groupName``."""

    def act(self, job: Job) -> Any:
        raise NotImplementedError

    @extend_schema(request=TaskRefSerializer, responses=EnvelopeSerializer)
    def post(self, request: Request) -> Response:
        ref = _parsed(TaskRefSerializer, request)
        return answered(self.act(services.find_dispatch_task(group=ref["groupName"], name=ref["jobName"])))


class PauseView(TaskView):
    def act(self, job: Job) -> None:
        services.pause_job(job=job)


class ResumeView(TaskView):
    def act(self, job: Job) -> None:
        services.resume_job(job=job)


class DeleteView(TaskView):
    def act(self, job: Job) -> None:
        services.delete_job(job=job)


class TriggerView(TaskView):
    def act(self, job: Job) -> str:
        """Runs it now, its schedule unchanged; the answer is the run's task log id."""
        return str(services.trigger_job(job=job).pk)


class UpdateTaskLogView(DispatchView):
    @extend_schema(request=TaskLogSerializer, responses=EnvelopeSerializer)
    def post(self, request: Request) -> Response:
        services.complete_pending(**_parsed(TaskLogSerializer, request))
        return answered()

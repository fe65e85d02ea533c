"""The dispatch endpoints: parse with a serializer, call one service (the dialect's own rules are
in ``rules``), answer in the envelope.

Bodies are JSON or form-encoded (``application/x-www-form-urlencoded`` or multipart), alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_app.dispatch import rules
from api_app.dispatch.errors import envelope, exception_handler
from api_app.dispatch.serializers import AddSerializer, EnvelopeSerializer, TaskLogSerializer, TaskRefSerializer
from api_app.parsing import parsed
from tasks_app import services
from tasks_app.models import Job


def answered(result: Any = None) -> Response:
    return Response(envelope(success=True, result=result))


class DispatchView(APIView):
    http_method_names = ["post"]

    def get_exception_handler(self) -> Callable[..., Response]:
        return exception_handler


class AddView(DispatchView):
    @extend_schema(request=AddSerializer, responses=EnvelopeSerializer)
    def post(self, request: Request) -> Response:
        rules.add_task(**parsed(AddSerializer, request.data))
        return answered()


class TaskView(DispatchView):
    """An action on the task named by ``jobName`` and ``groupName``."""

    def act(self, job: Job) -> Any:
        raise NotImplementedError

    @extend_schema(request=TaskRefSerializer, responses=EnvelopeSerializer)
    def post(self, request: Request) -> Response:
        ref = parsed(TaskRefSerializer, request.data)
        return answered(self.act(rules.find_task(group=ref["groupName"], name=ref["jobName"])))


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
        services.complete_pending(**parsed(TaskLogSerializer, request.data))
        return answered()

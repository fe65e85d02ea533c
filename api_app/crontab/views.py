"""The four crontab endpoints. Each parses ``{"task_list": [...]}``, runs one action per task (each
in its own transaction) and answers ``{"state", "msg", "data"}``."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_app.crontab import actions, schema
from api_app.crontab.errors import NO_SUCH_TASK, OK, envelope, exception_handler
from api_app.crontab.serializers import TaskChangeSerializer, TaskListSerializer, TaskLogRefSerializer, TaskRefSerializer, TaskSerializer
from api_app.inputs import BoundedJSONParser


class AnyContentTypeJSONParser(BoundedJSONParser):
    """The body is JSON whatever Content-Type says, as the original read it (clients such as
    ``curl -d`` send JSON labelled as a form)."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as error:
            raise ParseError(f'the request body is not JSON ({error.detail}); send {{"task_list": [...]}}') from None


def _summary(outcomes: list[actions.TaskOutcome]) -> str:
    failed = sum(not outcome.succeeded for outcome in outcomes)
    return f"{failed} of {len(outcomes)} tasks failed; see each task's err" if failed else "ok"


class CrontabView(APIView):
    parser_classes = [AnyContentTypeJSONParser]
    renderer_classes = [JSONRenderer]
    task_action: actions.Action

    def get_exception_handler(self) -> Any:
        return exception_handler

    def run(self, request: Request) -> list[actions.TaskOutcome]:
        serializer = TaskListSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return actions.each_task(serializer.validated_data["task_list"], self.task_action)

    def post(self, request: Request) -> Response:
        outcomes = self.run(request)
        return envelope(OK, _summary(outcomes), {"task_result": [outcome.result for outcome in outcomes]})


@schema.documented("CrontabAddTask", TaskSerializer)
class AddTaskView(CrontabView):
    task_action = staticmethod(actions.add)


@schema.documented("CrontabUpdateTask", TaskChangeSerializer)
class UpdateTaskView(CrontabView):
    task_action = staticmethod(actions.update)


@schema.documented("CrontabRunAgainTask", TaskRefSerializer)
class RunAgainTaskView(CrontabView):
    task_action = staticmethod(actions.run_again)


@schema.documented("CrontabQueryTaskStatus", TaskLogRefSerializer, schema.QUERY_REPLY)
class QueryTaskStatusView(CrontabView):
    task_action = staticmethod(actions.query)

    def post(self, request: Request) -> Response:
        outcomes = self.run(request)
        logs = [entry for outcome in outcomes for entry in outcome.logs]
        data = {"log_list": logs, "task_result": [outcome.result for outcome in outcomes]}
        if not any(outcome.succeeded for outcome in outcomes):
            return envelope(NO_SUCH_TASK, "none of the tasks exist; see each task's err", data, status=400)
        return envelope(OK, _summary(outcomes), data)

"""xtimer's endpoints. Each reads the query and a JSON body (either may carry the fields), parses
them with its serializer, calls one service (or reads through ``timers`` and the selectors) and
answers in xtimer's envelope; errors go through ``errors.exception_handler`` with the endpoint's
failure code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_app import parsing
from api_app.inputs import BoundedJSONParser
from api_app.pagination import numbered_page
from api_app.xtimer import schema, timers
from api_app.xtimer.errors import Code, envelope, exception_handler
from api_app.xtimer.serializers import (
    AppTimersSerializer,
    CreateTimerSerializer,
    TimerRefSerializer,
    TimersByNameSerializer,
    TimerTasksSerializer,
)
from tasks_app import selectors, services
from tasks_app.models import Job


def request_fields(request: Request) -> dict[str, Any]:
    """Query parameters, overlaid by the fields of a JSON body (clients send ids either way)."""
    body = request.data
    if not isinstance(body, dict):
        raise ParseError("the JSON body must be an object")
    return dict(request.query_params.items()) | dict(body)


def parsed(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    return parsing.parsed(serializer_class, request_fields(request))


class XtimerView(APIView):
    parser_classes = [BoundedJSONParser]
    renderer_classes = [JSONRenderer]
    # What a missing (or taken) timer answers on this endpoint.
    failure_code = Code.NOT_FOUND

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response]:
        return exception_handler(self.failure_code)


@extend_schema(request=CreateTimerSerializer, responses=schema.CREATED)
class CreateTimer(XtimerView):
    failure_code = Code.CREATE_FAILED

    def post(self, request: Request) -> Response:
        job = services.create_job(**timers.job_arguments(parsed(CreateTimerSerializer, request)))
        return envelope(data={"timerId": job.pk})


@extend_schema(parameters=[TimerRefSerializer], request=None, responses=schema.DONE)
class EnableTimer(XtimerView):
    """Idempotent: enabling an enabled timer (or unabling a disabled one) succeeds."""

    failure_code = Code.ENABLE_FAILED

    def get(self, request: Request) -> Response:
        ref = parsed(TimerRefSerializer, request)
        self.change(timers.timer(ref["app"], ref["timer_id"]))
        return envelope()

    post = get

    @staticmethod
    def change(job: Job) -> None:
        services.resume_job(job=job)


class UnableTimer(EnableTimer):
    @staticmethod
    def change(job: Job) -> None:
        services.pause_job(job=job)


@extend_schema(parameters=[TimerRefSerializer], request=None, responses=schema.DONE)
class DeleteTimer(XtimerView):
    def delete(self, request: Request) -> Response:
        ref = parsed(TimerRefSerializer, request)
        services.delete_job(job=timers.timer(ref["app"], ref["timer_id"]))
        return envelope()

    post = delete


@extend_schema(parameters=[TimerRefSerializer], request=None, responses=schema.ONE_TIMER)
class GetTimer(XtimerView):
    def get(self, request: Request) -> Response:
        ref = parsed(TimerRefSerializer, request)
        return envelope(data=timers.timer_json(timers.timer(ref["app"], ref["timer_id"])))


@extend_schema(parameters=[AppTimersSerializer], request=None, responses=schema.TIMERS)
class GetTimers(XtimerView):
    def get(self, request: Request) -> Response:
        query = parsed(AppTimersSerializer, request)
        return self.timers_page(timers.timers_of(query["app"]), query)

    @staticmethod
    def timers_page(jobs: QuerySet[Job], query: dict[str, Any]) -> Response:
        total, found = numbered_page(jobs, number=query["page_index"], size=query["page_size"])
        return envelope(data={"total": total, "timers": [timers.timer_json(job) for job in found]})


@extend_schema(parameters=[TimersByNameSerializer], request=None, responses=schema.TIMERS)
class GetTimersByName(GetTimers):
    def get(self, request: Request) -> Response:
        query = parsed(TimersByNameSerializer, request)
        return self.timers_page(timers.timers_named(query["app"], query["name"]), query)


@extend_schema(parameters=[TimerTasksSerializer], request=None, responses=schema.TASKS)
class GetTasks(XtimerView):
    def get(self, request: Request) -> Response:
        query = parsed(TimerTasksSerializer, request)
        executions = selectors.executions(job=timers.timer(query["app"], query["timer_id"]))
        total, found = numbered_page(executions, number=query["page_index"], size=query["page_size"])
        return envelope(data={"total": total, "tasks": [timers.task_json(execution) for execution in found]})

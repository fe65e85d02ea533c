"""The platform's own resource API. Views parse, call one service, and render."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api_app.parsing import parsed
from api_app.v1.serializers import ExecutionSerializer, JobInputSerializer, JobSerializer
from tasks_app import selectors, services
from tasks_app.models import Execution, Job

JOB_FILTERS = ("dialect", "namespace", "name")
EXECUTION_FILTERS = ("job", "status", "reason")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("dialect", str, description="v1 | hangfire | xtimer | crontab | dispatch"),
            OpenApiParameter("namespace", str),
            OpenApiParameter("name", str),
        ]
    )
)
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = JobSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Job]:
        return selectors.jobs_named(**{field: self.request.query_params.get(field) for field in JOB_FILTERS})

    @extend_schema(request=JobInputSerializer, responses={201: JobSerializer})
    def create(self, request: Request) -> Response:
        job = services.create_job(**parsed(JobInputSerializer, request.data))
        return Response(JobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=JobInputSerializer, responses=JobSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        job = services.update_job(job=self.get_object(), **parsed(JobInputSerializer, request.data, partial=True))
        return Response(JobSerializer(job).data)

    def destroy(self, request: Request, pk: str) -> Response:
        services.delete_job(job=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str) -> Response:
        return Response(JobSerializer(services.pause_job(job=self.get_object())).data)

    @extend_schema(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        return Response(JobSerializer(services.resume_job(job=self.get_object())).data)

    @extend_schema(request=None, responses={202: ExecutionSerializer})
    @action(detail=True, methods=["post"])
    def trigger(self, request: Request, pk: str) -> Response:
        execution = services.trigger_job(job=self.get_object())
        return Response(ExecutionSerializer(execution).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=ExecutionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def executions(self, request: Request, pk: str) -> Response:
        page = self.paginate_queryset(selectors.executions(job=self.get_object()))
        return self.get_paginated_response(ExecutionSerializer(page, many=True).data)


def _is_id(text: str) -> bool:
    """A primary key the database can compare (a bigint): anything else is a 400, not a 500."""
    return text.isascii() and text.isdigit() and int(text) < 2**63


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("job", int, description="the job's id"),
            OpenApiParameter("status", str, description="queued | running | succeeded | failed | skipped"),
            OpenApiParameter("reason", str, description="schedule | retry | manual"),
        ]
    )
)
class ExecutionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ExecutionSerializer

    def get_queryset(self) -> QuerySet[Execution]:
        filters = {field: self.request.query_params.get(field) for field in EXECUTION_FILTERS}
        if filters["job"] is not None and not _is_id(filters["job"]):
            raise serializers.ValidationError({"job": ["must be a job's id (a whole number)"]})
        return selectors.executions(**filters)

    @extend_schema(request=None, responses={202: ExecutionSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        execution = services.retry_execution(execution=self.get_object())
        return Response(ExecutionSerializer(execution).data, status=status.HTTP_202_ACCEPTED)

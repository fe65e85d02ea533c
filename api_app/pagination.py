"""Pagination, DRF's for every list. The v1 lists page by ``?page=`` and ``?page_size=``
(PAGE_SIZE by default, at most MAX_PAGE_SIZE). The dialects carry their window in their own
fields instead (crontab's page and page_size, xtimer's pageIndex and pageSize, a queue's Offset
and Limit): ``paged`` takes it from there and pages with DRF's limit/offset pagination."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from django.db.models import Model, QuerySet
from rest_framework.pagination import LimitOffsetPagination, PageNumberPagination
from rest_framework.request import Request

MAX_PAGE_SIZE = 500
Row = TypeVar("Row", bound=Model)


class PageSizePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = f"Results per page: PAGE_SIZE by default, at most {MAX_PAGE_SIZE} (more is read as {MAX_PAGE_SIZE})."

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"minimum": 1, "maximum": MAX_PAGE_SIZE}
        return parameters


class GivenWindowPagination(LimitOffsetPagination):
    """Limit/offset pagination of a window given by the caller, not read from a query string."""

    def __init__(self, *, offset: int, limit: int) -> None:
        self.given_offset, self.given_limit = offset, limit

    def get_limit(self, request: Request) -> int:
        return self.given_limit

    def get_offset(self, request: Request) -> int:
        return self.given_offset


def paged(rows: QuerySet[Row], *, offset: int, limit: int) -> tuple[int, list[Row]]:
    """How many ``rows`` there are in all, and the ``limit`` of them from ``offset`` on."""
    pagination = GivenWindowPagination(offset=offset, limit=limit)
    # No request: the window is given, so the hooks that would read one are not called.
    window = pagination.paginate_queryset(rows, request=cast(Request, None))
    return cast(int, pagination.count), list(window or [])


def numbered_page(rows: QuerySet[Row], *, number: int, size: int) -> tuple[int, list[Row]]:
    """Page ``number`` (from 1) of ``size`` rows, and how many rows there are in all."""
    return paged(rows, offset=(number - 1) * size, limit=size)

"""The one pagination of every v1 list: ``?page=`` and ``?page_size=`` (PAGE_SIZE by default, at
most MAX_PAGE_SIZE)."""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 500


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

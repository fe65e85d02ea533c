"""What every console list shares: a paginator that never counts a whole table, no facet counts,
and actions that refuse to run over more rows than one request can handle."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import PAGE_VAR
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

from tasks_app.selectors import Tally, bounded_count

# Rows one admin action may change: each goes through a service, one transaction apiece.
MAX_ACTION_ROWS = 1000
# Rows a list counts before it shows an estimate instead: a rare filter value costs a scan
# until this many rows match (or the table ends), so it stays small.
LIST_COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows (enough for the page asked for and a few after it); the total
    shown past that is PostgreSQL's estimate. ``tally`` is what the list template prints."""

    cap = LIST_COUNT_CAP

    @cached_property
    def tally(self) -> Tally:
        return bounded_count(self.object_list, cap=self.cap)  # type: ignore[arg-type]  # always a QuerySet here

    @cached_property
    def count(self) -> int:
        tally = self.tally
        return tally.value if not (tally.capped or tally.estimated) else self.cap


class ConsoleListMixin:
    """For the console's ModelAdmins: bounded counts, no facets, bounded actions."""

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50

    def get_paginator(self, request: HttpRequest, queryset: QuerySet[Any], per_page: int, *args: Any, **kwargs: Any) -> Paginator:
        try:
            page = max(1, int(request.GET.get(PAGE_VAR, 1)))
        except ValueError:
            page = 1
        paginator = CappedPaginator(queryset, per_page, *args, **kwargs)
        paginator.cap = max(LIST_COUNT_CAP, (page + 5) * per_page)
        return paginator

    def too_many(self, request: HttpRequest, queryset: QuerySet[Any]) -> bool:
        """True (and the operator told so) when an action was asked for too many rows."""
        if queryset[: MAX_ACTION_ROWS + 1].count() <= MAX_ACTION_ROWS:
            return False
        self.message_user(  # type: ignore[attr-defined]
            request, f"Select at most {MAX_ACTION_ROWS} rows for one action; narrow the list with its filters.", messages.ERROR
        )
        return True

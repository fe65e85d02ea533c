"""sql: the plain-SQL batch writes mean what the ORM's would, one row or many."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks_app import sql
from tasks_app.models import Execution
from tests.factories import make_job

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [2, sql.ONE_STATEMENT_FROM + 3])  # one statement per row; one for all
def test_batches_insert_and_update_every_kind_of_field(count: int) -> None:
    job, now = make_job(), timezone.now()
    sql.insert_each(
        [
            Execution(
                job=job,
                scheduled_for=now + timedelta(seconds=n),
                due_at=now,
                request={"n": n, "text": "é"} if n % 2 else {},
                response_status=None if n % 2 else 200,
                awaiting_report=bool(n % 2),
                error=f"e{n}",
            )  # fmt: skip
            for n in range(count)
        ]
    )
    stored = list(Execution.objects.filter(job=job).order_by("scheduled_for"))
    assert [(e.request, e.response_status, e.awaiting_report, e.error, e.status) for e in stored] == [
        ({"n": n, "text": "é"} if n % 2 else {}, None if n % 2 else 200, bool(n % 2), f"e{n}", "queued") for n in range(count)
    ]
    for e in stored:
        e.status, e.finished_at, e.response_headers = "failed", now, {"x": str(e.pk)}
    fields = ["status", "finished_at", "response_headers"]
    assert sql.update_each(stored, fields, where=" AND status = %s", where_params=["queued"]) == count
    assert sql.update_each(stored, fields, where=" AND status = %s", where_params=["queued"]) == 0  # no longer queued
    again = Execution.objects.filter(job=job).order_by("scheduled_for")
    assert [(e.status, e.finished_at, e.response_headers) for e in again] == [("failed", now, {"x": str(e.pk)}) for e in stored]

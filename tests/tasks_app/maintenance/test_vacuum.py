"""The vacuum backstop: beat vacuums a table every attempt rewrites once its dead rows pile up."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection

from tasks_app import clock
from tasks_app.models import Execution
from tasks_app.services import vacuum_rewritten_tables
from tests.factories import make_job

pytestmark = pytest.mark.django_db(transaction=True)  # VACUUM cannot run inside a transaction
ROWS = 300


def rewrite_executions() -> None:
    """ROWS executions, each updated once: ROWS dead row versions."""
    job = make_job(trigger={"kind": "at", "at": (clock.now() + timedelta(days=1)).isoformat()})
    now = clock.now()
    Execution.objects.bulk_create([Execution(job=job, scheduled_for=now + timedelta(seconds=i), due_at=now) for i in range(ROWS)])
    Execution.objects.filter(job=job).update(status="succeeded", finished_at=now)


def dead_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = %s", [table])
        return int(cursor.fetchone()[0])


def wait_for_dead_rows(table: str, predicate, timeout: float = 10.0) -> int:
    """The statistics reach the shared counters a moment after the writes commit."""
    deadline = time.monotonic() + timeout
    while not predicate(dead := dead_rows(table)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return dead


def test_a_table_with_enough_dead_rows_is_vacuumed_and_the_others_are_left() -> None:
    rewrite_executions()
    if connection.vendor != "postgresql":  # SQLite keeps no dead rows to vacuum
        assert vacuum_rewritten_tables(dead_rows=1) == []
        return
    table = Execution._meta.db_table
    assert wait_for_dead_rows(table, lambda dead: dead >= ROWS) >= ROWS
    assert vacuum_rewritten_tables(dead_rows=ROWS * 10) == []
    assert vacuum_rewritten_tables(dead_rows=ROWS) == [table]
    assert wait_for_dead_rows(table, lambda dead: dead == 0) == 0
    assert Execution.objects.filter(status="succeeded").count() == ROWS


def test_the_backstop_is_off_at_zero_and_on_beat_by_default() -> None:
    assert vacuum_rewritten_tables(dead_rows=0) == []
    entry = settings.CELERY_BEAT_SCHEDULE["database-vacuum"]
    assert entry["task"] == "tasks_app.tasks.vacuum_rewritten_tables"
    assert entry["schedule"] == settings.DATABASE_VACUUM_INTERVAL_SECONDS

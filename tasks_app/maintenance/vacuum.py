"""Vacuuming the tables every attempt rewrites, where PostgreSQL's autovacuum has not.

An attempt updates its Execution row as it is sent, claimed and finished; each update leaves a
dead row version, and dead entries in the status partial indexes, until VACUUM removes them. The
scans beat and the sweep make over those indexes (the next attempt to send, the overdue claims)
step over every dead entry, so without VACUUM they cost more with every attempt ever made
(decision 0709). Autovacuum, on by default, removes them once a fifth of a table is dead; where
it is off, or has not yet come round, beat's ``database-vacuum`` entry vacuums each of these
tables whose dead rows have reached ``DATABASE_VACUUM_DEAD_ROWS``. A plain VACUUM blocks no reads
or writes. Elsewhere than PostgreSQL there is nothing to do.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import connection
from django_celery_results.models import TaskResult

from tasks_app import sql
from tasks_app.models import Execution, Job, QueueTask

logger = logging.getLogger(__name__)


def rewritten_tables() -> list[str]:
    """The tables whose rows are updated or replaced on every fire or attempt."""
    return [model._meta.db_table for model in (Execution, TaskResult, Job, QueueTask)]


def vacuum_rewritten_tables(*, dead_rows: int | None = None) -> list[str]:
    """VACUUM (ANALYZE) each rewritten table with at least ``dead_rows`` dead rows (default
    DATABASE_VACUUM_DEAD_ROWS; 0 turns this off); returns the tables vacuumed. Must not run
    inside a transaction."""
    threshold = settings.DATABASE_VACUUM_DEAD_ROWS if dead_rows is None else dead_rows
    if connection.vendor != "postgresql" or threshold <= 0:
        return []
    due = _tables_with_dead_rows(threshold)
    for table, dead in due:
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {sql.quote(table)}")
        logger.info("vacuumed %s (%d dead rows) in %.1f s", table, dead, time.monotonic() - started)
    return [table for table, _ in due]


def _tables_with_dead_rows(threshold: int) -> list[tuple[str, int]]:
    """Those over the threshold that no VACUUM (ours from an earlier run, or autovacuum) is
    working on: a second one would wait for the first, holding a worker thread."""
    statement = (
        "SELECT relname, n_dead_tup FROM pg_stat_user_tables"
        " WHERE schemaname = current_schema() AND relname = ANY(%s) AND n_dead_tup >= %s"
        " AND relid NOT IN (SELECT relid FROM pg_stat_progress_vacuum) ORDER BY relname"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [rewritten_tables(), threshold])
        return [(table, int(dead)) for table, dead in cursor.fetchall()]

"""Keeping the database in shape: finished executions purged past their retention (retention), and
the tables every attempt rewrites vacuumed where autovacuum has not (vacuum). Beat runs both
(CELERY_BEAT_SCHEDULE: tasks_app.tasks.purge_expired_executions and vacuum_rewritten_tables)."""

from __future__ import annotations

from tasks_app.maintenance.retention import Purged, purge_expired_executions
from tasks_app.maintenance.vacuum import vacuum_rewritten_tables

__all__ = ["Purged", "purge_expired_executions", "vacuum_rewritten_tables"]

"""Jobs known by their name, the key a dialect's clients hold (DESIGN.md's naming table): create
or replace one, and hold a name across namespaces for a dialect whose names are global there.
The dialect packages compose these with their own wording of refusals."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import connection

from tasks_app import selectors
from tasks_app.exceptions import Conflict
from tasks_app.models import Job
from tasks_app.services.jobs import create_job, update_job


def create_or_replace_job(*, dialect: str, namespace: str, name: str, **fields: Any) -> Job:
    """Create the job; when one of that name exists (or another caller creates it meanwhile), it
    takes ``fields`` instead, in one ``update_job`` (one transaction: nothing fires on half of it)."""
    job = selectors.job_named(dialect=dialect, namespace=namespace, name=name)
    if job is None:
        try:
            return create_job(dialect=dialect, namespace=namespace, name=name, **fields)
        except Conflict:
            job = selectors.job_named(dialect=dialect, namespace=namespace, name=name)
            if job is None:
                raise
    return update_job(job=job, **fields)


def hold_job_name(*, dialect: str, name: str, other_than: int | None = None) -> Job | None:
    """Serialise the writers of ``name`` in ``dialect`` until the transaction ends, and return the
    job (other than ``other_than``) that already bears it in any namespace, the caller's scope
    notwithstanding: the database's unique constraint covers one namespace only."""
    _lock(f"{dialect}:{name}")
    return Job._base_manager.filter(dialect=dialect, name=name).exclude(pk=other_than or 0).first()


def _lock(key: str) -> None:
    """A transaction-scoped advisory lock on PostgreSQL. SQLite needs nothing: its transactions
    begin IMMEDIATE, so writers are already serialised."""
    if connection.vendor == "postgresql":
        number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])

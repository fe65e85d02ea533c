"""Clients as the console's users: an operator (superuser), a staff member without permissions,
and a logged-in user without staff rights."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from tasks_app import services
from tasks_app.callbacks import Outcome
from tasks_app.models import Execution, Job


@pytest.fixture(autouse=True)
def _console_cache() -> Iterator[None]:
    """The dashboard caches settled hours; each test starts without them."""
    cache.clear()
    yield
    cache.clear()


def client_for(**flags: Any) -> Client:
    user = get_user_model().objects.create_user(username=f"user-{len(flags)}-{sorted(flags)}", password="pw-for-tests", **flags)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def operator(db: None) -> Client:
    return client_for(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_without_permissions(db: None) -> Client:
    return client_for(is_staff=True)


@pytest.fixture
def not_staff(db: None) -> Client:
    return client_for()


def finished_run(job: Job, *, succeeded: bool, error: str = "", now: datetime | None = None) -> Execution:
    """A run now that ended, recorded by the services as a worker records it."""
    execution = services.trigger_job(job=job)
    outcome = Outcome(
        succeeded=succeeded, request={"method": "POST", "url": job.callback["url"]}, response_status=200 if succeeded else 500,
        response_body="ok" if succeeded else "boom", response_headers={"Content-Type": "text/plain"}, error=error,
    )  # fmt: skip
    services.record_outcome(execution=execution, outcome=outcome, now=now)
    execution.refresh_from_db()
    return execution

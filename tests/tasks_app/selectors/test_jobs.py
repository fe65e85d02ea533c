"""Jobs as the dialects find them: by name, by id within a dialect, their attempts; always
within the caller's scope."""

from __future__ import annotations

import pytest

from tasks_app import scope, selectors, services
from tasks_app.models import Dialect, ExecutionStatus
from tests.factories import make_job

pytestmark = pytest.mark.django_db


def test_a_job_is_found_by_its_dialect_namespace_and_name() -> None:
    wanted = make_job(dialect=Dialect.XTIMER, namespace="app", name="nightly")
    make_job(dialect=Dialect.V1, namespace="app", name="nightly")
    make_job(dialect=Dialect.XTIMER, namespace="other", name="nightly")
    assert selectors.job_named(dialect=Dialect.XTIMER, namespace="app", name="nightly") == wanted
    assert selectors.job_named(dialect=Dialect.XTIMER, namespace="app", name="daily") is None


def test_without_a_namespace_the_oldest_job_of_that_name_is_found() -> None:
    oldest = make_job(dialect=Dialect.CRONTAB, namespace="b", name="shared")
    make_job(dialect=Dialect.CRONTAB, namespace="a", name="shared")
    assert selectors.job_named(dialect=Dialect.CRONTAB, name="shared") == oldest


def test_jobs_named_leaves_out_the_parts_not_given_newest_first() -> None:
    first, second = make_job(namespace="billing", name="Invoice-1"), make_job(namespace="billing", name="invoice-2")
    make_job(namespace="other", name="invoice-3")
    assert list(selectors.jobs_named(namespace="billing")) == [second, first]
    assert list(selectors.jobs_named(namespace="billing", name_contains="INVOICE")) == [second, first]
    assert list(selectors.jobs_named(namespace="")) == []  # empty is a value, not "any"


def test_a_job_of_another_dialect_or_namespace_is_not_found_by_id() -> None:
    job = make_job(dialect=Dialect.XTIMER, namespace="app")
    assert selectors.job_of(dialect=Dialect.XTIMER, job_id=job.pk, namespace="app") == job
    assert selectors.job_of(dialect=Dialect.XTIMER, job_id=job.pk) == job
    assert selectors.job_of(dialect=Dialect.XTIMER, job_id=job.pk, namespace="other") is None
    assert selectors.job_of(dialect=Dialect.CRONTAB, job_id=job.pk) is None


def test_a_scoped_caller_does_not_find_another_tenants_job() -> None:
    make_job(dialect=Dialect.DISPATCH, namespace="bob-group", name="task")
    with scope.using(scope.Scope(patterns=("alice-*",))):
        assert selectors.job_named(dialect=Dialect.DISPATCH, namespace="bob-group", name="task") is None
        assert not selectors.jobs_named(dialect=Dialect.DISPATCH).exists()


def test_attempts_begun_leave_out_the_queued_ones() -> None:
    job = make_job()
    queued, begun = services.trigger_job(job=job), services.trigger_job(job=job)
    begun.status = ExecutionStatus.FAILED
    begun.save()
    assert list(selectors.executions(job=job)) == [begun, queued]
    assert list(selectors.attempts_begun(job=job)) == [begun]
    assert list(selectors.executions(status=ExecutionStatus.QUEUED)) == [queued]

"""Jobs known by their name: create or replace one; hold a name across namespaces."""

from __future__ import annotations

import pytest
from django.db import transaction

from tasks_app import scope, services
from tasks_app.exceptions import Conflict
from tasks_app.models import Dialect, Job

pytestmark = pytest.mark.django_db
NOW = {"kind": "now"}
CALLBACK = {"kind": "http", "url": "http://127.0.0.1:9/run"}


def named(**fields: object) -> Job:
    return services.create_or_replace_job(dialect=Dialect.DISPATCH, namespace="group", name="task", callback=CALLBACK, **fields)  # type: ignore[arg-type]


def test_a_new_name_is_created_and_an_existing_one_replaced_in_place() -> None:
    created = named(trigger=NOW, priority=1)
    services.pause_job(job=created)
    replaced = named(trigger={"kind": "delay", "seconds": 60}, priority=7, enabled=True)
    assert replaced.pk == created.pk and Job.objects.count() == 1
    assert (replaced.trigger["kind"], replaced.priority, replaced.enabled) == ("delay", 7, True)


def test_the_same_name_in_another_namespace_is_another_job() -> None:
    named(trigger=NOW)
    other = services.create_or_replace_job(dialect=Dialect.DISPATCH, namespace="group-2", name="task", trigger=NOW, callback=CALLBACK)
    assert Job.objects.count() == 2 and other.namespace == "group-2"


def test_a_held_name_is_found_in_any_namespace_whatever_the_callers_scope() -> None:
    bobs = services.create_job(dialect=Dialect.CRONTAB, namespace="bob-mod", name="shared", trigger=NOW, callback=CALLBACK)
    with transaction.atomic(), scope.using(scope.Scope(patterns=("alice-*",))):
        assert services.hold_job_name(dialect=Dialect.CRONTAB, name="shared") == bobs
        assert services.hold_job_name(dialect=Dialect.CRONTAB, name="shared", other_than=bobs.pk) is None
        assert services.hold_job_name(dialect=Dialect.V1, name="shared") is None


def test_the_database_still_refuses_a_second_job_of_one_name_in_one_namespace() -> None:
    services.create_job(dialect=Dialect.DISPATCH, namespace="group", name="task", trigger=NOW, callback=CALLBACK)
    with pytest.raises(Conflict):
        services.create_job(dialect=Dialect.DISPATCH, namespace="group", name="task", trigger=NOW, callback=CALLBACK)

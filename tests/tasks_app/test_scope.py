"""Namespace patterns, as the scoped managers apply them in the database (SQLite's REGEXP and
PostgreSQL's ~ alike) and as ``Scope.sees`` reads them."""

from __future__ import annotations

import pytest

from tasks_app import scope
from tasks_app.exceptions import Forbidden, QuotaExceeded
from tasks_app.models import Execution, Job
from tests.factories import make_job

NAMESPACES = ["billing", "billing-eu", "a.b", "axb", "team-1", "team-12", "x(y)", "Billing", "50%_off"]
CASES = [
    (("billing",), ["billing"]),
    (("billing*",), ["billing", "billing-eu"]),
    (("a.b",), ["a.b"]),
    (("team-?",), ["team-1"]),
    (("team-*", "x(y)"), ["team-1", "team-12", "x(y)"]),
    (("50%_off",), ["50%_off"]),
    (("*",), sorted(NAMESPACES)),
    ((), []),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("patterns", "seen"), CASES)
def test_patterns_select_the_same_namespaces_in_the_database_and_in_python(patterns: tuple[str, ...], seen: list[str]) -> None:
    for namespace in NAMESPACES:
        job = make_job(namespace=namespace, trigger={"kind": "delay", "seconds": 3600})
        Execution.objects.create(job=job, scheduled_for=job.created_at, attempt=1, due_at=job.created_at)
    caller = scope.Scope(patterns=patterns)
    with scope.using(caller):
        assert sorted(Job.objects.values_list("namespace", flat=True)) == sorted(seen)
        assert sorted(Execution.objects.values_list("job__namespace", flat=True)) == sorted(seen)
    assert sorted(n for n in NAMESPACES if caller.sees(n)) == sorted(seen)
    assert Job.objects.count() == len(NAMESPACES)  # outside the block: everything again


def test_refusals_name_the_token_and_the_reason() -> None:
    reader = scope.Scope(patterns=("a-*",), read_only=True, holder="the token 'r'")
    with pytest.raises(Forbidden, match="the token 'r' is read-only"):
        reader.require_write("a-1")
    with pytest.raises(Forbidden, match="does not hold namespace 'b'"):
        scope.Scope(patterns=("a-*",)).require_write("b")
    with pytest.raises(QuotaExceeded, match="at most 3 jobs"):
        scope.Scope(patterns=("a-*",), max_jobs=3).require_room_for_job(3)

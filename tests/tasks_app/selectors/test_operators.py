"""Alert rules and the audit trail, in order, filtered, and within the caller's scope."""

from __future__ import annotations

import pytest

from tasks_app import scope, selectors
from tasks_app.services import alerts, audit

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/alerts"
BILLING = scope.Scope(patterns=("billing-*",))


def test_rules_come_oldest_first_and_a_scoped_caller_sees_those_within_its_namespaces() -> None:
    everywhere = alerts.create_alert_rule(namespace="*", url=URL)
    billing = alerts.create_alert_rule(namespace="billing-*", url=URL)
    assert list(selectors.alert_rules()) == [everywhere, billing]
    with scope.using(BILLING):
        assert list(selectors.alert_rules()) == [billing]


def record(namespace: str, object_id: int) -> None:
    audit.record(action="create", object_type="job", object_id=object_id, namespace=namespace)


def test_entries_come_newest_first_filtered_by_what_is_given() -> None:
    record("billing-a", 1)
    record("billing-b", 2)
    record("billing-a", 3)
    newest_first = [int(entry.object_id) for entry in selectors.audit_entries()]
    assert newest_first == [3, 2, 1]
    assert [int(entry.object_id) for entry in selectors.audit_entries(namespace="billing-a")] == [3, 1]
    assert [entry.namespace for entry in selectors.audit_entries(object_type="job", object_id="2")] == ["billing-b"]
    assert not selectors.audit_entries(object_type="service").exists()


def test_a_scoped_caller_reads_only_the_entries_of_its_namespaces() -> None:
    record("billing-a", 1)
    record("other", 2)
    with scope.using(BILLING):
        assert [entry.namespace for entry in selectors.audit_entries()] == ["billing-a"]
        assert not selectors.audit_entries(namespace="other").exists()

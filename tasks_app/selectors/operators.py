"""Reading what operators keep: alert rules and the audit trail. Both go through the scoped
managers, made per call: a scoped caller sees the rules whose pattern and the entries whose
namespace lie within its own namespaces."""

from __future__ import annotations

from django.db.models import QuerySet

from tasks_app.models import AlertRule, AuditEntry


def alert_rules() -> QuerySet[AlertRule]:
    """The rules the caller sees, oldest first."""
    return AlertRule.objects.order_by("id")


def audit_entries(*, namespace: str | None = None, object_type: str | None = None, object_id: str | None = None) -> QuerySet[AuditEntry]:
    """Audit entries, newest first; a filter left out (None) matches every value."""
    filters = {"namespace": namespace, "object_type": object_type, "object_id": object_id}
    return AuditEntry.objects.filter(**{field: value for field, value in filters.items() if value is not None}).order_by("-id")

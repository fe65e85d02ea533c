"""The audit trail: one row per change an operator or a client made, whichever way it came in."""

from __future__ import annotations

from django.db import models

from tasks_app.models.scoped import NamespaceScopedManager


class AuditEntry(models.Model):
    at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=200, blank=True, default="", help_text="the user, or the token's name")
    via = models.CharField(max_length=32, help_text="v1, hangfire, xtimer, crontab, dispatch, queues, grpc, admin, system")
    action = models.CharField(max_length=32, help_text="create, update, pause, resume, trigger, delete, rotate…")
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300, blank=True, default="")
    namespace = models.CharField(max_length=200, blank=True, default="")
    # {"field": [before, after]}; secret-looking values are stored as "***".
    changes = models.JSONField(default=dict, blank=True)

    # A scoped token reads the entries of its own namespaces only.
    objects = NamespaceScopedManager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "-id"], name="audit_object"),
            models.Index(fields=["namespace", "-id"], name="audit_namespace"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor or '-'} via {self.via}: {self.action} {self.object_type} {self.object_id}"

"""Alert rules: tell a webhook when a job keeps failing, remind while it does, and say when it
recovers. One AlertState per (rule, failing job) holds the run of failures and when the last
notice went out; it is deleted when the job succeeds again."""

from __future__ import annotations

from django.db import models

from tasks_app.models.scoped import NamespaceScopedManager


class AlertRule(models.Model):
    namespace = models.CharField(max_length=200, default="*", help_text="jobs whose namespace matches this pattern (fnmatch: billing-*, *)")
    url = models.CharField(max_length=500, help_text="the webhook that receives the notices (POST, JSON)")
    after_failures = models.PositiveIntegerField(default=3, help_text="consecutive failed attempts of a job before the first notice")
    remind_every_seconds = models.PositiveIntegerField(default=3600, help_text="while still failing, notify again after this long")
    email = models.CharField(max_length=500, blank=True, default="", help_text="optional: also e-mail these addresses (comma-separated)")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # A scoped token sees the rules whose pattern lies within its own namespaces.
    objects = NamespaceScopedManager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"alert rule {self.pk} ({self.namespace} → {self.url})"


class AlertState(models.Model):
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="states")
    job = models.ForeignKey("tasks_app.Job", on_delete=models.CASCADE, related_name="+")
    failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    # None: not announced yet (fewer failures than the rule asks for).
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "job"], name="alert_state_once_per_job")]
        indexes = [models.Index(fields=["job"], name="alert_state_job")]

    def __str__(self) -> str:
        return f"job {self.job_id}: {self.failures} failure(s) under rule {self.rule_id}"

"""The service registry: where the callers' services live, so a job can name a service and a
message (as producers that know services by number do) instead of a URL. Resolved when a job runs."""

from __future__ import annotations

from django.db import models

from tasks_app.models.scoped import ServiceManager, ServiceRouteManager


class Service(models.Model):
    """A service by its numeric id (the ``serviceId`` its producers name it by). Its consumer endpoint
    (``base_url`` + ``consumer_path``) receives ``consume`` calls; its routes receive transfers."""

    service_id = models.IntegerField(unique=True, help_text="the id callers name the service by")
    base_url = models.CharField(max_length=500, help_text="http(s)://host:port, no trailing path needed")
    consumer_path = models.CharField(max_length=500, blank=True, default="", help_text="appended to base_url for consume calls")
    timeout_seconds = models.FloatField(default=30.0)
    headers = models.JSONField(default=dict, blank=True, help_text="sent with every call to the service")
    # None: the default policy of the dialect that makes the service's jobs; an object overrides it.
    retry = models.JSONField(null=True, blank=True, help_text='e.g. {"delays_seconds": [10, 60]}; empty: the default')
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ServiceManager()

    class Meta:
        ordering = ["service_id"]

    def __str__(self) -> str:
        return f"service {self.service_id} ({self.base_url})"

    def url_for(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


class ServiceRoute(models.Model):
    """Where a transfer of one message of a service goes: ``method`` ``base_url`` + ``path``."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="routes")
    message_id = models.IntegerField()
    method = models.CharField(max_length=8, default="POST")
    path = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ServiceRouteManager()

    class Meta:
        ordering = ["service_id", "message_id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "message_id"], name="service_route_once_per_message"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} (message {self.message_id})"

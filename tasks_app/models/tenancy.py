"""Tenants: API clients (namespace-scoped tokens) and each namespace's webhook signing secret."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tasks_app.scope import Scope


class ApiClient(models.Model):
    """A token scoped to namespace patterns. Only the key's SHA-256 digest is stored (keys are 256
    random bits: a fast digest is as good as a slow one); the key is shown once, when made. Its
    own user account (no password, not staff) is who the API sees as the caller."""

    name = models.CharField(max_length=100, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_client", editable=False)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(max_length=12, editable=False, help_text="the key's first characters, to tell keys apart")
    namespaces = models.JSONField(default=list, help_text='shell-style patterns, e.g. ["billing", "team-a-*"]')
    read_only = models.BooleanField(default=False)
    rate = models.CharField(max_length=20, blank=True, default="", help_text="requests allowed, e.g. 120/min; empty: API_THROTTLE_RATE")
    max_jobs = models.PositiveIntegerField(null=True, blank=True, help_text="jobs it may hold in its namespaces; empty: no quota")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"API token {self.name} ({', '.join(self.namespaces)})"

    @property
    def scope(self) -> Scope:
        return Scope(patterns=tuple(self.namespaces), read_only=self.read_only, max_jobs=self.max_jobs, holder=f"the token {self.name!r}")


class SigningSecret(models.Model):
    """A namespace's Standard Webhooks secret (``whsec_`` + base64); after a rotation the previous
    one stays valid until ``previous_valid_until`` and calls carry both signatures meanwhile."""

    namespace = models.CharField(max_length=200, unique=True)
    secret = models.CharField(max_length=200)
    previous_secret = models.CharField(max_length=200, blank=True, default="")
    previous_valid_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"signing secret of {self.namespace}"

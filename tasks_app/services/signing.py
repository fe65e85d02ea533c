"""Each namespace's Standard Webhooks signing secret: made on first use, rotated on request with
the previous one still valid for SIGNING_SECRET_GRACE_SECONDS. Decision 1003."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tasks_app import scope
from tasks_app.exceptions import NotFound
from tasks_app.models import SigningSecret
from tasks_app.services import audit

PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _visible(namespace: str) -> str:
    if not isinstance(namespace, str) or not namespace.strip() or not scope.current().sees(namespace):
        raise NotFound(f"no namespace {namespace!r}", field="namespace")
    return namespace


def signing_secret(*, namespace: str) -> SigningSecret:
    """The namespace's secret, made now if it has none yet."""
    namespace = _visible(namespace)
    found = SigningSecret.objects.filter(namespace=namespace).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return SigningSecret.objects.create(namespace=namespace, secret=new_secret())
    except IntegrityError:  # made by another caller a moment ago
        return SigningSecret.objects.get(namespace=namespace)


@transaction.atomic
def rotate_signing_secret(*, namespace: str, now: datetime | None = None) -> SigningSecret:
    """A new secret; the one it replaces still signs (beside it) for the grace period."""
    scope.current().require_write(_visible(namespace))
    signing_secret(namespace=namespace)
    now = now or timezone.now()
    row = SigningSecret.objects.select_for_update().get(namespace=namespace)
    row.previous_secret, row.secret = row.secret, new_secret()
    row.previous_valid_until = now + timedelta(seconds=settings.SIGNING_SECRET_GRACE_SECONDS)
    row.rotated_at = now
    row.save()
    # Recorded as the audit trail records every secret: that it changed, never its value.
    audit.record(
        action="rotate", object_type="signing_secret", object_id=row.pk, namespace=namespace,
        changes=audit.diff({"secret": "old"}, {"secret": "new"}), label=str(row),
    )  # fmt: skip
    return row


def valid_secrets(row: SigningSecret, now: datetime) -> list[str]:
    """The secrets a call is signed with now: the current one, and the previous within its grace."""
    previous = row.previous_secret if row.previous_valid_until and row.previous_valid_until > now else ""
    return [row.secret, previous] if previous else [row.secret]

"""A deployment's one-shot bootstrap: the admin user and its API token, from the environment.

ADMIN_USERNAME (default ``admin``), ADMIN_EMAIL, ADMIN_PASSWORD (generated when unset) and
ADMIN_API_TOKEN (a key from the operator's secret store; generated when unset). Safe to run on
every deploy: an existing user keeps its password and an existing token is kept, so a secret is
printed only the one time it is made."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

TOKEN_MAX_LENGTH = Token._meta.get_field("key").max_length or 40


class Command(BaseCommand):
    help = "Create the admin user and its API token from ADMIN_* environment variables (printed once)."

    def handle(self, *args: Any, **options: Any) -> None:
        username = os.environ.get("ADMIN_USERNAME") or "admin"
        wanted_token = os.environ.get("ADMIN_API_TOKEN") or ""
        if len(wanted_token) > TOKEN_MAX_LENGTH:
            raise CommandError(f"ADMIN_API_TOKEN is longer than {TOKEN_MAX_LENGTH} characters")
        with transaction.atomic():
            password = self._ensure_user(username)
            token = self._ensure_token(username, wanted_token)
        self._report(username, password, token)

    def _ensure_user(self, username: str) -> str | None:
        """The generated password of a new user (None when it existed or the password was given)."""
        users = get_user_model().objects
        if users.filter(username=username).exists():
            return None
        given = os.environ.get("ADMIN_PASSWORD")
        password = given or secrets.token_urlsafe(16)
        users.create_superuser(username=username, email=os.environ.get("ADMIN_EMAIL", ""), password=password)
        return None if given else password

    def _ensure_token(self, username: str, wanted: str) -> str | None:
        """The key of a token made now (None when the user had one)."""
        user = get_user_model().objects.get(username=username)
        if Token.objects.filter(user=user).exists():
            return None
        if wanted and Token.objects.filter(key=wanted).exists():
            raise CommandError("ADMIN_API_TOKEN is already another user's token")
        return str(Token.objects.create(user=user, key=wanted or Token.generate_key()).key)

    def _report(self, username: str, password: str | None, token: str | None) -> None:
        lines = [f"admin user {username!r} is ready"]
        if password:
            lines.append(f"  generated admin password (shown once): {password}")
        if token:
            lines.append(f"  API token (shown once): Authorization: Token {token}")
        else:
            lines.append("  it has an API token already (not shown again)")
        self.stdout.write("\n".join(lines))

"""Create the local admin user and its API token on first run, and print them once."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Create a local admin user and API token if there is no user yet (printed once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        users = get_user_model().objects
        if users.exists():
            self.stdout.write("users exist already; nothing created (make a token with: manage.py drf_create_token USER)")
            return
        password = secrets.token_urlsafe(12)
        user = users.create_superuser(username=username, email="", password=password)
        token = Token.objects.create(user=user)
        self.stdout.write(
            "\n".join(
                [
                    "Created the local admin user (shown once, keep it):",
                    f"  admin login:  {username} / {password}",
                    f"  API token:    Authorization: Token {token.key}",
                ]
            )
        )

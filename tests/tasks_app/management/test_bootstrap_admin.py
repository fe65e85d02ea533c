"""The deployment's bootstrap: admin user and API token from the environment, secrets shown once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def run(capsys) -> str:
    call_command("bootstrap_admin")
    return capsys.readouterr().out


def test_creates_the_admin_and_prints_a_generated_token_once(monkeypatch, capsys) -> None:
    monkeypatch.setenv("ADMIN_USERNAME", "ops")
    monkeypatch.setenv("ADMIN_PASSWORD", "given-password")
    first = run(capsys)
    token = Token.objects.get(user__username="ops")
    assert f"Authorization: Token {token.key}" in first and "given-password" not in first
    user = get_user_model().objects.get(username="ops")
    assert user.is_superuser and user.check_password("given-password")
    second = run(capsys)
    assert token.key not in second and "not shown again" in second
    assert Token.objects.count() == 1


def test_takes_the_token_from_the_operators_secret_store(monkeypatch, capsys) -> None:
    monkeypatch.setenv("ADMIN_API_TOKEN", "k" * 40)
    run(capsys)
    assert Token.objects.get(user__username="admin").key == "k" * 40


def test_a_missing_password_is_generated_and_shown_once(monkeypatch, capsys) -> None:
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    out = run(capsys)
    password = out.split("generated admin password (shown once): ")[1].split()[0]
    assert get_user_model().objects.get(username="admin").check_password(password)
    assert "password" not in run(capsys)


def test_a_token_too_long_for_the_table_is_refused_before_anything_is_written(monkeypatch) -> None:
    monkeypatch.setenv("ADMIN_API_TOKEN", "k" * 41)
    with pytest.raises(CommandError, match="longer than 40"):
        call_command("bootstrap_admin")
    assert not get_user_model().objects.exists()

"""Abuse limits: per-token rates (429 + Retry-After in each dialect's envelope), the admin's
login lockout, the token command, and a deployment check with the README's production settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, override_settings

from tests.api_app.tenancy.conftest import client_with, scoped

ROOT = Path(__file__).resolve().parents[3]
# Each dialect's way in, and what its envelope looks like when throttled.
DIALECTS = [
    ("get", "/api/v1/jobs", lambda body: body["code"] == "throttled"),
    ("get", "/xtimer/getTimers?app=lim-a", lambda body: body["code"] != 0 and "throttled" in body["message"].lower()),
    ("post", "/crontab/query_task_status", lambda body: body["state"] == 1),
    ("post", "/dispatchserver/pause.do", lambda body: body["success"] is False),
    ("post", "/api/hangfire/enqueue", lambda body: body["returnCode"] == 429),
    ("post", "/api/queues/QueryLengthByChannel", lambda body: body["State"] == 429),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "is_envelope"), DIALECTS)
def test_a_tokens_own_rate_is_enforced_in_each_dialects_envelope(redis_client, method, path, is_envelope) -> None:
    client = scoped("limited", ["lim-*"], rate="3/min")
    statuses = [getattr(client, method)(path, {}, format="json").status_code for _ in range(3)]
    assert 429 not in statuses
    throttled = getattr(client, method)(path, {}, format="json")
    assert throttled.status_code == 429 and 1 <= int(throttled["Retry-After"]) <= 60
    assert is_envelope(throttled.json()), throttled.json()


@pytest.mark.django_db
@override_settings(API_THROTTLE_RATE="5/min")
def test_the_default_rate_applies_per_token(redis_client) -> None:
    first, second = scoped("one", ["one"]), scoped("two", ["two"])
    assert [first.get("/api/v1/jobs").status_code for _ in range(6)][-1] == 429
    assert second.get("/api/v1/jobs").status_code == 200


@pytest.mark.django_db
@override_settings(API_AUTH_FAILURE_RATE="5/min")
def test_wrong_tokens_from_one_address_are_throttled(redis_client) -> None:
    guesser = client_with("jpk_guess")
    statuses = [guesser.get("/api/v1/jobs", REMOTE_ADDR="10.9.9.9").status_code for _ in range(7)]
    assert statuses == [401] * 5 + [429] * 2
    throttled = guesser.get("/xtimer/getTimers?app=a", REMOTE_ADDR="10.9.9.9")
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) >= 1 and throttled.json()["code"] != 0
    assert client_with("jpk_guess").get("/api/v1/jobs", REMOTE_ADDR="10.8.8.8").status_code == 401


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=10)
def test_admin_login_locks_a_username_at_an_address_after_ten_failures() -> None:
    get_user_model().objects.create_user(username="ops", password="right-password", is_staff=True)
    browser = Client(REMOTE_ADDR="10.1.1.1")
    for _ in range(10):
        wrong = browser.post("/admin/login/", {"username": "ops", "password": "wrong", "next": "/admin/"})
    assert wrong.status_code in (200, 429)
    locked = browser.post("/admin/login/", {"username": "ops", "password": "right-password", "next": "/admin/"})
    assert locked.status_code == 429 and not browser.session.get("_auth_user_id")
    elsewhere = Client(REMOTE_ADDR="10.2.2.2").post("/admin/login/", {"username": "ops", "password": "right-password", "next": "/admin/"})
    assert elsewhere.status_code == 302


@pytest.mark.django_db
def test_create_api_token_prints_the_key_alone_on_the_last_line(capsys) -> None:
    call_command(
        "create_api_token", "ci", "--namespace", "ci-*", "--namespace", "build", "--read-only", "--rate", "10/min", "--max-jobs", "3"
    )
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("jpk_") and " " not in key
    client = client_with(key)
    assert client.get("/api/v1/jobs").status_code == 200
    assert client.post("/api/v1/jobs", {}, format="json").status_code in (400, 403)


def test_check_deploy_is_clean_with_the_production_settings_in_the_readme(tmp_path) -> None:
    production = {
        "SECRET_KEY": "kq3-" + "".join(chr(ord("a") + n % 26) for n in range(7, 7 * 60, 7)),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "jobs.example.com",
        "HTTPS_ONLY": "true",
        "HSTS_PRELOAD": "true",
        "VAR_DIR": str(tmp_path),
    }
    env = (
        {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        | production
        | {"DJANGO_SETTINGS_MODULE": "scheduler_project.settings"}
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

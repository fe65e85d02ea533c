"""API tokens in the console: made through the service (the key shown once), listed without it,
revoked by the action; signing secrets listed without the secrets."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tasks_app.models import ApiClient
from tasks_app.services import signing

pytestmark = pytest.mark.django_db
TOKENS = "/admin/tasks_app/apiclient/"


def test_an_operator_makes_lists_and_revokes_a_token(operator: Client) -> None:
    form = {"name": "team-a", "namespaces_text": "team-a-*, shared", "rate": "100/min", "max_jobs": "5"}
    made = operator.post(f"{TOKENS}add/", form, follow=True)
    key = re.search(r"shown only now: (jpk_[\w-]+)", made.content.decode()).group(1)
    client = ApiClient.objects.get(name="team-a")
    assert (client.namespaces, client.rate, client.max_jobs, client.read_only) == (["team-a-*", "shared"], "100/min", 5, False)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/jobs").status_code == 200
    listing = operator.get(TOKENS).content.decode()
    assert "team-a" in listing and key not in listing and key[:12] in listing
    operator.post(TOKENS, {"action": "revoke", "_selected_action": [client.pk]})
    assert not ApiClient.objects.exists() and api.get("/api/v1/jobs").status_code == 401


def test_a_bad_token_form_saves_nothing(operator: Client) -> None:
    page = operator.post(f"{TOKENS}add/", {"name": "bad", "namespaces_text": "x", "rate": "fast"})
    assert page.status_code == 200 and "requests per period" in page.content.decode()
    assert not ApiClient.objects.exists()


def test_signing_secrets_are_listed_without_the_secret(operator: Client) -> None:
    secret = signing.signing_secret(namespace="billing").secret
    page = operator.get("/admin/tasks_app/signingsecret/").content.decode()
    assert "billing" in page and secret not in page

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def api(db) -> APIClient:
    """A client carrying a real token, as API users call us."""
    user = get_user_model().objects.create_user(username="api-user", password="pw-for-tests", is_staff=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def token(api: APIClient) -> str:
    return Token.objects.get().key

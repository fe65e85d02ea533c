"""The one pager of the dialects: DRF's limit/offset pagination over a window they give."""

from __future__ import annotations

import pytest

from api_app.pagination import numbered_page, paged
from tasks_app.models import Job
from tests.factories import make_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs() -> list[Job]:
    return [make_job() for _ in range(5)]


def test_a_window_and_the_total(jobs: list[Job]) -> None:
    assert paged(Job.objects.order_by("id"), offset=1, limit=2) == (5, jobs[1:3])
    assert paged(Job.objects.order_by("id"), offset=4, limit=10) == (5, jobs[4:])


def test_a_window_past_the_end_is_empty_with_the_total(jobs: list[Job]) -> None:
    assert paged(Job.objects.order_by("id"), offset=5, limit=2) == (5, [])
    assert paged(Job.objects.order_by("id"), offset=2**64, limit=2) == (5, [])
    assert paged(Job.objects.none(), offset=0, limit=2) == (0, [])


def test_numbered_pages_count_from_one(jobs: list[Job]) -> None:
    assert numbered_page(Job.objects.order_by("-id"), number=1, size=2) == (5, [jobs[4], jobs[3]])
    assert numbered_page(Job.objects.order_by("-id"), number=3, size=2) == (5, [jobs[0]])
    assert numbered_page(Job.objects.order_by("-id"), number=4, size=2) == (5, [])

"""The platform's one clock: the database's, whatever the host's clock says."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks_app import clock
from tasks_app.models import Job
from tests.faults import free_port

pytestmark = pytest.mark.django_db


def test_a_host_clock_an_hour_fast_does_not_move_the_platforms_clock(monkeypatch) -> None:
    real_now = timezone.now
    monkeypatch.setattr(clock, "_measured_at", None)  # measure again, under the skewed host clock
    monkeypatch.setattr(clock, "_offset", clock._offset)  # and put the real offset back afterwards
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(hours=1))
    reading = clock.now()
    if connection.vendor == "postgresql":
        assert abs(reading - real_now()) < timedelta(milliseconds=200)
    else:  # SQLite lives on this host: its clock is the host's
        assert reading - real_now() > timedelta(minutes=59)


def test_the_quickest_round_trip_sets_the_offset(monkeypatch) -> None:
    """A reading taken during a slow round trip is off by up to half the trip (here the first two
    replies arrive 400 ms late); the quickest trip's reading is kept."""
    if connection.vendor != "postgresql":  # SQLite: the host's clock, no offset to measure
        assert abs(clock.now() - timezone.now()) < timedelta(seconds=1)
        return
    real_now, calls = timezone.now, []
    late_replies = [timedelta(milliseconds=400)] * 2

    def host_now():
        calls.append(None)
        sample, is_after = (len(calls) - 1) // 2, len(calls) % 2 == 0
        return real_now() + (late_replies[sample] if is_after and sample < len(late_replies) else timedelta(0))

    monkeypatch.setattr(timezone, "now", host_now)
    assert abs(clock._measure_offset()) < timedelta(milliseconds=50)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's clock is the host's: nothing is measured")
def test_the_offset_is_measured_on_the_clocks_own_connection(monkeypatch) -> None:
    """A caller's transaction sees none of the measurement's queries."""
    monkeypatch.setattr(clock, "_measured_at", None)
    monkeypatch.setattr(clock, "_offset", clock._offset)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        clock.now()
    assert clock._measured_at is not None
    assert not [query for query in queries if "clock_timestamp" in query["sql"]]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's clock is the host's: nothing is measured")
def test_a_measurement_that_fails_leaves_the_callers_transaction_and_the_offset(monkeypatch) -> None:
    unreachable = connection.copy()
    unreachable.settings_dict |= {"HOST": "127.0.0.1", "PORT": free_port()}
    unreachable.inc_thread_sharing()
    monkeypatch.setattr(clock, "_own_connection", unreachable)
    monkeypatch.setattr(clock, "_measured_at", None)
    monkeypatch.setattr(clock, "_offset", timedelta(milliseconds=250))
    with transaction.atomic():
        reading = clock.now()
        assert Job.objects.count() == 0  # the caller's transaction goes on
    assert timedelta(milliseconds=200) < reading - timezone.now() < timedelta(milliseconds=300)
    assert clock._own_connection is None  # the next measurement connects afresh

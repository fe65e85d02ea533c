"""The dashboard on the admin's front page."""

from __future__ import annotations

import pytest
from django.test import Client

from tasks_app.admin.dashboard import hourly_chart
from tasks_app.selectors import HourBucket
from tests.factories import make_job
from tests.tasks_app.admin.conftest import finished_run

pytestmark = pytest.mark.django_db


def test_dashboard_shows_states_chart_lateness_next_fires_and_failures(operator: Client) -> None:
    healthy = make_job(name="healthy", trigger={"kind": "cron", "cron": "0 12 * * *", "time_zone": "Asia/Shanghai"})
    broken = make_job(name="broken", trigger={"kind": "cron", "cron": "0 12 * * *"})
    finished_run(healthy, succeeded=True)
    finished_run(broken, succeeded=False, error="ConnectionError: refused")
    page = operator.get("/admin/").content.decode()
    for section in ("jobs-by-state", "fire-lateness", "executions-per-hour", "next-fires", "failing-jobs"):
        assert f'id="{section}"' in page
    assert "<svg" in page and "succeeded: 1" in page and "failed: 1" in page
    assert "every day at 12:00 Asia/Shanghai" in page and "ConnectionError: refused" in page
    assert "http://" not in page.split('id="console-dashboard"')[1].split("</svg>")[0].replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_chart_scales_bars_to_the_busiest_hour_and_labels_each_segment() -> None:
    from datetime import UTC, datetime

    buckets = [HourBucket(datetime(2026, 1, 1, h, tzinfo=UTC), {"succeeded": h, "failed": 1}) for h in range(24)]
    svg = str(hourly_chart(buckets))
    assert svg.count("<rect") == 47  # hour 0 has no successes
    assert "23:00 succeeded: 23" in svg and ">24</text>" in svg  # the peak on the axis
    assert str(hourly_chart([])).startswith("<svg")


def test_dashboard_shows_what_waits_in_each_queue_and_refreshes_itself(operator: Client, redis_client, settings) -> None:
    from tasks_app import services
    from tasks_app.tasks import expire_queue_leases

    for _ in range(2):
        expire_queue_leases.delay()  # no worker runs in this test: the messages wait
    services.create_queue_task(channel="invoices", input="a")
    page = operator.get("/admin/").content.decode()
    depths = page.split('id="queue-depths"')[1].split("</table>")[0]
    assert f'celery: {settings.CELERY_TASK_DEFAULT_QUEUE}</th><td class="console-figure">2<' in depths
    assert 'channel: invoices</th><td class="console-figure">1<' in depths
    assert '<meta http-equiv="refresh" content="30">' in page


def test_the_servers_page_shows_what_waits_in_each_queue(operator: Client, redis_client, settings) -> None:
    from tasks_app import services
    from tasks_app.tasks import expire_queue_leases

    expire_queue_leases.delay()  # no worker runs in this test: the message waits
    services.create_queue_task(channel="invoices", input="a")
    depths = operator.get("/admin/servers/").content.decode().split('id="queue-depths"')[1].split("</table>")[0]
    assert f'celery: {settings.CELERY_TASK_DEFAULT_QUEUE}</th><td class="console-figure">1<' in depths
    assert 'channel: invoices</th><td class="console-figure">1<' in depths

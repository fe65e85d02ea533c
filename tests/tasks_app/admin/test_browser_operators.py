"""The operator's console in a real browser: executions filtered and retried in bulk, times to
the second (to the millisecond on an execution's page), paused jobs without a next fire, and a
dashboard that refreshes itself and shows what waits in the queues."""

from __future__ import annotations

import re
from typing import Any

import pytest
from werkzeug import Response

from tasks_app import services
from tasks_app.models import Execution
from tests.conftest import wait_for
from tests.factories import make_job
from tests.tasks_app.admin.test_browser import FAR_AWAY, beat, console, operator_login  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e
SECONDS = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


@pytest.mark.usefixtures("beat")
def test_operator_filters_failed_executions_and_retries_them(live_server: Any, receiver: Any, operator_login: tuple[str, str]) -> None:  # noqa: F811
    receiver.expect_request("/down").respond_with_handler(lambda request: Response("boom", status=500))
    failing = [make_job(namespace="ledger", name=f"post-{n}", trigger=FAR_AWAY, url=receiver.url_for("/down")) for n in range(2)]
    other = make_job(namespace="mail", name="digest", trigger=FAR_AWAY, url=receiver.url_for("/down"))
    paused = make_job(namespace="mail", name="paused", trigger=FAR_AWAY, enabled=False)
    for job in [*failing, other]:
        services.trigger_job(job=job)
    wait_for(lambda: Execution.objects.filter(status="failed").count() == 3, message="three failures")
    other_execution = Execution.objects.get(job=other).pk  # before the browser: no database calls under Playwright
    with console(live_server.url, operator_login) as page:
        assert page.locator("meta[http-equiv=refresh]").count() == 1 and page.locator("#queue-depths").is_visible()
        page.goto(f"{live_server.url}/admin/tasks_app/execution/")
        assert page.locator("#state-tabs a[data-status=failed]").inner_text() == "failed 3"
        page.click("#state-tabs a[data-status=failed]")
        page.wait_for_url("**status__exact=failed")
        page.locator("#result_list tbody tr").nth(2).wait_for()
        assert page.locator("#result_list tbody tr").count() == 3 and "chosen" in page.locator(
            "#state-tabs li", has_text="failed"
        ).get_attribute("class")
        page.goto(f"{live_server.url}/admin/tasks_app/execution/?namespace=ledger&job__dialect__exact=v1&status__exact=failed")
        rows = page.locator("#result_list tbody tr")
        assert rows.count() == 2 and SECONDS.search(rows.first.locator(".field-scheduled_for").inner_text())
        assert re.search(r"\d+ ms|\d+(\.\d+)? s", rows.first.locator(".field-run_time").inner_text())
        page.click("#action-toggle")
        page.select_option("select[name=action]", "retry")
        page.click("button[name=index]")
        assert "Queued 2 retries" in page.locator(".messagelist").inner_text(), page.locator(".messagelist").inner_text()
        page.goto(f"{live_server.url}/admin/tasks_app/execution/{other_execution}/change/")
        assert re.search(r"\d\d:\d\d:\d\d\.\d{3}", page.locator(".field-started_ms .readonly").inner_text())
        page.goto(f"{live_server.url}/admin/servers/")
        assert page.locator("#queue-depths").is_visible() and page.locator("#servers tbody tr", has_text="worker").count() >= 1
        page.goto(f"{live_server.url}/admin/tasks_app/job/?namespace=mail")
        paused_row = page.locator("#result_list tbody tr", has_text="paused").first
        assert "(paused)" in paused_row.locator(".field-next_fire").inner_text()
    assert paused.enabled is False
    wait_for(lambda: Execution.objects.filter(job__in=failing, attempt=2).count() == 2, message="two retries, one per job")

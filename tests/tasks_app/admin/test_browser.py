"""The console in a real browser, as an operator uses it: Playwright driving Debian's Chromium
against a live server, a real Celery worker on Redis, a beat loop, and a real HTTP receiver.

Chromium is required under CI (a missing one fails the run) and skips these tests elsewhere.
The test thread talks to the database only before and after the browser runs: Playwright's sync
API keeps an event loop in this thread, where Django refuses synchronous database calls."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from werkzeug import Response

from tasks_app import services
from tasks_app.models import Execution, Job
from tasks_app.tasks import send_executions
from tests.conftest import wait_for
from tests.factories import make_job

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
PASSWORD = "operator-password"
FAR_AWAY = {"kind": "cron", "cron": "0 0 1 1 *", "time_zone": "Asia/Shanghai"}  # runs only when asked to


def _chromium_or_skip() -> str:
    path = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if path is None:
        message = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"required under CI: {message}")
        pytest.skip(message)
    return path


@pytest.fixture
def operator_login(transactional_db: None) -> tuple[str, str]:
    get_user_model().objects.create_superuser("operator", "operator@example.com", PASSWORD)
    return "operator", PASSWORD


@pytest.fixture
def beat(celery_worker: Any) -> Iterator[None]:
    """What the beat process does, in a thread: claim due occurrences and send them, every 0.2 s
    (bounded: it stops with the test, or after two minutes)."""
    stop = threading.Event()

    def loop() -> None:
        try:
            for _ in range(600):
                services.claim_due_occurrences()
                services.dispatch_due_executions(send=send_executions)
                if stop.wait(0.2):
                    return
        finally:
            connection.close()

    thread = threading.Thread(target=loop, name="beat-loop", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


@contextmanager
def console(base_url: str, login: tuple[str, str]) -> Iterator[Any]:
    """A logged-in Chromium page on the console."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium_or_skip(), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{base_url}/admin/")
            page.fill("#id_username", login[0])
            page.fill("#id_password", login[1])
            page.click("input[type=submit]")
            yield page
        finally:
            browser.close()


def reload_until(page: Any, condition: Callable[[], bool], *, tries: int = 60) -> None:
    """Reload the page (as an operator would) until ``condition`` holds; at most ``tries`` times."""
    for _ in range(tries):
        if condition():
            return
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError(f"gave up after {tries} reloads of {page.url}")


def status_of_execution(page: Any) -> str:
    return str(page.locator(".field-status_badge .readonly").inner_text().strip())


def run_now_and_see_success(page: Any) -> None:
    """On a job's page: Run now, follow the message to the execution, wait for its outcome."""
    page.click("#run-now")
    page.click(".messagelist a")  # "Queued a run now: execution N"
    reload_until(page, lambda: status_of_execution(page) in ("succeeded", "failed"))
    assert status_of_execution(page) == "succeeded", page.locator("#content-main").inner_text()


@pytest.mark.usefixtures("beat")
def test_operator_creates_a_job_in_the_console_and_runs_it(live_server: Any, receiver: Any, operator_login: tuple[str, str]) -> None:
    receiver.expect_request("/hello", method="POST").respond_with_data("hello back")
    callback = {"kind": "http", "url": receiver.url_for("/hello"), "method": "POST", "timeout_seconds": 5}
    with console(live_server.url, operator_login) as page:
        assert page.locator("#jobs-by-state").is_visible() and page.locator("#executions-per-hour svg").count() == 1
        page.click("a[href='/admin/tasks_app/job/add/']")
        page.fill("#id_namespace", "console")
        page.fill("#id_name", "hello")
        page.select_option("#id_trigger_kind", "cron")
        page.fill("#id_trigger_cron", "0 0 1 13 *")  # no month 13: refused on its field, nothing saved
        page.fill("#id_trigger_time_zone", FAR_AWAY["time_zone"])
        page.fill("#id_callback_url", callback["url"])
        page.select_option("#id_callback_method", callback["method"])
        page.fill("#id_callback_timeout_seconds", str(callback["timeout_seconds"]))
        page.click("input[name=_continue]")
        page.locator(".field-trigger_cron .errorlist").wait_for()  # the same form again, the error on its field
        page.fill("#id_trigger_cron", FAR_AWAY["cron"])
        page.click("input[name=_continue]")
        assert "every day" not in page.locator(".field-schedule").inner_text()  # it is yearly
        assert "at 00:00, on day 1 of the month, only in January" in page.locator(".field-schedule").inner_text()
        run_now_and_see_success(page)
        assert "hello back" in page.locator(".field-body_view").inner_text()
    job = Job.objects.get(namespace="console", name="hello")
    assert job.periodic_task is not None and Execution.objects.get(job=job).response_body == "hello back"


@pytest.mark.usefixtures("beat")
def test_operator_finds_a_failing_job_reads_why_fixes_its_url_and_sees_it_succeed(
    live_server: Any, receiver: Any, operator_login: tuple[str, str]
) -> None:
    receiver.expect_request("/ok").respond_with_data("fine")
    receiver.expect_request("/moved").respond_with_handler(lambda request: Response("no such endpoint", status=404))
    healthy = [make_job(namespace="shop", name=f"sync-{n}", trigger=FAR_AWAY, url=receiver.url_for("/ok")) for n in range(12)]
    broken = make_job(namespace="shop", name="invoice-export", trigger=FAR_AWAY, url=receiver.url_for("/moved"))
    for job in [*healthy[:3], broken]:
        services.trigger_job(job=job)
    wait_for(lambda: Execution.objects.filter(status__in=["succeeded", "failed"]).count() == 4, message="the first runs")
    with console(live_server.url, operator_login) as page:
        page.click("#failing-jobs a:has-text('invoice-export')")  # on the dashboard: failing most
        page.goto(f"{live_server.url}/admin/tasks_app/job/?outcome=failed")  # or: the list, filtered
        assert page.locator("#result_list tbody tr").count() == 1
        page.click("#result_list a:has-text('invoice-export')")
        assert "HTTP 404" in page.locator(".field-latest_executions").inner_text()
        page.click(".field-latest_executions tbody a")  # the failed execution: why
        assert status_of_execution(page) == "failed"
        assert "no such endpoint" in page.locator(".field-body_view").inner_text()
        assert "/moved" in page.locator(".field-request_view").inner_text()
        page.click(".object-tools a:has-text('Job')")
        page.fill("#id_callback_url", page.input_value("#id_callback_url").replace("/moved", "/ok"))
        page.click("input[name=_continue]")
        assert "/ok" in page.locator(".field-callback_summary").inner_text()
        run_now_and_see_success(page)
    broken.refresh_from_db()
    assert broken.callback["url"] == receiver.url_for("/ok")
    assert list(broken.executions.order_by("id").values_list("status", flat=True)) == ["failed", "succeeded"]

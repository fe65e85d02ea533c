"""The job form's plain fields: they build the trigger and HTTP callback, each error on its own
field; what they cannot show opens as JSON."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tasks_app import secret_headers
from tasks_app.models import Job
from tests.factories import make_job

pytestmark = pytest.mark.django_db
JOBS = "/admin/tasks_app/job/"


def fields(**changes: Any) -> dict[str, Any]:
    values = {
        "namespace": "billing", "name": "nightly", "editor": "fields", "trigger_kind": "cron", "trigger_cron": "0 30 2 * * ?",
        "trigger_time_zone": "Asia/Shanghai", "callback_url": "http://127.0.0.1:9/run", "callback_method": "POST",
        "callback_headers": "X-Token: abc\nX-Trace: 1", "callback_body": '{"a": 1}', "callback_body_format": "json",
        "callback_timeout_seconds": "7", "retry": '{"delays_seconds": [2]}', "enabled": "on", "priority": "0",
        "misfire_policy": "fire_once", "misfire_grace_seconds": "60", "misfire_catchup_limit": "10", "overlap_policy": "allow",
        "trigger": "{}", "callback": "{}",
    } | changes  # fmt: skip
    return {k: v for k, v in values.items() if v is not None}


def errors(response: Any) -> dict[str, list[str]]:
    return {name: list(messages) for name, messages in response.context["adminform"].form.errors.items()}


def test_the_fields_build_the_trigger_and_callback(operator: Client) -> None:
    assert operator.post(f"{JOBS}add/", fields()).status_code == 302
    job = Job.objects.get(name="nightly")
    assert job.trigger["cron"] == "0 30 2 * * ?" and job.trigger["syntax"] == "quartz" and job.time_zone == "Asia/Shanghai"
    assert secret_headers.unseal(job.callback["headers"]) == {"X-Token": "abc", "X-Trace": "1"}  # the token sealed as stored
    assert job.callback["timeout_seconds"] == 7.0
    assert job.callback["body_format"] == "json"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"trigger_cron": "0 0 1 13 *"}, "trigger_cron"),
        ({"trigger_time_zone": "Mars/Olympus"}, "trigger_time_zone"),
        ({"callback_url": "ftp://nowhere"}, "callback_url"),
        ({"callback_headers": "no colon here"}, "callback_headers"),
        ({"trigger_kind": "interval", "trigger_every_seconds": None}, "trigger_every_seconds"),
    ],
)
def test_each_error_is_shown_on_its_field_and_nothing_is_saved(operator: Client, change: dict[str, Any], field: str) -> None:
    response = operator.post(f"{JOBS}add/", fields(**change))
    assert response.status_code == 200 and field in errors(response), errors(response)
    assert not Job.objects.exists()


def test_changing_a_field_changes_only_that(operator: Client) -> None:
    job = make_job(trigger={"kind": "interval", "every_seconds": 30}, url="http://127.0.0.1:9/old")
    page = operator.get(f"{JOBS}{job.pk}/change/").content.decode()
    assert 'value="fields" id="id_editor_0" checked' in page and 'value="http://127.0.0.1:9/old"' in page
    post = fields(name=job.name, namespace=job.namespace, trigger_kind="interval", trigger_every_seconds="30", trigger_cron=None,
                  trigger_time_zone="UTC", callback_url="http://127.0.0.1:9/new", callback_headers="", callback_body="",
                  callback_body_format="raw", callback_timeout_seconds="5", retry="{}")  # fmt: skip
    assert operator.post(f"{JOBS}{job.pk}/change/", post).status_code == 302
    job.refresh_from_db()
    assert job.callback["url"] == "http://127.0.0.1:9/new" and job.trigger["every_seconds"] == 30


def test_what_the_fields_cannot_show_opens_as_json(operator: Client) -> None:
    job = make_job(callback={"kind": "socket", "host": "127.0.0.1", "port": 7000, "payload": "x"})
    page = operator.get(f"{JOBS}{job.pk}/change/").content.decode()
    assert 'value="json" id="id_editor_1" checked' in page


def test_secret_header_values_show_masked_and_sent_back_keep_what_was_stored(operator: Client) -> None:
    assert operator.post(f"{JOBS}add/", fields()).status_code == 302
    job = Job.objects.get(name="nightly")
    page = operator.get(f"{JOBS}{job.pk}/change/").content.decode()
    assert "X-Token: ***" in page and "abc" not in page
    post = fields(callback_headers="X-Token: ***\nX-Trace: 2", callback_url="http://127.0.0.1:9/other")
    assert operator.post(f"{JOBS}{job.pk}/change/", post).status_code == 302
    job.refresh_from_db()
    assert secret_headers.unseal(job.callback["headers"]) == {"X-Token": "abc", "X-Trace": "2"}

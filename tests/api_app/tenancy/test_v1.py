"""Scoped tokens on the v1 API: jobs, executions, services, signing secrets, tokens."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from api_app.crontab import rules
from tests.api_app.tenancy.conftest import client_with, scoped

pytestmark = pytest.mark.django_db
JOB = {
    "name": "nightly",
    "trigger": {"kind": "cron", "cron": "0 30 2 * * ?"},
    "callback": {"kind": "http", "url": "http://127.0.0.1:9/run", "headers": {"Authorization": "Bearer ALICE-SECRET-123"}},
}


def create(client, namespace: str, **changes):
    return client.post("/api/v1/jobs", JOB | {"namespace": namespace} | changes, format="json")


def test_a_token_sees_and_changes_only_its_namespaces(alice, bob, staff) -> None:
    job = create(alice, "alice-misc").json()
    assert create(bob, "bob-misc").status_code == 201
    assert [j["namespace"] for j in bob.get("/api/v1/jobs?namespace=alice-misc").json()["results"]] == []
    assert [j["namespace"] for j in bob.get("/api/v1/jobs").json()["results"]] == ["bob-misc"]
    for method, path in [
        ("get", f"/api/v1/jobs/{job['id']}"), ("patch", f"/api/v1/jobs/{job['id']}"), ("delete", f"/api/v1/jobs/{job['id']}"),
        ("post", f"/api/v1/jobs/{job['id']}/trigger"), ("post", f"/api/v1/jobs/{job['id']}/pause"),
        ("get", f"/api/v1/jobs/{job['id']}/executions"),
    ]:  # fmt: skip
        response = getattr(bob, method)(path, {"callback": {"kind": "http", "url": "http://127.0.0.1:9/x"}}, format="json")
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), (method, path)
    assert sorted(j["namespace"] for j in staff.get("/api/v1/jobs").json()["results"]) == ["alice-misc", "bob-misc"]


def test_creating_in_a_namespace_not_held_is_forbidden(alice) -> None:
    response = create(alice, "bob-misc")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "namespace: the token 'alice' does not hold namespace 'bob-misc'",
        "code": "forbidden",
        "field": "namespace",
    }
    job = create(alice, "alice-misc").json()
    moved = alice.patch(f"/api/v1/jobs/{job['id']}", {"namespace": "bob-misc"}, format="json")
    assert moved.status_code == 403


def test_executions_are_seen_through_their_jobs_namespace(alice, bob) -> None:
    job = create(alice, "alice-misc").json()
    execution = alice.post(f"/api/v1/jobs/{job['id']}/trigger").json()
    assert [e["id"] for e in alice.get("/api/v1/executions").json()["results"]] == [execution["id"]]
    assert bob.get("/api/v1/executions").json()["results"] == []
    assert bob.get(f"/api/v1/executions/{execution['id']}").status_code == 404
    assert bob.post(f"/api/v1/executions/{execution['id']}/retry").status_code == 404


def test_read_only_token_reads_but_never_writes(alice) -> None:
    job = create(alice, "alice-misc").json()
    reader = scoped("alice-reader", ["alice-*"], read_only=True)
    assert reader.get(f"/api/v1/jobs/{job['id']}").status_code == 200
    for response in (
        create(reader, "alice-misc", name="other"),
        reader.patch(f"/api/v1/jobs/{job['id']}", {"enabled": False}, format="json"),
        reader.post(f"/api/v1/jobs/{job['id']}/trigger"),
        reader.delete(f"/api/v1/jobs/{job['id']}"),
        reader.post("/api/v1/namespaces/alice-misc/signing-secret/rotate"),
    ):
        assert (response.status_code, response.json()["detail"]) == (403, "namespace: the token 'alice-reader' is read-only")


def test_job_quota_is_named_when_reached() -> None:
    quota = scoped("small", ["small-*"], max_jobs=2)
    assert [create(quota, "small-a", name=f"j{n}").status_code for n in range(2)] == [201, 201]
    response = create(quota, "small-b", name="j3")
    assert response.status_code == 403
    assert response.json()["code"] == "quota_exceeded" and "at most 2 jobs" in response.json()["detail"]


def test_services_are_scoped_by_their_namespace(alice, bob) -> None:
    assert alice.post("/api/v1/services", {"service_id": 100, "base_url": "http://127.0.0.1:9"}, format="json").status_code == 201
    assert alice.post("/api/v1/services", {"service_id": 200, "base_url": "http://127.0.0.1:9"}, format="json").status_code == 403
    assert bob.get("/api/v1/services").json()["results"] == []
    assert bob.get("/api/v1/services/100").status_code == 404
    assert bob.get("/api/v1/services/100/routes").status_code == 404
    assert bob.delete("/api/v1/services/100").status_code == 404


def test_signing_secret_per_namespace_and_rotation(alice, bob) -> None:
    first = alice.get("/api/v1/namespaces/alice-misc/signing-secret").json()
    assert first["namespace"] == "alice-misc" and first["secret"].startswith("whsec_") and first["previous_secret_valid_until"] is None
    assert alice.get("/api/v1/namespaces/alice-misc/signing-secret").json() == first
    rotated = alice.post("/api/v1/namespaces/alice-misc/signing-secret/rotate").json()
    assert rotated["secret"] != first["secret"] and rotated["previous_secret_valid_until"] is not None
    assert bob.get("/api/v1/namespaces/alice-misc/signing-secret").status_code == 404
    assert bob.post("/api/v1/namespaces/alice-misc/signing-secret/rotate").status_code == 404


def test_a_plain_users_token_sees_nothing_staff_see_all(alice) -> None:
    create(alice, "alice-misc")
    user = get_user_model().objects.create_user(username="plain")
    plain = client_with(Token.objects.create(user=user).key)
    assert plain.get("/api/v1/jobs").json()["results"] == []
    refused = create(plain, "alice-misc", name="x")
    assert (refused.status_code, refused.json()["detail"]) == (
        403,
        "namespace: a non-staff user's token (ask for an API token) does not hold namespace 'alice-misc'",
    )


def test_tokens_api_is_staff_only_and_shows_the_key_once(alice, staff) -> None:
    assert alice.get("/api/v1/tokens").status_code == 403
    made = staff.post("/api/v1/tokens", {"name": "carol", "namespaces": ["carol-*"], "rate": "100/min"}, format="json")
    assert made.status_code == 201 and made.json()["key"].startswith("jpk_")
    carol = client_with(made.json()["key"])
    assert create(carol, "carol-x").status_code == 201
    listed = staff.get("/api/v1/tokens").json()["results"]
    assert {t["name"] for t in listed} == {"alice", "carol"} and all("key" not in t for t in listed)
    assert staff.delete(f"/api/v1/tokens/{made.json()['id']}").status_code == 204
    assert carol.get("/api/v1/jobs").status_code == 401


def test_bad_token_input_is_a_400(staff) -> None:
    for body, field in [({"name": "x", "namespaces": []}, "namespaces"), ({"name": "x", "namespaces": ["a"], "rate": "fast"}, "rate")]:
        response = staff.post("/api/v1/tokens", body, format="json")
        assert (response.status_code, response.json()["field"]) == (400, field)


def test_crontab_names_stay_global_without_naming_a_foreign_module(alice, bob) -> None:
    rules.create_task(
        module="bob-mod",
        name="shared",
        trigger={"kind": "cron", "cron": "0 0 1 * * *"},
        callback={"kind": "http", "url": "http://127.0.0.1:9"},
    )
    task = {
        "name": "shared",
        "module": "alice-mod",
        "type": 4,
        "start_time": "0 30 2 * * *",
        "url": "http://127.0.0.1:9/u",
        "method": "post",
    }
    err = alice.post("/crontab/add_task", {"task_list": [task]}, format="json").json()["data"]["task_result"][0]["err"]
    assert "already exists in another module" in err and "bob-mod" not in err

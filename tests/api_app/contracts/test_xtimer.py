"""xtimer (seed 001): creatTimer with the seed's own request, enableTimer by id and app; the answers
decode into the seed's Go structs (CreateTimerReply, EnableTimerReply)."""

from __future__ import annotations

import json

from tests.api_app.contracts.conftest import Client, json_types

# The seed's example, verbatim: its cron is placeholder text, its notifyHTTPParam JSON text.
SEED_CREATE = {
    "app": "est ad amet tempor proident",
    "name": "test1",
    "status": 1,
    "cron": "ex exercitation in sed",
    "notifyHTTPParam": '{"method": "GET", "url": "https://golangcode.cn/", "header": {"Duis_c8": "culpa ex in"}, '
    '"body": "consectetur dolore consequat irure in"}',
}
CREATE_TIMER_REPLY = {"code": "number", "message": "string", "data": {"timerId": "number"}}
ENABLE_TIMER_REPLY = {"code": "number", "message": "string"}


def test_the_seeds_example_is_refused_for_its_placeholder_cron_in_the_reply_shape(client: Client) -> None:
    answer = client.call("POST", "/xtimer/creatTimer", json=SEED_CREATE)
    assert (answer.status, json_types(answer.body)) == (400, ENABLE_TIMER_REPLY)
    assert answer.body["code"] == 9021 and answer.body["message"].startswith("cron:")


def test_create_enable_and_read_back_as_the_seed_writes_them(client: Client) -> None:
    created = client.call("POST", "/xtimer/creatTimer", json=SEED_CREATE | {"cron": "0 30 2 * * *"})
    assert (created.status, json_types(created.body), created.body["code"]) == (200, CREATE_TIMER_REPLY, 0)
    timer_id = created.body["data"]["timerId"]
    enabled = client.call("GET", "/xtimer/enableTimer", params={"id": timer_id, "app": SEED_CREATE["app"]})
    assert (enabled.status, json_types(enabled.body), enabled.body["code"]) == (200, ENABLE_TIMER_REPLY, 0)
    timer = client.call("GET", "/xtimer/getTimer", params={"id": timer_id, "app": SEED_CREATE["app"]}).body["data"]
    assert (timer["status"], timer["notifyHTTPParam"]) == (2, SEED_CREATE["notifyHTTPParam"])  # text, as written
    assert json.loads(timer["notifyHTTPParam"])["url"] == "https://golangcode.cn/"


def test_an_unknown_timer_is_a_reply_with_a_code(client: Client) -> None:
    answer = client.call("GET", "/xtimer/enableTimer", params={"id": 404, "app": "nobody"})
    assert (answer.status, json_types(answer.body), answer.body["code"]) == (404, ENABLE_TIMER_REPLY, 9023)

"""make chaos: the platform through its faults, one scenario at a time, one table row each.

It starts web (gunicorn), two thread-pool workers, two beats and the gRPC server on PostgreSQL
(a database whose name contains "chaos", created and dropped here) and a Redis server of its own
(started and stopped here, on a free port, without persistence). 1-second crons fire throughout;
each scenario adds one-offs (some "flaky": their first call fails, so a retry fires) due over its
window, injects its fault, waits out the recovery bound and counts, from every call the local
receiver got and every execution row:

  expected   occurrences due in the window (one-offs, and each cron's every second)
  delivered  of those, occurrences answered 200 at the receiver
  lost       expected - delivered
  doubled    occurrences answered 200 for two different executions
  repeated   the same execution called twice (at-least-once: a worker killed mid-call)
  stuck      attempts still queued/running past the recovery bound
  5xx        answers >= 500 to an API client polling the job list every 0.25 s (of them 503:
             "unavailable, retry", what a database outage is answered with)
  late max   the latest first success of an occurrence, minus its due time (s)
  first      seconds from the part's return to the first call after it
  exited     platform processes that exited by themselves

    python bench/chaos.py [--database-url postgres://…/chaos_bench] [--outage-seconds 10]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.chaos_support import Call, Platform, Poller, Receiver  # noqa: E402
from bench.common import print_table, recreate_database  # noqa: E402
from tests.faults import RedisServer, connections_refused, terminate_backends  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/chaos_bench"
WINDOW = (2.0, 22.0)  # one-offs and counted cron seconds fall due this long after a scenario starts
FAULT_AT = 5.0
CALLBACK_TIMEOUT_SECONDS = 5
RECOVERY_GRACE_SECONDS = 5
DRAIN_SECONDS = 14.0  # past the window: the recovery bound (timeout + grace) and a little more
COLUMNS = ["scenario", "expected", "delivered", "lost", "doubled", "repeated", "stuck", "5xx", "late max s", "first s", "exited"]


@dataclass
class Bench:
    arguments: argparse.Namespace
    redis: RedisServer
    platform: Platform
    receiver: Receiver
    poller: Poller | None = None

    @property
    def database_name(self) -> str:
        return str(self.arguments.database_url.rsplit("/", 1)[1])


# --- scenarios: each injects its fault at FAULT_AT and returns when the part is back (epoch) ---


def kill_workers(bench: Bench) -> float:
    for name in bench.platform.WORKERS:  # one after the other; a supervisor restarts each
        bench.platform.kill(name)
        time.sleep(2)
        bench.platform.restart(name)
        time.sleep(3)
    return time.time() - 3


def kill_beat(bench: Bench) -> float:
    bench.platform.kill("beat-1")  # beat-2 carries on alone
    killed_at = time.time()
    time.sleep(10)
    bench.platform.restart("beat-1")
    return killed_at


def restart_redis_empty(bench: Bench) -> float:
    bench.redis.kill()
    time.sleep(bench.arguments.outage_seconds)
    bench.redis.start()
    return time.time()


def terminate_database_backends(bench: Bench) -> float:
    terminate_backends(bench.arguments.database_url, bench.database_name)
    return time.time()


def refuse_database_connections(bench: Bench) -> float:
    with connections_refused(bench.arguments.database_url, bench.database_name):
        time.sleep(bench.arguments.outage_seconds)
    return time.time()


SCENARIOS: list[tuple[str, Callable[[Bench], float]]] = [
    ("worker SIGKILL x2", kill_workers),
    ("beat SIGKILL, standby beat", kill_beat),
    ("Redis restarted empty", restart_redis_empty),
    ("DB backends terminated", terminate_database_backends),
    ("DB refuses connections", refuse_database_connections),
]


# --- jobs ---


def callback(bench: Bench, path: str) -> dict[str, Any]:
    return {"kind": "http", "url": f"{bench.receiver.url}{path}", "timeout_seconds": CALLBACK_TIMEOUT_SECONDS}


def create_crons(bench: Bench) -> list[int]:
    from tasks_app import services

    every_second = {"kind": "cron", "cron": "* * * * * ?", "time_zone": "UTC"}
    return [
        services.create_job(namespace="chaos", name=f"cron-{n}", trigger=every_second, callback=callback(bench, "/cron")).pk
        for n in range(bench.arguments.crons)
    ]


def create_one_offs(bench: Bench, scenario: int, start: float) -> dict[int, float]:
    """One-offs due evenly over the window; every few is flaky (its first call fails, a retry
    after 1 s succeeds). Returns {job id: due epoch}."""
    from datetime import UTC, datetime

    from tasks_app import services

    count, due = bench.arguments.one_offs, {}
    for n in range(count):
        moment = start + WINDOW[0] + (WINDOW[1] - WINDOW[0]) * n / count
        flaky = n % bench.arguments.flaky_every == 0
        job = services.create_job(
            namespace="chaos", name=f"s{scenario}-{n}", trigger={"kind": "at", "at": datetime.fromtimestamp(moment, UTC).isoformat()},
            callback=callback(bench, "/flaky" if flaky else "/once"), retry={"delays_seconds": [1]},
        )  # fmt: skip
        due[job.pk] = moment
    return due


# --- counting ---


def occurrences(executions: list[dict[str, Any]], one_offs: dict[int, float]) -> dict[int, tuple[int, float]]:
    """Each execution's occurrence: (job, due epoch), a cron's due second rounded."""
    return {
        row["id"]: (row["job_id"], one_offs[row["job_id"]] if row["job_id"] in one_offs else float(round(row["scheduled_for"].timestamp())))
        for row in executions
    }


def expected_occurrences(crons: list[int], one_offs: dict[int, float], start: float) -> set[tuple[int, float]]:
    seconds = range(math.ceil(start + WINDOW[0]), math.ceil(start + WINDOW[1]))
    return {(job, float(second)) for job in crons for second in seconds} | set(one_offs.items())


def count_row(bench: Bench, name: str, crons: list[int], one_offs: dict[int, float], start: float, returned_at: float) -> list[Any]:
    from django.db import connection

    from tasks_app.models import Execution

    connection.close()  # the bench's own session may have been one the fault ended
    rows = list(Execution.objects.filter(job_id__in=[*crons, *one_offs]).values("id", "job_id", "scheduled_for", "status", "due_at"))
    occurrence_of = occurrences(rows, one_offs)
    expected = expected_occurrences(crons, one_offs, start)
    with bench.receiver.lock:
        calls = [call for call in bench.receiver.calls if occurrence_of.get(call.execution_id) in expected]
    successes = _first_successes(calls, occurrence_of)
    bound = time.time() - CALLBACK_TIMEOUT_SECONDS - RECOVERY_GRACE_SECONDS
    stuck = sum(1 for row in rows if row["status"] in ("queued", "running") and row["due_at"].timestamp() < bound)
    per_execution = Counter(call.execution_id for call in calls)
    after = [call.at for call in bench.receiver.calls if call.at >= returned_at and call.status == 200]
    return [
        name, len(expected), len(successes), len(expected - set(successes)), _doubled(calls, occurrence_of),
        sum(1 for n in per_execution.values() if n > 1), stuck, bench.poller.server_errors(start, time.time()) if bench.poller else 0,
        max((at - occurrence[1] for occurrence, at in successes.items()), default=float("nan")),
        min(after) - returned_at if after else float("nan"), ", ".join(bench.platform.exited()) or 0,
    ]  # fmt: skip


def _first_successes(calls: list[Call], occurrence_of: dict[int, tuple[int, float]]) -> dict[tuple[int, float], float]:
    first: dict[tuple[int, float], float] = {}
    for call in sorted(calls, key=lambda c: c.at):
        if call.status == 200:
            first.setdefault(occurrence_of[call.execution_id], call.at)
    return first


def _doubled(calls: list[Call], occurrence_of: dict[int, tuple[int, float]]) -> int:
    answered: dict[tuple[int, float], set[int]] = defaultdict(set)
    for call in calls:
        if call.status == 200:
            answered[occurrence_of[call.execution_id]].add(call.execution_id)
    return sum(1 for executions in answered.values() if len(executions) > 1)


# --- the run ---


def run_scenario(bench: Bench, index: int, crons: list[int]) -> list[Any]:
    name, inject = SCENARIOS[index]
    start = time.time()
    one_offs = create_one_offs(bench, index, start)
    time.sleep(max(0.0, start + FAULT_AT - time.time()))
    print(f"{name}: injecting", flush=True)
    returned_at = inject(bench)
    time.sleep(max(0.0, start + WINDOW[1] + DRAIN_SECONDS - time.time()))
    row = count_row(bench, name, crons, one_offs, start, returned_at)
    for exited in bench.platform.exited():  # carry on with the next scenario on a whole platform
        bench.platform.restart(exited)
    return row


def wait_until_ready(bench: Bench) -> None:
    from tasks_app import heartbeats

    deadline = time.time() + 120
    while time.time() < deadline:
        if len(heartbeats.alive("worker")) == 2 and len(heartbeats.alive("beat")) == 2:
            return
        time.sleep(0.5)
    raise SystemExit("the platform did not come up within 120 s; see the logs in the work directory")


def api_token() -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.create_user(username="chaos", password="chaos-bench-only", is_staff=True)
    return str(Token.objects.create(user=user).key)


def prepare(arguments: argparse.Namespace, work: Path) -> Bench:
    redis = RedisServer(work)
    redis.start()
    os.environ.update({
        "DATABASE_URL": arguments.database_url, "REDIS_URL": redis.url, "CELERY_BROKER_URL": redis.url, "CELERY_QUEUE": "chaos",
        "REDIS_KEY_PREFIX": "chaos:", "DJANGO_SETTINGS_MODULE": "scheduler_project.settings", "LOG_LEVEL": "WARNING",
        "EXECUTION_RECOVERY_GRACE_SECONDS": str(RECOVERY_GRACE_SECONDS), "API_AUTH_REQUIRED": "true",
    })  # fmt: skip
    recreate_database(arguments.database_url)
    import django

    django.setup()
    return Bench(arguments, redis, Platform(work), Receiver())


def drop_database(database_url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(database_url, dbname="postgres", autocommit=True) as admin:
        name = database_url.rsplit("/", 1)[1]
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name])
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def run(arguments: argparse.Namespace, work: Path) -> list[list[Any]]:
    bench = prepare(arguments, work)
    try:
        bench.platform.start()
        wait_until_ready(bench)
        bench.poller = Poller(f"http://127.0.0.1:{bench.platform.web_port}", api_token())
        bench.poller.start()
        crons = create_crons(bench)
        chosen = [index for index, (name, _) in enumerate(SCENARIOS) if not arguments.only or arguments.only.lower() in name.lower()]
        return [run_scenario(bench, index, crons) for index in chosen]
    finally:
        if bench.poller:
            bench.poller.stopped.set()
        bench.platform.stop()
        bench.redis.kill()
        drop_database(arguments.database_url)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL; the name must contain 'chaos' (it is dropped)")
    parser.add_argument("--outage-seconds", type=float, default=10.0)
    parser.add_argument("--crons", type=int, default=20, help="1-second crons firing throughout")
    parser.add_argument("--one-offs", type=int, default=70, help="one-offs per scenario (>= 300 jobs in all by default)")
    parser.add_argument("--flaky-every", type=int, default=7, help="every n-th one-off fails its first call")
    parser.add_argument("--only", default="", help="run only the scenarios whose name contains this (e.g. Redis)")
    arguments = parser.parse_args()
    if not arguments.database_url.startswith("postgres") or "chaos" not in arguments.database_url.rsplit("/", 1)[1]:
        parser.error("--database-url must be PostgreSQL with 'chaos' in the database name: the bench drops it")
    return arguments


def main() -> None:
    arguments = parse()
    work = Path(tempfile.mkdtemp(prefix="chaos-"))
    print(f"logs in {work}", flush=True)
    rows = run(arguments, work)
    print_table("make chaos: one row per scenario (targets: lost, doubled, stuck, exited 0; first <= 5 s)", COLUMNS, rows)


if __name__ == "__main__":
    main()

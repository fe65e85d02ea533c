"""Benchmark of the queues dialect: tasks per second through CreateTask -> ReceiveQueueByChannel
-> ReportTaskResult with 1, 8 and 32 concurrent receivers, over gRPC and over the REST mirror,
with the receive latency (request sent -> task received) p50/p99 on a filled queue, and a plain
Redis list (LPUSH, then BRPOP with redis-py) carrying as many items in the same run as the
reference. After each run it checks that every task created was received and reported exactly
once (by the workers' own tally and by each task's history) and prints it; any miss, duplicate
or refused report makes the bench exit non-zero.

    make bench-queues          # or: python bench/queues.py --databases sqlite,postgres --tasks 1000 --receivers 1,8,32

The gRPC server is `manage.py grpcserver` and the REST mirror gunicorn as the Procfile runs it,
each in its own process as in production; the workers are threads of this one. Each database
is the bench's own, made afresh: SQLite var/bench-queues.sqlite3, PostgreSQL BENCH_QUEUES_POSTGRES
(default postgres://postgres@127.0.0.1:5432/bench_queues). Redis keys live under "bench-queues:".
Numbers depend on the machine and its load (printed); they are for comparing changes in one run."""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import cpu_seconds, free_port, log_file, machine_load, print_table, recreate_database, wait_for  # noqa: E402
from bench.queues_clients import Client, GrpcClient, RestClient, Tally, Tickets, redis_list, work  # noqa: E402

CREATORS = 4
SQLITE = f"sqlite:///{ROOT / 'var' / 'bench-queues.sqlite3'}"
POSTGRES = os.environ.get("BENCH_QUEUES_POSTGRES", "postgres://postgres@127.0.0.1:5432/bench_queues")


def timed(job: Any, threads: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(job) for _ in range(threads)]:
            future.result()
    return time.perf_counter() - started


def run(client: Client, receivers: int, count: int, *, server_pid: int) -> dict[str, Any]:
    channel = f"bench-{receivers}-{uuid.uuid4().hex[:8]}"
    cpu_before = cpu_seconds(server_pid)
    creations = Tickets(count)
    created = timed(lambda: _create(client, channel, creations), CREATORS)
    tally = Tally()
    tickets = Tickets(count)
    drained = timed(lambda: work(client, channel, tickets, tally), receivers)
    cpu_ms = 1000 * (cpu_seconds(server_pid) - cpu_before) / count
    cuts = statistics.quantiles(tally.latencies, n=100)
    return {
        "via": client.name, "receivers": receivers, "tasks": count, "create/s": count / created, "receive+report/s": count / drained,
        "end-to-end/s": count / (created + drained), "receive p50 ms": cuts[49] * 1000, "receive p99 ms": cuts[98] * 1000,
        "server CPU ms/task": cpu_ms,
        "exactly once": exactly_once(channel, tally),
    }  # fmt: skip


def _create(client: Client, channel: str, tickets: Tickets) -> None:
    while tickets.take():
        client.create(channel)


def exactly_once(channel: str, tally: Tally) -> str:
    """ "yes" when every task of ``channel`` was received once and its one report taken, by the
    workers' tally and by the tasks' rows and histories; else what went wrong."""
    from django.db.models import Count, Q

    from tasks_app.models import QueueTask
    from tasks_app.models import QueueTaskEventKind as Kind

    tasks = QueueTask.objects.filter(channel=channel).annotate(
        handed=Count("events", filter=Q(events__kind=Kind.HANDED_OUT)), done=Count("events", filter=Q(events__kind=Kind.SUCCEEDED))
    )
    rows = list(tasks.values_list("pk", "state", "deliveries", "handed", "done"))
    seen = Counter(tally.received)
    problems = {
        "received twice": sum(1 for n in seen.values() if n > 1),
        "never received": len({pk for pk, *_ in rows} - set(seen)),
        "refused reports": len(tally.refused),
        "not settled once": sum(1 for _, *settled in rows if tuple(settled) != ("SUCCESS", 1, 1, 1)),
    }
    QueueTask.objects.filter(channel=channel).delete()
    failed = {name: n for name, n in problems.items() if n}
    if tally.refused:
        print(f"  refused reports, first: {tally.refused[:3]}", file=sys.stderr)
    return "yes" if not failed else "NO: " + ", ".join(f"{n} {name}" for name, n in failed.items())


def start_grpc() -> tuple[subprocess.Popen[str], int]:
    command = [sys.executable, "manage.py", "grpcserver", "--bind", "127.0.0.1", "--port", "0"]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert server.stdout is not None
    for _ in range(100):  # its first lines: the one naming the port comes once it serves
        found = re.search(r"serving standard\.Queues on 127\.0\.0\.1:(\d+)", server.stdout.readline())
        if found:
            return server, int(found.group(1))
    server.kill()
    raise SystemExit("the gRPC server did not start")


def start_web(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The REST mirror as the Procfile serves it: gunicorn, 2 workers of 4 threads."""
    import requests

    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "scheduler_project.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "2", "--threads", "4"]
    web = subprocess.Popen(command, cwd=ROOT, stdout=log_file(log, "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return requests.post(f"{base}/api/queues/QueryLengthByChannel", json={"Channel": "x"}, timeout=2).ok
        except requests.RequestException:
            return False

    wait_for(answers, timeout=60, message="gunicorn to answer")
    return web, base


def stop(process: subprocess.Popen[Any]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def prepare(database: str) -> None:
    """This process's environment and a fresh, migrated database, before Django starts."""
    # The bench measures the queue, not token lookups or per-caller rate limits: both are off.
    os.environ.update({"DATABASE_URL": database, "REDIS_KEY_PREFIX": "bench-queues:", "LOG_LEVEL": "WARNING"})
    os.environ.update({"API_AUTH_REQUIRED": "false", "API_THROTTLE_RATE": "1000000/s"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")
    if database.startswith("sqlite"):
        path = Path(database.removeprefix("sqlite:///"))
        path.parent.mkdir(exist_ok=True)
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink()
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=os.environ.copy(), check=True)
    else:
        recreate_database(database)
    import django

    django.setup()


def bench(database: str, counts: list[int], tasks: int, vias: list[str]) -> bool:
    """Every configuration on one database; True when every run was exactly once."""
    import grpc

    from api_app.grpc.generated.standard_pb2_grpc import QueuesStub
    from tasks_app import redis as platform_redis

    prepare(database)
    server, port = start_grpc()
    web, base = start_web(ROOT / "var" / "bench-queues-web.log")
    print(f"\nqueues benchmark on {database.split('@')[-1]}; {machine_load('at the start')}")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            clients: dict[str, tuple[Client, int]] = {
                "grpc": (GrpcClient(QueuesStub(channel)), server.pid),
                "rest": (RestClient(base), web.pid),
            }
            rows = [run(clients[via][0], receivers, tasks, server_pid=clients[via][1]) for via in vias for receivers in counts]
    finally:
        stop(server)
        stop(web)
    for row in rows:
        reference = redis_list(platform_redis.client(), receivers=row["receivers"], count=tasks, creators=CREATORS, timed=timed)
        row["Redis list/s"], row["ours/list %"] = reference, 100 * row["end-to-end/s"] / reference
    print_table(f"queues on {database.split('@')[-1]}", list(rows[0]), [list(row.values()) for row in rows])
    print(machine_load("at the end"))
    return all(row["exactly once"] == "yes" for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=1000, help="tasks per run (default 1000)")
    parser.add_argument("--receivers", default="1,8,32", help="comma-separated receiver counts (default 1,8,32)")
    parser.add_argument("--via", default="grpc,rest", help="comma-separated: grpc, rest (default both)")
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres, or URLs")
    arguments = parser.parse_args()
    databases = [{"sqlite": SQLITE, "postgres": POSTGRES}.get(name, name) for name in arguments.databases.split(",")]
    if len(databases) > 1:  # one process per database: Django is set up once per process
        results = [subprocess.run([sys.executable, __file__, *sys.argv[1:], "--databases", url]).returncode for url in databases]
        raise SystemExit(max(results))
    counts = [int(n) for n in arguments.receivers.split(",")]
    clean = bench(databases[0], counts, arguments.tasks, arguments.via.split(","))
    raise SystemExit(0 if clean else "a task was lost, duplicated or refused: see 'exactly once'")


if __name__ == "__main__":
    main()

"""Retention under load: how fast the API answers while old executions are purged, our way
(tasks_app.maintenance.retention: batches of EXECUTION_PURGE_BATCH_SIZE, each its own transaction)
against the stock way (django-celery-results' ``TaskResult.objects.delete_expired``, what
``celery.backend_cleanup`` runs, and one unbounded DELETE of the old executions).

It inserts N old finished executions and their TaskResults (one INSERT ... SELECT generate_series
per 100k), starts the real web app (gunicorn, as the Procfile runs it) and measures GET
/api/v1/jobs and GET /api/v1/jobs/{id}/executions (two clients, one request after another) in
three phases: no purge, our purge (beat runs back to back until every old row is gone), and the
stock DELETEs on the same rows inserted again. PostgreSQL only.

Run at the end of bench/execution.py (--purge-rows), or on its own:

    python bench/execution_purge.py --rows 100000     # its own database, as bench/execution.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, Process, free_port, percentile, print_table, recreate_database, wait_for  # noqa: E402
from bench.execution_support import bench_database_url, environment  # noqa: E402

NAMESPACE = "bench-purge"
OLD_ROW_JOBS = 100
BASELINE_SECONDS = 10.0
CLIENTS = 2
CLIENT_PAUSE_SECONDS = 0.02
INSERT_CHUNK = 100_000
# Finished this long ago and older: past every default retention (failures: 90 days).
OLD = timedelta(days=100)

INSERT_SQL = """
WITH inserted AS (
    INSERT INTO tasks_app_execution (
        job_id, scheduled_for, attempt, reason, status, priority, due_at, dispatched_at, started_at, deadline_at,
        awaiting_report, finished_at, request, response_status, response_headers, response_body, error, task_id
    )
    SELECT jobs[1 + i %% cardinality(jobs)], moment, 1, 'schedule', outcome, 0, moment, moment, moment + interval '5 ms', NULL,
           false, moment + interval '50 ms',
           '{"url": "http://svc:8080/run", "method": "POST", "headers": {"Content-Type": "application/json"}, "body": "{\\"n\\": 1}"}',
           CASE outcome WHEN 'failed' THEN 503 ELSE 200 END, '{"Content-Type": "text/plain"}', 'ok',
           CASE outcome WHEN 'failed' THEN 'HTTP 503' ELSE '' END, gen_random_uuid()::text
    FROM (
        SELECT i, %(newest)s - i * interval '1 second' AS moment,
               CASE i %% 20 WHEN 0 THEN 'failed' WHEN 1 THEN 'skipped' ELSE 'succeeded' END AS outcome
        FROM generate_series(%(first)s, %(last)s) AS i
    ) AS rows, (SELECT %(jobs)s::bigint[] AS jobs) AS pool
    RETURNING task_id, started_at, finished_at
)
INSERT INTO django_celery_results_taskresult (
    task_id, task_name, task_args, task_kwargs, status, worker, content_type, content_encoding, result,
    date_created, date_started, date_done, meta
)
SELECT task_id, 'tasks_app.tasks.execute', '"[1]"', '"{}"', 'SUCCESS', 'bench@host', 'application/json', 'utf-8',
       '{"status": "succeeded"}', finished_at, started_at, finished_at, '{"children": []}'
FROM inserted
"""


@dataclass
class Phase:
    name: str
    deleted: int = 0
    seconds: float = float("nan")
    latency_ms: dict[str, list[float]] = field(default_factory=dict)

    def row(self, paths: list[str]) -> list[Any]:
        cells: list[Any] = [self.name, f"{self.deleted:,}", self.seconds, self.deleted / self.seconds if self.deleted else float("nan")]
        for path in paths:
            values = self.latency_ms.get(path, [])
            cells += [percentile(values, 0.5), percentile(values, 0.99), max(values, default=float("nan"))]
        return cells + [sum(len(v) for v in self.latency_ms.values())]


COLUMNS = [
    "phase", "rows deleted", "seconds", "rows/s", "jobs list p50 ms", "p99 ms", "max ms",
    "job's executions p50 ms", "p99 ms", "max ms", "requests",
]  # fmt: skip


class Load:
    """Clients in threads, each asking the paths in turn, the next request a moment after the
    previous answer; the latency of every request, by path."""

    def __init__(self, base_url: str, token: str, paths: list[str]) -> None:
        self.base_url, self.token, self.paths = base_url, token, paths
        self.latency_ms: dict[str, list[float]] = {path: [] for path in paths}
        self.running = False
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> Load:
        self.running = True
        self.threads = [threading.Thread(target=self._client, daemon=True) for _ in range(CLIENTS)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.running = False
        for thread in self.threads:
            thread.join(timeout=60)

    def _client(self) -> None:
        import requests

        session = requests.Session()
        session.headers["Authorization"] = f"Token {self.token}"
        while self.running:
            for path in self.paths:
                started = time.perf_counter()
                session.get(self.base_url + path, timeout=120).raise_for_status()
                self.latency_ms[path].append((time.perf_counter() - started) * 1000)
                time.sleep(CLIENT_PAUSE_SECONDS)


def purge_under_load(*, rows: int, work_dir: Path) -> None:
    """Insert ``rows`` old executions (and TaskResults), and print the API's latency with no
    purge, during our purge and during the stock DELETEs (Django is set up, its database is the
    bench's own)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        print("\nretention bench skipped: it needs PostgreSQL", flush=True)
        return
    jobs, probe = bench_jobs()
    paths = ["/api/v1/jobs", f"/api/v1/jobs/{probe}/executions"]
    web = start_web(work_dir, api_token())
    try:
        phases = run_phases(rows, jobs, web, paths)
    finally:
        web.process.stop()
    settings = purge_settings()
    print_table(
        f"Retention: {rows:,} old executions + their TaskResults deleted while the API is read ({CLIENTS} clients; "
        f"ours: batches of {settings['EXECUTION_PURGE_BATCH_SIZE']}, {settings['EXECUTION_PURGE_PAUSE_SECONDS']} s apart, "
        f"{settings['EXECUTION_PURGE_MAX_BATCHES']} a run)",
        COLUMNS, [phase.row(paths) for phase in phases],
    )  # fmt: skip


def run_phases(rows: int, jobs: list[int], web: Web, paths: list[str]) -> list[Phase]:
    insert_old_rows(rows, jobs)
    with Load(web.url, web.token, paths):
        time.sleep(2)  # warm-up: connections, caches
    baseline = Phase("no purge")
    with Load(web.url, web.token, paths) as load:
        time.sleep(BASELINE_SECONDS)
    baseline.latency_ms, baseline.seconds = load.latency_ms, BASELINE_SECONDS
    phases = [baseline, purge_phase("ours: batched purge", "ours", web, paths)]
    insert_old_rows(rows, jobs)
    phases.append(purge_phase("stock: delete_expired + one DELETE", "stock", web, paths))
    return phases


def purge_phase(name: str, way: str, web: Web, paths: list[str]) -> Phase:
    """Read the API while a purge runs in its own process (so it shares no GIL with the clients),
    from the moment it starts deleting until it is done."""
    phase = Phase(name)
    with open(web.process.log_path.with_name(f"purge-{way}.log"), "wb") as log:
        process = subprocess.Popen(
            [sys.executable, __file__, "--purge", way], cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=log, text=True
        )
        assert process.stdout is not None
        if process.stdout.readline().strip() != "deleting":
            raise RuntimeError(f"the {way} purge did not start: see {log.name}")
        with Load(web.url, web.token, paths) as load:
            report = json.loads(process.stdout.read().strip().splitlines()[-1])
            process.wait()
    phase.deleted, phase.seconds, phase.latency_ms = report["deleted"], report["seconds"], load.latency_ms
    print(f"  {name}: {report}", flush=True)
    return phase


# --- setting up --------------------------------------------------------------------------------
def bench_jobs() -> tuple[list[int], int]:
    """The jobs old rows belong to, and a probe job with a page of recent executions (whose list
    is read during the phases: its own rows are never purged)."""
    from django.utils import timezone

    from tasks_app import services
    from tasks_app.models import Execution, Job

    far = {"kind": "at", "at": (timezone.now() + timedelta(days=3650)).isoformat()}
    callback = {"kind": "http", "url": "http://127.0.0.1:9/unused"}
    existing = {job.name: job for job in Job.objects.filter(namespace=NAMESPACE)}
    for name in [f"old-{index}" for index in range(OLD_ROW_JOBS)] + ["probe"]:
        if name not in existing:
            existing[name] = services.create_job(namespace=NAMESPACE, name=name, trigger=far, callback=callback)
    probe = existing.pop("probe")
    now = timezone.now()
    recent = [
        Execution(job=probe, scheduled_for=now - timedelta(minutes=i), due_at=now, status="succeeded", started_at=now, finished_at=now)
        for i in range(100)
    ]
    Execution.objects.bulk_create(recent, ignore_conflicts=True)
    return [job.pk for job in existing.values()], probe.pk


def api_token() -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user, _ = get_user_model().objects.get_or_create(username="bench-purge")
    return str(Token.objects.get_or_create(user=user)[0].key)


@dataclass
class Web:
    process: Process
    url: str
    token: str


def start_web(work_dir: Path, token: str) -> Web:
    """The web app as the Procfile runs it: gunicorn, 2 workers of 4 threads."""
    import requests

    port = free_port()
    arguments = [
        sys.executable, "-m", "gunicorn", "scheduler_project.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
    ]  # fmt: skip
    web = Web(Process("web", arguments, work_dir), f"http://127.0.0.1:{port}", token)

    def answers() -> bool:
        try:
            return requests.get(f"{web.url}/api/v1/jobs", headers={"Authorization": f"Token {token}"}, timeout=2).ok
        except requests.RequestException:
            return False

    wait_for(answers, timeout=60, message="gunicorn to answer")
    return web


def insert_old_rows(rows: int, jobs: list[int]) -> None:
    from django.db import connection
    from django.utils import timezone

    started = time.time()
    newest = timezone.now() - OLD
    with connection.cursor() as cursor:
        for first in range(0, rows, INSERT_CHUNK):
            last = min(rows, first + INSERT_CHUNK) - 1
            cursor.execute(INSERT_SQL, {"newest": newest, "first": first, "last": last, "jobs": jobs})
        # What autovacuum would do soon after: fresh statistics and visibility for both phases.
        cursor.execute("VACUUM ANALYZE tasks_app_execution, django_celery_results_taskresult")
    print(f"  inserted {rows:,} old executions and their TaskResults in {time.time() - started:.1f} s", flush=True)


def purge_settings() -> dict[str, Any]:
    from django.conf import settings

    names = ["EXECUTION_PURGE_BATCH_SIZE", "EXECUTION_PURGE_PAUSE_SECONDS", "EXECUTION_PURGE_MAX_BATCHES"]
    return {name: getattr(settings, name) for name in names}


# --- the purges (run in a process of their own) ------------------------------------------------
def purge_ours() -> int:
    """Beat's runs back to back until one completes: what the platform does, minus the interval.
    Returns the executions deleted."""
    from tasks_app import services

    deleted, complete = 0, False
    while not complete:
        purged = services.purge_expired_executions()
        deleted, complete = deleted + purged.executions, purged.complete
    return deleted


def purge_stock() -> int:
    """celery.backend_cleanup as Celery's default result_expires (1 day) runs it, then the one
    DELETE a platform without batches would write for its executions. Returns the executions deleted."""
    from django.conf import settings
    from django_celery_results.models import TaskResult

    from tasks_app import clock
    from tasks_app.models import Execution

    TaskResult.objects.delete_expired(timedelta(days=1))
    cutoff = clock.now() - timedelta(days=settings.EXECUTION_RETENTION_DAYS)
    deleted, _ = Execution.objects.filter(status__in=["succeeded", "failed", "skipped"], finished_at__lt=cutoff).delete()
    return deleted


def run_purge(way: str) -> None:
    """Says "deleting", deletes, then prints the rows deleted (executions and TaskResults) and the time."""
    import django

    django.setup()
    from django_celery_results.models import TaskResult

    results_before = TaskResult.objects.count()
    print("deleting", flush=True)
    started = time.perf_counter()
    executions = purge_ours() if way == "ours" else purge_stock()
    seconds = time.perf_counter() - started
    deleted = executions + results_before - TaskResult.objects.count()
    print(json.dumps({"deleted": deleted, "executions": executions, "seconds": round(seconds, 2)}), flush=True)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="old executions to purge (default 1,000,000)")
    parser.add_argument("--database-url", help="the bench's database (dropped and recreated)")
    parser.add_argument("--redis-db", type=int, default=11)
    parser.add_argument("--queue", default="bench-execution")
    parser.add_argument("--purge", choices=["ours", "stock"], help=argparse.SUPPRESS)  # the purge process
    return parser.parse_args()


def main() -> None:
    args = parse_arguments()
    if args.purge:
        run_purge(args.purge)
        return
    database_url = bench_database_url(args.database_url)
    os.environ.update(environment(database_url, redis_db=args.redis_db, queue=args.queue))
    print(f"database {database_url.rsplit('@', 1)[-1]}, rows {args.rows:,}", flush=True)
    recreate_database(database_url)
    import django

    django.setup()
    work_dir = Path(tempfile.mkdtemp(prefix="bench-purge-"))
    print(f"logs in {work_dir}", flush=True)
    purge_under_load(rows=args.rows, work_dir=work_dir)


if __name__ == "__main__":
    main()

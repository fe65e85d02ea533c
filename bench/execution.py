"""make bench-execution: our execution path against stock Celery, side by side, in one run.

For each worker pool we support, and for stock Celery doing ``requests.post`` (results off,
django-celery-results on with its defaults, and on with CELERY_DB_REUSE_MAX), it prints:

- executions per second end to end: N due at once, from the moment they are due until every
  callback has reached the receiver and (where records are kept) every Execution and TaskResult
  is complete. Ours: N queued executions become due; the real beat (JobScheduler) sends them and
  the worker claims, calls, records. Stock: the bench publishes N messages.
- due-to-request p50/p99 at 200 fires a second: ours from 200 interval jobs fired by the real
  beat (due = the occurrence); stock from messages published on a 200/s clock (due = its tick).
- worker resident memory (with pool children) when ready and after the N executions.
- database writes (rows inserted + updated + deleted) and transactions per execution, from
  PostgreSQL's statistics, over the N executions.

The receiver is a local nginx whose own ceiling (wrk) is measured first and printed. Everything
runs in its own database (bench_execution on DATABASE_URL's server), Redis db and queue.
Needs PostgreSQL for the real numbers, Redis, nginx and wrk (apt-get install nginx-light wrk).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Process, machine_load, percentile, pool_spec, print_table, recreate_database, wait_for  # noqa: E402
from bench.execution_support import Receiver, WriteCounter, bench_database_url, environment  # noqa: E402

FAR_FUTURE = timedelta(days=1)
SEED_JOBS = 100
LATENCY_JOBS = 200  # every 1 s each, staggered by 5 ms: 200 fires a second


@dataclass
class Result:
    variant: str
    pool: str
    n: int = 0
    per_second: float = float("nan")
    latency_ms: list[float] = field(default_factory=list)
    rss_start: float = float("nan")
    rss_after: float = float("nan")
    writes: float = float("nan")
    transactions: float = float("nan")
    lost: int = 0
    duplicates: int = 0

    def row(self) -> list[Any]:
        return [
            self.variant, self.pool, self.per_second, percentile(self.latency_ms, 0.5), percentile(self.latency_ms, 0.99),
            self.rss_start, self.rss_after, self.writes, self.transactions, f"{self.lost}/{self.duplicates}",
        ]  # fmt: skip


SOAK_COLUMNS = ["executions", "worker RSS MB", "executions/s (last chunk)", "lost"]
COLUMNS = [
    "variant", "pool", "executions/s", "due→request p50 ms", "p99 ms", "RSS start MB", "RSS after N MB",
    "writes/exec", "transactions/exec", "lost/dup",
]  # fmt: skip


@dataclass
class Workers:
    """One or more worker processes run and measured as one."""

    processes: list[Process]

    def rss_mb(self) -> float:
        return sum(process.rss_mb() for process in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


class Bench:
    def __init__(self, args: argparse.Namespace, work_dir: Path) -> None:
        from celery import Celery

        from scheduler_project.celery import app

        self.args = args
        self.work_dir = work_dir
        self.app = app
        self.receiver = Receiver(work_dir)
        self.counter = WriteCounter(os.environ["DATABASE_URL"])
        self.hosts = 0
        self.seeded = 0  # executions seeded so far: each gets an occurrence of its own
        self.started: list[Process] = []
        self.publisher = Celery("stock-publisher", broker=os.environ["REDIS_URL"])

    def stop_all(self) -> None:
        for process in self.started:
            process.stop(timeout=10)
        self.receiver.stop()

    # --- processes ------------------------------------------------------------------------
    def worker(
        self, name: str, pool: str, concurrency: int, *, app: str = "scheduler_project", env: dict[str, str] | None = None
    ) -> Process:
        self.hosts += 1
        hostname = f"{name}-{self.hosts}@bench"
        arguments = [
            sys.executable, "-m", "celery", "-A", app, "worker", "-P", pool, "-c", str(concurrency), "-n", hostname,
            "-Q", os.environ["CELERY_QUEUE"], "-l", "warning", "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        process = Process(name, arguments, self.work_dir, env=os.environ | (env or {}))
        self.started.append(process)
        control = self.app.control if app == "scheduler_project" else self.publisher.control
        wait_for(lambda: control.ping(destination=[hostname], timeout=0.5), timeout=60, message=f"{name} to answer")
        return process

    def beat(self) -> Process:
        from tasks_app import heartbeats
        from tasks_app import redis as platform_redis

        client = platform_redis.client()
        for key in client.scan_iter(platform_redis.key("heartbeats:beat:*")):
            client.delete(key)  # a previous beat's: this one must be seen ticking
        arguments = [
            sys.executable, "-m", "celery", "-A", "scheduler_project", "beat", "-S", "tasks_app.scheduler:JobScheduler",
            "-s", str(self.work_dir / "beat-schedule"), "-l", "warning",
        ]  # fmt: skip
        process = Process("beat", arguments, self.work_dir)
        self.started.append(process)
        wait_for(lambda: heartbeats.alive("beat"), timeout=60, message="beat to tick")
        return process

    def profile(self, processes: list[Process]) -> None:
        """With --profile S: py-spy (pip install py-spy) samples the threads holding the GIL in
        ``processes`` (and their pool children) for S seconds from now, into <logs>/<name>.pyspy."""
        if not self.args.profile:
            return
        for process in processes:
            output = str(self.work_dir / f"{process.name}-{process.popen.pid}.pyspy")
            sampler = ["py-spy", "record", "--gil", "--subprocesses", "-r", "100", "-d", str(self.args.profile), "-f", "raw"]
            subprocess.Popen(
                [*sampler, "-o", output, "--pid", str(process.popen.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )

    # --- ours -----------------------------------------------------------------------------
    def seed(self, n: int) -> tuple[int, int]:
        """N queued executions, not due yet, spread over a few jobs; returns their id range."""
        from django.utils import timezone

        from tasks_app import services
        from tasks_app.models import Execution, Job

        jobs = list(Job.objects.filter(namespace="bench-seed").order_by("id"))
        for index in range(len(jobs), SEED_JOBS):
            far = (timezone.now() + timedelta(days=3650)).isoformat()
            jobs.append(
                services.create_job(
                    namespace="bench-seed", name=f"seed-{index}", trigger={"kind": "at", "at": far},
                    callback={"kind": "http", "url": self.receiver.url("/ours"), "body": '{"n": 1}', "body_format": "json"},
                )
            )  # fmt: skip
        due, base = timezone.now() + FAR_FUTURE, timezone.now() - timedelta(days=1)
        ids: list[int] = []
        for start in range(0, n, 2000):
            rows = [
                Execution(job=jobs[i % SEED_JOBS], scheduled_for=base + timedelta(microseconds=self.seeded + i), due_at=due)
                for i in range(start, min(n, start + 2000))
            ]
            ids.extend(e.pk for e in Execution.objects.bulk_create(rows))
        self.seeded += n
        return min(ids), max(ids)

    def workers(self, name: str, pool: str, concurrency: int, processes: int) -> Workers:
        return Workers([self.worker(name, pool, concurrency) for _ in range(processes)])

    def ours(self, pool: str, concurrency: int, processes: int) -> Result:
        from django.db import connection

        label = f"{pool} ×{concurrency}" + (f", {processes} workers" if processes > 1 else "")
        result = Result(f"ours ({pool})", label, n=self.args.n)
        low, high = self.seed(self.args.n)
        connection.close()
        before = self.counter.read()
        worker = self.workers(f"ours-{pool}", pool, concurrency, processes)
        result.rss_start = worker.rss_mb()
        beat = self.beat()
        started, made_due = self.make_due(low, high)
        self.profile([*worker.processes, beat])
        finished = self.wait_ours(low, high, result)
        result.per_second = self.args.n / (finished - started)
        result.rss_after = worker.rss_mb()
        beat.stop()
        worker.stop()
        connection.close()
        self.count_writes(result, before, extra_rows=made_due, extra_transactions=1)
        if self.args.latency_seconds:
            result.latency_ms = self.ours_latency(pool, concurrency, processes)
        return result

    def make_due(self, low: int, high: int) -> tuple[float, int]:
        from tasks_app import clock
        from tasks_app import redis as platform_redis
        from tasks_app.models import Execution

        started = time.time()
        made_due = Execution.objects.filter(id__range=(low, high)).update(due_at=clock.now())
        platform_redis.wake_scheduler(time.time())
        return started, made_due

    def wait_ours(self, low: int, high: int, result: Result) -> float:
        """Wait until every execution in the range is succeeded with its TaskResult; returns
        when the last of the three (arrival, Execution, TaskResult) happened."""
        from django.db.models import Max
        from django_celery_results.models import TaskResult

        from tasks_app.models import Execution

        executions = Execution.objects.filter(id__range=(low, high))
        results = TaskResult.objects.filter(task_id__in=executions.values("task_id"), status="SUCCESS", date_done__isnull=False)
        timeout = max(120.0, self.args.n / 20)
        # The end is read from the rows, not the poll: a poll a second keeps the bench's own load low.
        wait_for(lambda: executions.filter(status="succeeded").count() == result.n, timeout=timeout, every=1.0, message="executions")
        wait_for(lambda: results.count() == result.n, timeout=60, every=1.0, message="task results")
        arrivals = self.receiver.read()
        arrived = [arrivals[str(pk)] for pk in range(low, high + 1) if str(pk) in arrivals]
        result.lost = result.n - len(arrived)
        result.duplicates = self.receiver.duplicates
        last_record = max(executions.aggregate(m=Max("finished_at"))["m"], results.aggregate(m=Max("date_done"))["m"])
        return max(last_record.timestamp(), max(arrived, default=0.0))

    def soak(self, pool: str, concurrency: int, processes: int, total: int) -> None:
        """``total`` executions through one worker, ``--n`` at a time: its memory after each."""
        from django.db import connection

        worker = self.workers(f"soak-{pool}", pool, concurrency, processes)
        beat = self.beat()
        rows: list[list[Any]] = [[0, worker.rss_mb(), float("nan"), 0]]
        while rows[-1][0] < total:
            n = min(self.args.n, total - rows[-1][0])
            low, high = self.seed(n)
            connection.close()
            started, _ = self.make_due(low, high)
            chunk = Result("soak", pool, n=n)
            finished = self.wait_ours(low, high, chunk)
            rows.append([rows[-1][0] + n, worker.rss_mb(), n / (finished - started), rows[-1][3] + chunk.lost])
            print(f"  soak: {rows[-1]}", flush=True)
        beat.stop()
        worker.stop()
        print_table(f"Worker memory over {total:,} executions ({pool} ×{concurrency})", SOAK_COLUMNS, rows)

    def ours_latency(self, pool: str, concurrency: int, processes: int) -> list[float]:
        """200 interval jobs, one fire a second each, staggered: 200 fires a second through beat."""
        from django.utils import timezone

        from tasks_app import services
        from tasks_app.models import Execution

        seconds = self.args.latency_seconds
        worker = self.workers(f"ours-{pool}-latency", pool, concurrency, processes)
        beat = self.beat()
        # Time to create the jobs before the first fires (about 25 ms each on a busy 2-core machine).
        start = timezone.now() + timedelta(seconds=2 + LATENCY_JOBS * 0.04)
        namespace = f"bench-latency-{pool}-{concurrency}x{processes}"
        for index in range(LATENCY_JOBS):
            services.create_job(
                namespace=namespace, name=f"tick-{index}",
                trigger={"kind": "interval", "every_seconds": 1, "repeat_count": seconds,
                         "start_at": (start + timedelta(seconds=index / LATENCY_JOBS)).isoformat()},
                callback={"kind": "http", "url": self.receiver.url("/ours"), "body": '{"n": 1}', "body_format": "json"},
            )  # fmt: skip
        all_created = timezone.now()
        executions = Execution.objects.filter(job__namespace=namespace)
        expected = LATENCY_JOBS * seconds
        wait_for(
            lambda: executions.filter(status="succeeded").count() >= expected, timeout=seconds + 120, every=0.5, message="latency fires"
        )
        beat.stop()
        worker.stop()
        arrivals = self.receiver.read()
        stages = executions.values_list("id", "due_at", "dispatched_at", "started_at")
        sent, claimed, requested = [], [], []
        # A fire due before the last job was created measures the bench, not the platform.
        measured = [stage for stage in stages if stage[1] >= all_created]
        if len(measured) < len(stages):
            print(f"  left out {len(stages) - len(measured)} fires due while the jobs were being created", flush=True)
        for pk, due, dispatched, started in measured:
            if str(pk) in arrivals:
                sent.append((dispatched - due).total_seconds() * 1000)
                claimed.append((started - due).total_seconds() * 1000)
                requested.append((arrivals[str(pk)] - due.timestamp()) * 1000)
        print(f"  {pool} ×{concurrency}x{processes} due→ p50/p99 ms: " + ", ".join(
            f"{name} {percentile(values, 0.5):.1f}/{percentile(values, 0.99):.1f}"
            for name, values in (("sent by beat", sent), ("started_at (call began)", claimed), ("request", requested))
        ), flush=True)  # fmt: skip
        return requested

    # --- stock ----------------------------------------------------------------------------
    def stock(self, mode: str) -> Result:
        from django.db import connection
        from django.db.models import Max
        from django_celery_results.models import TaskResult

        result = Result(f"stock requests.post, results {mode}", "prefork ×2", n=self.args.n)
        first_result = TaskResult.objects.aggregate(m=Max("id"))["m"] or 0
        connection.close()
        before = self.counter.read()
        worker = self.worker(f"stock-{mode}", "prefork", 2, app="bench.execution_stock", env={"BENCH_STOCK_RESULTS": mode})
        result.rss_start = worker.rss_mb()
        tag = f"stock-{mode}"
        started = time.time()
        self.publish_stock(tag, self.args.n)
        self.wait_stock(tag, self.args.n, timeout=max(300.0, self.args.n / 20))
        finished = max(v for k, v in self.receiver.arrivals.items() if k.startswith(f"{tag}-"))
        if mode != "off":
            stored = TaskResult.objects.filter(id__gt=first_result, status="SUCCESS")
            wait_for(lambda: stored.count() >= self.args.n, timeout=120, every=0.25, message="stock results")
            finished = max(finished, stored.aggregate(m=Max("date_done"))["m"].timestamp())
        result.per_second = self.args.n / (finished - started)
        result.rss_after = worker.rss_mb()
        result.duplicates = self.receiver.duplicates
        worker.stop()
        connection.close()
        self.count_writes(result, before)
        if self.args.latency_seconds:
            result.latency_ms = self.stock_latency(mode)
        return result

    def publish_stock(self, tag: str, count: int, *, start: float = 0.0, rate: float | None = None) -> None:
        """``count`` stock messages marked ``<tag>-<i>``: at once, or the i-th at start + i/rate."""
        with self.publisher.producer_or_acquire() as producer:
            for i in range(count):
                if rate:
                    time.sleep(max(0.0, start + i / rate - time.time()))
                arguments = [self.receiver.url("/stock"), f"{tag}-{i}"]
                self.publisher.send_task("bench.stock_post", args=arguments, queue=os.environ["CELERY_QUEUE"], producer=producer)

    def wait_stock(self, tag: str, count: int, *, timeout: float) -> None:
        def arrived() -> bool:
            return sum(1 for marker in self.receiver.read() if marker.startswith(f"{tag}-")) >= count

        wait_for(arrived, timeout=timeout, every=0.25, message=f"{tag} callbacks")

    def stock_latency(self, mode: str) -> list[float]:
        worker = self.worker(f"stock-{mode}-latency", "prefork", 2, app="bench.execution_stock", env={"BENCH_STOCK_RESULTS": mode})
        tag, rate, total = f"stock-{mode}-latency", LATENCY_JOBS, LATENCY_JOBS * self.args.latency_seconds
        start = time.time() + 1
        self.publish_stock(tag, total, start=start, rate=rate)
        self.wait_stock(tag, total, timeout=300)
        worker.stop()
        prefix = f"{tag}-"
        return [
            (moment - (start + int(marker[len(prefix) :]) / rate)) * 1000
            for marker, moment in self.receiver.arrivals.items()
            if marker.startswith(prefix)
        ]

    # --- shared ---------------------------------------------------------------------------
    def count_writes(self, result: Result, before: tuple[int, int], *, extra_rows: int = 0, extra_transactions: int = 0) -> None:
        if self.counter.url is None:
            return
        rows, transactions = self.counter.read()
        result.writes = (rows - before[0] - extra_rows) / result.n
        result.transactions = (transactions - before[1] - extra_transactions) / result.n


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="executions per variant (default 20,000)")
    parser.add_argument("--latency-seconds", type=int, default=15, help="seconds of 200 fires/s per variant")
    parser.add_argument(
        "--pools", default="threads:8x2,prefork:2", help="our pools: pool:concurrency[xworkers], e.g. prefork:2,threads:8x2"
    )
    parser.add_argument("--stock", default="off,default,tuned", help="stock variants to run (off, default, tuned; empty for none)")
    parser.add_argument("--database-url", help="the bench's database (dropped and recreated)")
    parser.add_argument("--redis-db", type=int, default=11)
    parser.add_argument("--queue", default="bench-execution")
    parser.add_argument("--purge-rows", type=int, default=1_000_000, help="old rows to purge while the API is measured (0: skip)")
    parser.add_argument("--soak", type=int, default=0, help="then run this many executions through the first pool, printing its memory")
    parser.add_argument("--profile", type=int, default=0, help="sample workers and beat with py-spy for this many seconds")
    return parser.parse_args()


def clear_redis(queue: str) -> None:
    from tasks_app import redis as platform_redis

    client = platform_redis.client()
    for pattern in (f"{queue}*", f"_kombu.binding.{queue}*", "unacked*"):
        for key in client.scan_iter(pattern, count=1000):
            client.delete(key)


def main() -> None:
    args = parse_arguments()
    database_url = bench_database_url(args.database_url)
    os.environ.update(environment(database_url, redis_db=args.redis_db, queue=args.queue))
    print(f"database {database_url.rsplit('@', 1)[-1]}, redis db {args.redis_db}, queue {args.queue}, N={args.n:,}", flush=True)
    recreate_database(database_url)
    import django

    django.setup()
    clear_redis(args.queue)
    work_dir = Path(tempfile.mkdtemp(prefix="bench-execution-"))
    print(f"logs in {work_dir}", flush=True)
    bench = Bench(args, work_dir)
    try:
        run(bench, args)
    finally:
        bench.stop_all()


def run(bench: Bench, args: argparse.Namespace) -> None:
    print(machine_load("at the start"), flush=True)
    keepalive, close = bench.receiver.ceiling(keepalive=True), bench.receiver.ceiling(keepalive=False)
    print(f"receiver ceiling (nginx, wrk -c32 POST): {keepalive:,.0f} req/s keep-alive, {close:,.0f} req/s new connection each", flush=True)
    results: list[Result] = []
    for spec in filter(None, args.pools.split(",")):
        results.append(bench.ours(*pool_spec(spec)))
        print(f"  done: {results[-1].row()}", flush=True)
    for mode in filter(None, args.stock.split(",")):
        results.append(bench.stock(mode))
        print(f"  done: {results[-1].row()}", flush=True)
    print_table(
        f"Execution path, N={args.n:,} HTTP callbacks per variant (receiver: {keepalive:,.0f} req/s keep-alive)",
        COLUMNS, [r.row() for r in results],
    )  # fmt: skip
    print(machine_load("at the end"), flush=True)
    if args.soak:
        pool, concurrency, processes = pool_spec(args.pools.split(",")[0])
        bench.soak(pool, concurrency, processes, args.soak)
    if args.purge_rows:
        from bench.execution_purge import purge_under_load

        purge_under_load(rows=args.purge_rows, work_dir=bench.work_dir)


if __name__ == "__main__":
    main()

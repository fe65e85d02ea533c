"""Server time of every console page at scale: seeds jobs, their beat rows and executions, then
times each page with Django's test Client as a staff user (the whole middleware and admin stack,
no network) and prints a table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/console_bench python bench/console.py
    python bench/console.py --jobs 10000 --executions 100000      # smaller
    make bench-console BENCH_ARGS="--jobs 10000 --executions 100000"

The database's name must contain "bench" (it is emptied and seeded), unless --force. Seeding is
skipped when the database already holds the requested numbers (--reseed to redo it). Rows are
written with bulk_create in batches: the point is the console's reads, not the services' writes.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/console_bench")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask  # noqa: E402
from django_celery_results.models import TaskResult  # noqa: E402

from bench.common import print_table  # noqa: E402
from tasks_app.models import Dialect, Execution, Job  # noqa: E402
from tasks_app.schedules import FIRE_JOB_TASK  # noqa: E402

DIALECTS = [(Dialect.V1, 40), (Dialect.HANGFIRE, 15), (Dialect.XTIMER, 15), (Dialect.CRONTAB, 15), (Dialect.DISPATCH, 15)]
CRONS = [
    ("0 12 * * *", "unix", "Asia/Shanghai"), ("*/5 * * * *", "unix", "UTC"), ("0 30 2 * * ?", "quartz", "Asia/Shanghai"),
    ("0 0/15 * ? * MON-FRI", "quartz", "Europe/Berlin"), ("0 0 9 1 * *", "unix", "America/New_York"), ("30 * * * * *", "unix", "UTC"),
]  # fmt: skip
NAMESPACES = 500
FAILING_SHARE = 0.02  # jobs that mostly fail: the ones an operator has to find


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--executions", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=7, help="executions are spread over this many days back")
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page (after one warm-up)")
    parser.add_argument("--reseed", action="store_true", help="empty and seed again even if the sizes match")
    parser.add_argument("--force", action="store_true", help="allow a database whose name lacks 'bench'")
    return parser.parse_args()


# --- seeding ---------------------------------------------------------------------------------


def _trigger(rng: random.Random, index: int, now: datetime) -> tuple[dict[str, Any], datetime | None, bool]:
    """A job's trigger JSON, next fire time and whether it is a finished one-shot."""
    roll = rng.random()
    soon = now + timedelta(seconds=rng.randint(1, 86_400))
    if roll < 0.6:
        cron, syntax, zone = CRONS[index % len(CRONS)]
        return {"kind": "cron", "cron": cron, "syntax": syntax, "time_zone": zone, "start_at": None, "end_at": None}, soon, False
    if roll < 0.9:
        every = rng.choice([60, 300, 600, 3600])
        start = (now - timedelta(days=30)).isoformat()
        trigger = {"kind": "interval", "every_seconds": every, "start_at": start, "end_at": None, "repeat_count": None, "time_zone": "UTC"}
        return trigger, soon, False
    at = now - timedelta(days=rng.randint(1, 6))
    return {"kind": "at", "at": at.isoformat(), "time_zone": "UTC"}, None, True


def _schedules(now: datetime) -> dict[str, Any]:
    every_day = {"day_of_month": "*", "month_of_year": "*", "day_of_week": "*", "timezone": "UTC"}
    crontabs = [CrontabSchedule.objects.get_or_create(minute="0", hour=str(h), **every_day)[0] for h in range(24)]
    intervals = [IntervalSchedule.objects.get_or_create(every=n, period=IntervalSchedule.SECONDS)[0] for n in (60, 300, 600, 3600)]
    moments = [now - timedelta(days=d, hours=h) for d in range(1, 7) for h in range(24)]
    clocked = [ClockedSchedule.objects.get_or_create(clocked_time=moment)[0] for moment in moments]
    return {"cron": crontabs, "interval": intervals, "at": clocked}


def _progress(what: str, done: int, total: int, step: int) -> None:
    """A line at every tenth of the way."""
    if done * 10 // total > (done - step) * 10 // total:
        print(f"  {what}: {done:,}/{total:,}", flush=True)


def seed_jobs(count: int, batch: int, rng: random.Random, now: datetime) -> None:
    schedules = _schedules(now)
    dialects = [d for d, weight in DIALECTS for _ in range(weight)]
    for start in range(0, count, batch):
        tasks, jobs = [], []
        for index in range(start, min(count, start + batch)):
            trigger, next_fire, finished = _trigger(rng, index, now)
            paused = not finished and rng.random() < 0.05
            kind = trigger["kind"]
            schedule = rng.choice(schedules[kind])
            tasks.append(
                PeriodicTask(
                    name=f"bench job {index}",
                    task=FIRE_JOB_TASK,
                    args=f"[{index}]",
                    enabled=not (paused or finished),
                    one_off=kind == "at",
                    interval=schedule if kind == "interval" else None,
                    crontab=schedule if kind == "cron" else None,
                    clocked=schedule if kind == "at" else None,
                    description=str(trigger),
                )  # fmt: skip
            )
            jobs.append(
                Job(
                    dialect=rng.choice(dialects),
                    namespace=f"ns-{index % NAMESPACES}",
                    name=f"job-{index}",
                    trigger=trigger,
                    callback={
                        "kind": "http",
                        "url": f"http://svc-{index % 50}.internal:8080/run",
                        "method": "POST",
                        "headers": {},
                        "body": None,
                        "body_format": "raw",
                        "timeout_seconds": 10.0,
                        "success_regexp": None,
                    },
                    retry={"delays_seconds": [2, 4, 8]},
                    time_zone=trigger["time_zone"],
                    enabled=not paused,
                    next_fire_at=None if finished else next_fire,
                    fire_count=rng.randint(0, 500),
                )  # fmt: skip
            )
        with transaction.atomic():
            PeriodicTask.objects.bulk_create(tasks, batch_size=batch)
            for job, task in zip(jobs, tasks, strict=True):
                job.periodic_task = task
            Job.objects.bulk_create(jobs, batch_size=batch)
        _progress("jobs", min(count, start + batch), count, batch)


def _execution(rng: random.Random, job_id: int, failing: bool, now: datetime, due: datetime) -> Execution:
    roll = rng.random()
    if due > now - timedelta(minutes=2) and roll < 0.3:
        status = rng.choice(["queued", "running"])
    elif roll < (0.6 if failing else 0.005):
        status = "failed"
    elif roll < (0.62 if failing else 0.015):
        status = "skipped"
    else:
        status = "succeeded"
    reason = rng.choices(["schedule", "retry", "manual"], [93, 5, 2])[0]
    started = due + timedelta(milliseconds=rng.lognormvariate(4, 1)) if status != "queued" and status != "skipped" else None
    finished = started + timedelta(milliseconds=rng.uniform(20, 2000)) if started and status != "running" else None
    failed = status == "failed"
    return Execution(
        job_id=job_id, scheduled_for=due, attempt=2 if reason == "retry" else 1, reason=reason, status=status, due_at=due,
        dispatched_at=due if started else None, started_at=started, finished_at=finished if status != "skipped" else due,
        request={"method": "POST", "url": f"http://svc-{job_id % 50}.internal:8080/run", "headers": {"X-Job-Id": str(job_id)}},
        response_status=(503 if failed else 200) if started else None,
        response_headers={"Content-Type": "application/json", "Server": "svc"} if started else {},
        response_body=('{"error": "upstream unavailable"}' if failed else '{"ok": true}') if started else "",
        error="HTTP 503" if failed else ("missed by more than 60s (skip)" if status == "skipped" else ""),
        task_id=f"bench-{job_id}-{due.timestamp()}" if started else "",
    )  # fmt: skip


def seed_executions(count: int, batch: int, rng: random.Random, now: datetime, days: int) -> None:
    """Oldest first, as a running platform writes them (ids and heap order follow time)."""
    job_ids = list(Job.objects.values_list("pk", flat=True))
    failing = set(rng.sample(job_ids, max(1, int(len(job_ids) * FAILING_SHARE))))
    span = timedelta(days=days) / count
    for start in range(0, count, batch):
        rows = []
        for offset in range(min(batch, count - start)):
            job_id = rng.choice(job_ids)
            due = now - timedelta(days=days) + span * (start + offset)
            rows.append(_execution(rng, job_id, job_id in failing, now, due))
        Execution.objects.bulk_create(rows, batch_size=batch)
        _progress("executions", start + len(rows), count, batch)


def seed(arguments: argparse.Namespace) -> None:
    have = (Job.objects.count(), Execution.objects.count())
    if have == (arguments.jobs, arguments.executions) and not arguments.reseed:
        print(f"reusing {have[0]:,} jobs and {have[1]:,} executions")
        return
    print(f"seeding {arguments.jobs:,} jobs and {arguments.executions:,} executions (had {have[0]:,} / {have[1]:,})")
    started = time.monotonic()
    with connection.cursor() as cursor:
        tables = ["tasks_app_execution", "tasks_app_job", "django_celery_beat_periodictask"]
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
    rng, now = random.Random(42), timezone.now()
    seed_jobs(arguments.jobs, arguments.batch, rng, now)
    seed_executions(arguments.executions, arguments.batch, rng, now, arguments.days)
    analyse()
    print(f"seeded in {time.monotonic() - started:.0f} s")


def analyse() -> None:
    """Statistics and visibility maps as a database in service has them (autovacuum's work)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("tasks_app_job", "tasks_app_execution", "django_celery_beat_periodictask"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")


# --- timing ----------------------------------------------------------------------------------


def pages() -> list[tuple[str, str]]:
    failing_job = Job.objects.filter(executions__status="failed").order_by("-id").values_list("pk", flat=True).first()
    job = failing_job or Job.objects.order_by("-id").values_list("pk", flat=True).first()
    execution = Execution.objects.filter(job_id=job).order_by("-id").first()
    if execution is not None and execution.task_id:
        TaskResult.objects.get_or_create(task_id=execution.task_id, defaults={"status": "SUCCESS", "task_name": "tasks_app.tasks.execute"})
    job_row = Job.objects.filter(pk=job).values_list("periodic_task_id", flat=True).first()
    deep = max(1, min(100, Job.objects.count() // 100))
    jobs, executions, beat = "/admin/tasks_app/job/", "/admin/tasks_app/execution/", "/admin/django_celery_beat/periodictask/"
    return [
        ("dashboard", "/admin/"),
        ("jobs", jobs),
        (f"jobs, page {deep}", f"{jobs}?p={deep}"),
        ("jobs ?dialect=xtimer", f"{jobs}?dialect__exact=xtimer"),
        ("jobs ?namespace=ns-42", f"{jobs}?namespace=ns-42"),
        ("jobs ?state=scheduled", f"{jobs}?state=scheduled"),
        ("jobs ?state=paused", f"{jobs}?state=paused"),
        ("jobs ?state=finished", f"{jobs}?state=finished"),
        ("jobs ?outcome=failed", f"{jobs}?outcome=failed"),
        ("jobs ?outcome=succeeded", f"{jobs}?outcome=succeeded"),
        ("jobs ?outcome=skipped", f"{jobs}?outcome=skipped"),
        ("jobs ?q=job-4242 (search)", f"{jobs}?q=job-4242"),
        ("jobs, all filters", f"{jobs}?dialect__exact=v1&namespace=ns-7&state=scheduled&outcome=failed"),
        ("job page", f"{jobs}{job}/change/"),
        ("job add form", f"{jobs}add/"),
        ("executions", executions),
        ("executions ?status=failed", f"{executions}?status__exact=failed"),
        ("executions ?status=running", f"{executions}?status__exact=running"),
        ("executions ?reason=manual", f"{executions}?reason__exact=manual"),
        ("executions of one job", f"{executions}?job__id__exact={job}"),
        ("execution page", f"{executions}{execution.pk}/change/" if execution else executions),
        ("beat rows", beat),
        ("beat rows ?of_job=no", f"{beat}?of_job=no"),
        ("beat rows ?enabled=no", f"{beat}?enabled__exact=0"),
        ("beat row page (a job's)", f"{beat}{job_row}/change/"),
    ]


def measure(client: Client, url: str, repeat: int) -> tuple[float, list[float], int, int]:
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        response = client.get(url)  # the first request (cold caches), and the query count
        first = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return first, times, len(queries), len(response.content)


def report(arguments: argparse.Namespace) -> None:
    user, _ = get_user_model().objects.get_or_create(username="bench-operator", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    jobs, executions = Job.objects.count(), Execution.objects.count()
    newest = Execution.objects.order_by("-id").values_list("due_at", flat=True).first()
    age = f"seeded {(timezone.now() - newest).total_seconds() / 60:.0f} min ago" if newest else "no executions"
    print(f"\n{connection.vendor}, {jobs:,} jobs, {executions:,} executions ({age}), {arguments.repeat} timed requests per page")
    rows = []
    for name, url in pages():
        first, times, queries, size = measure(client, url, arguments.repeat)
        rows.append([name, first, statistics.median(times), max(times), queries, round(size / 1024)])
    columns = ["page", "first ms", "median ms", "max ms", "queries", "KiB"]
    print_table("first: the first request (cold caches); median and max: the timed ones after it", columns, rows)


def main() -> None:
    arguments = parse()
    name = str(connection.settings_dict["NAME"])
    if "bench" not in name and not arguments.force:
        raise SystemExit(f"refusing to empty database {name!r}: its name lacks 'bench' (use --force)")
    call_command("migrate", verbosity=0)
    seed(arguments)
    report(arguments)


if __name__ == "__main__":
    main()

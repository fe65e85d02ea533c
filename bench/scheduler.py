"""make bench-scheduler: JobScheduler against stock django-celery-beat, side by side, one run.

For each size (enabled jobs, mostly far in the future) it fires a measured load of about
200 occurrences per second (cron every second, intervals, one-offs) for --duration seconds while
1,000 jobs a minute are created or changed through the services, and prints: lateness of fires
(the callback's arrival at a local receiver minus due time: p50, p99, max), missed and duplicated fires, beat's resident
memory, start-up time to the first fire, the cost of a create/change, and burst fires per second.
Extra runs: two beats at once, and two beats with one killed (SIGKILL) half-way.
Needs PostgreSQL (DATABASE_URL, default a bench_scheduler database on the local server) and Redis.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (
    DEFAULT_DATABASE,
    Process,
    Receiver,
    bench_environment,
    celery,
    machine_load,
    percentile,
    pool_spec,
    print_table,
    recreate_database,
)  # noqa: E402

CRON_JOBS, INTERVAL_JOBS, INTERVAL_SECONDS, ONE_OFFS_PER_SECOND = 20, 800, 10, 100  # 20 + 80 + 100 = 200 fires/s
CHURN_EVERY_SECONDS = 0.06  # 1,000 creates/changes a minute
FAR_FUTURE_CRON = "0 0 0 1 1 *"  # yearly: loaded, never due during a run
SEED_BATCH = 20_000


@dataclass
class Result:
    scheduler: str
    jobs: int
    beats: int = 1
    note: str = ""
    lateness_ms: list[float] = field(default_factory=list)
    sent_ms: list[float] = field(default_factory=list)
    expected: int = 0
    missed: int = 0
    duplicated: int = 0
    beat_rss_mb: float = 0.0
    startup_s: float = float("nan")
    change_ms: list[float] = field(default_factory=list)
    burst_per_s: float = float("nan")

    def row(self) -> list[Any]:
        late = self.lateness_ms
        return [
            self.scheduler, self.jobs, self.beats, self.note or "-", len(late), percentile(self.sent_ms, 0.99),
            percentile(late, 0.5), percentile(late, 0.99),
            max(late) if late else float("nan"), self.missed, self.duplicated, self.beat_rss_mb, self.startup_s,
            percentile(self.change_ms, 0.5), self.burst_per_s,
        ]  # fmt: skip


COLUMNS = [
    "scheduler", "jobs", "beats", "run", "fires", "sent p99 ms", "late p50 ms", "late p99 ms", "late max ms", "missed", "dup",
    "beat RSS MB", "start-up s", "change p50 ms", "burst fires/s",
]  # fmt: skip


# --- our scheduler -------------------------------------------------------------------------


def seed_jobs(count: int, url: str, *, prefix: str, trigger_for: Any, next_for: Any) -> list[int]:
    """Jobs and their beat rows written in bulk (the services would take hours at 1M), with
    PostgreSQL's COPY: every row is one template row with its own name, trigger and times."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from tasks_app.models import Job

    interval, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.DAYS)
    callback = {"kind": "http", "url": url, "method": "POST", "headers": {}, "body": None, "body_format": "raw",
                "timeout_seconds": 10, "success_regexp": None}  # fmt: skip
    task_template = PeriodicTask(name="", task="tasks_app.tasks.fire_job", interval=interval, args="[]")
    job_template = Job(namespace="bench", name="", trigger={}, time_zone="UTC", callback=callback)
    ids: list[int] = []
    for start in range(0, count, SEED_BATCH):
        numbers = range(start, min(count, start + SEED_BATCH))
        rows = copy_rows(PeriodicTask, task_template, [{"name": f"{prefix}-{i}", "args": f"[{i}]"} for i in numbers])
        jobs = [
            {"name": f"{prefix}-{i}", "trigger": trigger_for(i), "periodic_task_id": row, "next_fire_at": next_for(i)}
            for i, row in zip(numbers, rows, strict=True)
        ]
        ids.extend(copy_rows(Job, job_template, jobs))
    return ids


def copy_rows(model: Any, template: Any, rows: list[dict[str, Any]]) -> list[int]:
    """COPY one row per item of ``rows`` into ``model``'s table: ``template``'s values (each
    prepared by its model field, defaults and auto times included) with the item's own, under
    ids taken from the table's sequence; returns the ids."""
    from django.db import connections, transaction

    connection = connections["default"]
    table, fields = model._meta.db_table, model._meta.concrete_fields
    base = [field.get_db_prep_save(field.pre_save(template, True), connection) for field in fields]
    own = [(index, field) for index, field in enumerate(fields) if field.attname in rows[0]]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)", [len(rows)])
        ids = [row[0] for row in cursor.fetchall()]
        pk_index = fields.index(model._meta.pk)
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for pk, values in zip(ids, rows, strict=True):
                row = list(base)
                row[pk_index] = pk
                for index, field in own:
                    row[index] = field.get_db_prep_save(values[field.attname], connection)
                copy.write_row(row)
    return ids


def analyze() -> None:
    """Planner statistics for the rows just bulk-loaded, as a live database has them: without
    this, the measured minute at 1M jobs runs on an empty table's plans and beside autovacuum.
    Then a checkpoint: the load's WAL is written out now, not by a checkpoint that a live
    database would not have pending, in the middle of the measured minute."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")


def seed_measured_load(start: datetime, duration: int, url: str) -> set[tuple[int, datetime]]:
    """About 200 fires a second from `start` for `duration` s; returns the expected occurrences."""
    expected: set[tuple[int, datetime]] = set()
    cron_ids = seed_jobs(
        CRON_JOBS, url, prefix="cron", trigger_for=lambda i: {"kind": "cron", "cron": "* * * * * *", "syntax": "unix", "time_zone": "UTC"},
        next_for=lambda i: start,
    )  # fmt: skip
    expected |= {(job, start + timedelta(seconds=s)) for job in cron_ids for s in range(duration)}
    offsets = {i: start + timedelta(seconds=INTERVAL_SECONDS * i / INTERVAL_JOBS) for i in range(INTERVAL_JOBS)}
    interval_ids = seed_jobs(
        INTERVAL_JOBS, url, prefix="interval",
        trigger_for=lambda i: {
            "kind": "interval", "every_seconds": INTERVAL_SECONDS, "start_at": offsets[i].isoformat(), "time_zone": "UTC"
        },
        next_for=lambda i: offsets[i],
    )  # fmt: skip
    for i, job in enumerate(interval_ids):
        moment = offsets[i]
        while moment < start + timedelta(seconds=duration):
            expected.add((job, moment))
            moment += timedelta(seconds=INTERVAL_SECONDS)
    count = ONE_OFFS_PER_SECOND * duration
    moments = {i: start + timedelta(seconds=i / ONE_OFFS_PER_SECOND) for i in range(count)}
    one_off_ids = seed_jobs(
        count, url, prefix="once", trigger_for=lambda i: {"kind": "at", "at": moments[i].isoformat(), "time_zone": "UTC"},
        next_for=lambda i: moments[i],
    )  # fmt: skip
    expected |= {(job, moments[i]) for i, job in enumerate(one_off_ids)}
    return expected


class Churn(threading.Thread):
    """1,000 creates/changes a minute through the services; a quarter move a job to fire soon."""

    def __init__(self, background: list[int], url: str) -> None:
        super().__init__(daemon=True)
        self.background, self.url = background, url
        self.durations: list[float] = []
        self.moved: set[tuple[int, datetime]] = set()
        self.stopping = threading.Event()

    def run(self) -> None:
        from django.db import connection

        from tasks_app import clock, services
        from tasks_app.models import Job

        number = 0
        while not self.stopping.wait(CHURN_EVERY_SECONDS):
            number += 1
            began = time.perf_counter()
            if number % 2:
                services.create_job(
                    namespace="churn", name=f"c-{number}", callback={"url": self.url},
                    trigger={"kind": "cron", "cron": f"{number % 60} 0 0 1 1 *", "syntax": "unix"},
                )  # fmt: skip
            else:
                job = Job.objects.get(pk=random.choice(self.background))
                # A job changed again before its moved occurrence fired no longer owes that fire.
                self.moved = {key for key in self.moved if key[0] != job.pk or key[1] <= clock.now()}
                if number % 4 == 0 and job.fire_count == 0:
                    updated = services.update_job(job=job, trigger={"kind": "delay", "seconds": 3})
                    self.moved.add((job.pk, updated.next_fire_at))
                else:
                    services.update_job(job=job, trigger={"kind": "cron", "cron": f"{number % 60} 0 0 1 1 *", "syntax": "unix"})
            self.durations.append((time.perf_counter() - began) * 1000)
        connection.close()


def wait_until(condition: Any, timeout: float, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def run_ours(size: int, duration: int, *, beats: int, kill_one: bool, pool: str, log_dir: Path) -> Result:
    from django.db import connections

    from tasks_app import clock, heartbeats, services
    from tasks_app import redis as platform_redis
    from tasks_app.models import Execution

    connections.close_all()
    recreate_database(os.environ["DATABASE_URL"])
    platform_redis.client().flushdb()
    note = "kill 1 beat" if kill_one else ""
    result = Result("JobScheduler", size, beats, note)
    receiver = Receiver()
    measured = CRON_JOBS + INTERVAL_JOBS + ONE_OFFS_PER_SECOND * duration
    background = seed_jobs(
        max(0, size - measured), receiver.url, prefix="bg",
        trigger_for=lambda i: {"kind": "cron", "cron": FAR_FUTURE_CRON, "time_zone": "UTC"},
        next_for=lambda i: datetime(2027, 1, 1, tzinfo=clock.now().tzinfo) + timedelta(seconds=i % 86400),
    )  # fmt: skip
    analyze()
    processes = workers("worker", pool, log_dir)
    try:
        wait_until(lambda: heartbeats.alive("worker"), 60)
        probe = services.create_job(namespace="bench", name="probe", trigger={"kind": "now"}, callback={"url": receiver.url})
        schedulers = [
            Process(
                f"beat-{n}",
                celery("beat", "-S", "tasks_app.scheduler:JobScheduler", "-s", str(log_dir / f"beat-{n}.db"), "-l", "warning"),
                log_dir,
            )
            for n in range(beats)
        ]
        processes += schedulers
        if wait_until(lambda: Execution.objects.filter(job=probe, started_at__isnull=False).exists(), 120):
            started = Execution.objects.get(job=probe).started_at
            result.startup_s = started.timestamp() - schedulers[0].started
        start = (clock.now() + timedelta(seconds=8)).replace(microsecond=0)
        expected = seed_measured_load(start, duration, receiver.url)
        churn = Churn(background, receiver.url)
        churn.start()
        if kill_one:
            time.sleep(max(0.0, (start - clock.now()).total_seconds()) + duration / 2)
            schedulers[0].kill()
        time.sleep(max(0.0, (start + timedelta(seconds=duration) - clock.now()).total_seconds()))
        churn.stopping.set()
        churn.join()
        # The churn starts before the measured window: fires it moved to before ``start`` are not counted.
        expected |= {key for key in churn.moved if start <= key[1] < start + timedelta(seconds=duration)}
        wait_until(lambda: not Execution.objects.filter(status__in=["queued", "running"], due_at__lte=clock.now()).exists(), 30)
        if beats == 1 and not kill_one:
            result.burst_per_s = burst(receiver.url)
        arrivals = receiver.close()
        arrived_at: dict[str, float] = {}  # each execution's first call at the receiver
        for moment, execution_id in arrivals:
            arrived_at.setdefault(execution_id, moment)
        rows = Execution.objects.filter(reason="schedule", scheduled_for__gte=start).exclude(job=probe)
        fired = {(r.job_id, r.scheduled_for): r for r in rows if str(r.pk) in arrived_at}
        result.expected = len(expected)
        result.missed = len(expected - set(fired))
        explain_missed(sorted(expected - set(fired))[:10], churn.moved)
        # A fire's lateness: its callback's arrival at the receiver minus its due time.
        result.lateness_ms = [(arrived_at[str(r.pk)] - r.scheduled_for.timestamp()) * 1000 for key, r in fired.items() if key in expected]
        explain_latest([r for key, r in fired.items() if key in expected], arrived_at, churn.moved)
        result.sent_ms = [
            (r.dispatched_at - r.scheduled_for).total_seconds() * 1000 for key, r in fired.items() if key in expected and r.dispatched_at
        ]
        result.change_ms = churn.durations
        result.beat_rss_mb = max(p.peak_rss_mb for p in schedulers)
        unexpected = set(fired) - expected - {(j, m) for j, m in fired if m >= start + timedelta(seconds=duration)}
        result.duplicated = len(arrivals) - len(arrived_at) + len(unexpected)
    finally:
        for process in processes:
            process.stop()
        receiver.close()
    return result


def explain_missed(missed: list[tuple[int, datetime]], moved: set[tuple[int, datetime]]) -> None:
    """Print what became of each fire owed but not seen: the job now, and its executions."""
    from tasks_app.models import Execution, Job

    for job_id, moment in missed:
        job = Job.objects.filter(pk=job_id).values("name", "enabled", "next_fire_at", "fire_count", "trigger").first()
        runs = list(Execution.objects.filter(job_id=job_id).values_list("scheduled_for", "status", "dispatched_at", "started_at"))
        print(f"  missed job {job_id} at {moment.isoformat()} (moved: {(job_id, moment) in moved}): {job}; runs {runs}", flush=True)


def explain_latest(fires: list[Any], arrived_at: dict[str, float], moved: set[tuple[int, datetime]], count: int = 5) -> None:
    """Print the latest fires (over 250 ms late): each one's path from due to arrival."""
    late = sorted(fires, key=lambda r: arrived_at[str(r.pk)] - r.scheduled_for.timestamp())[-count:]
    for run in late:
        due = run.scheduled_for

        def after(moment: datetime | None, due: datetime = due) -> str:
            return "-" if moment is None else f"{(moment - due).total_seconds() * 1000:.0f}"

        arrival = (arrived_at[str(run.pk)] - due.timestamp()) * 1000
        if arrival > 250:
            print(
                f"  late {arrival:.0f} ms: job {run.job_id} ({run.job.trigger.get('kind')}, moved: {(run.job_id, due) in moved}) "
                f"due {due.isoformat()}, sent {after(run.dispatched_at)} ms, started {after(run.started_at)} ms",
                flush=True,
            )


def burst(url: str, count: int = 5000) -> float:
    """Fires per second, due time to worker start, for `count` one-offs due at one moment."""
    from tasks_app import clock
    from tasks_app.models import Execution, Job

    due = clock.now() + timedelta(seconds=3)
    ids = seed_jobs(
        count, url, prefix="burst", trigger_for=lambda i: {"kind": "at", "at": due.isoformat(), "time_zone": "UTC"}, next_for=lambda i: due
    )
    runs = Execution.objects.filter(job_id__gte=min(ids), job_id__lte=max(ids))
    # The end is read from the rows, not the poll: a poll a second keeps the bench's own load low.
    done = wait_until(lambda: runs.filter(started_at__isnull=False).count() >= count, 120, every=1.0)
    last = runs.order_by("-started_at").values_list("started_at", flat=True).first()
    Job.objects.filter(pk__in=ids).delete()
    return count / max(0.001, (last - due).total_seconds()) if done and last else float("nan")


def workers(name: str, spec: str, log_dir: Path, *options: str) -> list[Process]:
    """Worker processes for "pool:concurrency[xprocesses]", e.g. threads:8x2 (make run's)."""
    pool, concurrency, count = pool_spec(spec)
    queue = os.environ["CELERY_QUEUE"]
    arguments = ["worker", *options, "-P", pool, "-c", str(concurrency), "-Q", queue, "-l", "warning"]
    return [Process(f"{name}-{n}", celery(*arguments, "-n", f"{name}-{n}@%h"), log_dir) for n in range(count)]


# --- stock django-celery-beat ---------------------------------------------------------------


def run_stock(size: int, duration: int, *, log_dir: Path) -> Result:
    import redis
    from django.db import connections, transaction
    from django.utils import timezone
    from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask

    connections.close_all()
    recreate_database(os.environ["DATABASE_URL"])
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()
    result = Result("stock DatabaseScheduler", size, 1)
    hourly_on_new_year, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="*", day_of_month="1", month_of_year="1", day_of_week="*"
    )
    every_minute, _ = CrontabSchedule.objects.get_or_create(minute="*", hour="*", day_of_month="*", month_of_year="*", day_of_week="*")
    every_interval, _ = IntervalSchedule.objects.get_or_create(every=INTERVAL_SECONDS, period=IntervalSchedule.SECONDS)
    for start in range(0, size, 5000):
        with transaction.atomic():
            PeriodicTask.objects.bulk_create(
                PeriodicTask(name=f"bg-{i}", task="bench.record_start", crontab=hourly_on_new_year, kwargs=f'{{"marker": "bg-{i}"}}')
                for i in range(start, min(size, start + 5000))
            )
    analyze()
    (worker,) = workers("stock-worker", "prefork:2", log_dir, "-I", "bench.stock_tasks")  # stock Celery's own pool
    beat = None
    try:
        time.sleep(5)
        now = timezone.now()
        probe_clock = ClockedSchedule.objects.create(clocked_time=now)
        PeriodicTask.objects.create(
            name="probe",
            task="bench.record_start",
            clocked=probe_clock,
            one_off=True,
            kwargs=f'{{"marker": "probe", "due": {now.timestamp()}}}',
        )
        beat = Process("stock-beat", celery("beat", "-S", "django_celery_beat.schedulers:DatabaseScheduler", "-l", "warning"), log_dir)
        key = f"{os.environ['REDIS_KEY_PREFIX']}bench:starts"
        if wait_until(lambda: any(item.startswith(b"probe|") for item in client.lrange(key, 0, -1)), 180):
            started = next(float(i.split(b"|")[2]) for i in client.lrange(key, 0, -1) if i.startswith(b"probe|"))
            result.startup_s = started - beat.started
        start = (timezone.now() + timedelta(seconds=8)).replace(microsecond=0)
        count = ONE_OFFS_PER_SECOND * duration
        with transaction.atomic():
            for i in range(count):
                due = start + timedelta(seconds=i / ONE_OFFS_PER_SECOND)
                PeriodicTask.objects.create(
                    name=f"once-{i}", task="bench.record_start", one_off=True, clocked=ClockedSchedule.objects.create(clocked_time=due),
                    kwargs=f'{{"marker": "once-{i}", "due": {due.timestamp()}}}',
                )  # fmt: skip
            for i in range(CRON_JOBS):
                PeriodicTask.objects.create(
                    name=f"cron-{i}", task="bench.record_start", crontab=every_minute, kwargs=f'{{"marker": "cron-{i}"}}'
                )
            for i in range(INTERVAL_JOBS):
                PeriodicTask.objects.create(
                    name=f"interval-{i}", task="bench.record_start", interval=every_interval, kwargs=f'{{"marker": "interval-{i}"}}'
                )
        changes: list[float] = []
        stop_at = time.time() + (start - timezone.now()).total_seconds() + duration
        number = 0
        while time.time() < stop_at:
            number += 1
            began = time.perf_counter()
            row = PeriodicTask.objects.get(name=f"bg-{random.randrange(size)}") if size else None
            if row:
                row.description = f"changed {number}"
                row.save()
            changes.append((time.perf_counter() - began) * 1000)
            time.sleep(CHURN_EVERY_SECONDS)
        time.sleep(10)
        items = [i.decode().split("|") for i in client.lrange(key, 0, -1)]
        once = [(m, float(d), float(s)) for m, d, s in items if m.startswith("once-") and d]
        markers = [m for m, _, _ in once]
        result.expected = count
        result.missed = count - len(set(markers))
        result.duplicated = len(markers) - len(set(markers))
        result.lateness_ms = [(s - d) * 1000 for _, d, s in once]
        result.change_ms = changes
        result.beat_rss_mb = beat.peak_rss_mb
        result.note = "one-offs measured"
    finally:
        for process in (worker, beat):
            if process:
                process.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="enabled jobs per run, comma-separated")
    parser.add_argument("--duration", type=int, default=60, help="seconds of measured load per run")
    parser.add_argument("--stock-max", type=int, default=100000, help="largest size stock beat is run at")
    parser.add_argument("--ha-size", type=int, default=10000, help="size of the two-beat runs (0: skip them)")
    parser.add_argument("--pool", default="threads:8x2", help="our workers: pool:concurrency[xprocesses] (stock: prefork:2)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    args = parser.parse_args()
    os.environ.update(bench_environment(args.database_url, queue="bench-scheduler"))
    import django

    django.setup()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-scheduler-"))
    print(machine_load("at the start"), flush=True)
    results: list[Result] = []
    for size in (int(s) for s in args.sizes.split(",")):
        results.append(run_ours(size, args.duration, beats=1, kill_one=False, pool=args.pool, log_dir=log_dir))
        print_table("so far", COLUMNS, [r.row() for r in results])
        if size <= args.stock_max:
            results.append(run_stock(size, args.duration, log_dir=log_dir))
        else:
            results.append(Result("stock DatabaseScheduler", size, note=f"not run: above --stock-max {args.stock_max}"))
        print_table("so far", COLUMNS, [r.row() for r in results])
    if args.ha_size:
        results.append(run_ours(args.ha_size, args.duration, beats=2, kill_one=False, pool=args.pool, log_dir=log_dir))
        results.append(run_ours(args.ha_size, args.duration, beats=2, kill_one=True, pool=args.pool, log_dir=log_dir))
    print_table(
        f"Scheduler benchmark ({args.duration}s of ~200 fires/s per run, 1,000 changes/min; logs in {log_dir})",
        COLUMNS,
        [r.row() for r in results],
    )
    print(machine_load("at the end"))


if __name__ == "__main__":
    main()

"""Benchmark of creating jobs at producer speed: wrk sends creations (one-offs due soon, where
the dialect has them) to each dialect's create endpoint through the web processes `make run`
starts (the Procfile's web line, gunicorn 2 workers x 4 threads), with 8 connections, and
prints creates/s, latency p50/p99 and the web processes' CPU time per request (which the
machine's load does not inflate as it does wall time) per endpoint. Beside them, in the same run and on the same
processes: ``GET /api/v1/jobs/<id>`` (the framework's floor: a request with its token, one read, no
write) as the reference.

    make bench-api                 # or: python bench/api.py --seconds 10 --connections 8

After each endpoint's run the bench counts the jobs that endpoint's dialect holds: every
request wrk counted must have made exactly one job (those still in flight when wrk stops may
have made one more each). Its database
is its own, made afresh (BENCH_API_POSTGRES, default postgres://postgres@127.0.0.1:5432/bench_api);
Redis keys live under "bench-api:". No beat or worker runs: the figures are the API's alone.
Numbers depend on the machine and its load (printed); they are for comparing changes in one run."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import cpu_seconds, free_port, log_file, machine_load, print_table, recreate_database, wait_for  # noqa: E402

POSTGRES = os.environ.get("BENCH_API_POSTGRES", "postgres://postgres@127.0.0.1:5432/bench_api")
HOOK = "http://receiver.invalid/hook"  # never called: no worker runs
SERVICE_ID = 2001
# endpoint name: (path, JSON body with "@@" where each request puts its unique number, dialect)
ENDPOINTS: dict[str, tuple[str, str, str]] = {
    "v1 jobs": (
        "/api/v1/jobs",
        json.dumps({"namespace": "bench", "name": "job-@@", "trigger": {"kind": "delay", "seconds": 60}, "callback": {"url": HOOK}}),
        "v1",
    ),
    "hangfire enqueue": (
        "/api/hangfire/enqueue",
        json.dumps({"serviceId": SERVICE_ID, "messageId": 7, "data": '{"order": "@@"}', "xRequestId": "req-@@"}),
        "hangfire",
    ),
    "xtimer creatTimer": (
        "/xtimer/creatTimer",
        json.dumps(
            {
                "app": "bench",
                "name": "timer-@@",
                "status": 1,
                "cron": "0 0 3 * * *",
                "notifyHTTPParam": json.dumps({"method": "POST", "url": HOOK, "body": "{}"}),
            }
        ),
        "xtimer",
    ),
    "crontab add_task": (
        "/crontab/add_task",
        json.dumps(
            {
                "task_list": [
                    {"name": "task-@@", "enable": 1, "module": "bench", "type": 1, "start_time": "@START", "url": HOOK, "method": "post"}
                ]
            }
        ),
        "crontab",
    ),
    "dispatch add.do": (
        "/dispatchserver/add.do",
        json.dumps(
            {
                "recallConfig": {"recallType": "HTTP", "option": {"url": HOOK}, "data": {"order": 1}},
                "replace": False,
                "taskConfig": {
                    "triggerType": "SimpleTrigger",
                    "jobCode": "task-@@",
                    "groupCode": "bench",
                    "priority": 5,
                    "timeConfig": {"interval": 60, "intervalType": "SECOND", "isForever": False, "repeatCount": 1},
                },
            }
        ),
        "dispatch",
    ),
}
REFERENCE = "GET one job (reference)"
WARM_UP_SECONDS = 3

# Each request's body is the template with "@@" replaced by "<thread>-<count>": a unique name.
WRK_SCRIPT = """
local threads, counter, body = 0, 0, nil
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) body = args[1]; wrk.method = args[2]; wrk.headers["Content-Type"] = "application/json";
  wrk.headers["Authorization"] = "Token " .. args[3] end
function request()
  counter = counter + 1
  if wrk.method == "GET" then return wrk.format() end
  return wrk.format(nil, nil, nil, (body:gsub("@@", tid .. "-" .. counter)))
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def start_web(environment: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The Procfile's web line as `make run` starts it (its defaults), on a free port."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    port = free_port()
    environment = environment | {"HTTP_PORT": str(port), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    web = subprocess.Popen(["sh", "-c", "exec " + line.removeprefix("web:").strip()], cwd=ROOT, env=environment,
                           stdout=log_file(log, "wb"), stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _answers(base), timeout=60, message="gunicorn to answer")
    return web, base


def _answers(base: str) -> bool:
    import requests

    try:
        requests.get(f"{base}/api/schema", timeout=5)
        return True
    except requests.RequestException:
        return False


def make_token(environment: dict[str, str]) -> str:
    """A token for every namespace, its rate raised so the limiter is passed, not hit (a
    producer's token is given the rate it needs)."""
    command = [sys.executable, "manage.py", "create_api_token", "bench", "--namespace", "*", "--rate", "10000000/min"]
    output = subprocess.run(command, cwd=ROOT, env=environment, check=True, capture_output=True, text=True).stdout
    return output.strip().splitlines()[-1]


def prepare_api(base: str, token: str) -> str:
    """Service 2001 with a route for message 7, which hangfire's producer calls name, and one
    job for the reference to read; returns that job's path."""
    import requests

    headers = {"Authorization": f"Token {token}"}
    job = {"namespace": "reference", "name": "read", "trigger": {"kind": "delay", "seconds": 3600}, "callback": {"url": HOOK}}
    created = requests.post(f"{base}/api/v1/jobs", json=job, headers=headers, timeout=10)
    created.raise_for_status()
    answer = requests.post(f"{base}/api/v1/services", json={"service_id": SERVICE_ID, "base_url": HOOK},
                           headers=headers, timeout=10)  # fmt: skip
    answer.raise_for_status()
    route = {"message_id": 7, "path": "/orders/create"}
    requests.post(f"{base}/api/v1/services/{SERVICE_ID}/routes", json=route, headers=headers, timeout=10).raise_for_status()
    return f"/api/v1/jobs/{created.json()['id']}"


def wrk(url: str, *, method: str, body: str, token: str, seconds: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script.name, url, "--", body, method, token]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    os.unlink(script.name)
    found = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+)$", output, re.MULTILINE)
    if found is None:
        raise SystemExit(f"wrk printed no result:\n{output}")
    answered, duration, p50, p99, errors = (int(value) for value in found.groups())
    return {"requests": answered, "per_second": answered / (duration / 1e6), "p50": p50 / 1000, "p99": p99 / 1000, "errors": errors}


def jobs_of(dialect: str) -> int:
    from tasks_app.models import Job

    return Job.objects.filter(dialect=dialect).exclude(namespace="reference").count()


def bench(arguments: argparse.Namespace) -> list[list[Any]]:
    environment = os.environ | {"DATABASE_URL": arguments.database, "REDIS_KEY_PREFIX": "bench-api:", "LOG_LEVEL": "WARNING",
                                "DJANGO_SETTINGS_MODULE": "scheduler_project.settings"}  # fmt: skip
    os.environ.update(environment)
    recreate_database(arguments.database)
    import django

    django.setup()
    token = make_token(environment)
    web, base = start_web(environment, ROOT / "var" / "bench-api-web.log")
    rows: list[list[Any]] = []
    try:
        runs = [(REFERENCE, prepare_api(base, token), "GET", "", "")]
        chosen = [name for name in ENDPOINTS if name in arguments.endpoints.split(",") or arguments.endpoints == "all"]
        runs += [(name, ENDPOINTS[name][0], "POST", ENDPOINTS[name][1], ENDPOINTS[name][2]) for name in chosen]
        # Every thread of every web process answers before anything is measured.
        wrk(base + runs[0][1], method="GET", body="", token=token, seconds=WARM_UP_SECONDS, connections=arguments.connections)
        for name, path, method, body, dialect in runs:
            body = body.replace("@START", str(int(time.time()) + 3600))
            cpu_before = cpu_seconds(web.pid)
            result = wrk(base + path, method=method, body=body, token=token, seconds=arguments.seconds, connections=arguments.connections)
            cpu_ms = 1000 * (cpu_seconds(web.pid) - cpu_before) / max(1, result["requests"])
            made = jobs_of(dialect) if dialect else None
            # wrk counts the requests answered in time; those still in flight then may be made too
            exact = made is None or result["requests"] <= made <= result["requests"] + arguments.connections
            rows.append([name, result["per_second"], result["p50"], result["p99"], cpu_ms, result["errors"],
                         "-" if made is None else made, "yes" if exact else "NO"])  # fmt: skip
    finally:
        web.terminate()
        web.wait(timeout=30)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="seconds per endpoint (default 10)")
    parser.add_argument("--connections", type=int, default=8, help="wrk's connections (default 8)")
    parser.add_argument("--endpoints", default="all", help=f"comma-separated, of: {', '.join(ENDPOINTS)} (default all)")
    parser.add_argument("--database", default=POSTGRES, help="a PostgreSQL URL (default BENCH_API_POSTGRES)")
    arguments = parser.parse_args()
    print(f"creating jobs through the web processes; {machine_load('at the start')}")
    rows = bench(arguments)
    columns = ["endpoint", "creates/s", "p50 ms", "p99 ms", "web CPU ms/request", "errors", "jobs made", "one job each"]
    print_table(f"creating jobs, {arguments.connections} connections, {arguments.seconds} s each", columns, rows)
    print(machine_load("at the end"))
    if any(row[5] or row[7] != "yes" for row in rows):
        raise SystemExit("a request failed or did not make exactly one job: see the table")


if __name__ == "__main__":
    main()

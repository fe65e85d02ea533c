"""make run's and make test's helpers: the bundled Redis lives exactly as long as what needs
it, and the settings make run chose reach commands run by hand later (through .env)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_QUEUE", "DJANGO_SETTINGS_MODULE"}}
    return env | {"DJANGO_SETTINGS_MODULE": "scheduler_project.settings", "DOTENV_PATH": ""} | values


def test_make_tests_redis_runs_only_as_long_as_the_command(tmp_path) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    probe = (
        f"import os, redis; r = redis.Redis.from_url({url!r}); r.set('k', 'v');"
        " print(r.get('k').decode(), os.environ.get('DJANGO_SETTINGS_MODULE'))"
    )
    done = manage("ensure_redis", "--", sys.executable, "-c", probe, env=clean_env(REDIS_URL=url, VAR_DIR=str(tmp_path)))
    # pytest, the command make test runs, picks its settings from its own configuration
    assert done.returncode == 0 and done.stdout.split()[-2:] == ["v", "None"], done.stderr
    with socket.socket() as client, pytest.raises(ConnectionRefusedError):
        client.connect(("127.0.0.1", port))  # stopped with the command
    assert not any(tmp_path.rglob("*.rdb")) and not any(tmp_path.rglob("*.pid"))


def test_the_command_fails_as_its_command_does(tmp_path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    done = manage("ensure_redis", "--", sys.executable, "-c", "raise SystemExit(3)", env=clean_env(REDIS_URL=url, VAR_DIR=str(tmp_path)))
    assert done.returncode == 3


def test_settings_written_to_env_reach_the_celery_app(tmp_path) -> None:
    dotenv = tmp_path / ".env"
    chosen = clean_env(REDIS_URL="redis://127.0.0.1:6390/3", CELERY_QUEUE="chosen-queue")
    assert manage("write_env", "--path", str(dotenv), env=chosen).returncode == 0
    assert "REDIS_URL=redis://127.0.0.1:6390/3" in dotenv.read_text()
    read = "from scheduler_project.celery import app; print(app.conf.broker_url, app.conf.task_default_queue)"
    later = subprocess.run(
        [sys.executable, "-c", read], cwd=ROOT, env=clean_env(DOTENV_PATH=str(dotenv)), capture_output=True, text=True, timeout=60
    )
    assert later.stdout.split() == ["redis://127.0.0.1:6390/3", "chosen-queue"], later.stderr


def test_the_procfiles_redis_is_the_server_itself_and_stops_with_honcho(tmp_path) -> None:
    import redis

    from tests.conftest import wait_for

    url = f"redis://127.0.0.1:{free_port()}/0"
    env = clean_env(REDIS_URL=url, VAR_DIR=str(tmp_path))
    server = subprocess.Popen([sys.executable, "manage.py", "ensure_redis", "--foreground"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: _answers(redis, url), timeout=20, message="the foreground Redis")
    finally:
        server.terminate()  # what honcho sends when make run stops
        assert server.wait(timeout=20) == 0
    assert not _answers(redis, url)


def _answers(redis: object, url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())  # type: ignore[attr-defined]
    except Exception:  # refused, reset: not answering
        return False

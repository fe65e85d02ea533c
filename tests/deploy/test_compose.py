"""docker-compose.yml as an operator reads it before deploying: rendered by the compose CLI itself
(``docker compose config``, or Debian's ``docker-compose``; no engine needed), then checked for what
production asks of it. Under CI a missing compose CLI fails (.ci/run installs Debian's)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent.parent
ONE_SHOTS = {"migrate", "bootstrap"}


def compose_command() -> list[str]:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    if legacy := shutil.which("docker-compose"):
        return [legacy]
    if os.environ.get("CI"):
        pytest.fail("a compose CLI (docker compose or docker-compose) is required under CI")
    pytest.skip("no compose CLI on this machine")


def render(**environment: str) -> subprocess.CompletedProcess[str]:
    # Only what the compose CLI needs from this environment, so an operator's own SECRET_KEY
    # or .env never decides the outcome.
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **environment}
    return subprocess.run(
        [*compose_command(), "--project-directory", str(ROOT), "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
    )  # fmt: skip


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    rendered = render(SECRET_KEY="a-test-secret")
    assert rendered.returncode == 0, rendered.stderr
    return yaml.safe_load(rendered.stdout)["services"]


def test_compose_refuses_to_start_without_a_secret_key() -> None:
    rendered = render()
    assert rendered.returncode != 0
    assert "SECRET_KEY" in rendered.stderr


def test_every_long_running_service_has_a_health_check(services) -> None:
    unchecked = [name for name, service in services.items() if name not in ONE_SHOTS and not service.get("healthcheck")]
    assert unchecked == []


def test_health_checks_run_commands_the_image_has(services) -> None:
    commands = get_commands()
    for name, service in services.items():
        test = service.get("healthcheck", {}).get("test", [])
        if "manage.py" in test:
            assert test[test.index("manage.py") + 1] in commands, name


def test_web_is_checked_on_healthz_and_workers_and_beats_on_their_heartbeats(services) -> None:
    assert any("/healthz" in part for part in services["web"]["healthcheck"]["test"])
    for name, service in services.items():
        if _runs(service, "worker") or _runs(service, "beat"):
            role = "worker" if _runs(service, "worker") else "beat"
            assert service["healthcheck"]["test"][-2:] == ["check_heartbeat", role], name


def test_two_beats_run(services) -> None:
    assert len([name for name, service in services.items() if _runs(service, "beat")]) == 2


def test_a_one_shot_bootstrap_creates_the_admin_after_the_migrations(services) -> None:
    bootstrap = services["bootstrap"]
    assert bootstrap["command"][-1] == "bootstrap_admin"
    assert bootstrap["restart"] == "no"
    assert bootstrap["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert {"ADMIN_USERNAME", "ADMIN_PASSWORD", "ADMIN_API_TOKEN"} <= set(bootstrap["environment"])


def test_allowed_hosts_fit_the_service_names(services) -> None:
    hosts = services["web"]["environment"]["ALLOWED_HOSTS"].split(",")
    assert "web" in hosts and "127.0.0.1" in hosts
    with_public = render(SECRET_KEY="s", PUBLIC_HOSTNAMES="jobs.example.com")
    assert "jobs.example.com" in yaml.safe_load(with_public.stdout)["services"]["web"]["environment"]["ALLOWED_HOSTS"].split(",")


def test_nothing_is_published_on_every_interface_by_default(services) -> None:
    published = {name: [_host_ip(port) for port in service.get("ports", [])] for name, service in services.items()}
    assert published["grpc"] == ["127.0.0.1"]
    assert all(ip == "127.0.0.1" for ips in published.values() for ip in ips), published


def test_redis_persists_its_data(services) -> None:
    redis = services["redis"]
    assert "--appendonly" in redis["command"] and redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert any(_volume_target(volume) == "/data" for volume in redis["volumes"])


def test_the_image_holds_one_copy_of_the_code() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert not re.search(r"pip install[^\n]*\s\.(\s|$)", dockerfile), "the project is installed into site-packages as well"
    assert "PYTHONPATH=/app" in dockerfile


def _runs(service: dict[str, Any], process: str) -> bool:
    command = service.get("command") or []
    return command[:1] == ["celery"] and process in command


def _host_ip(port: Any) -> str:
    """The host address of a published port, in the short form docker-compose 1.x renders or
    the long form of compose v2."""
    if isinstance(port, dict):
        return str(port.get("host_ip") or "0.0.0.0")
    parts = str(port).split(":")
    return parts[0] if len(parts) == 3 else "0.0.0.0"


def _volume_target(volume: Any) -> str:
    return str(volume["target"]) if isinstance(volume, dict) else str(volume).split(":")[1]

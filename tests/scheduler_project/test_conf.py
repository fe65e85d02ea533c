"""Settings read and checked in one place: a value that cannot work stops every process at
start-up with a message naming the variables, and loading the settings creates nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler_project import conf
from tests.conftest import ROOT

# Django set up with the real settings module, as every process starts.
SETUP = "import django; django.setup()"


def start(tmp_path: Path, code: str = SETUP, **variables: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a new interpreter with the real settings and ``variables``: the database is
    SQLite in ``tmp_path``, whatever this run's is."""
    leave_out = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "EXECUTION_RECOVERY_GRACE_SECONDS")
    inherited = {k: v for k, v in os.environ.items() if k not in leave_out}
    env = inherited | {"DJANGO_SETTINGS_MODULE": "scheduler_project.settings", "DOTENV_PATH": "", "VAR_DIR": str(tmp_path / "var")}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env | variables, capture_output=True, text=True, timeout=60)


def test_the_defaults_work_together() -> None:
    defaults = conf.read({})
    assert defaults.scheduling.SCHEDULER_SEND_AHEAD_SECONDS == 0.1
    assert defaults.scheduling.SCHEDULER_CLAIM_AHEAD_SECONDS == 0.25
    assert defaults.crontab.CRONTAB_TIME_ZONE == defaults.web.TIME_ZONE == "UTC"
    in_var_dir = f"sqlite:///{ROOT / 'var' / 'db.sqlite3'}"
    assert in_var_dir == defaults.storage.DATABASE_URL


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"SCHEDULER_SEND_AHEAD_SECONDS": "0.3"}, ["SCHEDULER_SEND_AHEAD_SECONDS (0.3)", "SCHEDULER_CLAIM_AHEAD_SECONDS (0.25)"]),
        ({"CALLBACK_DEFAULT_TIMEOUT_SECONDS": "700"}, ["CALLBACK_DEFAULT_TIMEOUT_SECONDS (700)", "CALLBACK_MAX_TIMEOUT_SECONDS (600)"]),
        ({"CALLBACK_MAX_TIMEOUT_SECONDS": "3600"}, ["CALLBACK_MAX_TIMEOUT_SECONDS (3600)", "visibility timeout (3600 s)"]),
        (
            {"CALLBACK_HOST_LIMIT_WAIT_SECONDS": "1", "EXECUTION_RECOVERY_GRACE_SECONDS": "2"},
            ["CALLBACK_HOST_LIMIT_WAIT_SECONDS (1)", "EXECUTION_RECOVERY_GRACE_SECONDS (2)"],
        ),
        ({"HEARTBEAT_TTL_SECONDS": "5"}, ["HEARTBEAT_TTL_SECONDS (5)", "5 s between heartbeats"]),
        ({"GRPC_TLS_CERT": "/etc/ssl/grpc.pem"}, ["GRPC_TLS_CERT and GRPC_TLS_KEY"]),
    ],
)
def test_contradictory_values_stop_the_start(tmp_path: Path, variables: dict[str, str], named: list[str]) -> None:
    started = start(tmp_path, **variables)
    assert started.returncode != 0
    assert "ConfigurationError: the environment's settings cannot work" in started.stderr
    for text in named:
        assert text in started.stderr


def test_a_value_that_does_not_parse_stops_the_start_naming_it(tmp_path: Path) -> None:
    started = start(tmp_path, SCHEDULER_BATCH_SIZE="many")
    assert started.returncode != 0
    assert "SCHEDULER_BATCH_SIZE='many': expected a whole number of at least 1" in started.stderr


def test_values_at_the_edge_of_the_rules_start(tmp_path: Path) -> None:
    edge = {"SCHEDULER_SEND_AHEAD_SECONDS": "0", "SCHEDULER_CLAIM_AHEAD_SECONDS": "0", "HEARTBEAT_TTL_SECONDS": "6"}
    started = start(tmp_path, **edge, CALLBACK_HOST_LIMIT_WAIT_SECONDS="0.4", EXECUTION_RECOVERY_GRACE_SECONDS="1")
    assert started.returncode == 0, started.stderr


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("HTTP_PORT", "80a", "a whole number"),
        ("SCHEDULER_BATCH_SIZE", "0", "at least 1"),
        ("SCHEDULER_MAX_SLEEP_SECONDS", "0", "seconds above 0"),
        ("SCHEDULER_CLAIM_AHEAD_SECONDS", "-1", "seconds of at least 0"),
        ("SCHEDULER_SEND_AHEAD_SECONDS", "nan", "seconds of at least 0"),
        ("EXECUTION_PURGE_PAUSE_SECONDS", "inf", "seconds of at least 0"),
        ("DEBUG", "maybe", "true or false"),
        ("TIME_ZONE", "Mars/Olympus", "IANA time zone"),
        ("CRONTAB_TIME_ZONE", "Moon", "IANA time zone"),
        ("API_THROTTLE_RATE", "fast", "a rate such as 6000/min"),
        ("LOG_LEVEL", "info", "one of"),
        ("CALLBACK_HOST_LIMITS", "api.example.com=4,=2", "a name is missing"),
        ("EXECUTION_RETENTION_BY_NAMESPACE", "billing:90", "name=number"),
        ("ALERT_RETRY_DELAYS_SECONDS", "5,soon", "numbers of seconds"),
        ("HANGFIRE_RETRY_DELAYS_SECONDS", "10,-1", "seconds of at least 0"),
    ],
)
def test_each_value_is_parsed_and_bounded(name: str, value: str, expected: str) -> None:
    with pytest.raises(conf.ConfigurationError) as refused:
        conf.read({name: value})
    assert f"{name}={value!r}: expected" in str(refused.value) and expected in str(refused.value)


def test_counts_by_name_are_read_as_name_equals_number() -> None:
    read = conf.read({"EXECUTION_RETENTION_BY_NAMESPACE": " billing=90, audit=365 ,", "CALLBACK_HOST_LIMITS": "API.Example.com=4"})
    assert read.retention.EXECUTION_RETENTION_BY_NAMESPACE == {"billing": 90, "audit": 365}
    assert read.callbacks.CALLBACK_HOST_LIMITS == {"api.example.com": 4}  # hosts compare in lower case


def test_a_sentinel_url_that_names_no_master_is_refused_without_its_password() -> None:
    with pytest.raises(conf.ConfigurationError, match="names its master") as refused:
        conf.read({"REDIS_URL": "sentinel://:s3cret@sentinel-1:26379/0"})
    assert "s3cret" not in str(refused.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(conf.ConfigurationError) as refused:
        conf.read({"DEBUG": "maybe", "QUEUE_SWEEP_SECONDS": "0", "HEARTBEAT_TTL_SECONDS": "3"})
    assert all(name in str(refused.value) for name in ("DEBUG", "QUEUE_SWEEP_SECONDS", "HEARTBEAT_TTL_SECONDS"))


def test_settings_create_no_directory_and_sqlite_makes_its_own(tmp_path: Path) -> None:
    """VAR_DIR is made by what writes into it: here the SQLite database, when it connects."""
    probe = SETUP + "; from django.db import connection; connection.ensure_connection()"
    assert start(tmp_path).returncode == 0
    assert not (tmp_path / "var").exists()
    connected = start(tmp_path, probe)
    assert connected.returncode == 0, connected.stderr
    assert (tmp_path / "var" / "db.sqlite3").exists() and not (tmp_path / "var" / "static").exists()

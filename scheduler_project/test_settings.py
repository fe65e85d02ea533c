"""Settings for the test suite: the real ones, isolated per test run so that several runs (and
the processes they start) can share one Redis and one PostgreSQL server without meeting."""

from __future__ import annotations

import os

os.environ.setdefault("TEST_RUN_ID", f"t{os.getpid()}")
os.environ["DOTENV_PATH"] = ""  # make run's .env is not the tests' (each run has its own queue and keys)
RUN_ID = os.environ["TEST_RUN_ID"]
os.environ.setdefault("CELERY_QUEUE", f"jobs-{RUN_ID}")
os.environ.setdefault("REDIS_KEY_PREFIX", f"{RUN_ID}:")
# Lost attempts are recovered within the tests' patience (checked with the rest in scheduler_project.conf).
os.environ.setdefault("EXECUTION_RECOVERY_GRACE_SECONDS", "2")

from scheduler_project.settings import *  # noqa: E402,F403
from scheduler_project.settings import DATABASES, VAR_DIR  # noqa: E402

_default = DATABASES["default"]
if _default["ENGINE"].endswith("sqlite3"):
    # A file, not memory: worker and beat processes started by the tests open it too.
    _default["TEST"] = {"NAME": str(VAR_DIR / f"test-{RUN_ID}.sqlite3")}
else:
    _default["TEST"] = {"NAME": f"test_jobs_{RUN_ID}"}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HEARTBEAT_TTL_SECONDS = 10
# Every test client calls from 127.0.0.1: tests of wrong tokens must not lock each other out
# (the failed-token limit's own test lowers it).
API_AUTH_FAILURE_RATE = "100000/min"

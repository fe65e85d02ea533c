"""Every environment variable the platform reads, parsed and checked once, when settings load.

``read`` returns them grouped (a group per concern, one per dialect); settings.py assigns Django's
and Celery's settings from it, and nothing else reads the environment for a setting. A value
that does not parse, is out of range, or contradicts another is refused before any process
starts, every problem named at once, rather than met later as a process that misbehaves (see
docs/decisions/2203). Each field is named after its variable; README's settings table lists
them with their defaults.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from scheduler_project.environment import Environment, Group, flag, items, seconds, text, variable, whole
from scheduler_project.redis_url import is_sentinel_url, parse_sentinel_url

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_TIME_ZONE = "UTC"
# Not variables, but what the variables are checked against.
# Redis re-delivers a message not acknowledged within this long (the broker's visibility timeout).
BROKER_VISIBILITY_TIMEOUT_SECONDS = 3600
# Each worker process and beat writes its heartbeat this often (tasks_app.heartbeats).
HEARTBEAT_EVERY_SECONDS = 5.0


class ConfigurationError(ImproperlyConfigured):
    """The environment's settings cannot work: each line names the variables and the reason."""


def _var_dir(env: Environment) -> Path:
    return Path(env.text("VAR_DIR", str(BASE_DIR / "var")))


def _redis_url(env: Environment, name: str) -> str:
    url = env.text(name, "redis://127.0.0.1:6379/0")
    if is_sentinel_url(url):
        try:
            parse_sentinel_url(url)
        except ValueError as error:
            env.problems.append(str(error))  # names REDIS_URL, its password masked
    return url


@dataclass(frozen=True)
class Web(Group):
    SECRET_KEY: str = text("dev-only-insecure-key-change-me")
    DEBUG: bool = flag(False)
    ALLOWED_HOSTS: list[str] = items("localhost,127.0.0.1,[::1],testserver")
    # Where `make run` serves HTTP and gRPC (callbacks may never call these: tasks_app.egress).
    HTTP_PORT: int = whole(8000)
    BIND_ADDRESS: str = text("127.0.0.1")
    GRPC_PORT: int = whole(50051)
    # Production behind TLS: HTTP redirected (but /healthz), secure cookies, a year of HSTS.
    HTTPS_ONLY: bool = flag(False)
    # HSTS for every subdomain too, and on browsers' preload list: a domain-wide commitment.
    HSTS_PRELOAD: bool = flag(False)
    # A proxy in front terminates TLS and says so in X-Forwarded-Proto.
    TRUST_X_FORWARDED_PROTO: bool = flag(False)
    TIME_ZONE: str = variable(lambda env, name: env.zone(name, DEFAULT_TIME_ZONE))
    LOG_LEVEL: str = variable(lambda env, name: env.log_level(name, "INFO"))


@dataclass(frozen=True)
class Storage(Group):
    VAR_DIR: Path = variable(lambda env, name: _var_dir(env))
    DATABASE_URL: str = variable(lambda env, name: env.text(name, f"sqlite:///{_var_dir(env) / 'db.sqlite3'}"))
    # PostgreSQL: a server that does not answer fails a connect in seconds, not the OS's minutes.
    DATABASE_CONNECT_TIMEOUT_SECONDS: int = whole(5)
    # The test database's name ("": Django's choice).
    TEST_DATABASE_NAME: str = text("")


@dataclass(frozen=True)
class Broker(Group):
    REDIS_URL: str = variable(_redis_url)
    # Prefix of the platform's own Redis keys and channels (beat wake-ups, heartbeats).
    REDIS_KEY_PREFIX: str = text("jobs:")
    # With a Sentinel REDIS_URL: how long a publish waits out a failover.
    REDIS_FAILOVER_WAIT_SECONDS: int = whole(40)
    # None: the broker is REDIS_URL (or, for a Sentinel set, the master the sentinels name).
    CELERY_BROKER_URL: str | None = variable(lambda env, name: env.text(name, "") if env.given(name) else None)
    CELERY_QUEUE: str = text("jobs")
    CELERY_WORKER_PREFETCH_MULTIPLIER: int = whole(1)
    CELERY_WORKER_SEND_TASK_EVENTS: bool = flag(False)
    # Workers keep their database connection (stock Celery closes it after every task).
    CELERY_DB_REUSE_MAX: int = whole(1_000_000)


@dataclass(frozen=True)
class Access(Group):
    """Who may call, how often (decisions 1001-1005), and the secrets calls are signed with."""

    API_AUTH_REQUIRED: bool = flag(True)
    # Requests per token (an API client's own rate wins), counted in Redis across web processes.
    API_THROTTLE_RATE: str = variable(lambda env, name: env.rate(name, "6000/min"))
    # Wrong tokens allowed per client address; past it they are answered 429, not 401.
    API_AUTH_FAILURE_RATE: str = variable(lambda env, name: env.rate(name, "60/min"))
    # Admin logins (django-axes): a username at an address is locked out this long after this many failures.
    ADMIN_LOGIN_FAILURE_LIMIT: int = whole(10, minimum=1)
    ADMIN_LOGIN_LOCKOUT_MINUTES: int = whole(15)
    # Standard Webhooks: after a rotation the previous secret keeps signing (beside the new one) this long.
    SIGNING_SECRET_GRACE_SECONDS: int = whole(86_400)
    # Workers re-read a namespace's signing secret at most this often.
    SIGNING_SECRET_CACHE_SECONDS: float = seconds(2)
    # Fernet key of callback header secrets; empty: derived from SECRET_KEY (decision 1004).
    CALLBACK_SECRETS_KEY: str = text("")


@dataclass(frozen=True)
class Callbacks(Group):
    # Callbacks may not run longer than this: below the broker's visibility timeout.
    CALLBACK_MAX_TIMEOUT_SECONDS: int = whole(600, minimum=1)
    CALLBACK_DEFAULT_TIMEOUT_SECONDS: int = whole(10, minimum=1)
    # Egress policy (tasks_app.egress, decision 0901): networks and host:port entries callbacks
    # never reach (the platform's own listeners are always denied), and, when set, the only ones they may.
    CALLBACK_DENIED_NETWORKS: list[str] = items(
        "169.254.0.0/16,fe80::/10,0.0.0.0/8,224.0.0.0/4,ff00::/8,169.254.169.254,fd00:ec2::254,100.100.100.200"
    )
    CALLBACK_ALLOWED_NETWORKS: list[str] = items("")
    CALLBACK_MAX_REDIRECTS: int = whole(5)
    # A response body (or socket/rpc reply) is read up to this many bytes; the rest is discarded.
    CALLBACK_MAX_RESPONSE_BYTES: int = whole(1 << 20, minimum=1)
    # Politeness (tasks_app/host_limits.py): at most this many calls at once to one target
    # host:port, across all workers; 0 is unlimited (and costs no Redis round trip).
    CALLBACK_MAX_CONCURRENT_PER_HOST: int = whole(0)
    # Per target: "api.example.com=4,10.0.0.5:8080=1" (a bare host counts all its ports together).
    CALLBACK_HOST_LIMITS: dict[str, int] = variable(lambda env, name: {t.lower(): n for t, n in env.counts_by_name(name).items()})
    # An attempt waits this long for a free slot, then goes back to the queue, due again after
    # about CALLBACK_HOST_LIMIT_DEFER_SECONDS (jittered); a deferral is not an attempt.
    CALLBACK_HOST_LIMIT_WAIT_SECONDS: float = seconds(0.5)
    CALLBACK_HOST_LIMIT_DEFER_SECONDS: float = seconds(1.0)


@dataclass(frozen=True)
class Scheduling(Group):
    """Beat's windows (decisions 0706, 0707): claim a moment ahead, send a moment ahead, call on time."""

    # Occurrences claimed (and messages sent) per database transaction.
    SCHEDULER_BATCH_SIZE: int = whole(500, minimum=1)
    SCHEDULER_MAX_SLEEP_SECONDS: float = seconds(1.0, positive=True)
    # The shortest interval a job may be given: a shorter one fires faster than beat claims (decision 0903).
    SCHEDULER_MIN_INTERVAL_SECONDS: float = seconds(0.1, positive=True)
    # Occurrences are claimed (written as queued executions) up to this long before they are due,
    # so that at the due moment only the send is left. A job changed inside the window has its
    # claimed occurrence taken back (services.jobs).
    SCHEDULER_CLAIM_AHEAD_SECONDS: float = seconds(0.25)
    # The shortest gap between two sends: attempts due a few milliseconds apart share a message.
    SCHEDULER_DISPATCH_GAP_SECONDS: float = seconds(0.01)
    # Beat sends an attempt up to this long before it is due; the worker claims it at once and
    # calls at the due moment (by the database's clock), never holding it longer than this.
    SCHEDULER_SEND_AHEAD_SECONDS: float = seconds(0.1)


@dataclass(frozen=True)
class Execution(Group):
    # Response bodies are kept up to this many characters.
    EXECUTION_RESPONSE_MAX_CHARS: int = whole(4096)
    # A running execution whose worker died is queued again after its callback timeout plus this.
    EXECUTION_RECOVERY_GRACE_SECONDS: int = whole(60)
    # A queued message not taken by any worker for this long is sent again (the broker lost it).
    EXECUTION_REDISPATCH_AFTER_SECONDS: int = whole(300, minimum=1)
    # Executions due together travel in messages of up to this many (decision 0703) ...
    EXECUTION_MESSAGE_SIZE: int = whole(32, minimum=1)
    # ... run side by side by this many threads of each worker process.
    WORKER_CALLBACK_THREADS: int = whole(32, minimum=1)
    # A process whose heartbeat is older than this is counted dead by /healthz.
    HEARTBEAT_TTL_SECONDS: int = whole(15, minimum=1)


@dataclass(frozen=True)
class Retention(Group):
    """The purge (tasks_app/maintenance/retention.py) and the vacuum backstop (maintenance/vacuum.py)."""

    # Finished executions and their TaskResults are purged this many days after they finished;
    # failures after at least EXECUTION_FAILURE_RETENTION_DAYS; per namespace: "billing=90,audit=365".
    EXECUTION_RETENTION_DAYS: int = whole(30)
    EXECUTION_FAILURE_RETENTION_DAYS: int = whole(90)
    EXECUTION_RETENTION_BY_NAMESPACE: dict[str, int] = variable(lambda env, name: env.counts_by_name(name))
    # Rows deleted per transaction, and the most batches one run deletes (the rest waits for the next).
    EXECUTION_PURGE_BATCH_SIZE: int = whole(1000, minimum=1)
    EXECUTION_PURGE_MAX_BATCHES: int = whole(200)
    EXECUTION_PURGE_PAUSE_SECONDS: float = seconds(0.05)
    EXECUTION_PURGE_INTERVAL_SECONDS: int = whole(600, minimum=1)
    # On PostgreSQL, beat vacuums each table every attempt rewrites once it holds this many dead
    # rows (autovacuum waits for a fifth of the table, or never runs where it is off); 0: off.
    DATABASE_VACUUM_DEAD_ROWS: int = whole(50_000)
    DATABASE_VACUUM_INTERVAL_SECONDS: int = whole(60, minimum=1)


@dataclass(frozen=True)
class Alerts(Group):
    """Alert rules (tasks_app/services/alerts.py) and Django's e-mail, for rules that name addresses."""

    # A notice the webhook did not take is sent again after each of these delays, then dropped.
    ALERT_RETRY_DELAYS_SECONDS: list[float] = variable(lambda env, name: env.seconds_list(name, "5,30,120,600"))
    ALERT_TIMEOUT_SECONDS: float = seconds(10, positive=True)
    EMAIL_BACKEND: str = text("django.core.mail.backends.console.EmailBackend")
    EMAIL_HOST: str = text("localhost")
    EMAIL_PORT: int = whole(25)
    DEFAULT_FROM_EMAIL: str = text("jobplatform@localhost")


@dataclass(frozen=True)
class Dispatch(Group):
    # A recall answered "asynchronized" fails when its callee has not reported the outcome to
    # /taskcallback/updateTaskLog within this many seconds.
    DISPATCH_ASYNC_DEADLINE_SECONDS: int = whole(3600, minimum=1)


@dataclass(frozen=True)
class Queues(Group):
    """The standard.proto dialect: the gRPC server and its REST mirror."""

    # Where `manage.py grpcserver` listens (on GRPC_PORT); 0.0.0.0 in containers.
    GRPC_BIND: str = text("127.0.0.1")
    # Threads of the gRPC server: every open stream holds one, so this caps concurrent RPCs.
    GRPC_MAX_WORKERS: int = whole(128, minimum=1)
    # PEM files: with both the server speaks TLS only; with neither, plaintext (keep GRPC_BIND private).
    GRPC_TLS_CERT: str = text("")
    GRPC_TLS_KEY: str = text("")
    # Threads that make its database work (its connections: these plus a creator, a claimer and a reporter).
    GRPC_DATABASE_THREADS: int = whole(4, minimum=1)
    # A handed-out task comes back (RetryCount + 1) when its worker neither reports nor stays connected this long.
    QUEUE_LEASE_SECONDS: int = whole(30, minimum=1)
    # How often beat sweeps expired leases (an expired lease is noticed within this plus a worker's pick-up).
    QUEUE_SWEEP_SECONDS: int = whole(2, minimum=1)
    # The longest a REST long poll (ReceiveQueueByChannel's WaitSeconds) may wait.
    QUEUE_MAX_WAIT_SECONDS: int = whole(30)


@dataclass(frozen=True)
class Crontab(Group):
    # The zone its crons are read in and its log times written in (default TIME_ZONE).
    CRONTAB_TIME_ZONE: str = variable(lambda env, name: env.zone(name, env.text("TIME_ZONE", DEFAULT_TIME_ZONE)))
    # The module (namespace) of a task that gives none.
    CRONTAB_DEFAULT_MODULE: str = text("default")
    # A single task's timestamp may be this many seconds in the past (it fires at once).
    CRONTAB_PAST_GRACE_SECONDS: int = whole(5)
    CRONTAB_MAX_TASKS_PER_REQUEST: int = whole(1000, minimum=1)


@dataclass(frozen=True)
class Hangfire(Group):
    # The same xRequestId (for the same serviceId) within this many seconds returns the first job.
    HANGFIRE_IDEMPOTENCY_WINDOW_SECONDS: int = whole(86_400)
    # The retry delays of hangfire jobs unless their service registers its own policy.
    HANGFIRE_RETRY_DELAYS_SECONDS: list[float] = variable(lambda env, name: env.seconds_list(name, "10,60,300,1800,7200"))


@dataclass(frozen=True)
class Conf:
    web: Web
    storage: Storage
    broker: Broker
    access: Access
    callbacks: Callbacks
    scheduling: Scheduling
    execution: Execution
    retention: Retention
    alerts: Alerts
    dispatch: Dispatch
    queues: Queues
    crontab: Crontab
    hangfire: Hangfire


def contradictions(conf: Conf) -> list[str]:
    """Values that parse but cannot work together, each naming its variables and why."""
    found = []
    scheduling, callbacks, execution = conf.scheduling, conf.callbacks, conf.execution
    if 0 < scheduling.SCHEDULER_SEND_AHEAD_SECONDS >= scheduling.SCHEDULER_CLAIM_AHEAD_SECONDS:
        found.append(
            f"SCHEDULER_SEND_AHEAD_SECONDS ({scheduling.SCHEDULER_SEND_AHEAD_SECONDS:g}) must be below SCHEDULER_CLAIM_AHEAD_SECONDS"
            f" ({scheduling.SCHEDULER_CLAIM_AHEAD_SECONDS:g}), or be 0: beat sends only attempts already claimed,"
            " so the send window lies inside the claim window"
        )
    if callbacks.CALLBACK_DEFAULT_TIMEOUT_SECONDS > callbacks.CALLBACK_MAX_TIMEOUT_SECONDS:
        found.append(
            f"CALLBACK_DEFAULT_TIMEOUT_SECONDS ({callbacks.CALLBACK_DEFAULT_TIMEOUT_SECONDS}) is above CALLBACK_MAX_TIMEOUT_SECONDS"
            f" ({callbacks.CALLBACK_MAX_TIMEOUT_SECONDS}): every job that gives no timeout would be refused"
        )
    if callbacks.CALLBACK_MAX_TIMEOUT_SECONDS >= BROKER_VISIBILITY_TIMEOUT_SECONDS:
        found.append(
            f"CALLBACK_MAX_TIMEOUT_SECONDS ({callbacks.CALLBACK_MAX_TIMEOUT_SECONDS}) must be below the broker's visibility timeout"
            f" ({BROKER_VISIBILITY_TIMEOUT_SECONDS} s): Redis would hand a message still being called to another worker"
        )
    if 2 * callbacks.CALLBACK_HOST_LIMIT_WAIT_SECONDS >= execution.EXECUTION_RECOVERY_GRACE_SECONDS:
        found.append(
            f"CALLBACK_HOST_LIMIT_WAIT_SECONDS ({callbacks.CALLBACK_HOST_LIMIT_WAIT_SECONDS:g}) must be below half of"
            f" EXECUTION_RECOVERY_GRACE_SECONDS ({execution.EXECUTION_RECOVERY_GRACE_SECONDS}): an attempt starts its wait for a"
            " slot with half the grace left, and one that outwaits its claim is queued again while it calls"
        )
    if execution.HEARTBEAT_TTL_SECONDS <= HEARTBEAT_EVERY_SECONDS:
        found.append(
            f"HEARTBEAT_TTL_SECONDS ({execution.HEARTBEAT_TTL_SECONDS}) must be above the {HEARTBEAT_EVERY_SECONDS:g} s between"
            " heartbeats: live processes would be counted dead between two beats"
        )
    if bool(conf.queues.GRPC_TLS_CERT) != bool(conf.queues.GRPC_TLS_KEY):
        found.append("GRPC_TLS_CERT and GRPC_TLS_KEY are set together or not at all: with one alone the gRPC server would serve plaintext")
    return found


def read(values: Mapping[str, str]) -> Conf:
    """Every group read from ``values``; raises ConfigurationError listing every problem."""
    env = Environment(values)
    conf = _read_groups(env)
    problems = env.problems + contradictions(conf)
    if problems:
        raise ConfigurationError("the environment's settings cannot work:\n  " + "\n  ".join(problems))
    return conf


def _read_groups(env: Environment) -> Conf:
    return Conf(
        web=Web.read(env),
        storage=Storage.read(env),
        broker=Broker.read(env),
        access=Access.read(env),
        callbacks=Callbacks.read(env),
        scheduling=Scheduling.read(env),
        execution=Execution.read(env),
        retention=Retention.read(env),
        alerts=Alerts.read(env),
        dispatch=Dispatch.read(env),
        queues=Queues.read(env),
        crontab=Crontab.read(env),
        hangfire=Hangfire.read(env),
    )


def from_environment() -> Conf:
    """The process's environment, after the variables `make run` chose (``manage.py write_env``
    writes them to .env) so that every command run by hand agrees with it; the environment wins.
    DOTENV_PATH="" reads none (the test suite): python-dotenv, given no path, would look for a
    .env in every directory above this file instead."""
    path = os.environ.get("DOTENV_PATH", str(BASE_DIR / ".env"))
    if path:
        load_dotenv(path, override=False)
    return read(os.environ)

"""Settings, every one read from the environment with a safe default (see README)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from dotenv import load_dotenv

from scheduler_project.redis_url import is_sentinel_url, parse_sentinel_url

BASE_DIR = Path(__file__).resolve().parent.parent
# What `make run` chose (manage.py write_env), so every command run by hand agrees with it; the
# environment wins. DOTENV_PATH="" reads none (the test suite).
load_dotenv(os.environ.get("DOTENV_PATH", BASE_DIR / ".env") or None, override=False)
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_int_by_name(name: str) -> dict[str, int]:
    """``"billing=90,audit=365"`` as ``{"billing": 90, "audit": 365}`` (empty when unset)."""
    pairs = [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]
    try:
        numbers = {key.strip(): int(value) for key, value in (pair.rsplit("=", 1) for pair in pairs)}
    except ValueError as error:
        raise ValueError(f"{name}: expected name=number,name=number (got {os.environ[name]!r})") from error
    if "" in numbers:
        raise ValueError(f"{name}: a name is missing (got {os.environ[name]!r})")
    return numbers


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",") if h.strip()]
HTTP_PORT = env_int("HTTP_PORT", 8000)
# Production behind TLS (``check --deploy`` is clean with HTTPS_ONLY=true): HTTP is redirected
# (but /healthz, which probes call in plain HTTP inside the network), cookies are secure-only, HSTS
# for a year. TRUST_X_FORWARDED_PROTO: a proxy in front terminates TLS and says so in that header.
HTTPS_ONLY = env_bool("HTTPS_ONLY", False)
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS_ONLY else 0
# HSTS for every subdomain too, and on browsers' preload list: a domain-wide commitment, so its own switch.
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
GRPC_PORT = env_int("GRPC_PORT", 50051)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_celery_results",
    "axes",
    "tasks_app",
    "api_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Which door (v1, a dialect, the admin) and who: read by the audit trail (tasks_app.services.audit).
    "api_app.audit.AuditContextMiddleware",
    # Ends the namespace scope each API request runs in (api_app.tenancy).
    "api_app.tenancy.scope_middleware",
    # Last, as django-axes asks: admin login lockouts.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "scheduler_project.urls"
# Paths are written without a trailing slash and work with or without one (see api_app.routing).
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "scheduler_project.wsgi.application"


def database_from_url(url: str) -> dict[str, Any]:
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=None, conn_health_checks=True))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE makes every transaction take the write lock up front: SQLite's stand-in for
        # SELECT ... FOR UPDATE, and no "database is locked" on a read-to-write upgrade.
        config["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
        config["CONN_MAX_AGE"] = None
    elif config["ENGINE"].endswith("postgresql"):
        # A server that does not answer (down, unreachable) fails a connect in seconds, not
        # after the OS's minutes-long TCP timeout: the outage is then waited out in our retries.
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT_SECONDS", 5))
    config["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}
    return config


DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# Times to the second everywhere in the console (scheduler_project/formats).
FORMAT_MODULE_PATH = ["scheduler_project.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# --- API -----------------------------------------------------------------------------------
API_AUTH_REQUIRED = env_bool("API_AUTH_REQUIRED", True)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api_app.tenancy.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api_app.permissions.ApiAccess"],
    "DEFAULT_PAGINATION_CLASS": "api_app.pagination.PageSizePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "api_app.openapi.DialectAutoSchema",
    "EXCEPTION_HANDLER": "api_app.errors.exception_handler",
    # No input reaches a 500: bounded parsers, and the query and headers checked first (decision 0902).
    "DEFAULT_PARSER_CLASSES": ["api_app.inputs.BoundedJSONParser", "api_app.inputs.CheckedFormParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api_app.inputs.CheckedInputNegotiation",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["api_app.throttling.TokenRateThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Job platform API",
    "DESCRIPTION": "Timers, cron jobs, delayed jobs and work queues that call your services.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: no CDN is needed (or reachable).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # A tag per dialect, paths without the optional trailing slash, each dialect's error envelope.
    "PREPROCESSING_HOOKS": ["api_app.openapi.paths_as_written"],
    # Bodies are documented as JSON (dispatch also takes the same fields as a form): one content
    # type per request is what client generators handle.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api_app.openapi.dialect_envelopes"],
}

# --- Redis and Celery ----------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# Prefix of the platform's own Redis keys and channels (beat wake-ups, heartbeats).
REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "jobs:")

# --- Tenants and abuse limits (decisions 1001-1005) -----------------------------------------
# Requests per token (an API client's own ``rate`` wins), counted in Redis across web processes.
API_THROTTLE_RATE = os.environ.get("API_THROTTLE_RATE", "6000/min")
# Wrong tokens allowed per client address; past it they are answered 429, not 401.
API_AUTH_FAILURE_RATE = os.environ.get("API_AUTH_FAILURE_RATE", "60/min")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"{REDIS_KEY_PREFIX}throttle",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    },
}
# Admin logins (django-axes): a username at an address is locked out for AXES_COOLOFF_TIME after
# this many failures.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ADMIN_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Standard Webhooks: after a rotation the previous secret keeps signing (beside the new one) this long.
SIGNING_SECRET_GRACE_SECONDS = env_int("SIGNING_SECRET_GRACE_SECONDS", 86_400)
# Workers re-read a namespace's signing secret at most this often.
SIGNING_SECRET_CACHE_SECONDS = float(os.environ.get("SIGNING_SECRET_CACHE_SECONDS", "2"))
# Fernet key of callback header secrets; empty: derived from SECRET_KEY (decision 1004).
CALLBACK_SECRETS_KEY = os.environ.get("CALLBACK_SECRETS_KEY", "")

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env_int("CELERY_WORKER_PREFETCH_MULTIPLIER", 1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker reconnects to the broker forever, at most 2 s apart (tasks_app/worker_health.py).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CONSUMER = "tasks_app.worker_health:Consumer"
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "jobs")
CELERY_TASK_DEFAULT_PRIORITY = 5
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than any callback may run (callback timeouts are capped below it), so Redis never
    # re-delivers a message whose task is still running; the database recovers lost ones sooner.
    "visibility_timeout": 3600,
    # Ten priority levels on Redis: 0 is served first.
    "priority_steps": list(range(10)),
    "queue_order_strategy": "priority",
}
# REDIS_URL may name a Redis Sentinel set (scheduler_project/redis_url.py, decision 1301): the
# broker then finds the master through kombu's sentinel transport, and a publish waits out a
# failover (the sentinels' down-after time plus the election) instead of failing beat's send.
REDIS_SENTINEL = parse_sentinel_url(REDIS_URL) if is_sentinel_url(REDIS_URL) else None
if REDIS_SENTINEL is not None and "CELERY_BROKER_URL" not in os.environ:
    CELERY_BROKER_URL = REDIS_SENTINEL.broker_url()
    CELERY_BROKER_TRANSPORT_OPTIONS |= REDIS_SENTINEL.broker_transport_options()
    REDIS_FAILOVER_WAIT_SECONDS = env_int("REDIS_FAILOVER_WAIT_SECONDS", 40)
    CELERY_TASK_PUBLISH_RETRY_POLICY = {
        "max_retries": REDIS_FAILOVER_WAIT_SECONDS,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 1,
    }
CELERY_WORKER_SEND_TASK_EVENTS = env_bool("CELERY_WORKER_SEND_TASK_EVENTS", False)
CELERY_TASK_SEND_SENT_EVENT = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "tasks_app.scheduler:JobScheduler"
# Beat's own periodic tasks, beside the jobs (entries added with their settings below).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {}


def periodic(task: str, every_seconds: int, *, priority: int, expires: int) -> dict[str, Any]:
    """A CELERY_BEAT_SCHEDULE entry: ``task`` every ``every_seconds``, dropped by the worker
    when not started within ``expires`` seconds."""
    return {"task": task, "schedule": every_seconds, "options": {"priority": priority, "expires": expires}}


CELERY_BEAT_MAX_LOOP_INTERVAL = 5
# Workers keep their database connection (stock Celery closes it after every task).
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1_000_000)
# No celery.backend_cleanup (one unbounded DELETE of every TaskResult older than a day, installed
# by beat whenever this is set): tasks_app.services.retention purges them, in batches.
CELERY_RESULT_EXPIRES = None

# --- Jobs ----------------------------------------------------------------------------------
# Callbacks may not run longer than this (it stays below the broker's visibility timeout).
CALLBACK_MAX_TIMEOUT_SECONDS = env_int("CALLBACK_MAX_TIMEOUT_SECONDS", 600)
CALLBACK_DEFAULT_TIMEOUT_SECONDS = env_int("CALLBACK_DEFAULT_TIMEOUT_SECONDS", 10)
# Egress policy (tasks_app.egress, decision 0901): networks and host:port entries callbacks never
# reach (the platform's own database, Redis, HTTP and gRPC listeners are always denied), and,
# when set, the only ones they may reach.
CALLBACK_DENIED_NETWORKS = env_list(
    "CALLBACK_DENIED_NETWORKS",
    "169.254.0.0/16,fe80::/10,0.0.0.0/8,224.0.0.0/4,ff00::/8,169.254.169.254,fd00:ec2::254,100.100.100.200",
)
CALLBACK_ALLOWED_NETWORKS = env_list("CALLBACK_ALLOWED_NETWORKS", "")
EGRESS_HTTP_BIND = os.environ.get("BIND_ADDRESS", "127.0.0.1")
CALLBACK_MAX_REDIRECTS = env_int("CALLBACK_MAX_REDIRECTS", 5)
# A response body (or socket/rpc reply) is read up to this many bytes; the rest is discarded.
CALLBACK_MAX_RESPONSE_BYTES = env_int("CALLBACK_MAX_RESPONSE_BYTES", 1 << 20)
# Response bodies are kept up to this many characters.
EXECUTION_RESPONSE_MAX_CHARS = env_int("EXECUTION_RESPONSE_MAX_CHARS", 4096)
# A running execution whose worker died is re-queued after its callback timeout plus this.
EXECUTION_RECOVERY_GRACE_SECONDS = env_int("EXECUTION_RECOVERY_GRACE_SECONDS", 60)
# How far ahead the scheduler claims occurrences, and the most it claims in one step.
SCHEDULER_BATCH_SIZE = env_int("SCHEDULER_BATCH_SIZE", 500)
SCHEDULER_MAX_SLEEP_SECONDS = float(os.environ.get("SCHEDULER_MAX_SLEEP_SECONDS", "1.0"))
# The shortest interval a job may be given: a shorter one fires faster than beat claims (decision 0903).
SCHEDULER_MIN_INTERVAL_SECONDS = float(os.environ.get("SCHEDULER_MIN_INTERVAL_SECONDS", "0.1"))
# Occurrences are claimed (written as queued executions) up to this long before they are due,
# in batches, so that at the due moment only the send is left to do. A job changed inside the
# window has its claimed occurrence taken back (services.jobs).
SCHEDULER_CLAIM_AHEAD_SECONDS = float(os.environ.get("SCHEDULER_CLAIM_AHEAD_SECONDS", "0.25"))
# The shortest gap between two sends: attempts due a few milliseconds apart go out together, in
# one message, instead of one message each (0 sends each the moment it is due).
SCHEDULER_DISPATCH_GAP_SECONDS = float(os.environ.get("SCHEDULER_DISPATCH_GAP_SECONDS", "0.01"))
# Beat sends an attempt up to this long before it is due; the worker that takes it claims it at
# once and calls at the due moment (by the database's clock), so the trip through the broker and
# the claim are off the fire's critical path. A worker never holds an attempt longer than this
# before calling. Keep it below SCHEDULER_CLAIM_AHEAD_SECONDS (0: send each when due).
SCHEDULER_SEND_AHEAD_SECONDS = float(os.environ.get("SCHEDULER_SEND_AHEAD_SECONDS", "0.1"))
# Executions due together are sent to the workers in messages of up to this many.
EXECUTION_MESSAGE_SIZE = env_int("EXECUTION_MESSAGE_SIZE", 32)
# Threads of each worker process that run the attempts of such a message side by side.
WORKER_CALLBACK_THREADS = env_int("WORKER_CALLBACK_THREADS", 32)
# Each worker process and beat writes a heartbeat every 5 s; older than this, /healthz counts it dead.
HEARTBEAT_TTL_SECONDS = env_int("HEARTBEAT_TTL_SECONDS", 15)
# A queued message not taken by any worker for this long is sent again (the broker lost it).
EXECUTION_REDISPATCH_AFTER_SECONDS = env_int("EXECUTION_REDISPATCH_AFTER_SECONDS", 300)
# Politeness (tasks_app/host_limits.py): at most this many calls at once to one target host:port,
# across all workers; 0 is unlimited (and costs no Redis round trip). CALLBACK_HOST_LIMITS
# overrides it per target: "api.example.com=4,10.0.0.5:8080=1" (a bare host counts all its ports together).
CALLBACK_MAX_CONCURRENT_PER_HOST = env_int("CALLBACK_MAX_CONCURRENT_PER_HOST", 0)
CALLBACK_HOST_LIMITS = {target.lower(): limit for target, limit in env_int_by_name("CALLBACK_HOST_LIMITS").items()}
# An attempt waits this long for a free slot, then goes back to the queue, due again after
# about CALLBACK_HOST_LIMIT_DEFER_SECONDS (jittered); a deferral is not an attempt.
CALLBACK_HOST_LIMIT_WAIT_SECONDS = float(os.environ.get("CALLBACK_HOST_LIMIT_WAIT_SECONDS", "0.5"))
CALLBACK_HOST_LIMIT_DEFER_SECONDS = float(os.environ.get("CALLBACK_HOST_LIMIT_DEFER_SECONDS", "1.0"))

# --- Retention (tasks_app/services/retention.py) ---------------------------------------------
# Finished executions and their TaskResults are purged this many days after they finished.
EXECUTION_RETENTION_DAYS = env_int("EXECUTION_RETENTION_DAYS", 30)
# Failures are kept at least this long (the longer of this and their namespace's retention).
EXECUTION_FAILURE_RETENTION_DAYS = env_int("EXECUTION_FAILURE_RETENTION_DAYS", 90)
# Per-namespace retention in days, e.g. "billing=90,audit=365" (a job's namespace).
EXECUTION_RETENTION_BY_NAMESPACE = env_int_by_name("EXECUTION_RETENTION_BY_NAMESPACE")
# Rows deleted per transaction, and the most batches one run deletes (the rest waits for the next).
EXECUTION_PURGE_BATCH_SIZE = env_int("EXECUTION_PURGE_BATCH_SIZE", 1000)
EXECUTION_PURGE_MAX_BATCHES = env_int("EXECUTION_PURGE_MAX_BATCHES", 200)
EXECUTION_PURGE_PAUSE_SECONDS = float(os.environ.get("EXECUTION_PURGE_PAUSE_SECONDS", "0.05"))
EXECUTION_PURGE_INTERVAL_SECONDS = env_int("EXECUTION_PURGE_INTERVAL_SECONDS", 600)
# Never ahead of a job's attempt (9: served last on Redis); dropped once the next run is due.
CELERY_BEAT_SCHEDULE["executions-purge"] = periodic(
    "tasks_app.tasks.purge_expired_executions", EXECUTION_PURGE_INTERVAL_SECONDS, priority=9, expires=EXECUTION_PURGE_INTERVAL_SECONDS
)

# --- Vacuum backstop (tasks_app/services/vacuum.py) ------------------------------------------
# On PostgreSQL, beat vacuums each table that every attempt rewrites once it holds this many dead
# rows (autovacuum waits for a fifth of the table, or never runs where it is off); 0 turns it off.
DATABASE_VACUUM_DEAD_ROWS = env_int("DATABASE_VACUUM_DEAD_ROWS", 50_000)
DATABASE_VACUUM_INTERVAL_SECONDS = env_int("DATABASE_VACUUM_INTERVAL_SECONDS", 60)
CELERY_BEAT_SCHEDULE["database-vacuum"] = periodic(
    "tasks_app.tasks.vacuum_rewritten_tables", DATABASE_VACUUM_INTERVAL_SECONDS, priority=9, expires=DATABASE_VACUUM_INTERVAL_SECONDS
)

# --- Alert rules (tasks_app/services/alerts.py) ---------------------------------------------
# A notice the webhook did not take is sent again after each of these delays, then dropped.
ALERT_RETRY_DELAYS_SECONDS = [float(s) for s in os.environ.get("ALERT_RETRY_DELAYS_SECONDS", "5,30,120,600").split(",") if s.strip()]
ALERT_TIMEOUT_SECONDS = float(os.environ.get("ALERT_TIMEOUT_SECONDS", "10"))
# Optional e-mail notices go through Django's e-mail backend (EMAIL_HOST etc.; console by default).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "jobplatform@localhost")

# --- The dispatch dialect ------------------------------------------------------------------
# A recall answered "asynchronized" is failed when its callee has not reported the outcome to
# /taskcallback/updateTaskLog within this many seconds.
DISPATCH_ASYNC_DEADLINE_SECONDS = env_int("DISPATCH_ASYNC_DEADLINE_SECONDS", 3600)
# --- Queues (the standard.proto dialect: gRPC and its REST mirror) ---------------------------
# Where `manage.py grpcserver` listens (GRPC_PORT above); 0.0.0.0 in containers.
GRPC_BIND = os.environ.get("GRPC_BIND", "127.0.0.1")
# Threads of the gRPC server: every open stream holds one, so this caps concurrent RPCs.
GRPC_MAX_WORKERS = env_int("GRPC_MAX_WORKERS", 128)
# PEM files: with both set the server speaks TLS only; otherwise plaintext (keep GRPC_BIND private then).
GRPC_TLS_CERT = os.environ.get("GRPC_TLS_CERT", "")
GRPC_TLS_KEY = os.environ.get("GRPC_TLS_KEY", "")
# Threads that make its database work (its connections: these plus a creator, a claimer and a reporter).
GRPC_DATABASE_THREADS = env_int("GRPC_DATABASE_THREADS", 4)
# A handed-out task comes back (RetryCount + 1) when its worker neither reports nor stays connected this long.
QUEUE_LEASE_SECONDS = env_int("QUEUE_LEASE_SECONDS", 30)
# How often beat sweeps expired leases (an expired lease is noticed within this plus a worker's pick-up).
QUEUE_SWEEP_SECONDS = env_int("QUEUE_SWEEP_SECONDS", 2)
# The longest a REST long poll (ReceiveQueueByChannel's WaitSeconds) may wait.
QUEUE_MAX_WAIT_SECONDS = env_int("QUEUE_MAX_WAIT_SECONDS", 30)
# Served first, and dropped when stale: the next sweep does the same work.
CELERY_BEAT_SCHEDULE["queues-expire-leases"] = periodic(
    "tasks_app.tasks.expire_queue_leases", QUEUE_SWEEP_SECONDS, priority=0, expires=QUEUE_SWEEP_SECONDS * 2
)
# --- The crontab dialect (api_app/crontab) -------------------------------------------------
# The zone its crons are read in and its log times are written in.
CRONTAB_TIME_ZONE = os.environ.get("CRONTAB_TIME_ZONE", TIME_ZONE)
# The module (namespace) of a task that gives none.
CRONTAB_DEFAULT_MODULE = os.environ.get("CRONTAB_DEFAULT_MODULE", "default")
# A single task's timestamp may be this many seconds in the past (it fires at once).
CRONTAB_PAST_GRACE_SECONDS = env_int("CRONTAB_PAST_GRACE_SECONDS", 5)
CRONTAB_MAX_TASKS_PER_REQUEST = env_int("CRONTAB_MAX_TASKS_PER_REQUEST", 1000)
# --- hangfire dialect ----------------------------------------------------------------------
# The same xRequestId (for the same serviceId) within this many seconds returns the first job.
HANGFIRE_IDEMPOTENCY_WINDOW_SECONDS = env_int("HANGFIRE_IDEMPOTENCY_WINDOW_SECONDS", 86_400)
# The retry policy of hangfire jobs unless their service registers its own ("retry").
HANGFIRE_RETRY = {
    "delays_seconds": [float(s) for s in os.environ.get("HANGFIRE_RETRY_DELAYS_SECONDS", "10,60,300,1800,7200").split(",") if s.strip()]
}

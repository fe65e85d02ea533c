"""Django's and Celery's settings. Every value that comes from the environment is read, parsed
and checked in scheduler_project.conf (README lists each variable and its default)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dj_database_url

from scheduler_project import conf
from scheduler_project.redis_url import is_sentinel_url, parse_sentinel_url

env = conf.from_environment()
BASE_DIR = conf.BASE_DIR
VAR_DIR = env.storage.VAR_DIR

SECRET_KEY = env.web.SECRET_KEY
DEBUG = env.web.DEBUG
ALLOWED_HOSTS = env.web.ALLOWED_HOSTS
HTTP_PORT = env.web.HTTP_PORT
GRPC_PORT = env.web.GRPC_PORT
# Production behind TLS (``check --deploy`` is clean with HTTPS_ONLY=true): HTTP is redirected
# (but /healthz, which probes call in plain HTTP inside the network), cookies are secure-only, HSTS
# for a year. TRUST_X_FORWARDED_PROTO: a proxy in front terminates TLS and says so in that header.
HTTPS_ONLY = env.web.HTTPS_ONLY
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = env.web.HSTS_PRELOAD
if env.web.TRUST_X_FORWARDED_PROTO:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

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
        # Django's SQLite, making the database file's directory (VAR_DIR) when it first connects.
        config["ENGINE"] = "scheduler_project.backends.sqlite3"
        # IMMEDIATE makes every transaction take the write lock up front: SQLite's stand-in for
        # SELECT ... FOR UPDATE, and no "database is locked" on a read-to-write upgrade.
        config["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
        config["CONN_MAX_AGE"] = None
    elif config["ENGINE"].endswith("postgresql"):
        # A server that does not answer (down, unreachable) fails a connect in seconds, not
        # after the OS's minutes-long TCP timeout: the outage is then waited out in our retries.
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", env.storage.DATABASE_CONNECT_TIMEOUT_SECONDS)
    config["TEST"] = {"NAME": env.storage.TEST_DATABASE_NAME or None}
    return config


DATABASE_URL = env.storage.DATABASE_URL
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.web.TIME_ZONE
USE_I18N = True
USE_TZ = True
# Times to the second everywhere in the console (scheduler_project/formats).
FORMAT_MODULE_PATH = ["scheduler_project.formats"]

STATIC_URL = "static/"
# Written by collectstatic (make run, the image), which makes the directory.
STATIC_ROOT = VAR_DIR / "static"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.web.LOG_LEVEL},
}

# --- API -----------------------------------------------------------------------------------
API_AUTH_REQUIRED = env.access.API_AUTH_REQUIRED
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
REDIS_URL = env.broker.REDIS_URL
REDIS_KEY_PREFIX = env.broker.REDIS_KEY_PREFIX

# --- Tenants and abuse limits (decisions 1001-1005) -----------------------------------------
API_THROTTLE_RATE = env.access.API_THROTTLE_RATE
API_AUTH_FAILURE_RATE = env.access.API_AUTH_FAILURE_RATE
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
# Admin logins (django-axes): a username at an address is locked out for AXES_COOLOFF_TIME after
# this many failures.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.access.ADMIN_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=env.access.ADMIN_LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
SIGNING_SECRET_GRACE_SECONDS = env.access.SIGNING_SECRET_GRACE_SECONDS
SIGNING_SECRET_CACHE_SECONDS = env.access.SIGNING_SECRET_CACHE_SECONDS
CALLBACK_SECRETS_KEY = env.access.CALLBACK_SECRETS_KEY

CELERY_BROKER_URL = REDIS_URL if env.broker.CELERY_BROKER_URL is None else env.broker.CELERY_BROKER_URL
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.broker.CELERY_WORKER_PREFETCH_MULTIPLIER
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker reconnects to the broker forever, at most 2 s apart (tasks_app/worker/health.py).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CONSUMER = "tasks_app.worker.health:Consumer"
CELERY_TASK_DEFAULT_QUEUE = env.broker.CELERY_QUEUE
CELERY_TASK_DEFAULT_PRIORITY = 5
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than any callback may run (callback timeouts are capped below it), so Redis never
    # re-delivers a message whose task is still running; the database recovers lost ones sooner.
    "visibility_timeout": conf.BROKER_VISIBILITY_TIMEOUT_SECONDS,
    # Ten priority levels on Redis: 0 is served first.
    "priority_steps": list(range(10)),
    "queue_order_strategy": "priority",
}
# REDIS_URL may name a Redis Sentinel set (scheduler_project/redis_url.py, decision 1301): the
# broker then finds the master through kombu's sentinel transport, and a publish waits out a
# failover (the sentinels' down-after time plus the election) instead of failing beat's send.
REDIS_SENTINEL = parse_sentinel_url(REDIS_URL) if is_sentinel_url(REDIS_URL) else None
if REDIS_SENTINEL is not None and env.broker.CELERY_BROKER_URL is None:
    CELERY_BROKER_URL = REDIS_SENTINEL.broker_url()
    CELERY_BROKER_TRANSPORT_OPTIONS |= REDIS_SENTINEL.broker_transport_options()
    REDIS_FAILOVER_WAIT_SECONDS = env.broker.REDIS_FAILOVER_WAIT_SECONDS
    CELERY_TASK_PUBLISH_RETRY_POLICY = {
        "max_retries": REDIS_FAILOVER_WAIT_SECONDS,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 1,
    }
CELERY_WORKER_SEND_TASK_EVENTS = env.broker.CELERY_WORKER_SEND_TASK_EVENTS
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
CELERY_DB_REUSE_MAX = env.broker.CELERY_DB_REUSE_MAX
# No celery.backend_cleanup (one unbounded DELETE of every TaskResult older than a day, installed
# by beat whenever this is set): tasks_app.maintenance.retention purges them, in batches.
CELERY_RESULT_EXPIRES = None

# --- Jobs ----------------------------------------------------------------------------------
CALLBACK_MAX_TIMEOUT_SECONDS = env.callbacks.CALLBACK_MAX_TIMEOUT_SECONDS
CALLBACK_DEFAULT_TIMEOUT_SECONDS = env.callbacks.CALLBACK_DEFAULT_TIMEOUT_SECONDS
CALLBACK_DENIED_NETWORKS = env.callbacks.CALLBACK_DENIED_NETWORKS
CALLBACK_ALLOWED_NETWORKS = env.callbacks.CALLBACK_ALLOWED_NETWORKS
EGRESS_HTTP_BIND = env.web.BIND_ADDRESS
CALLBACK_MAX_REDIRECTS = env.callbacks.CALLBACK_MAX_REDIRECTS
CALLBACK_MAX_RESPONSE_BYTES = env.callbacks.CALLBACK_MAX_RESPONSE_BYTES
CALLBACK_MAX_CONCURRENT_PER_HOST = env.callbacks.CALLBACK_MAX_CONCURRENT_PER_HOST
CALLBACK_HOST_LIMITS = env.callbacks.CALLBACK_HOST_LIMITS
CALLBACK_HOST_LIMIT_WAIT_SECONDS = env.callbacks.CALLBACK_HOST_LIMIT_WAIT_SECONDS
CALLBACK_HOST_LIMIT_DEFER_SECONDS = env.callbacks.CALLBACK_HOST_LIMIT_DEFER_SECONDS
SCHEDULER_BATCH_SIZE = env.scheduling.SCHEDULER_BATCH_SIZE
SCHEDULER_MAX_SLEEP_SECONDS = env.scheduling.SCHEDULER_MAX_SLEEP_SECONDS
SCHEDULER_MIN_INTERVAL_SECONDS = env.scheduling.SCHEDULER_MIN_INTERVAL_SECONDS
SCHEDULER_CLAIM_AHEAD_SECONDS = env.scheduling.SCHEDULER_CLAIM_AHEAD_SECONDS
SCHEDULER_DISPATCH_GAP_SECONDS = env.scheduling.SCHEDULER_DISPATCH_GAP_SECONDS
SCHEDULER_SEND_AHEAD_SECONDS = env.scheduling.SCHEDULER_SEND_AHEAD_SECONDS
EXECUTION_RESPONSE_MAX_CHARS = env.execution.EXECUTION_RESPONSE_MAX_CHARS
EXECUTION_RECOVERY_GRACE_SECONDS = env.execution.EXECUTION_RECOVERY_GRACE_SECONDS
EXECUTION_REDISPATCH_AFTER_SECONDS = env.execution.EXECUTION_REDISPATCH_AFTER_SECONDS
EXECUTION_MESSAGE_SIZE = env.execution.EXECUTION_MESSAGE_SIZE
WORKER_CALLBACK_THREADS = env.execution.WORKER_CALLBACK_THREADS
HEARTBEAT_TTL_SECONDS = env.execution.HEARTBEAT_TTL_SECONDS
HEARTBEAT_EVERY_SECONDS = conf.HEARTBEAT_EVERY_SECONDS

# --- Retention and the vacuum backstop (tasks_app/maintenance/retention.py, vacuum.py) ---------
EXECUTION_RETENTION_DAYS = env.retention.EXECUTION_RETENTION_DAYS
EXECUTION_FAILURE_RETENTION_DAYS = env.retention.EXECUTION_FAILURE_RETENTION_DAYS
EXECUTION_RETENTION_BY_NAMESPACE = env.retention.EXECUTION_RETENTION_BY_NAMESPACE
EXECUTION_PURGE_BATCH_SIZE = env.retention.EXECUTION_PURGE_BATCH_SIZE
EXECUTION_PURGE_MAX_BATCHES = env.retention.EXECUTION_PURGE_MAX_BATCHES
EXECUTION_PURGE_PAUSE_SECONDS = env.retention.EXECUTION_PURGE_PAUSE_SECONDS
EXECUTION_PURGE_INTERVAL_SECONDS = env.retention.EXECUTION_PURGE_INTERVAL_SECONDS
# Never ahead of a job's attempt (9: served last on Redis); dropped once the next run is due.
CELERY_BEAT_SCHEDULE["executions-purge"] = periodic(
    "tasks_app.tasks.purge_expired_executions", EXECUTION_PURGE_INTERVAL_SECONDS, priority=9, expires=EXECUTION_PURGE_INTERVAL_SECONDS
)
DATABASE_VACUUM_DEAD_ROWS = env.retention.DATABASE_VACUUM_DEAD_ROWS
DATABASE_VACUUM_INTERVAL_SECONDS = env.retention.DATABASE_VACUUM_INTERVAL_SECONDS
CELERY_BEAT_SCHEDULE["database-vacuum"] = periodic(
    "tasks_app.tasks.vacuum_rewritten_tables", DATABASE_VACUUM_INTERVAL_SECONDS, priority=9, expires=DATABASE_VACUUM_INTERVAL_SECONDS
)

# --- Alert rules (tasks_app/services/alerts.py) and the e-mail they may send ----------------
ALERT_RETRY_DELAYS_SECONDS = env.alerts.ALERT_RETRY_DELAYS_SECONDS
ALERT_TIMEOUT_SECONDS = env.alerts.ALERT_TIMEOUT_SECONDS
EMAIL_BACKEND = env.alerts.EMAIL_BACKEND
EMAIL_HOST = env.alerts.EMAIL_HOST
EMAIL_PORT = env.alerts.EMAIL_PORT
DEFAULT_FROM_EMAIL = env.alerts.DEFAULT_FROM_EMAIL

# --- The dialects ----------------------------------------------------------------------------
DISPATCH_ASYNC_DEADLINE_SECONDS = env.dispatch.DISPATCH_ASYNC_DEADLINE_SECONDS
GRPC_BIND = env.queues.GRPC_BIND
GRPC_MAX_WORKERS = env.queues.GRPC_MAX_WORKERS
GRPC_TLS_CERT = env.queues.GRPC_TLS_CERT
GRPC_TLS_KEY = env.queues.GRPC_TLS_KEY
GRPC_DATABASE_THREADS = env.queues.GRPC_DATABASE_THREADS
QUEUE_LEASE_SECONDS = env.queues.QUEUE_LEASE_SECONDS
QUEUE_SWEEP_SECONDS = env.queues.QUEUE_SWEEP_SECONDS
QUEUE_MAX_WAIT_SECONDS = env.queues.QUEUE_MAX_WAIT_SECONDS
# Served first, and dropped when stale: the next sweep does the same work.
CELERY_BEAT_SCHEDULE["queues-expire-leases"] = periodic(
    "tasks_app.tasks.expire_queue_leases", QUEUE_SWEEP_SECONDS, priority=0, expires=QUEUE_SWEEP_SECONDS * 2
)
CRONTAB_TIME_ZONE = env.crontab.CRONTAB_TIME_ZONE
CRONTAB_DEFAULT_MODULE = env.crontab.CRONTAB_DEFAULT_MODULE
CRONTAB_PAST_GRACE_SECONDS = env.crontab.CRONTAB_PAST_GRACE_SECONDS
CRONTAB_MAX_TASKS_PER_REQUEST = env.crontab.CRONTAB_MAX_TASKS_PER_REQUEST
HANGFIRE_IDEMPOTENCY_WINDOW_SECONDS = env.hangfire.HANGFIRE_IDEMPOTENCY_WINDOW_SECONDS
# The retry policy of hangfire jobs unless their service registers its own ("retry").
HANGFIRE_RETRY = {"delays_seconds": env.hangfire.HANGFIRE_RETRY_DELAYS_SECONDS}

"""The operator console: one module per concern, each registering its own ModelAdmins."""

from __future__ import annotations

from tasks_app.admin import beat, dashboard, executions, jobs, operators, queues, registry, tenancy  # noqa: F401

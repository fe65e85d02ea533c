"""The Celery app: configured from Django settings (the CELERY_ prefix)."""

from __future__ import annotations

import os

from celery import Celery

from tasks_app import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")

broker.register()
app = Celery("scheduler_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

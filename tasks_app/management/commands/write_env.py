"""Write the settings ``make run`` chose to ``.env``, which settings.py reads (python-dotenv), so
``manage.py``, the Celery app and ``celery -A scheduler_project …`` run by hand later use the same
Redis, database and queue without repeating them. Values set in the environment win over it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from dotenv import set_key

CHOSEN = ("DATABASE_URL", "REDIS_URL", "CELERY_QUEUE", "TIME_ZONE", "HTTP_PORT", "GRPC_PORT")


def chosen() -> dict[str, str]:
    values = {name: str(getattr(settings, name, "")) for name in CHOSEN}
    values["CELERY_QUEUE"] = settings.CELERY_TASK_DEFAULT_QUEUE
    return values


class Command(BaseCommand):
    help = "Write the settings in use (database, Redis, queue, ports) to .env."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--path", type=Path, default=None, help="default: .env next to manage.py")

    def handle(self, *args: Any, path: Path | None, **options: Any) -> None:
        path = path or settings.BASE_DIR / ".env"
        path.touch(exist_ok=True)
        for name, value in chosen().items():
            set_key(str(path), name, value, quote_mode="never")
        self.stdout.write(f"wrote {', '.join(CHOSEN)} to {path}")

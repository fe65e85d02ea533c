"""Building jobs for tests, through the services like every other caller."""

from __future__ import annotations

from typing import Any

from tasks_app import services
from tasks_app.models import Job

_count = 0


def make_job(*, url: str = "http://127.0.0.1:9/unused", trigger: dict[str, Any] | None = None, **options: Any) -> Job:
    global _count
    _count += 1
    callback = options.pop("callback", {"kind": "http", "url": url, "method": "POST", "timeout_seconds": 5})
    return services.create_job(
        namespace=options.pop("namespace", "tests"),
        name=options.pop("name", f"job-{_count}"),
        trigger=trigger or {"kind": "now"},
        callback=callback,
        **options,
    )


def make_service(*, service_id: int = 2001, base_url: str = "http://127.0.0.1:9", routes: dict[int, str] | None = None, **options: Any):
    """A registered service, with a POST route per ``{message_id: path}``."""
    service = services.registry.create_service(service_id=service_id, base_url=base_url, **options)
    for message_id, path in (routes or {}).items():
        services.registry.create_route(service=service, message_id=message_id, path=path)
    return service

"""How many workers and beats are alive, for the gauges: the per-process heartbeats
(tasks_app.heartbeats) that /healthz and the servers page read too."""

from __future__ import annotations

from tasks_app import heartbeats


def alive(role: str) -> int:
    """Live processes of ``role`` (``worker`` or ``beat``): those whose heartbeat is fresh."""
    return len(heartbeats.alive(role))

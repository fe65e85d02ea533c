"""Who may import whom: the worker's side (its tasks, its runtime, an attempt's lifecycle) imports
none of beat's modules; beat and the worker both call into the lifecycle instead."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BEAT = {"tasks_app.scheduler", "tasks_app.services.firing"}
WORKER_SIDE = [
    *sorted((ROOT / "tasks_app/attempts").glob("*.py")),
    *sorted((ROOT / "tasks_app/worker").glob("*.py")),
    ROOT / "tasks_app/tasks.py",
]


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function (``from a import b``
    counts as both ``a`` and ``a.b``: b may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("path", WORKER_SIDE, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_worker_side_imports_no_beat_module(path: Path) -> None:
    assert not imported_modules(path) & BEAT


def test_beat_calls_into_the_attempt_lifecycle() -> None:
    assert "tasks_app.attempts" in imported_modules(ROOT / "tasks_app/services/firing.py")


@pytest.mark.parametrize("path", sorted((ROOT / "tasks_app").rglob("*.py")), ids=lambda path: str(path.relative_to(ROOT)))
def test_the_domain_imports_no_dialect(path: Path) -> None:
    """The dialects sit on the domain, never the other way round (docs/architecture.md)."""
    assert not {name for name in imported_modules(path) if name == "api_app" or name.startswith("api_app.")}


def test_a_worker_process_loads_no_beat_module() -> None:
    """What the worker loads, not only what its modules name: importing its tasks (and through
    them the services package) leaves beat's modules unloaded."""
    beat = sorted(BEAT)
    probe = f"import sys, django; django.setup(); import tasks_app.tasks; print(sorted(m for m in sys.modules if m in {beat!r}))"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "scheduler_project.settings"}
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip().splitlines()[-1] == "[]"

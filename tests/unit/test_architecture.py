"""Imports flow one way: services import shared; shared imports no Celery, watchdog or services."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

FORBIDDEN_IN_SHARED = ("celery", "kombu", "watchdog", "services", "typer")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_shared_imports_no_service_framework() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "shared").rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN_IN_SHARED
    }
    assert offenders == set()


def test_the_watcher_does_not_import_the_worker() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "services" / "ingest").rglob("*.py")
        for name in imported_modules(path)
        if name.startswith("services.worker")
    }
    assert offenders == set()

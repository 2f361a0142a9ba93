"""Small helpers: percentiles, process-tree memory from /proc, and the facts of the machine."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PACKAGES = ("celery", "kombu", "redis", "sqlalchemy", "sqlmodel", "pypdfium2", "selectolax",
            "python-calamine", "watchdog", "billiard", "structlog", "psycopg")


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float], digits: int = 3) -> dict[str, Any]:
    """count, median, p90, p99, max, mean (same unit as the values)."""
    if not values:
        return {"count": 0}
    return {"count": len(values), "median": round(percentile(values, 50), digits),
            "p90": round(percentile(values, 90), digits), "p99": round(percentile(values, 99), digits),
            "max": round(max(values), digits), "mean": round(sum(values) / len(values), digits)}


def children(pid: int) -> list[int]:
    """Direct children of a process (from /proc/<pid>/task/*/children, else by scanning ppids)."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(p) for p in (task / "children").read_text().split()]
        return found
    except OSError:
        pass
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    result, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            result.append(child)
            todo.append(child)
    return result


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _kib(path: str, key: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory(pid: int) -> dict[str, Any]:
    """RSS (and PSS, which does not count shared pages twice) of a process and all its descendants."""
    pids = [pid, *descendants(pid)]
    rss = {p: _kib(f"/proc/{p}/status", "VmRSS") for p in pids}
    pss = {p: _kib(f"/proc/{p}/smaps_rollup", "Pss") for p in pids}
    return {"processes": len([p for p in pids if rss[p]]), "rss_mib": round(sum(rss.values()) / 1024, 1),
            "pss_mib": round(sum(pss.values()) / 1024, 1), "main_rss_mib": round(rss[pid] / 1024, 1),
            "children_rss_mib": sorted((round(rss[p] / 1024, 1) for p in pids[1:] if rss[p]), reverse=True)}


def machine() -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    return {"cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)), "cpu": cpu,
            "memory_mib": _kib("/proc/meminfo", "MemTotal") // 1024, "python": sys.version.split()[0],
            "platform": platform.platform(), "packages": versions}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

"""The libraries whose internals this project patches, and the releases it was tested with.

services/kombu_redis.py replaces kombu's Redis channel (kombu 5.7's restore of unacknowledged messages
crashing with "'NoneType' object has no attribute 'hostname'" after a lost connection; celery/kombu#582,
#970). Another release may have moved what that patch touches: refuse to start, with one line, rather
than run half-patched. Celery is held to the series it was tested with beside that kombu.
pyproject.toml pins the same ranges."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

# distribution -> the tested release series (major.minor)
TESTED_SERIES = {"kombu": "5.7", "celery": "5.7"}


class UntestedVersion(RuntimeError):
    """An installed library is not the release the patches were written for."""


def untested_versions(installed: dict[str, str] | None = None) -> list[str]:
    """One line per patched library whose installed version is outside its tested series."""
    problems = []
    for name, series in TESTED_SERIES.items():
        try:
            found = installed[name] if installed is not None else version(name)
        except (PackageNotFoundError, KeyError):
            problems.append(f"{name} is not installed (tested: {series}.x)")
            continue
        if found.split(".")[:2] != series.split("."):
            problems.append(f"{name} {found} is not the tested version ({series}.x)")
    return problems


def check_patched_libraries() -> None:
    """Raise UntestedVersion (one line) when kombu or Celery is not the tested release."""
    problems = untested_versions()
    if problems:
        raise UntestedVersion(f"{'; '.join(problems)}: services/kombu_redis.py patches their internals; "
                              "install from requirements/runtime.lock")

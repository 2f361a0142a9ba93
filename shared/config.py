"""The one settings object. CLI flags override it; nothing else reads the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import redact

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"


class Settings(BaseSettings):
    """Every setting is also an environment variable KLANTPROFIELEN_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="KLANTPROFIELEN_", extra="ignore")

    inbox: Path = Path("inbox")
    data_dir: Path = Path("data")
    database_url: str | None = None
    broker_url: str | None = None
    # The same URLs read from files, as Docker secrets and systemd credentials provide them; a URL set
    # directly (variable or flag) wins over its file.
    database_url_file: Path | None = None
    broker_url_file: Path | None = None
    log_format: Literal["auto", "json", "console"] = "auto"

    polling: bool = False
    settle_seconds: float = Field(default=1.0, ge=0)
    rescan_seconds: float = Field(default=30.0, gt=0)
    # A claim whose job ended without an end state (an outage) is offered again after this, doubling
    # with each offer up to reoffer_max_seconds.
    reoffer_after_seconds: float = Field(default=30.0, gt=0)
    reoffer_max_seconds: float = Field(default=900.0, gt=0)
    enqueue_backoff_max_seconds: float = Field(default=30.0, gt=0)
    # Claims due at once go to the workers in jobs of up to this many files and bytes (one transaction
    # each); a file that arrives alone is sent at once.
    batch_max_files: int = Field(default=50, ge=1)
    batch_max_bytes: int = Field(default=8 * 1024 * 1024, ge=1)

    # Pool processes of a worker; unset: one per usable core (see effective_worker_concurrency).
    worker_concurrency: int | None = Field(default=None, ge=1)
    task_time_limit_seconds: int = Field(default=300, ge=2)
    # Redis hands an unacknowledged job to another worker after this; keep it well above the time limit.
    visibility_timeout_seconds: int = Field(default=3600, ge=5)
    task_max_retries: int = Field(default=5, ge=0)
    # A file that failed this many times on its own account (unreadable, an integrity error, or its
    # worker process died while it was alone in its job) is quarantined with the last error.
    max_attempts_per_file: int = Field(default=3, ge=1)
    worker_max_tasks_per_child: int = Field(default=2000, ge=1)
    # Jobs each pool process reserves ahead. 4 measured 308 reports/s against 280 for 2 and about 270
    # for 1 (docs/benchmark.md); 1 is right when single jobs can be slow, as reserved jobs wait behind them.
    worker_prefetch_multiplier: int = Field(default=4, ge=1)
    max_file_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    max_findings_logged: int = Field(default=50, ge=1)
    # Required by `serve` on any address but loopback: pages, API and /metrics then need it as a bearer
    # token (or entered once in the browser). Or read from a file (a Docker secret), like the URLs.
    web_token: str | None = None
    web_token_file: Path | None = None

    # Cross-quarter checks (docs/crossquarter.md): Hidiroglou-Berthelot in regions of at least
    # hb_min_municipalities, a fixed ratio edit in smaller ones, and the register's change.
    hb_exponent_u: float = Field(default=0.5, ge=0, le=1)
    hb_spread_a: float = Field(default=0.05, ge=0)
    hb_width_c: float = Field(default=4.0, gt=0)
    hb_min_municipalities: int = Field(default=10, ge=4)
    hb_min_change_people: int = Field(default=0, ge=0)
    ratio_edit_low: float = Field(default=0.5, gt=0)
    ratio_edit_high: float = Field(default=2.0, gt=1)
    ratio_edit_min_change_people: int = Field(default=20, ge=0)
    min_people_per_count: int = Field(default=20, ge=0)
    register_change_percent: float = Field(default=25.0, gt=0)

    _read_from_files: set[str] = PrivateAttr(default_factory=set)

    @model_validator(mode="after")
    def _urls_from_files(self) -> Settings:
        for name in ("database_url", "broker_url", "web_token"):
            path: Path | None = getattr(self, f"{name}_file")
            if getattr(self, name) or path is None:
                continue
            try:
                value = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
                raise ValueError(f"{name}_file {path}: {reason}") from None
            if not value:
                raise ValueError(f"{name}_file {path} is empty")
            setattr(self, name, value)
            self._read_from_files.add(name)
        redact.hide(redact.url_password(self.database_url), redact.url_password(self.broker_url), self.web_token)
        return self

    @model_validator(mode="after")
    def _time_limit_under_visibility(self) -> Settings:
        if self.task_time_limit_seconds * 2 > self.visibility_timeout_seconds:
            raise ValueError("task_time_limit_seconds must be at most half of visibility_timeout_seconds, "
                             "or a slow job would be delivered twice")
        return self

    @field_validator("inbox", "data_dir", "database_url_file", "broker_url_file", "web_token_file")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.expanduser().absolute() if value is not None else None

    @field_validator("database_url", "broker_url", "web_token")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @property
    def effective_worker_concurrency(self) -> int:
        """One pool process per usable core. With a Celery message per file, one more process kept the
        cores busy while the others waited for the worker's main process; with batches (a message per up
        to 50 files) that wait is gone, and on 2 cores 2 processes stored a backfill 8-19% faster than 3
        (text SQLite 1075 against 963 reports/s, PostgreSQL 805 against 678, format mix 810 against 746;
        docs/benchmark.md)."""
        if self.worker_concurrency:
            return self.worker_concurrency
        return _usable_cores()

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def effective_database_url(self) -> str:
        """The configured URL, else SQLite under the data dir."""
        # data_dir is already absolute (validator): no filesystem look-up on this per-job path.
        return self.database_url or f"sqlite:///{self.data_dir / 'klantprofielen.db'}"

    @property
    def embedded_broker_file(self) -> Path:
        """Where `klantprofielen run` writes the URL of its embedded broker while it runs."""
        return self.data_dir / "run" / "embedded-broker-url"

    @property
    def effective_broker_url(self) -> str:
        """The configured URL; else the embedded broker of a `run` on this data dir; else local Redis."""
        if self.broker_url:
            return self.broker_url
        try:
            return self.embedded_broker_file.read_text().strip() or DEFAULT_BROKER_URL
        except OSError:
            return DEFAULT_BROKER_URL

    def as_environment(self) -> dict[str, str]:
        """The settings as KLANTPROFIELEN_* variables, for child processes started by `run`."""
        env: dict[str, str] = {}
        for name, value in self.model_dump().items():
            # A URL read from a file stays in the file: the children read it too.
            if value is not None and name not in self._read_from_files:
                env[f"KLANTPROFIELEN_{name.upper()}"] = str(value).lower() if isinstance(value, bool) \
                    else str(value)
        return env


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # a container or taskset may allow fewer than the host has
    except AttributeError:
        return os.cpu_count() or 1

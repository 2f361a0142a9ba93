"""What every command shares: the settings flags, loading settings, failing with one line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from shared.config import Settings
from shared.redact import redact

InboxOpt = Annotated[Path | None, typer.Option("--inbox", help="Folder to watch [KLANTPROFIELEN_INBOX]")]
DataDirOpt = Annotated[Path | None, typer.Option(
    "--data-dir", help="Archive, quarantine, SQLite database [KLANTPROFIELEN_DATA_DIR]")]
DatabaseOpt = Annotated[str | None, typer.Option(
    "--database-url", help="SQLAlchemy URL; default SQLite under --data-dir [KLANTPROFIELEN_DATABASE_URL]")]
BrokerOpt = Annotated[str | None, typer.Option(
    "--broker-url", help="Redis URL [KLANTPROFIELEN_BROKER_URL]")]
LogFormatOpt = Annotated[str | None, typer.Option(
    "--log-format", help="auto (JSON unless on a terminal), json or console [KLANTPROFIELEN_LOG_FORMAT]")]
PollingOpt = Annotated[bool | None, typer.Option(
    "--polling/--no-polling", help="Poll the folder (network shares) [KLANTPROFIELEN_POLLING]")]
ConcurrencyOpt = Annotated[int | None, typer.Option(
    "--concurrency", help="Worker processes; default one per core plus one [KLANTPROFIELEN_WORKER_CONCURRENCY]")]


def fail(message: str, status: int = 2) -> typer.Exit:
    """Print one line to stderr (no secret in it) and return the exit to raise."""
    typer.echo(f"klantprofielen: {redact(' '.join(message.split()))}", err=True)
    return typer.Exit(status)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with the flags that were given on top."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        if not where:  # a check across settings: its message names them
            raise fail(f"invalid settings: {error['msg'].removeprefix('Value error, ')}") from None
        raise fail(f"invalid setting {where}: {error['msg']}") from None



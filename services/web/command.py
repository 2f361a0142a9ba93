"""`klantprofielen serve`: the web view on 127.0.0.1 unless told otherwise (and then only with a token)."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from services.cli_common import BrokerOpt, DatabaseOpt, DataDirOpt, InboxOpt, LogFormatOpt, fail, load_settings

DEFAULT_HOST = "127.0.0.1"


def register_web_commands(cli: typer.Typer) -> None:
    cli.command()(serve)


def schema_problem_of(url: str) -> str | None:
    """Why the view cannot read this database (no database, a schema behind or ahead), or None."""
    from services.ops.health import DatabaseMissing, first_line
    from services.web.database import ReadOnlyDatabase
    from shared.redact import redact
    from shared.store.migrate import current_revision, schema_problem

    database = ReadOnlyDatabase(url)
    try:
        return schema_problem(current_revision(database.engine))
    except DatabaseMissing as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - driver errors vary; one line
        return redact(f"database: {type(exc).__name__}: {first_line(exc)}")
    finally:
        database.dispose()


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach the address (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(host: Annotated[str, typer.Option("--host", help="Address to bind; any but loopback needs a token "
                                                           "[KLANTPROFIELEN_WEB_TOKEN]")] = DEFAULT_HOST,
          port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
          inbox: InboxOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
          broker_url: BrokerOpt = None, log_format: LogFormatOpt = None) -> None:
    """The read-only web view: pages, the JSON API (/api/docs), /metrics and /healthz."""
    settings = load_settings(inbox=inbox, data_dir=data_dir, database_url=database_url, broker_url=broker_url,
                             log_format=log_format)
    if not is_loopback(host) and settings.web_token is None:
        raise fail(f"serve --host {host}: binding beyond loopback needs a token: set KLANTPROFIELEN_WEB_TOKEN")
    problem = schema_problem_of(settings.effective_database_url)
    if problem:
        raise fail(f"serve: {problem}", 1)
    import uvicorn

    from services.web.app import create_app
    from shared import events
    from shared.logging import configure_logging, get_logger

    configure_logging("web", settings.log_format)
    get_logger("klantprofielen.web").info(events.WEB_STARTED, host=host, port=port,
                                          token_required=settings.web_token is not None)
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False,
                proxy_headers=False, server_header=False)

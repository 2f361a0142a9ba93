"""Commands that read or manage the database: reports, alerts, export, db upgrade."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from services.cli_common import DatabaseOpt, DataDirOpt, fail, load_settings
from shared.config import Settings

T = TypeVar("T")
RegionOpt = Annotated[str | None, typer.Option("--region", help="Region name or number")]
YearOpt = Annotated[int | None, typer.Option("--year", min=1900, max=2999)]
QuarterOpt = Annotated[int | None, typer.Option("--quarter", min=1, max=4)]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON instead of a table")]


def register_store_commands(cli: typer.Typer) -> None:
    """Add reports (with pin and unpin), alerts, export and the `db` group to the CLI."""
    reports_app = typer.Typer(help="The stored reports; pin or unpin a version.", no_args_is_help=False)
    reports_app.callback(invoke_without_command=True)(reports)
    reports_app.command("pin")(reports_pin)
    reports_app.command("unpin")(reports_unpin)
    cli.add_typer(reports_app, name="reports")
    cli.command()(alerts)
    cli.command()(export)
    db = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
    db.command("upgrade")(db_upgrade)
    cli.add_typer(db, name="db")


def with_session(settings: Settings, work: Callable[[Any], T]) -> T:
    """Run `work(session)`, turning database errors into one line."""
    from sqlalchemy.exc import SQLAlchemyError

    from shared.store.db import require_current_schema, session_for
    from shared.store.migrate import SchemaNotCurrent

    try:
        require_current_schema(settings.effective_database_url)
        with session_for(settings.effective_database_url) as session:
            return work(session)
    except SchemaNotCurrent as exc:
        raise fail(str(exc), 1) from None
    except SQLAlchemyError as exc:
        raise fail(f"database: {str(exc).splitlines()[0]}", 1) from None
    except ValueError as exc:  # a URL SQLAlchemy could not take apart (a port that is not a number)
        raise fail(f"database URL: {type(exc).__name__}: {str(exc).splitlines()[0]}", 1) from None


def reports(ctx: typer.Context, as_json: JsonOpt = False, region: RegionOpt = None, year: YearOpt = None,
            quarter: QuarterOpt = None,
            include_superseded: Annotated[bool, typer.Option("--include-superseded",
                                                             help="Also reports replaced by a re-issue")] = False,
            data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """List the stored (current) reports, findings included; `--include-superseded` shows every version
    with its `version` object."""
    if ctx.invoked_subcommand is not None:
        return
    from services.presentation import describe_stored
    from shared.store.queries import ReportFilter, list_documents

    settings = load_settings(data_dir=data_dir, database_url=database_url)
    where = ReportFilter(region=region, year=year, quarter=quarter, include_superseded=include_superseded)
    documents = with_session(settings, lambda s: list_documents(session=s, where=where))
    if as_json:
        typer.echo(json.dumps([d.as_json(stored=True) for d in documents], indent=2, ensure_ascii=False))
    else:
        typer.echo(describe_stored(documents))


ReportIdArg = Annotated[int, typer.Argument(help="The report id (reports --json --include-superseded)")]


def reports_pin(report_id: ReportIdArg, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """Make this version of its region and quarter current by hand; the pin wins until another pin."""
    _set_pin(report_id, True, data_dir, database_url)


def reports_unpin(report_id: ReportIdArg, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """Take the pin away: the current version is decided by the facts again."""
    _set_pin(report_id, False, data_dir, database_url)


def _set_pin(report_id: int, pinned: bool, data_dir: Path | None, database_url: str | None) -> None:
    from shared import events
    from shared.logging import get_logger
    from shared.store.service import NoSuchReport, pin_report

    settings = load_settings(data_dir=data_dir, database_url=database_url)
    command = "klantprofielen reports pin" if pinned else "klantprofielen reports unpin"

    def work(session: Any) -> Any:
        change = pin_report(session=session, report_id=report_id, pinned=pinned, by=command)
        session.commit()
        return change

    try:
        change = with_session(settings, work)
    except NoSuchReport as exc:
        raise fail(str(exc)) from None
    get_logger("klantprofielen.cli").info(events.REPORT_PINNED, report_id=report_id, pinned=pinned,
                                          current_report_id=change.current_id, by=command)
    typer.echo(f"report {report_id} {'pinned' if pinned else 'unpinned'}; current version: report {change.current_id}")


def alerts(as_json: JsonOpt = False, region: RegionOpt = None, year: YearOpt = None,
           quarter: QuarterOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """List stored reconciliation findings with their file and report, newest first."""
    from services.presentation import describe_findings
    from shared.store.queries import ReportFilter, list_findings

    settings = load_settings(data_dir=data_dir, database_url=database_url)
    where = ReportFilter(region=region, year=year, quarter=quarter, include_superseded=True)
    findings = with_session(settings, lambda s: list_findings(session=s, where=where))
    if as_json:
        typer.echo(json.dumps(findings, indent=2, ensure_ascii=False, default=str))
    else:
        typer.echo(describe_findings(findings))


def export(fmt: Annotated[str, typer.Option("--format", help="csv, json or parquet (needs pyarrow)")] = "csv",
           region: RegionOpt = None, year: YearOpt = None, quarter: QuarterOpt = None,
           output: Annotated[Path | None, typer.Option("--output", help="File to write; default stdout")] = None,
           regions: Annotated[bool, typer.Option("--regions", help="One row per region instead of "
                                                 "per municipality")] = False,
           data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """Export the consumer view of current reports (one row per municipality per quarter)."""
    from services.export import ExportError, render_rows, write_output
    from shared.store.queries import ReportFilter

    settings = load_settings(data_dir=data_dir, database_url=database_url)
    view = "region_figures" if regions else "municipality_figures"
    where = ReportFilter(region=region, year=year, quarter=quarter)
    rows, columns = with_session(settings, lambda s: _rows_and_columns(s, view, where))
    try:
        write_output(render_rows(rows, fmt, columns), output)
    except ExportError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"{output}: {exc.strerror or exc}", 1) from None


def _rows_and_columns(session: Any, view: str, where: Any) -> tuple[list[dict[str, Any]], list[str]]:
    from sqlalchemy import text

    from shared.store.queries import consumer_rows

    columns = list(session.exec(text(f"SELECT * FROM {view} WHERE 1 = 0")).keys())
    return consumer_rows(session=session, view=view, where=where), columns


def db_upgrade(data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """Create or upgrade the schema to the newest migration: the one step that changes the schema
    (`klantprofielen run` also does it on its own database); workers and commands only check it."""
    from sqlalchemy.exc import SQLAlchemyError

    from shared.store.db import close_engine, get_engine, upgrade_schema
    from shared.store.migrate import current_revision, head_revision

    settings = load_settings(data_dir=data_dir, database_url=database_url)
    url = settings.effective_database_url
    try:
        upgrade_schema(url)
        revision = current_revision(get_engine(url))
    except (SQLAlchemyError, ValueError) as exc:  # ValueError: a URL SQLAlchemy could not take apart
        raise fail(f"database: {str(exc).splitlines()[0]}", 1) from None
    finally:
        close_engine(url)
    typer.echo(f"database at revision {revision} (head {head_revision()})")

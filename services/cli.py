"""The `klantprofielen` command: run, watch, worker, parse (and the store and ops commands)."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from services.cli_common import (
    BrokerOpt,
    ConcurrencyOpt,
    DatabaseOpt,
    DataDirOpt,
    InboxOpt,
    LogFormatOpt,
    PollingOpt,
    fail,
    load_settings,
)
from shared import events

cli = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Ingest 'Transparantie van klantprofielen' reports from an inbox folder.")

@cli.command()
def parse(
    file: Annotated[Path, typer.Argument(help="A report file in any supported format")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the contract JSON")] = False,
) -> None:
    """Parse one file and print the report (exit 2 with a one-line reason if it is not one)."""
    from shared.documents import build_document, sha256_hex
    from shared.parsing import NotAReport, parse_report

    settings = load_settings()
    try:
        if file.stat().st_size > settings.max_file_bytes:
            raise NotAReport(f"file too large: {file.stat().st_size} bytes (limit {settings.max_file_bytes})")
        data = file.read_bytes()
        document = build_document(parse_report(data, name=file.name, max_bytes=settings.max_file_bytes),
                                  path=str(file), sha256=sha256_hex(data))
    except NotAReport as exc:
        raise fail(f"{file}: {exc.reason}") from None
    except OSError as exc:
        raise fail(f"{file}: {exc.strerror or exc}") from None
    if as_json:
        typer.echo(json.dumps(document.as_json(), indent=2, ensure_ascii=False))
        return
    from services.presentation import describe_document

    typer.echo(describe_document(document))


@cli.command()
def watch(inbox: InboxOpt = None, data_dir: DataDirOpt = None, broker_url: BrokerOpt = None,
          log_format: LogFormatOpt = None, polling: PollingOpt = None) -> None:
    """Watch the inbox and enqueue each complete file."""
    from services.ingest.enqueue import JobSender
    from services.ingest.watcher import InboxWatcher
    from shared.logging import configure_logging

    settings = load_settings(inbox=inbox, data_dir=data_dir, broker_url=broker_url, log_format=log_format,
                             polling=polling)
    _require_tested_libraries()
    configure_logging("ingest", settings.log_format)
    sender = JobSender(settings)
    watcher = InboxWatcher(settings, sender.offer)
    try:
        watcher.start()
    except RuntimeError as exc:
        raise fail(str(exc), 1) from None
    _stop_on_signals(watcher.request_stop)
    status = watcher.run_until_stopped()
    sender.close()
    raise typer.Exit(status)


@cli.command()
def worker(data_dir: DataDirOpt = None, database_url: DatabaseOpt = None, broker_url: BrokerOpt = None,
           log_format: LogFormatOpt = None, concurrency: ConcurrencyOpt = None) -> None:
    """Run a Celery worker that ingests the enqueued files."""
    from shared.jobs import INGEST_QUEUE

    settings = load_settings(data_dir=data_dir, database_url=database_url, broker_url=broker_url,
                             log_format=log_format, worker_concurrency=concurrency)
    _require_tested_libraries()
    from services.worker.app import configure_worker_app
    from shared.logging import configure_logging

    configure_logging("worker", settings.log_format)
    from shared.store.migrate import SchemaNotCurrent

    try:
        app = configure_worker_app(settings)
    except SchemaNotCurrent as exc:
        raise fail(str(exc), 1) from None
    except Exception as exc:  # noqa: BLE001 - a bad database URL or unreachable database: one line
        raise fail(f"worker cannot start: {type(exc).__name__}: {str(exc).splitlines()[0]}", 1) from None
    # Celery writes a few plain-text notices (shutdown) straight to fd 1; our logs go to stderr,
    # so keep the worker's output one JSON object per line.
    _silence_stdout()
    argv = ["--quiet", "worker", "--loglevel=INFO", "-Q", INGEST_QUEUE,
            "-n", f"klantprofielen-{os.getpid()}@%h", "--without-gossip", "--without-mingle"]
    app.worker_main(argv)


@cli.command()
def run(inbox: InboxOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
        broker_url: BrokerOpt = None, log_format: LogFormatOpt = None, polling: PollingOpt = None,
        concurrency: ConcurrencyOpt = None) -> None:
    """Watcher and worker together on one machine (embedded Redis unless --broker-url is set)."""
    from services.embedded_broker import EmbeddedBrokerError, EmbeddedRedis
    from services.supervisor import ChildCommand, Supervised, supervise
    from shared.logging import configure_logging, get_logger
    from shared.redact import mask_url

    settings = load_settings(inbox=inbox, data_dir=data_dir, database_url=database_url,
                             broker_url=broker_url, log_format=log_format, polling=polling,
                             worker_concurrency=concurrency)
    _require_tested_libraries()
    configure_logging("run", settings.log_format)
    log = get_logger("klantprofielen.run")
    settings.inbox.mkdir(parents=True, exist_ok=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    _upgrade_own_database(settings)
    broker = None
    if settings.broker_url is None:
        broker = EmbeddedRedis(settings.data_dir)
        try:
            broker.start()
        except EmbeddedBrokerError as exc:
            raise fail(str(exc), 1) from None
        settings = settings.model_copy(update={"broker_url": broker.url})
        settings.embedded_broker_file.parent.mkdir(parents=True, exist_ok=True)
        settings.embedded_broker_file.write_text(broker.url)  # for status and health on this data dir
        log.info(events.BROKER_STARTED, url=mask_url(broker.url))
    env = {**os.environ, **settings.as_environment()}
    children: list[Supervised] = [ChildCommand("worker", env), ChildCommand("watch", env)]
    if broker is not None:
        children.insert(0, broker)  # restarted on its socket if it dies; the others reconnect
    stopping: list[int] = []
    _stop_on_signals(lambda: stopping.append(1))
    status = supervise(children, lambda: bool(stopping), log)
    if broker is not None:
        settings.embedded_broker_file.unlink(missing_ok=True)
    log.info(events.SERVICE_STOPPED, status=status)
    raise typer.Exit(status)


def _upgrade_own_database(settings: Any) -> None:
    # `run` is the single-machine default: it migrates its database itself, once, before its worker
    # starts (which only checks the schema). Elsewhere `klantprofielen db upgrade` is the one step.
    from shared.store.db import close_engine, upgrade_schema

    url = settings.effective_database_url
    try:
        upgrade_schema(url)
    except Exception as exc:  # noqa: BLE001 - unreachable database, bad URL: one line
        raise fail(f"database upgrade failed: {type(exc).__name__}: {str(exc).splitlines()[0]}", 1) from None
    finally:
        close_engine(url)


def _require_tested_libraries() -> None:
    from services.versions import UntestedVersion, check_patched_libraries

    try:
        check_patched_libraries()
    except UntestedVersion as exc:
        raise fail(str(exc), 1) from None


def _silence_stdout() -> None:
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)


def _stop_on_signals(stop: Any) -> None:
    def handle(_signum: int, _frame: Any) -> None:
        stop()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def main() -> None:
    from services.delivery_commands import register_delivery_commands
    from services.ops.commands import register_ops_commands
    from services.series_commands import register_series_command
    from services.store_commands import register_store_commands
    from services.web.command import register_web_commands

    register_store_commands(cli)
    register_delivery_commands(cli)
    register_series_command(cli)
    register_ops_commands(cli)
    register_web_commands(cli)
    cli()


if __name__ == "__main__":
    main()

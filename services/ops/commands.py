"""Registers the ops commands on the CLI: health, status, backfill.

No `from __future__ import annotations` here: typer evaluates the annotations, and the option types
are imported inside register_ops_commands."""

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from datetime import datetime

    from services.ops.backfill import EndStates
    from shared.config import Settings


class Component(StrEnum):
    watcher = "watcher"
    broker = "broker"
    worker = "worker"
    database = "database"
    all = "all"


def register_ops_commands(cli: typer.Typer) -> None:
    """Add health, status and backfill to the `klantprofielen` command."""
    from services.cli_common import BrokerOpt, DatabaseOpt, DataDirOpt, InboxOpt, fail, load_settings
    from shared.redact import redact

    @cli.command()
    def health(
        component: Annotated[Component, typer.Option(
            "--component", help="What to check; 'all' checks watcher, broker, worker and database")] = Component.all,
        timeout: Annotated[float, typer.Option(
            "--timeout", min=0.1, help="Seconds to wait for the broker's PING (and the workers', --deep)")] = 2.0,
        this_host: Annotated[bool, typer.Option(
            "--this-host", help="Worker check: only a worker on this host counts (container healthchecks)")
        ] = False,
        deep: Annotated[bool, typer.Option(
            "--deep", help="Worker check: also ping the workers over the broker (starts a Celery client)")
        ] = False,
        inbox: InboxOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
        broker_url: BrokerOpt = None,
    ) -> None:
        """Check the service and print one line per check; exit 0 if all pass, 1 if any fails.

        watcher: heartbeat under --data-dir less than 10 s old, both threads alive, inbox readable.

        broker: Redis answers PING (the embedded one of a `run` on --data-dir, unless --broker-url).

        worker: a worker's heartbeat under --data-dir less than 20 s old (--this-host: a worker on this
        host); with --deep also a Celery ping over the broker.

        database: SELECT 1 and the schema at head (a missing SQLite file fails)."""
        from services.ops.health import COMPONENTS, run_checks

        settings = load_settings(inbox=inbox, data_dir=data_dir, database_url=database_url,
                                 broker_url=broker_url)
        names = COMPONENTS if component is Component.all else (component.value,)
        results = run_checks(settings, names, timeout=timeout, this_host=this_host, deep=deep)
        for result in results:
            typer.echo(redact(result.line()))
        raise typer.Exit(0 if all(result.ok for result in results) else 1)

    @cli.command()
    def status(
        as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON")] = False,
        timeout: Annotated[float, typer.Option(
            "--timeout", min=0.1, help="Seconds to wait for the broker and the workers")] = 1.0,
        inbox: InboxOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
        broker_url: BrokerOpt = None,
    ) -> None:
        """One screen for ops: inbox, queue, jobs in progress, today's reports, findings, quarantine.

        'last error' is the newest quarantined file and its reason.

        Exits 1 if a part (inbox, broker, database) could not be read."""
        from services.ops.status import gather_status, render_status, status_as_dict

        settings = load_settings(inbox=inbox, data_dir=data_dir, database_url=database_url,
                                 broker_url=broker_url)
        result = gather_status(settings, timeout=timeout)
        if as_json:
            typer.echo(redact(json.dumps(status_as_dict(result), indent=2, ensure_ascii=False)))
        else:
            typer.echo(redact(render_status(result)))
        raise typer.Exit(1 if result.problems else 0)

    @cli.command()
    def backfill(
        directory: Annotated[Path, typer.Argument(
            metavar="DIR", help="Folder with old reports; it is left unchanged")],
        pattern: Annotated[str, typer.Option(
            "--pattern", help="Glob of files to copy; '**/*.pdf' recurses into subfolders")] = "*",
        wait: Annotated[bool, typer.Option(
            "--wait", help="Then wait until every copied file has ended (stored, duplicate or quarantined)")
        ] = False,
        wait_timeout: Annotated[float, typer.Option(
            "--wait-timeout", min=1, help="Seconds --wait waits at most (then exits 1)")] = 3600.0,
        inbox: InboxOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
    ) -> None:
        """Copy (not move) old reports into the inbox; the running watcher then enqueues them.

        The watcher must be running (`klantprofielen watch`) for the files to be ingested. With --wait,
        shows progress until every copied file has reached its end state (read from the database).

        Each file is written as '.NAME.part' and renamed when complete. Exits 1 if a file failed."""
        from services.ops.backfill import BackfillError, find_sources
        from services.ops.backfill import backfill as copy_all
        from services.ops.health import check_watcher
        from shared.store.tables import utcnow

        settings = load_settings(inbox=inbox, data_dir=data_dir, database_url=database_url)
        started = utcnow()
        try:
            sources = find_sources(directory, settings.inbox, pattern)
        except BackfillError as exc:
            raise fail(str(exc)) from None
        if not sources:
            raise fail(f"no files in {directory} match {pattern!r}", 1)
        # A bar only on a terminal: click prints a dangling label into logs otherwise.
        with typer.progressbar(length=len(sources), label="Copying into the inbox", file=sys.stderr,
                               hidden=not sys.stderr.isatty(), show_pos=True) as bar:
            summary = copy_all(sources, settings.inbox, on_file=lambda _path: bar.update(1))
        for source, reason in summary.failed:
            typer.echo(f"klantprofielen: failed: {source}: {reason}", err=True)
        typer.echo(f"{summary.line()} -> {settings.inbox}")
        watcher = check_watcher(settings)
        if not watcher.ok:
            typer.echo(f"klantprofielen: note: the watcher does not seem to run ({watcher.detail}); "
                       "the files wait in the inbox until it starts", err=True)
        if wait and summary.files:
            ended = _wait_for_end_states(settings, summary.files, started, wait_timeout)
            typer.echo(ended.line())
            if ended.ended < ended.expected:
                typer.echo(f"klantprofielen: {ended.expected - ended.ended} file(s) had not ended after "
                           f"{wait_timeout:g} s; see `klantprofielen files --outcome pending`", err=True)
                raise typer.Exit(1)
        raise typer.Exit(1 if summary.failed else 0)


def _wait_for_end_states(settings: "Settings", files: list[tuple[str, str]], started: "datetime",
                         timeout: float) -> "EndStates":
    """Progress on stderr (a bar on a terminal, a line every 10 s elsewhere) until every file ended."""
    import time as clock

    from services.ops.backfill import wait_for_end_states
    from services.store_commands import with_session
    from shared.store.deliveries import outcomes_of

    def query(hashes: list[str], since: "datetime") -> list[tuple[str, str | None, str]]:
        return with_session(settings, lambda s: outcomes_of(session=s, sha256s=hashes, since=since))

    terminal = sys.stderr.isatty()
    last_line = [0.0]
    with typer.progressbar(length=len(files), label="Waiting for end states", file=sys.stderr,
                           hidden=not terminal, show_pos=True) as bar:
        shown = [0]

        def progress(states: "EndStates") -> None:
            bar.label = f"Waiting: {states.line()}"
            bar.update(states.ended - shown[0])
            shown[0] = states.ended
            if not terminal and clock.monotonic() - last_line[0] >= 10:
                last_line[0] = clock.monotonic()
                typer.echo(states.line(), err=True)

        return wait_for_end_states(files, started, query, timeout=timeout, on_progress=progress)

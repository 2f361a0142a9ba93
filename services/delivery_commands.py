"""Commands on deliveries: `files` (every delivered file and its fate) and `requeue` (send quarantined
files through the pipeline again once the cause has gone away)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from services.cli_common import DatabaseOpt, DataDirOpt, InboxOpt, fail, load_settings
from shared.config import Settings

OUTCOMES = ("stored", "duplicate", "quarantined", "pending")
SinceOpt = Annotated[str | None, typer.Option("--since", help="ISO date or date-time (UTC unless a zone is given)")]


def register_delivery_commands(cli: typer.Typer) -> None:
    cli.command()(files)
    cli.command()(requeue)


def files(as_json: Annotated[bool, typer.Option("--json", help="One JSON object per delivery")] = False,
          outcome: Annotated[str | None, typer.Option("--outcome", help="stored, duplicate, quarantined or "
                                                                         "pending")] = None,
          since: SinceOpt = None, inbox: InboxOpt = None, data_dir: DataDirOpt = None,
          database_url: DatabaseOpt = None) -> None:
    """Every delivered file and how it ended (stored, duplicate, quarantined), and the pending claims."""
    from services.store_commands import with_session
    from shared.store.deliveries import list_deliveries

    settings = load_settings(inbox=inbox, data_dir=data_dir, database_url=database_url)
    if outcome is not None and outcome not in OUTCOMES:
        raise fail(f"--outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    moment = _parse_since(since)
    rows: list[dict[str, Any]] = []
    if outcome != "pending":
        found = with_session(settings, lambda s: list_deliveries(session=s, outcome=outcome, since=moment))
        rows = [_delivery_row(d) for d in found]
    if outcome in (None, "pending"):
        rows += [row for row in _pending_rows(settings) if moment is None or row["dropped_at"] is None
                 or row["dropped_at"] >= moment.isoformat()]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        when = (row["committed_at"] or row["dropped_at"] or "")[:19].replace("T", " ")
        detail = f"report {row['report_id']}" if row["report_id"] else (row["reason"] or "")
        typer.echo(f"{when}  {row['outcome']:<11}  {row['name']}  {detail}".rstrip())
    typer.echo(f"{len(rows)} file(s)")


def requeue(keys: Annotated[list[str] | None, typer.Argument(help="SHA-256 or original names of quarantined "
                                                                   "files")] = None,
            everything: Annotated[bool, typer.Option("--all", help="Every quarantined file")] = False,
            reason: Annotated[str | None, typer.Option("--reason", help="Quarantined with a reason that holds "
                                                                        "this text")] = None,
            since: SinceOpt = None, inbox: InboxOpt = None, data_dir: DataDirOpt = None,
            database_url: DatabaseOpt = None) -> None:
    """Send quarantined files through the pipeline again, as new deliveries (their quarantine is kept as
    history): for a cause that has gone away (a size cap, a time limit under load, a parser fixed since)."""
    from sqlalchemy import update

    from services.store_commands import with_session
    from shared.store.deliveries import quarantined_for_requeue
    from shared.store.tables import Delivery

    if not (keys or everything or reason or since):
        raise fail("requeue needs a selection: --all, --reason TEXT, --since ISO-DATETIME or SHA256-OR-NAME...")
    settings = load_settings(inbox=inbox, data_dir=data_dir, database_url=database_url)
    moment = _parse_since(since)
    selected = with_session(settings, lambda s: quarantined_for_requeue(
        session=s, everything=everything, reason=reason, since=moment, keys=tuple(keys or ())))
    settings.inbox.mkdir(parents=True, exist_ok=True)
    moved, missing = 0, 0
    for delivery in selected:
        source = settings.data_dir / delivery.path
        if not os.path.lexists(source):
            typer.echo(f"not found, skipped: {delivery.name} ({delivery.path})", err=True)
            missing += 1
            continue
        target = _move_into_inbox(source, settings.inbox, os.fsdecode(bytes(delivery.name_bytes)))
        source.with_name(source.name + ".reason.json").unlink(missing_ok=True)

        def mark(session: Any, delivery_id: int | None = delivery.id) -> None:
            session.exec(update(Delivery).where(Delivery.id == delivery_id)  # type: ignore[arg-type]
                         .values(requeued_at=datetime.now(UTC)))
            session.commit()

        with_session(settings, mark)
        moved += 1
        typer.echo(f"requeued {delivery.name} -> {target.name}  (was: {delivery.reason})")
    typer.echo(f"{moved} file(s) requeued" + (f", {missing} no longer in quarantine" if missing else ""))


def _move_into_inbox(source: Path, inbox: Path, name: str) -> Path:
    """Into the inbox under its original name (or 'name-2'), as a writer should: under a hidden name,
    then renamed, so the watcher sees it whole; its modification time kept."""
    from services.ops.backfill import free_name

    final = inbox / free_name(inbox, name)
    partial = inbox / f".{final.name}.part"
    try:
        os.rename(source, partial)
    except OSError:
        if source.is_dir() and not source.is_symlink():
            shutil.copytree(source, partial, symlinks=True)
            shutil.rmtree(source)
        elif source.is_symlink():
            os.symlink(os.readlink(source), partial)
            source.unlink()
        else:
            shutil.copy2(source, partial)
            source.unlink()
    os.rename(partial, final)
    return final


def _delivery_row(delivery: Any) -> dict[str, Any]:
    return {"name": delivery.name, "sha256": delivery.sha256, "outcome": delivery.outcome,
            "reason": delivery.reason, "path": delivery.path, "report_id": delivery.report_id,
            "size": delivery.size, "received_at": _iso(delivery.received_at), "dropped_at": _iso(delivery.dropped_at),
            "committed_at": _iso(delivery.committed_at), "requeued_at": _iso(delivery.requeued_at),
            "claim": delivery.claim}


def _pending_rows(settings: Settings) -> list[dict[str, Any]]:
    from shared.attempts import AttemptLedger
    from shared.claims import WorkFolder, read_claim_info

    work = WorkFolder.of_inbox(settings.inbox)
    ledger = AttemptLedger(work.attempts)
    rows = []
    for claim in work.list_claims():
        info = read_claim_info(work, claim)
        attempts = ledger.read(claim)
        # A pending claim's reason is the last failure of its own (an unreadable file, say), if any.
        rows.append({"name": info.name, "sha256": None, "outcome": "pending", "reason": attempts.last_error or None,
                     "path": str(work.claimed / claim), "report_id": None, "size": info.size,
                     "received_at": None, "dropped_at": _iso(info.dropped_at), "committed_at": None,
                     "requeued_at": None, "claim": claim, "failed_attempts": attempts.count})
    return rows


def _parse_since(since: str | None) -> datetime | None:
    if since is None:
        return None
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        raise fail(f"--since: not an ISO date or date-time: {since!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()

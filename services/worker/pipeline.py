"""One file, from the inbox to the database and the archive (or to quarantine), safe to repeat.

Order of steps: read and hash; look the hash up; parse; stage a copy in archive/ (or quarantine/)
under a hidden name; commit; give the copy its name and remove the file from the inbox. A full or
read-only archive fails before the commit, with the file still in the inbox. A crash after the
commit leaves a row whose file is still in the inbox: the next delivery finishes the move."""

from __future__ import annotations

import errno
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import structlog
from billiard.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import IntegrityError

from shared import events
from shared.config import Settings
from shared.documents import build_document
from shared.files import (
    FileChanged,
    ReadFile,
    destination_name,
    finish_move,
    is_the_file_read,
    move_file,
    open_for_writing,
    read_regular_file,
    sidecar_path,
    stage_file,
    staged_path,
    write_json_atomically,
)
from shared.logging import get_logger
from shared.models import ReportDocument
from shared.parsing import NotAReport, parse_report
from shared.store.db import read_connection_for, session_for
from shared.store.service import (
    ReceivedFile,
    StoreConflict,
    StoreResult,
    add_quarantined_file,
    add_stored_report,
    find_source,
)
from shared.store.tables import SourceFile, utcnow

Outcome = Literal["stored", "duplicate", "quarantined", "missing"]
STORE_ATTEMPTS = 5
log = get_logger("klantprofielen.worker")

__all__ = ["FileChanged", "Outcome", "ParseTimedOut", "ingest_file"]


class ParseTimedOut(Exception):
    """The soft time limit struck while the file was being parsed: the file's own doing (a parser
    spinning on it), unlike a time limit that strikes while waiting for the database or the disk."""


def printable_name(name: str) -> str:
    """File names may hold bytes that are not UTF-8; keep them visible (as \\xNN) but storable."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def ingest_file(path: Path, *, settings: Settings, received_at: datetime | None = None) -> Outcome:
    """Handle one inbox file. Database and filesystem errors propagate (the task retries them)."""
    if open_for_writing(path):
        raise FileChanged(f"{printable_name(path.name)} is still open for writing")
    try:
        read = read_regular_file(path, max_bytes=settings.max_file_bytes)
    except FileNotFoundError:
        log.info(events.FILE_MISSING, file=printable_name(str(path)), detail="already handled or removed")
        return "missing"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return _quarantine_unreadable(path, settings, "a symbolic link: links are not followed")
        if exc.errno in (errno.EISDIR, errno.ENXIO):
            kind = "a directory" if path.is_dir() else "not a regular file"
            return _quarantine_unreadable(path, settings, f"{kind}: only files are read")
        raise
    received = _received(path, read, received_at)
    with read_connection_for(settings.effective_database_url) as connection:
        existing = find_source(connection=connection, sha256=read.sha256)
    if existing is not None:
        return _finish_or_skip_duplicate(path, read, existing, settings)

    document, reason = _read_document(read, path, settings)
    if document is None:
        return _quarantine(path, read, received, reason, settings)
    final = settings.archive_dir / destination_name(path.name, read.sha256, utcnow())
    if not _stage(path, final, read):
        return "missing"
    try:
        result = _store(received, document, final, settings)
    except BaseException:
        staged_path(final).unlink(missing_ok=True)
        raise
    if result is None:
        staged_path(final).unlink(missing_ok=True)
        return _skip_concurrent_duplicate(path, read, settings)
    if result.report is None:
        staged_path(final).unlink(missing_ok=True)
        return _skip_same_figures(path, read, result, settings)
    _log_findings(document, settings)
    finish_move(path, final, read=read)
    superseded = result.superseded
    log.info(events.REPORT_STORED, report_id=result.report.id, region=document.region.name,
             region_code=document.region.code, year=document.period.year,
             quarter=document.period.quarter, format=document.source.format, rows=len(document.rows),
             findings=len(document.findings), archived_to=printable_name(str(final)),
             superseded_report_id=superseded.id if superseded else None)
    return "stored"


def quarantine_unprocessable(path: Path, *, settings: Settings, reason: str) -> Outcome:
    """Quarantine a file without parsing it (it has made workers die)."""
    try:
        read = read_regular_file(path, max_bytes=0)
    except FileNotFoundError:
        return "missing"
    return _quarantine(path, read, _received(path, read, None), reason, settings)


def _received(path: Path, read: ReadFile, received_at: datetime | None) -> ReceivedFile:
    """What is known of the file once read; binds it to the log context of the job."""
    structlog.contextvars.bind_contextvars(file=printable_name(str(path)), sha256=read.sha256)
    return ReceivedFile(sha256=read.sha256, name=printable_name(path.name),
                        received_path=printable_name(str(path)), size=read.size,
                        received_at=received_at or utcnow())


def _store(received: ReceivedFile, document: ReportDocument, final: Path, settings: Settings) -> StoreResult | None:
    """Commit the report; None when the same bytes were committed by a concurrent job."""
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            with session_for(settings.effective_database_url) as session:
                result = add_stored_report(session=session, received=received, document=document,
                                           final_path=printable_name(str(final)))
                session.commit()
                return result
        except (IntegrityError, StoreConflict):
            with session_for(settings.effective_database_url) as session:
                if find_source(connection=session.connection(), sha256=received.sha256) is not None:
                    return None
            if attempt == STORE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _read_document(read: ReadFile, path: Path, settings: Settings) -> tuple[ReportDocument | None, str]:
    if read.data is None:
        return None, f"file too large: {read.size} bytes (limit {settings.max_file_bytes})"
    try:
        parsed = parse_report(read.data, name=path.name, max_bytes=settings.max_file_bytes,
                              passthrough=(SoftTimeLimitExceeded,))
        return build_document(parsed, path=printable_name(str(path)), sha256=read.sha256), ""
    except NotAReport as exc:
        return None, exc.reason
    except SoftTimeLimitExceeded:
        raise ParseTimedOut() from None


def _quarantine(path: Path, read: ReadFile, received: ReceivedFile, reason: str, settings: Settings) -> Outcome:
    final = settings.quarantine_dir / destination_name(path.name, received.sha256, utcnow())
    if not _stage(path, final, read):
        return "missing"
    try:
        with session_for(settings.effective_database_url) as session:
            add_quarantined_file(session=session, received=received, reason=reason, fmt=None,
                                 final_path=printable_name(str(final)))
            session.commit()
    except IntegrityError:
        staged_path(final).unlink(missing_ok=True)
        return _skip_concurrent_duplicate(path, read, settings)
    except BaseException:
        staged_path(final).unlink(missing_ok=True)
        raise
    _write_sidecar(final, path, reason, received.sha256)
    finish_move(path, final, read=read)
    log.warning(events.FILE_QUARANTINED, reason=reason, quarantined_to=printable_name(str(final)))
    return "quarantined"


def _quarantine_unreadable(path: Path, settings: Settings, reason: str) -> Outcome:
    """What is not a regular file has no content to hash or store: move the entry itself aside."""
    final = settings.quarantine_dir / destination_name(path.name, "-" * 12, utcnow())
    final.parent.mkdir(parents=True, exist_ok=True)
    _write_sidecar(final, path, reason, None)
    try:
        path.rename(final)  # renames a symlink itself, never its target
    except FileNotFoundError:
        return "missing"
    log.warning(events.FILE_QUARANTINED, file=printable_name(str(path)), reason=reason,
                quarantined_to=printable_name(str(final)))
    return "quarantined"


def _write_sidecar(final: Path, path: Path, reason: str, sha256: str | None) -> None:
    write_json_atomically(sidecar_path(final), {
        "file": printable_name(path.name), "received_path": printable_name(str(path)), "sha256": sha256,
        "reason": reason, "quarantined_at": utcnow().isoformat(),
    })


def _finish_or_skip_duplicate(path: Path, read: ReadFile, existing: SourceFile, settings: Settings) -> Outcome:
    final = Path(existing.final_path)
    same_path = existing.received_path == printable_name(str(path))
    if same_path and is_the_file_read(final, read):
        # Another delivery of this very file (running at the same time, or one that died between
        # archiving and removing it) committed and archived it as a hard link to this inode: only the
        # inbox entry is left, and it is not a duplicate.
        finish_move(path, final, read=read)
        log.info(events.FILE_MISSING, detail="handled by another delivery", moved_to=existing.final_path)
        return "missing"
    if same_path and not final.exists():
        # Committed by an earlier delivery that died before moving the file: finish its move.
        if existing.status == "quarantined":
            _write_sidecar(final, path, existing.reason or "", existing.sha256)
        finish_move(path, final, read=read)
        log.info(events.REPORT_STORED if existing.status == "stored" else events.FILE_QUARANTINED,
                 detail="move completed after an interrupted delivery", moved_to=existing.final_path)
        return "stored" if existing.status == "stored" else "quarantined"
    duplicate_to = final.parent / destination_name(path.name, existing.sha256, utcnow())
    if not _move_out(path, duplicate_to):
        return "missing"
    log.info(events.DUPLICATE_SKIPPED, duplicate_of=existing.name, original_status=existing.status,
             moved_to=printable_name(str(duplicate_to)))
    return "duplicate"


def _skip_concurrent_duplicate(path: Path, read: ReadFile, settings: Settings) -> Outcome:
    with session_for(settings.effective_database_url) as session:
        existing = find_source(connection=session.connection(), sha256=read.sha256)
    if existing is None:  # the unique key that failed was not the hash: a real error
        raise RuntimeError(f"integrity error storing {printable_name(path.name)} without an existing row")
    return _finish_or_skip_duplicate(path, read, existing, settings)


def _skip_same_figures(path: Path, read: ReadFile, result: StoreResult, settings: Settings) -> Outcome:
    """Other bytes, same figures as the current report (e.g. the PDF of a stored HTML page)."""
    assert result.same_as is not None
    with session_for(settings.effective_database_url) as session:
        original = session.get(SourceFile, result.same_as.source_file_id)
    assert original is not None
    duplicate_to = Path(original.final_path).parent / destination_name(path.name, read.sha256, utcnow())
    if not _move_out(path, duplicate_to):
        return "missing"
    log.info(events.DUPLICATE_SKIPPED, duplicate_of=original.name, original_status=original.status,
             reason="same figures as the current report", report_id=result.same_as.id,
             moved_to=printable_name(str(duplicate_to)))
    return "duplicate"


def _stage(path: Path, final: Path, read: ReadFile) -> bool:
    """Stage the copy; False when the file was deleted meanwhile (it is no longer ours to keep)."""
    try:
        stage_file(path, final, read=read)
    except FileNotFoundError:
        if path.exists():
            raise
        log.info(events.FILE_MISSING, detail="deleted while it was being handled")
        return False
    return True


def _move_out(path: Path, destination: Path) -> bool:
    """Move, treating 'someone else already moved it' as done."""
    try:
        move_file(path, destination)
    except FileNotFoundError:
        if path.exists() or path.is_symlink():
            raise
        log.info(events.FILE_MISSING, file=printable_name(str(path)), detail="moved by a concurrent delivery")
        return False
    return True


def _log_findings(document: ReportDocument, settings: Settings) -> None:
    context: dict[str, Any] = {
        "region": document.region.name, "region_code": document.region.code,
        "year": document.period.year, "quarter": document.period.quarter,
    }
    shown = document.findings[: settings.max_findings_logged]
    for finding in shown:
        log.warning(events.RECONCILIATION_FAILED, **context, **finding.model_dump())
    if len(document.findings) > len(shown):
        log.warning(events.FINDINGS_TRUNCATED, **context, logged=len(shown),
                    not_logged=len(document.findings) - len(shown))

"""`klantprofielen files` and `requeue` on a real database, with files taken through the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path

from services.worker.pipeline import ingest_file
from shared.claims import WorkFolder, claim_file
from shared.config import Settings
from shared.store.tables import utcnow
from tests import seed_variants
from tests.cli_helpers import klantprofielen


def env_of(settings: Settings) -> dict[str, str]:
    return {"KLANTPROFIELEN_DATABASE_URL": settings.effective_database_url,
            "KLANTPROFIELEN_INBOX": str(settings.inbox), "KLANTPROFIELEN_DATA_DIR": str(settings.data_dir)}


def drop(settings: Settings, name: str, data: bytes) -> Path:
    settings.inbox.mkdir(parents=True, exist_ok=True)
    (settings.inbox / name).write_bytes(data)
    return settings.inbox / name


def files_json(settings: Settings, *args: str) -> list[dict[str, object]]:
    result = klantprofielen("files", "--json", *args, env=env_of(settings))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_files_lists_every_delivery_and_the_pending_claims(settings: Settings) -> None:
    assert ingest_file(drop(settings, "ml.txt", seed_variants.midden_limburg()), settings=settings) == "stored"
    assert ingest_file(drop(settings, "ml again.txt", seed_variants.midden_limburg()), settings=settings) == "duplicate"
    assert ingest_file(drop(settings, "junk.bin", b"\x00\x01junk" * 50), settings=settings) == "quarantined"
    work = WorkFolder.of_inbox(settings.inbox)
    claim_file(drop(settings, "waiting.txt", seed_variants.west_brabant()), work, dropped_at=utcnow())
    rows = files_json(settings)
    assert [(r["name"], r["outcome"]) for r in rows] == [
        ("ml.txt", "stored"), ("ml again.txt", "duplicate"), ("junk.bin", "quarantined"), ("waiting.txt", "pending")]
    stored, duplicate, junk, pending = rows
    assert stored["report_id"] == duplicate["report_id"] and stored["sha256"] == duplicate["sha256"]
    assert str(stored["path"]).startswith("archive/") and (settings.data_dir / str(stored["path"])).exists()
    assert junk["reason"] == "unsupported format: binary content" and str(junk["path"]).startswith("quarantine/")
    assert pending["report_id"] is None and Path(str(pending["path"])).exists()
    assert all(set(r) >= {"name", "sha256", "outcome", "reason", "path", "report_id", "received_at"} for r in rows)
    assert [r["name"] for r in files_json(settings, "--outcome", "quarantined")] == ["junk.bin"]
    assert [r["name"] for r in files_json(settings, "--outcome", "pending")] == ["waiting.txt"]
    assert files_json(settings, "--since", "2999-01-01", "--outcome", "stored") == []
    bad = klantprofielen("files", "--outcome", "lost", env=env_of(settings))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--outcome must be one of" in bad.stderr


def test_requeue_after_the_cause_has_gone(settings: Settings) -> None:
    capped = settings.model_copy(update={"max_file_bytes": 1000})
    data = seed_variants.west_brabant()
    assert ingest_file(drop(capped, "wb.txt", data), settings=capped) == "quarantined"
    assert ingest_file(drop(capped, "junk.bin", b"\x00junk" * 10), settings=capped) == "quarantined"
    # Dropped again while the cause is still there: quarantine is not a duplicate of itself.
    assert ingest_file(drop(capped, "wb.txt", data), settings=capped) == "quarantined"

    refused = klantprofielen("requeue", env=env_of(settings))
    assert refused.returncode == 2 and "requeue needs a selection" in refused.stderr
    result = klantprofielen("requeue", "--reason", "file too large", env=env_of(settings))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "2 file(s) requeued"
    back = sorted(p.name for p in settings.inbox.iterdir() if not p.name.startswith("."))
    assert back == ["wb-2.txt", "wb.txt"] and (settings.inbox / "wb.txt").read_bytes() == data
    # The cause is gone (the cap was raised): both are stored or a duplicate, as new deliveries.
    outcomes = sorted(str(ingest_file(settings.inbox / name, settings=settings)) for name in back)
    assert outcomes == ["duplicate", "stored"]
    rows = files_json(settings)
    assert [(r["name"], r["outcome"], r["requeued_at"] is not None) for r in rows] == [
        ("wb.txt", "quarantined", True), ("junk.bin", "quarantined", False), ("wb.txt", "quarantined", True),
        ("wb-2.txt", "stored", False), ("wb.txt", "duplicate", False)]
    again = klantprofielen("requeue", "--reason", "file too large", env=env_of(settings))
    assert again.stdout.strip() == "0 file(s) requeued"
    by_key = klantprofielen("requeue", "junk.bin", env=env_of(settings))
    assert by_key.stdout.strip().splitlines()[-1] == "1 file(s) requeued"

"""The start-up check of the libraries whose internals the project patches."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.versions import TESTED_SERIES, untested_versions
from tests.cli_helpers import klantprofielen
from tests.conftest import ROOT


def test_the_installed_kombu_and_celery_are_the_tested_releases() -> None:
    assert untested_versions() == []


def test_another_minor_release_or_a_missing_library_is_named() -> None:
    assert untested_versions({"kombu": "5.8.0", "celery": "5.7.3"}) == [
        f"kombu 5.8.0 is not the tested version ({TESTED_SERIES['kombu']}.x)"]
    assert untested_versions({"celery": "5.7.0"}) == ["kombu is not installed (tested: 5.7.x)"]


@pytest.mark.parametrize("command", ["worker", "watch", "run"])
def test_worker_watch_and_run_refuse_an_untested_kombu_with_one_line(tmp_path: Path, command: str) -> None:
    # A distribution record found before the real one on sys.path: importlib.metadata reports 5.8.0,
    # while the code imported stays the installed kombu.
    shadow = tmp_path / "shadow"
    record = shadow / "kombu-5.8.0.dist-info"
    record.mkdir(parents=True)
    (record / "METADATA").write_text("Metadata-Version: 2.1\nName: kombu\nVersion: 5.8.0\n")
    result = klantprofielen(command, env={"PYTHONPATH": f"{shadow}:{ROOT}",
                                          "KLANTPROFIELEN_DATA_DIR": str(tmp_path / "data"),
                                          "KLANTPROFIELEN_INBOX": str(tmp_path / "inbox"),
                                          "KLANTPROFIELEN_BROKER_URL": "redis://127.0.0.1:1/0"}, timeout=30)
    assert result.returncode == 1
    assert result.stderr.startswith("klantprofielen: kombu 5.8.0 is not the tested version (5.7.x): ")
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "data").exists()  # stopped before touching anything

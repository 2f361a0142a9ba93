"""Passwords found in URLs, masked in URLs, and redacted from any text; URLs read from secret files."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import Settings
from shared.redact import hide, mask_url, redact, url_password
from tests.cli_helpers import klantprofielen


@pytest.mark.parametrize(("url", "password", "masked"), [
    ("postgresql+psycopg://kp:p%40ss-word@db:5432/kp", "p%40ss-word", "postgresql+psycopg://kp:***@db:5432/kp"),
    ("redis://:s3cret-pw@redis:6379/0", "s3cret-pw", "redis://:***@redis:6379/0"),
    ("kp:bare-secret@127.0.0.1", "bare-secret", "kp:***@127.0.0.1"),
    ("postgresql://kp:pw-x@h:notaport/db", "pw-x", "postgresql://kp:***@h:notaport/db"),
    ("redis://user@redis/0", None, "redis://user@redis/0"),
    ("redis+socket:///run/redis.sock", None, "redis+socket:///run/redis.sock"),
    ("sqlite:////srv/data/klantprofielen.db", None, "sqlite:////srv/data/klantprofielen.db"),
])
def test_url_password_and_mask(url: str, password: str | None, masked: str) -> None:
    assert url_password(url) == password
    assert mask_url(url) == masked


def test_settings_hide_their_passwords_in_both_spellings() -> None:
    Settings(database_url="postgresql+psycopg://kp:Zq%2Fw-9x1@db/kp")
    assert redact("failed: kp:Zq%2Fw-9x1@db and Zq/w-9x1") == "failed: kp:***@db and ***"
    hide("ab")  # too short to hide without mangling ordinary words
    assert redact("abc") == "abc"


def test_urls_are_read_from_files_and_stay_there_for_child_processes(tmp_path: Path) -> None:
    (tmp_path / "broker_url").write_text("redis://:from-file-pw@redis:6379/0\n")
    settings = Settings(broker_url_file=tmp_path / "broker_url")
    assert settings.broker_url == settings.effective_broker_url == "redis://:from-file-pw@redis:6379/0"
    env = settings.as_environment()
    assert "KLANTPROFIELEN_BROKER_URL" not in env
    assert env["KLANTPROFIELEN_BROKER_URL_FILE"] == str(tmp_path / "broker_url")
    given = Settings(broker_url="redis://other/0", broker_url_file=tmp_path / "broker_url")
    assert given.broker_url == "redis://other/0"  # a URL set directly wins over its file


def test_an_unreadable_secret_file_stops_a_command_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = klantprofielen("reports", env={"KLANTPROFIELEN_DATABASE_URL_FILE": str(missing)})
    assert (result.returncode, result.stderr) == (
        2, f"klantprofielen: invalid settings: database_url_file {missing}: No such file or directory\n")

"""One migration step: `klantprofielen db upgrade` changes the schema; the worker and the read-only
commands only check it at start and stop with one line when it is not at head."""

from __future__ import annotations

import json
from pathlib import Path

from shared.store.db import sqlite_path, upgrade_schema
from shared.store.migrate import head_revision
from tests.cli_helpers import klantprofielen
from tests.e2e.processes import Services, service_env

READ_COMMANDS = (("reports",), ("alerts",), ("export", "--format", "json"))


def previous_revision() -> str:
    head = head_revision()
    return f"{int(head) - 1:04d}"


def test_a_database_one_migration_behind_stops_the_worker_and_the_commands_until_db_upgrade(
        tmp_path: Path, empty_database_url: str, redis_url: str) -> None:
    behind = previous_revision()
    upgrade_schema(empty_database_url, behind)
    expected = (f"klantprofielen: database schema is at {behind}, this version needs {head_revision()}: "
                "run klantprofielen db upgrade\n")
    env = {"KLANTPROFIELEN_DATABASE_URL": empty_database_url, "KLANTPROFIELEN_BROKER_URL": redis_url,
           "KLANTPROFIELEN_DATA_DIR": str(tmp_path / "data"), "KLANTPROFIELEN_LOG_FORMAT": "json"}

    worker = klantprofielen("worker", "--concurrency", "1", env=env)
    assert (worker.returncode, worker.stderr) == (1, expected)
    for command in READ_COMMANDS:
        result = klantprofielen(*command, env=env)
        assert (result.returncode, result.stderr, result.stdout) == (1, expected, ""), command
    health = klantprofielen("health", "--component", "database", env=env)
    assert (health.returncode, health.stdout) == (1, "FAIL " + expected.replace("klantprofielen: ", "database: "))
    status = klantprofielen("status", "--json", env=env)
    assert status.returncode == 1
    assert expected.strip().replace("klantprofielen: ", "database: ") in json.loads(status.stdout)["problems"]

    upgraded = klantprofielen("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout == f"database at revision {head_revision()} (head {head_revision()})\n"

    for command in READ_COMMANDS:
        result = klantprofielen(*command, env=env)
        assert result.returncode == 0, (command, result.stderr)
    assert json.loads(klantprofielen("reports", "--json", env=env).stdout) == []
    assert klantprofielen("health", "--component", "database", env=env).returncode == 0
    running = Services(env=service_env(database_url=empty_database_url, broker_url=redis_url,
                                       data_dir=str(tmp_path / "data")), logs_dir=tmp_path)
    started = running.start("worker", "--concurrency", "1", ready_event="ready.")
    assert started.stop() == 0


def test_a_new_or_mistyped_data_dir_is_not_created_by_reading_it(tmp_path: Path, redis_url: str) -> None:
    mistyped = tmp_path / "dta"
    expected = ("klantprofielen: database has no schema (a new or wrong --data-dir?): "
                "run klantprofielen db upgrade\n")
    for command in (*READ_COMMANDS, ("worker", "--broker-url", redis_url)):
        result = klantprofielen(*command, "--data-dir", str(mistyped))
        assert (result.returncode, result.stderr) == (1, expected), command
    assert not mistyped.exists()
    health = klantprofielen("health", "--component", "database", "--data-dir", str(mistyped))
    assert health.returncode == 1 and not mistyped.exists()

    assert klantprofielen("db", "upgrade", "--data-dir", str(mistyped)).returncode == 0
    assert (mistyped / "klantprofielen.db").is_file()
    assert klantprofielen("reports", "--data-dir", str(mistyped)).returncode == 0


def test_an_empty_postgresql_schema_has_no_schema(empty_postgres_url: str) -> None:
    result = klantprofielen("reports", env={"KLANTPROFIELEN_DATABASE_URL": empty_postgres_url})
    assert (result.returncode, result.stderr) == (
        1, "klantprofielen: database has no schema (a new or wrong --data-dir?): run klantprofielen db upgrade\n")
    assert sqlite_path(empty_postgres_url) is None

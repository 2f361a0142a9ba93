"""Alembic migrations, run programmatically by `klantprofielen db upgrade` (and by `klantprofielen run`
on its own database). Every other process only checks that the schema is at head (schema_problem).

Concurrent upgrades are safe: on PostgreSQL they queue on an advisory lock, on SQLite on the write
lock that BEGIN IMMEDIATE takes; whoever comes second finds the schema at head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
UPGRADE_HINT = "run klantprofielen db upgrade"
UPGRADE_LOCK_KEY = 0x6B6C616E74  # "klant": the PostgreSQL advisory lock held while upgrading


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at; None for a database without one. Read from Alembic's
    version table directly: a MigrationContext would log two lines at every process's start."""
    # read_only: on SQLite a deferred BEGIN (shared/store/db.py), no write lock for a look-up.
    with engine.connect().execution_options(read_only=True) as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


class SchemaNotCurrent(RuntimeError):
    """The database's schema is not the one this version needs; the message is one line for ops."""


def schema_problem(revision: str | None, head: str | None = None) -> str | None:
    """Why a database at `revision` cannot be used by this version, or None when it is at head."""
    head = head or head_revision()
    if revision == head:
        return None
    if revision is None:
        return f"database has no schema (a new or wrong --data-dir?): {UPGRADE_HINT}"
    if revision not in _known_revisions():
        return (f"database schema is at {revision}, newer than this version knows (it needs {head}): "
                "run a newer klantprofielen")
    return f"database schema is at {revision}, this version needs {head}: {UPGRADE_HINT}"


def _known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (head by default)."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying and dropping it, which foreign keys would forbid; the
            # pragma only takes effect outside a transaction, so set it on the raw connection.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK_KEY})
                command.upgrade(alembic_config(connection), revision)
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise RuntimeError("migration left rows that break a foreign key")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]

"""Alembic environment: runs on the connection that shared.store.migrate hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from shared.store import tables  # noqa: F401  (the tables the migrations must agree with)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `klantprofielen db upgrade` (shared.store.migrate)")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

"""Registers the ops commands on the CLI (filled in by the deploy work)."""

from __future__ import annotations

import typer


def register_ops_commands(cli: typer.Typer) -> None:
    """Add health, status and backfill to the `klantprofielen` command."""

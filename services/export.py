"""Writing the consumer view as CSV, JSON or Parquet."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

FORMATS = ("csv", "json", "parquet")


class ExportError(RuntimeError):
    pass


def render_rows(rows: Sequence[dict[str, Any]], fmt: str, columns: Sequence[str]) -> bytes:
    """The rows in the format; Parquet needs the optional `pyarrow` (pip install 'klantprofielen[parquet]')."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: _plain(v) for k, v in row.items()} for row in rows)
        return buffer.getvalue().encode("utf-8")
    if fmt == "json":
        return (json.dumps([{k: _plain(v) for k, v in row.items()} for row in rows], ensure_ascii=False,
                           indent=2) + "\n").encode("utf-8")
    if fmt == "parquet":
        return _parquet(rows, columns)
    raise ExportError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")


def write_output(data: bytes, output: Path | None) -> None:
    """To the file (atomically) or to stdout."""
    if output is None:
        import sys

        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    partial = output.with_name(f".{output.name}.writing")
    partial.write_bytes(data)
    partial.replace(output)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return value
    return value


def _parquet(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ExportError("Parquet export needs pyarrow: pip install 'klantprofielen[parquet]'") from None
    table = pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in rows])
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()

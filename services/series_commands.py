"""`klantprofielen series`: a municipality's or a region's figures over the quarters, for consumers."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from services.cli_common import DatabaseOpt, DataDirOpt, fail, load_settings


def register_series_command(cli: typer.Typer) -> None:
    cli.command()(series)


def series(municipality: Annotated[str | None, typer.Option("--municipality", help="A name or a CBS code (GM0957)")
                                   ] = None,
           region: Annotated[str | None, typer.Option("--region", help="A region's number or name")] = None,
           as_json: Annotated[bool, typer.Option("--json", help="JSON")] = False,
           as_csv: Annotated[bool, typer.Option("--csv", help="CSV")] = False,
           data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """One row per municipality per quarter across the current reports (with --region alone and no
    --municipality: also the region's TOTAAL and register), with the change on the previous quarter
    and, across a merger, the predecessor codes."""
    import json

    from services.export import render_rows
    from services.store_commands import with_session
    from shared.store.series import municipality_series, region_series

    if as_json and as_csv:
        raise fail("choose one of --json and --csv")
    settings = load_settings(data_dir=data_dir, database_url=database_url)
    rows = with_session(settings, lambda s: municipality_series(session=s, municipality=municipality, region=region))
    regions = (with_session(settings, lambda s: region_series(session=s, region=region))
               if municipality is None else [])
    if as_json:
        typer.echo(json.dumps({"municipalities": rows, "regions": regions}, indent=2, ensure_ascii=False,
                              default=str))
        return
    if as_csv:
        flat = [{**row, "predecessor_codes": " ".join(row["predecessor_codes"])} for row in rows]
        typer.echo(render_rows(flat, "csv", list(flat[0]) if flat else ["municipality_code"]).decode(), nl=False)
        return
    if not rows and not regions:
        typer.echo("no series: nothing stored matches")
        return
    for row in regions:
        typer.echo(f"{row['region_code'] or '-':>3} {row['region_name']:<28} {row['year']} Q{row['quarter']}  "
                   f"total {row['total']:>7}{_change(row)}  register {row['register_size'] or '-'}")
    for row in rows:
        merged = f"  (from {', '.join(row['predecessor_codes'])})" if row["predecessor_codes"] else ""
        typer.echo(f"{row['municipality_code'] or '-':<7} {row['municipality']:<32} {row['year']} Q{row['quarter']}  "
                   f"total {row['total']:>7}{_change(row)}{merged}")


def _change(row: dict[str, Any]) -> str:
    change = row.get("total_change")
    return "" if change is None else f" ({change:+d})"

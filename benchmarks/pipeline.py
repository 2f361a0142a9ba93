"""The pipeline benchmark of issue #6.

    .venv/bin/python -m benchmarks.pipeline [--files 2000] [--trickle 200] [--memory-jobs 10000]
                                            [--seed 6] [--output PATH] [--quick]

Generates its own corpus, then measures: parse cost per format; the single-process floor and the naive
loop (the cron-script reference) on SQLite and PostgreSQL; a backfill through `klantprofielen run`
(format mix and text only, default concurrency and --concurrency 2, on SQLite; text on PostgreSQL with
the default concurrency, 2 and 4); trickle latency; a worker's memory over many jobs. Prints a table
and writes everything as JSON. See docs/benchmark.md."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks import corpus, inprocess, naive, report, scenarios
from benchmarks.stats import machine

QUICK = {"files": 24, "trickle": 8, "memory_jobs": 30, "parse_per_kind": 30, "repeat": 1}
FULL = {"files": 2000, "trickle": 200, "memory_jobs": 10_000, "parse_per_kind": 300, "repeat": 3}
SECTIONS = ("parse", "floor", "batches", "naive", "backfill", "pg-backfill", "trickle", "memory")
DEFAULT_POSTGRES = os.environ.get("KLANTPROFIELEN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline", description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, help="backfill and floor files per set (default 2000)")
    parser.add_argument("--trickle", type=int, help="files dropped one at a time (default 200)")
    parser.add_argument("--memory-jobs", type=int, help="jobs for the memory run (default 10000)")
    parser.add_argument("--parse-per-kind", type=int, help="reports parsed per kind (default 300)")
    parser.add_argument("--repeat", type=int, help="backfill runs per configuration, the median is kept "
                                                   "(default 3; 1 with --quick)")
    parser.add_argument("--seed", type=int, default=6, help="corpus seed (default 6)")
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / "results" / "pipeline.json",
                        help="the JSON result (default benchmarks/results/pipeline.json, git-ignored)")
    parser.add_argument("--quick", action="store_true", help="a few dozen files: a check, not a measurement")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL DSN for the floor")
    parser.add_argument("--workdir", type=Path, help="where corpus and runs go (default: a temp dir)")
    parser.add_argument("--keep-workdir", action="store_true", help="keep corpus, databases and logs")
    parser.add_argument("--only", action="append", choices=SECTIONS,
                        help="measure only these sections (repeatable; default: all)")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    for key in ("files", "trickle", "memory_jobs", "parse_per_kind", "repeat"):
        if getattr(args, key) < 1:
            parser.error(f"--{key.replace('_', '-')} must be at least 1")
    return args


def _step(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    result: dict[str, Any] = {"machine": machine()}
    result["config"] = {"command": " ".join(["python -m benchmarks.pipeline", *map(shlex.quote, sys.argv[1:])]),
                        "files": args.files, "trickle": args.trickle, "memory_jobs": args.memory_jobs,
                        "parse_per_kind": args.parse_per_kind, "repeat": args.repeat, "seed": args.seed,
                        "quick": args.quick,
                        "workdir": str(work)}
    factory = corpus.ReportFactory(args.seed)
    workers = min(2, os.cpu_count() or 1)
    _step("rendering the corpus")
    sets = {"mix": corpus.build_set(factory, work / "corpus" / "mix", "mix", args.files, corpus.MIX,
                                    workers=workers),
            "text": corpus.build_set(factory, work / "corpus" / "text", "text", args.files, corpus.TEXT_ONLY,
                                     workers=workers)}
    trickle_set = corpus.build_set(factory, work / "corpus" / "trickle", "trickle", args.trickle, corpus.MIX)
    memory_set = corpus.build_set(factory, work / "corpus" / "memory", "memory", args.memory_jobs, corpus.MIX,
                                  workers=workers)
    result["corpus"] = {name: dict(Counter(f.kind for f in files)) for name, files in
                        {**sets, "trickle": trickle_set, "memory": memory_set}.items()}

    only = set(args.only or SECTIONS)
    if "parse" in only:
        _step("parse cost")
        result["parse"] = inprocess.parse_cost(sets["mix"], args.parse_per_kind)

    for section, measure in (("floor", inprocess.floor), ("batches", inprocess.batches), ("naive", naive.naive_loop)):
        if section not in only:
            continue
        result[section] = {"sqlite": {}, "postgresql": {}}
        for name, files in sets.items():
            _step(f"{section} on SQLite: {name}")
            result[section]["sqlite"][name] = measure(files, None, work / section / f"sqlite-{name}")
            _step(f"{section} on PostgreSQL: {name}")
            try:
                with inprocess.postgres_schema(args.postgres) as url:
                    result[section]["postgresql"][name] = measure(files, url, work / section / f"pg-{name}")
            except Exception as exc:  # noqa: BLE001 - no PostgreSQL: say so in the result, measure the rest
                result[section]["postgresql"][name] = {"files": len(files), "error": f"{type(exc).__name__}: {exc}"}

    configurations: list[tuple[str, str, int | None]] = []
    if "backfill" in only:
        configurations += [(db, name, c) for name in sets for db, c in (("sqlite", None), ("sqlite", 2))]
    if "pg-backfill" in only:
        # --quick: the default concurrency only (a check that it runs, not how it scales).
        configurations += [("postgresql", "text", c) for c in ((None,) if args.quick else (None, 2, 4))]
    result["backfill"] = {}
    for db, name, concurrency in configurations:
        label = f"{'pg_' if db == 'postgresql' else ''}{name}_" \
                f"{'default' if concurrency is None else f'concurrency_{concurrency}'}"
        runs = []
        for attempt in range(args.repeat):
            _step(f"backfill {label} ({attempt + 1}/{args.repeat})")
            root = work / "backfill" / label / f"run-{attempt}"
            if db == "postgresql":
                try:
                    with inprocess.postgres_schema(args.postgres) as url:
                        runs.append(scenarios.backfill(sets[name], root, concurrency=concurrency,
                                                       database_url=url))
                except Exception as exc:  # noqa: BLE001 - no PostgreSQL: say so, measure the rest
                    runs = []
                    result["backfill"][label] = {"error": f"{type(exc).__name__}: {exc}"}
                    break
            else:
                runs.append(scenarios.backfill(sets[name], root, concurrency=concurrency))
        if not runs:
            continue
        rates = [r["reports_per_second"] for r in runs]
        run_result = sorted(runs, key=lambda r: r["reports_per_second"])[len(runs) // 2]  # the median run
        for reference in ("floor", "naive"):
            base = result.get(reference, {}).get(db, {}).get(name, {}).get("reports_per_second")
            if base:
                run_result[f"ratio_to_{reference}"] = round(run_result["reports_per_second"] / base, 3)
        run_result["runs_reports_per_second"] = rates
        run_result["all_runs_stored"] = all(r["all_stored"] for r in runs)
        run_result["most_unchecked_against_previous"] = max(r["unchecked_against_previous"] for r in runs)
        result["backfill"][label] = run_result

    if "trickle" in only:
        _step("trickle latency")
        result["trickle"] = scenarios.trickle(trickle_set, work / "trickle")
    if "memory" in only:
        _step("worker memory")
        result["memory"] = scenarios.memory(memory_set, work / "memory")
    result["targets"] = report.targets(result)
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from shared.files import ignore_lease_break_signal

    ignore_lease_break_signal()  # ingest_file takes Linux leases in this process (the floor)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="kp-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        result = run(args, work)
    finally:
        if not args.keep_workdir and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    result["seconds"] = round(time.monotonic() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(report.render_text(result))
    print(f"\nwritten: {args.output} ({result['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The targets of issue #6 checked against a result, and the result as a plain-text table."""

from __future__ import annotations

from typing import Any


def _get(result: dict[str, Any], *path: str) -> Any:
    value: Any = result
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target: what, the limit, the measured value, met or not (None when not measured)."""
    rows: list[dict[str, Any]] = []

    def check(name: str, measured: Any, limit: float, *, at_least: bool, unit: str) -> None:
        met = None if measured is None else (measured >= limit if at_least else measured <= limit)
        rows.append({"target": name, "limit": f"{'>=' if at_least else '<='} {limit:g} {unit}",
                     "measured": measured, "met": met})

    for label in ("default", "concurrency_2"):
        text = _get(result, "backfill", f"text_{label}")
        mix = _get(result, "backfill", f"mix_{label}")
        check(f"backfill text, {label.replace('_', ' ')}", _get(text or {}, "reports_per_second"), 300,
              at_least=True, unit="reports/s")
        ratio = _get(text or {}, "ratio_to_floor")
        check(f"backfill text / floor, {label.replace('_', ' ')}", None if ratio is None else round(100 * ratio, 1),
              50, at_least=True, unit="%")
        check(f"backfill format mix, {label.replace('_', ' ')}", _get(mix or {}, "reports_per_second"), 120,
              at_least=True, unit="reports/s")
    # Issue #13: the service against the naive single-process loop of the same run.
    for label, limit in (("text_default", 1.0), ("mix_default", 0.8), ("pg_text_default", 1.0)):
        check(f"backfill {label.replace('_', ' ')} / naive loop", _get(result, "backfill", label, "ratio_to_naive"),
              limit, at_least=True, unit="x")
    unchecked = [run["most_unchecked_against_previous"] for run in (result.get("backfill") or {}).values()
                 if "most_unchecked_against_previous" in run]
    check("backfill reports unchecked against a stored previous quarter (any run)",
          max(unchecked) if unchecked else None, 0, at_least=False, unit="reports")
    check("trickle drop->commit p50", _get(result, "trickle", "commit_ms", "median"), 10, at_least=False, unit="ms")
    check("trickle drop->commit p99", _get(result, "trickle", "commit_ms", "p99"), 50, at_least=False, unit="ms")
    for fmt in ("text", "html"):
        check(f"parse {fmt} median", _get(result, "parse", "by_format", fmt, "median"), 1, at_least=False, unit="ms")
    check("parse pdf median per page", _get(result, "parse", "pdf_ms_per_page", "median"), 4, at_least=False,
          unit="ms")
    for key, name in (("growth_from_start_percent", "from start"),
                      ("growth_from_first_batch_percent", "from first batch")):
        growth = _get(result, "memory", key)
        check(f"worker RSS growth {name} ({_get(result, 'memory', 'jobs')} jobs)",
              None if growth is None else abs(growth), 10, at_least=False, unit="% (abs)")
    return rows


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(c) for c in headers], *[["" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cpu(run: dict[str, Any]) -> str:
    cpu = run.get("cpu_ms_per_file_by_role", {})
    parts = [f"{cpu.get(role, 0):.1f}" for role in ("pool", "worker", "watcher", "redis")]
    return f"{'+'.join(parts)} ({run.get('cpu_busy_percent_of_machine')}% busy)"


def render_text(result: dict[str, Any]) -> str:
    out: list[str] = []
    m = result["machine"]
    out.append(f"machine: {m['cores']} cores ({m['cpu']}), {m['memory_mib']} MiB, Python {m['python']}")
    out.append("packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()))
    out.append(f"command: {result['config']['command']}\n")

    if parse := result.get("parse"):
        out.append("1. parse cost, in process (ms per report)")
        out.append(_table(["kind", "n", "median", "p90", "p99"],
                          [[k, v["count"], v["median"], v["p90"], v["p99"]] for k, v in parse["by_kind"].items()]
                          + [["pdf per page", parse["pdf_ms_per_page"]["count"], parse["pdf_ms_per_page"]["median"],
                              parse["pdf_ms_per_page"]["p90"], parse["pdf_ms_per_page"]["p99"]]]))
        out.append(f"figures differing from the rendered report: {parse['mismatches']}\n")

    for section, title in (("floor", "2. floor: ingest_file in one process, no queue"),
                           ("batches", "2a. batches: a worker's path for jobs of 50 claims, in one process "
                                       "(ms per report by stage; store = the write, from its turn to the commit)"),
                           ("naive", "2b. naive loop: parse + reconcile + insert + move, one transaction per file")):
        if section not in result:
            continue
        out.append(title)
        rows = []
        for db, sets in result[section].items():
            for name, f in sets.items():
                if "error" in f:
                    rows.append([db, name, f.get("files"), "", "", f["error"][:60]])
                    continue
                stages = f.get("stages_ms_per_file", {})
                shown = None if section == "batches" else 3  # the batches' stages are what the section is for
                top = ", ".join(f"{k} {v}" for k, v in sorted(stages.items(), key=lambda kv: -kv[1])[:shown])
                rows.append([db, name, f["files"], f["reports_per_second"], f["outcomes"], top])
        out.append(_table(["db", "set", "files", "reports/s", "outcomes", "top stages (ms/file)"], rows) + "\n")

    if result.get("backfill"):
        out.append("3. backfill: all files renamed into the inbox of `klantprofielen run` (pg_: on PostgreSQL)")
        out.append(_table(["run", "files", "pool", "jobs", "seconds", "reports/s", "all runs", "of floor", "of naive",
                           "enqueued by s", "cpu ms/file: pool+worker+watcher+redis", "stored", "left", "unchecked"],
                          [[k, b["files"], b["pool_processes"], b.get("jobs"), b["seconds"], b["reports_per_second"],
                            "/".join(f"{r:.0f}" for r in b.get("runs_reports_per_second", [])),
                            f"{100 * b['ratio_to_floor']:.0f}%" if b.get("ratio_to_floor") else "",
                            f"{b['ratio_to_naive']:.2f}x" if b.get("ratio_to_naive") else "",
                            b["last_enqueued_seconds"], _cpu(b), b["stored"], b["left_in_inbox"],
                            b.get("most_unchecked_against_previous")]
                           for k, b in result["backfill"].items() if "error" not in b]) + "\n")

    if t := result.get("trickle"):
        out.append(f"4. trickle: {t['files']} files one at a time (inotify), latency in ms")
        rows = [["drop -> commit (stored_at)", *(t["commit_ms"].get(q) for q in ("median", "p90", "p99", "max"))],
                ["drop -> row seen by poll", *(t["seen_by_poll_ms"].get(q) for q in ("median", "p90", "p99", "max"))]]
        rows += [[f"  stage {k}", *(v.get(q) for q in ("median", "p90", "p99", "max"))]
                 for k, v in t["stages_ms"].items()]
        out.append(_table(["measure", "p50", "p90", "p99", "max"], rows))
        out.append(f"commit p50 by format: {t['commit_ms_median_by_format']}\n")

    if mem := result.get("memory"):
        out.append(f"5. worker memory (main + pool, RSS/PSS MiB) over {mem['jobs']} jobs of one file each "
                   f"({mem.get('jobs_received')} received by the worker)")
        out.append(_table(["jobs", "processes", "rss", "pss", "main rss", "pool rss"],
                          [[s["jobs"], s["processes"], s["rss_mib"], s["pss_mib"], s["main_rss_mib"],
                            " ".join(map(str, s["children_rss_mib"]))] for s in mem["samples"]]) + "\n")

    out.append("targets")
    out.append(_table(["target", "limit", "measured", "met"],
                      [[r["target"], r["limit"], r["measured"],
                        {True: "yes", False: "NO", None: "-"}[r["met"]]] for r in result["targets"]]))
    return "\n".join(out)

"""The pipeline benchmark (issue #6) runs end to end in its quick mode and reports every section.
Nothing here is about speed: only that each stage ran on every generated file and stored it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import POSTGRES_DSN, ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(240)]

KINDS = {"pdf", "html", "text-tabs", "text-pdf-edition", "csv", "xlsx"}
BACKFILLS = {"mix_default", "mix_concurrency_2", "text_default", "text_concurrency_2", "pg_text_default"}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("benchmark") / "result.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.pipeline", "--quick", "--output", str(output),
         "--postgres", POSTGRES_DSN],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)
    assert completed.returncode == 0, completed.stderr[-4000:]
    assert "targets" in completed.stdout  # the table was printed
    return json.loads(output.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_machine_and_config(result: dict[str, Any]) -> None:
    machine = result["machine"]
    assert machine["cores"] >= 1 and machine["python"].startswith("3.")
    for package in ("celery", "kombu", "redis", "sqlalchemy", "sqlmodel", "pypdfium2", "selectolax",
                    "python-calamine", "watchdog"):
        assert machine["packages"][package], package
    assert result["config"]["quick"] is True and result["seconds"] > 0


def test_corpus_has_every_format(result: dict[str, Any]) -> None:
    config = result["config"]
    assert set(result["corpus"]["mix"]) == KINDS
    assert set(result["corpus"]["text"]) == {"text-tabs", "text-pdf-edition"}
    assert sum(result["corpus"]["mix"].values()) == sum(result["corpus"]["text"].values()) == config["files"]
    assert sum(result["corpus"]["trickle"].values()) == config["trickle"]
    assert sum(result["corpus"]["memory"].values()) == config["memory_jobs"]


def test_parse_cost_per_format(result: dict[str, Any]) -> None:
    parse = result["parse"]
    assert set(parse["by_kind"]) == KINDS
    assert set(parse["by_format"]) == {"pdf", "html", "text", "csv", "xlsx"}
    for stats in parse["by_kind"].values():
        assert stats["count"] >= 1 and 0 < stats["median"] <= stats["p90"] <= stats["max"]
    assert parse["pdf_ms_per_page"]["count"] == parse["by_kind"]["pdf"]["count"]
    assert parse["mismatches"] == 0


def in_process_runs(result: dict[str, Any], section: str) -> Iterator[tuple[tuple[str, str], dict[str, Any]]]:
    """Each database's run of each set in an in-process section ((database, set), run), none an error."""
    for database in ("sqlite", "postgresql"):
        for name in ("mix", "text"):
            run = result[section][database][name]
            assert "error" not in run, run.get("error")
            yield (database, name), run


def test_naive_loop_stores_every_file_on_both_databases(result: dict[str, Any]) -> None:
    files = result["config"]["files"]
    for label, naive in in_process_runs(result, "naive"):
        assert naive["outcomes"] == {"stored": files} and naive["reports_per_second"] > 0, label


def test_floor_stores_every_file_on_both_databases(result: dict[str, Any]) -> None:
    files = result["config"]["files"]
    for label, floor in in_process_runs(result, "floor"):
        assert floor["files"] == files and floor["outcomes"] == {"stored": files}, label
        assert floor["left_in_inbox"] == 0 and floor["reports_per_second"] > 0
        stages = floor["stages_ms_per_file"]
        assert stages["parse_report"] > 0 and stages["add_stored_report"] > 0


def test_batches_store_every_file_on_both_databases_and_time_each_stage(result: dict[str, Any]) -> None:
    files = result["config"]["files"]
    for label, batches in in_process_runs(result, "batches"):
        assert batches["outcomes"] == {"stored": files} and batches["reports_per_second"] > 0, label
        stages = batches["stages_ms_per_file"]
        assert all(stages[stage] > 0 for stage in ("read_claims", "parse_report", "store", "dispose")), stages


def test_backfill_stores_every_file(result: dict[str, Any]) -> None:
    files = result["config"]["files"]
    assert set(result["backfill"]) == BACKFILLS
    for label, run in result["backfill"].items():
        assert run["files"] == files and run["stored"] == files and run["rows"] == files, label
        assert run["all_stored"] and run["all_runs_stored"] and run["quarantined"] == 0, label
        # The quick corpus holds no two consecutive quarters of a region, so this shows the count is made
        # (and would see a report gone unchecked); the race itself is guarded by test_store.py and
        # test_quarters_e2e.py.
        assert run["most_unchecked_against_previous"] == 0, label
        assert run["left_in_inbox"] == 0 and run["archived"] == files and run["findings"] == 0, label
        # One file_enqueued line per claim; a job may carry several claims (a batch).
        assert run["enqueued"] == files and 1 <= run["task_runtime_ms"]["count"] <= files, label
        assert run["jobs"] == run["task_runtime_ms"]["count"], label
        assert run["reports_per_second"] > 0 and run["ratio_to_floor"] > 0 and run["ratio_to_naive"] > 0, label
        assert run["pool_processes"] >= 1 and run["cpu_ms_per_file_by_role"]["pool"] > 0, label
        assert run["exit_status"] == 0 and run["logs"]["not_json"] == 0, label
    assert result["backfill"]["mix_concurrency_2"]["pool_processes"] == 2
    assert result["backfill"]["mix_default"]["pool_processes"] == len(os.sched_getaffinity(0))  # one per core
    assert result["backfill"]["pg_text_default"]["database"] == "postgresql"


def test_trickle_latency_of_every_file(result: dict[str, Any]) -> None:
    trickle = result["trickle"]
    files = result["config"]["trickle"]
    assert trickle["files"] == files and trickle["stored"] == files and trickle["timed_out"] == 0
    assert trickle["commit_ms"]["count"] == trickle["seen_by_poll_ms"]["count"] == files
    assert 0 < trickle["commit_ms"]["median"] <= trickle["commit_ms"]["p99"]
    assert trickle["stages_ms"]["drop_to_claimed"]["count"] == files
    assert trickle["left_in_inbox"] == 0 and trickle["exit_status"] == 0 and trickle["logs"]["not_json"] == 0


def test_worker_memory_over_the_jobs(result: dict[str, Any]) -> None:
    memory = result["memory"]
    jobs = result["config"]["memory_jobs"]
    assert memory["jobs"] == jobs and memory["stored"] == jobs and memory["all_stored"]
    assert memory["jobs_received"] == jobs  # one job per file: the worker took as many jobs as files
    assert len(memory["samples"]) >= 2 and memory["samples"][0]["jobs"] == 0
    assert all(sample["rss_mib"] > 0 and sample["processes"] >= 2 for sample in memory["samples"])
    assert memory["start_rss_mib"] > 0 and memory["end_rss_mib"] > 0 and memory["exit_status"] == 0


def test_targets_are_evaluated(result: dict[str, Any]) -> None:
    targets = result["targets"]
    assert len(targets) >= 10
    assert all(target["met"] in (True, False, None) for target in targets)
    assert all(target["measured"] is not None for target in targets)


def test_quick_mode_rejects_nonsense() -> None:
    completed = subprocess.run([sys.executable, "-m", "benchmarks.pipeline", "--quick", "--files", "0"],
                               cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 2 and "--files must be at least 1" in completed.stderr

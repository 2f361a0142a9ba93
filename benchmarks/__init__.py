"""The pipeline benchmark (GitHub issue #6): `python -m benchmarks.pipeline [--quick]`.

Modules: corpus (deterministic reports in every format), inprocess (parse cost and the
single-process floor), service (a `klantprofielen run` subprocess and its database), scenarios
(backfill, trickle latency, worker memory), stats (percentiles, machine facts), pipeline (the
command: runs everything, prints the table, writes the JSON)."""

"""/metrics: counted at scrape time from the database and the broker, so that the values are right
whichever workers on whichever hosts did the work (the client library's multi-process mode cannot
span hosts).

The latency histogram is kept cheap by reading each delivery once: deliveries are only ever added
(a requeue adds a new one), so the collector keeps its bucket counts and reads only rows with a
higher id than the last it saw. On PostgreSQL a transaction that took a lower id can commit after
a higher one was read; such gaps are looked up again on later scrapes for GAP_RECHECK_SECONDS."""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text

from services.broker import redis_client
from services.ops.status import count_waiting, pending_claims, queued_jobs
from services.web.database import ReadOnlyDatabase
from services.web.queries import utc
from shared.config import Settings

# Drop -> committed: a trickle takes tens of milliseconds, a backfill behind a queue minutes.
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
GAP_RECHECK_SECONDS = 900.0
MAX_GAPS = 10_000
BROKER_TIMEOUT_SECONDS = 1.0


class LatencyHistogram:
    """Cumulative bucket counts of drop -> committed seconds over every delivery read so far."""

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS) + 1)  # the last is +Inf
        self.total_seconds = 0.0
        self.last_id = 0
        self.gaps: dict[int, float] = {}  # id not seen yet -> when the gap was noticed (monotonic)
        self.lock = threading.Lock()

    def update(self, connection: Any) -> None:
        with self.lock:
            now = time.monotonic()
            self.gaps = {i: t for i, t in self.gaps.items() if now - t < GAP_RECHECK_SECONDS}
            gap_clause = ""
            if self.gaps:
                gap_clause = " OR id IN (" + ", ".join(str(i) for i in sorted(self.gaps)) + ")"
            rows = connection.execute(text("SELECT id, dropped_at, committed_at FROM delivery "
                                           f"WHERE id > :last{gap_clause} ORDER BY id"), {"last": self.last_id})
            for delivery_id, dropped_at, committed_at in rows:
                if delivery_id in self.gaps:
                    del self.gaps[delivery_id]
                elif delivery_id > self.last_id:
                    for missing in range(self.last_id + 1, delivery_id):
                        if len(self.gaps) < MAX_GAPS:
                            self.gaps[missing] = now
                    self.last_id = delivery_id
                if dropped_at is None or committed_at is None:
                    continue
                seconds = max(0.0, (utc(committed_at) - utc(dropped_at)).total_seconds())  # type: ignore[operator]
                self.counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
                self.total_seconds += seconds

    def family(self) -> HistogramMetricFamily:
        with self.lock:
            cumulative, running = [], 0
            for bound, count in zip((*LATENCY_BUCKETS, float("inf")), self.counts, strict=True):
                running += count
                cumulative.append(("+Inf" if bound == float("inf") else repr(bound), running))
            return HistogramMetricFamily(
                "klantprofielen_drop_to_commit_seconds",
                "Seconds from a file judged complete in the inbox to its outcome committed",
                buckets=cumulative, sum_value=self.total_seconds)


class ServiceCollector(Collector):
    """Every klantprofielen metric, computed when Prometheus scrapes."""

    def __init__(self, settings: Settings, database: ReadOnlyDatabase) -> None:
        self.settings = settings
        self.database = database
        self.latency = LatencyHistogram()

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily("klantprofielen_source_up", "Whether the scrape could read this source (1) or not (0)",
                               labels=["source"])
        try:
            yield from self._from_database()
            up.add_metric(["database"], 1)
        except Exception:  # noqa: BLE001 - a database that cannot be read shows as source_up 0
            up.add_metric(["database"], 0)
        try:
            yield from self._from_folders()
            up.add_metric(["inbox"], 1)
        except OSError:
            up.add_metric(["inbox"], 0)
        client = redis_client(self.settings.effective_broker_url, BROKER_TIMEOUT_SECONDS)
        try:
            queued = queued_jobs(client)
        except (redis.RedisError, OSError):
            up.add_metric(["broker"], 0)
        else:
            up.add_metric(["broker"], 1)
            yield GaugeMetricFamily("klantprofielen_queue_length", "Jobs waiting in the broker's ingest queue",
                                    value=queued)
        finally:
            client.close()
        yield up

    def _from_database(self) -> Iterator[Any]:
        with self.database.connect() as connection:
            files = CounterMetricFamily("klantprofielen_files", "Delivered files by how they ended",
                                        labels=["outcome"])
            by_outcome = text("SELECT outcome, count(*) FROM delivery GROUP BY outcome")
            seen: dict[str, int] = {outcome: count for outcome, count in connection.execute(by_outcome)}
            for outcome in sorted({"stored", "duplicate", "quarantined", *seen}):
                files.add_metric([outcome], seen.get(outcome, 0))
            findings = CounterMetricFamily("klantprofielen_findings", "Findings of stored reports by check",
                                           labels=["check", "severity"])
            for check, severity, count in connection.execute(text(
                    'SELECT "check", severity, count(*) FROM finding GROUP BY "check", severity ORDER BY 1, 2')):
                findings.add_metric([check, severity], count)
            last = connection.execute(text("SELECT max(stored_at) FROM report")).scalar()
            self.latency.update(connection)
        yield files
        yield findings
        yield self.latency.family()
        if last is not None:
            yield GaugeMetricFamily("klantprofielen_last_stored_report_timestamp_seconds",
                                    "When the newest report was stored (Unix time)",
                                    value=utc(last).timestamp())  # type: ignore[union-attr]

    def _from_folders(self) -> Iterator[Any]:
        waiting = count_waiting(self.settings.inbox)
        claims = pending_claims(self.settings.inbox, datetime.now(UTC))
        yield GaugeMetricFamily("klantprofielen_inbox_waiting", "Complete files waiting in the inbox",
                                value=waiting)
        yield GaugeMetricFamily("klantprofielen_claims_pending",
                                "Files claimed from the inbox that have not reached their end state",
                                value=claims.count)
        yield GaugeMetricFamily("klantprofielen_oldest_claim_age_seconds",
                                "Age of the oldest pending claim (0 when there is none)",
                                value=claims.oldest_age_seconds or 0.0)

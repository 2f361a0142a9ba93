"""Talking to the Redis broker directly (beside Celery): a redis-py client for a broker URL, and the
in-flight keys that make at most one live job per claim."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from shared.jobs import INFLIGHT_KEY_PREFIX


def redis_client(broker_url: str, timeout: float | None = None) -> redis.Redis:
    """A redis-py client for a Celery broker URL, including kombu's redis+socket:///path form, that gives
    up after `timeout` (redis-py retries a failed connection with backoff by default: a PING to a
    missing socket took 3.3 s with a 0.5 s timeout); the callers back off themselves."""
    parts = urlsplit(broker_url)
    no_retry = Retry(NoBackoff(), retries=0)
    if parts.scheme in ("redis+socket", "socket"):
        query = parse_qs(parts.query)
        db = int((query.get("virtual_host") or query.get("db") or ["0"])[0] or 0)
        return redis.Redis(unix_socket_path=parts.path, db=db, password=parts.password, retry=no_retry,
                           socket_timeout=timeout, socket_connect_timeout=timeout)
    return redis.Redis.from_url(broker_url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=no_retry)


class InflightKeys:
    """A key per claim while a job for it is live. The watcher sets it (SET NX) before it sends a job
    and offers a claim again only when its key is gone; it outlives the broker's visibility timeout,
    so a job redelivered after a worker died still holds it. A worker that gives up on a claim
    releases the key. A Redis that restarts empty loses the keys with the jobs: the claims are then
    offered again."""

    def __init__(self, client: redis.Redis, ttl_seconds: int) -> None:
        self._client = client
        self._ttl = ttl_seconds

    def mark(self, claims: Iterable[str], job_id: str) -> list[str]:
        """Mark the claims that have no live job and return them; the others are in flight. Keys are
        never extended: a job lost in a way nobody saw (a bug) frees its claim when its key expires."""
        claims = list(claims)
        pipe = self._client.pipeline(transaction=False)
        for claim in claims:
            pipe.set(INFLIGHT_KEY_PREFIX + claim, job_id, nx=True, ex=self._ttl)
        return [claim for claim, was_set in zip(claims, pipe.execute(), strict=True) if was_set]

    def move(self, claims: Iterable[str], job_id: str) -> None:
        """Point the claims' keys at another job (a split batch)."""
        pipe = self._client.pipeline(transaction=False)
        for claim in claims:
            pipe.set(INFLIGHT_KEY_PREFIX + claim, job_id, ex=self._ttl)
        pipe.execute()

    def release(self, claims: Iterable[str]) -> None:
        keys = [INFLIGHT_KEY_PREFIX + claim for claim in claims]
        if keys:
            self._client.delete(*keys)

    def count(self) -> int:
        return sum(1 for _ in self._client.scan_iter(match=INFLIGHT_KEY_PREFIX + "*", count=1000))

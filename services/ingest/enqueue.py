"""Offering claims to the workers, without importing the worker: one live job per claim, claims due
at once grouped into jobs of up to batch_max_files files and batch_max_bytes bytes."""

from __future__ import annotations

import os
from uuid import uuid4

from celery import Celery

from services.broker import InflightKeys, redis_client
from services.kombu_redis import install_redis_transport
from shared.claims import WorkFolder
from shared.config import Settings
from shared.jobs import INGEST_QUEUE, INGEST_TASK, batches, celery_config, inflight_ttl_seconds

BROKER_TIMEOUT_SECONDS = 3


class JobSender:
    """A Celery producer for ingest jobs; `offer` raises when the broker cannot take the job."""

    def __init__(self, settings: Settings) -> None:
        install_redis_transport()
        self._app = Celery("klantprofielen-ingest")
        config = celery_config(settings, settings.effective_broker_url)
        config["broker_connection_timeout"] = BROKER_TIMEOUT_SECONDS
        config["broker_transport_options"] = {**config["broker_transport_options"],
                                              "socket_connect_timeout": BROKER_TIMEOUT_SECONDS}
        self._app.conf.update(config)
        self._redis = redis_client(settings.effective_broker_url, timeout=BROKER_TIMEOUT_SECONDS)
        self._inflight = InflightKeys(self._redis, inflight_ttl_seconds(settings))
        self._claimed = WorkFolder.of_inbox(settings.inbox).claimed
        self._max_files, self._max_bytes = settings.batch_max_files, settings.batch_max_bytes

    def offer(self, claims: list[str]) -> list[str]:
        """Send jobs for the claims that have no live job, grouped into batches; returns the claims sent."""
        marked = self._inflight.mark(claims, f"offered-{uuid4()}")
        jobs = batches(marked, self._size_of, max_files=self._max_files, max_bytes=self._max_bytes)
        sent: list[str] = []
        for job in jobs:
            try:
                self._app.send_task(INGEST_TASK, args=[job], queue=INGEST_QUEUE, retry=False)
            except BaseException:
                self._inflight.release(marked[len(sent):])
                raise
            sent += job
        return sent

    def _size_of(self, claim: str) -> int:
        try:
            return os.lstat(self._claimed / claim).st_size
        except OSError:
            return 0

    def close(self) -> None:
        self._app.close()
        self._redis.close()

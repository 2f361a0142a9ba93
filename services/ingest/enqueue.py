"""Offering claims to the workers, without importing the worker: one live job per claim."""

from __future__ import annotations

from uuid import uuid4

from celery import Celery

from services.broker import InflightKeys, redis_client
from services.kombu_redis import install_redis_transport
from shared.config import Settings
from shared.jobs import INGEST_QUEUE, INGEST_TASK, celery_config, inflight_ttl_seconds

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

    def offer(self, claims: list[str]) -> list[str]:
        """Send a job for each claim that has no live job; returns the claims sent."""
        marked = self._inflight.mark(claims, f"offered-{uuid4()}")
        for position, claim in enumerate(marked):
            try:
                self._app.send_task(INGEST_TASK, args=[[claim]], queue=INGEST_QUEUE, retry=False)
            except BaseException:
                self._inflight.release(marked[position:])
                raise
        return marked

    def close(self) -> None:
        self._app.close()
        self._redis.close()

"""Sending ingest jobs to the broker, without importing the worker."""

from __future__ import annotations

from pathlib import Path

from celery import Celery

from services.kombu_redis import install_redis_transport
from shared.config import Settings
from shared.jobs import INGEST_QUEUE, INGEST_TASK, celery_config


class JobSender:
    """A Celery producer for ingest jobs; `send` raises when the broker cannot take the job."""

    def __init__(self, settings: Settings) -> None:
        install_redis_transport()
        self._app = Celery("klantprofielen-ingest")
        config = celery_config(settings, settings.effective_broker_url)
        config["broker_connection_timeout"] = 3
        config["broker_transport_options"] = {**config["broker_transport_options"],
                                              "socket_connect_timeout": 3}
        self._app.conf.update(config)

    def send(self, path: Path, received_at: str) -> str:
        """Enqueue one file; returns the task id."""
        result = self._app.send_task(INGEST_TASK, args=[str(path), received_at], queue=INGEST_QUEUE,
                                     retry=False)
        return str(result.id)

    def close(self) -> None:
        self._app.close()

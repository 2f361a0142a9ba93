"""kombu's Redis transport, with one fix: a worker that loses Redis with jobs in progress no longer dies.

Celery closes the connection; the channel's close puts its unacknowledged messages back and needs a new
connection pool for that, but kombu 5.7 has cleared the transport's connection details by then, and
building the pool raises AttributeError ('NoneType' object has no attribute 'hostname'), which nobody
catches: "Unrecoverable error", the worker exits. The channel keeps the details it was opened with; the
restore then meets the real condition (Redis down: a connection error, which kombu ignores on close, and
Celery reconnects). Upstream: the same AttributeError from `_connparams` on a channel closed after its
connection, celery/kombu#582, and from `restore_unacked` at shutdown, celery/kombu#970.

It reaches into kombu's private channel API: services/versions.py refuses to start on a kombu or Celery
release other than the tested one (pinned in pyproject.toml and the lock files). (An earlier second fix,
one synchronous client per channel instead of one per command, redis/redis-py#3624, went with batches:
a batch of files is one message, so the per-message cost it saved no longer counts.)"""

from __future__ import annotations

from typing import Any

from kombu import transport as kombu_transport
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _opened_with: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._opened_with = self.connection.client

    def _connparams(self, asynchronous: bool = False) -> Any:
        transport = self.connection
        if transport.client is not None or self._opened_with is None:
            return super()._connparams(asynchronous=asynchronous)
        transport.client = self._opened_with  # only while the parameters are read
        try:
            return super()._connparams(asynchronous=asynchronous)
        finally:
            transport.client = None


class Transport(kombu_redis.Transport):
    Channel = Channel


def install_redis_transport() -> None:
    """Make `redis://` and `redis+socket://` broker URLs use this module's Transport, with its fix (in
    this process; the watcher's producer and the worker call it before they connect)."""
    name = f"{__name__}:Transport"
    if kombu_transport.TRANSPORT_ALIASES.get("redis") != name:
        kombu_transport.TRANSPORT_ALIASES["redis"] = name
        kombu_transport._transport_cache.pop("redis", None)

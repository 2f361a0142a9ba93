"""kombu's Redis transport, with one synchronous client per channel instead of one per command.

kombu builds a new `redis.Redis` object for every publish, every acknowledgement and every
unacked-message record; with redis-py 5 and later that construction (a case-insensitive dict of
~170 response callbacks, redis/redis-py#3624) costs about as much as the command itself: 0.1 ms of
CPU per file in the watcher and twice that in the worker's main process. A client object holds no
connection of its own (each command checks one out of the channel's pool), so one per channel and
pool is safe to share."""

from __future__ import annotations

from typing import Any

from kombu import transport as kombu_transport
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _sync_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._sync_client
        if client is None or client.connection_pool is not self.pool:  # a new pool after a reconnect
            client = self._sync_client = super()._create_client()
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel


def use_single_client_redis_transport() -> None:
    """Make `redis://` and `redis+socket://` broker URLs use Transport (in this process)."""
    name = f"{__name__}:Transport"
    if kombu_transport.TRANSPORT_ALIASES.get("redis") != name:
        kombu_transport.TRANSPORT_ALIASES["redis"] = name
        kombu_transport._transport_cache.pop("redis", None)

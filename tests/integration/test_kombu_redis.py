"""The Redis transport that keeps one synchronous client per channel, against the real Redis."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from kombu import Connection, Exchange, Queue

from services.kombu_redis import Channel, install_redis_transport


def test_messages_round_trip_with_one_client_per_channel(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    install_redis_transport()
    built: list[redis.Redis] = []
    original_init = redis.Redis.__init__

    def counting_init(self: redis.Redis, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting_init)
    queue = Queue("kp-test-transport", Exchange("kp-test-transport", type="direct"), routing_key="kp")
    with Connection(redis_url) as connection:
        channel = connection.default_channel
        assert isinstance(channel, Channel)
        producer = connection.Producer(serializer="json")
        for number in range(20):
            producer.publish({"n": number}, exchange=queue.exchange, routing_key="kp", declare=[queue])
        received: list[Any] = []
        with connection.Consumer(queue, callbacks=[lambda body, message: (received.append(body), message.ack())]):
            while len(received) < 20:
                connection.drain_events(timeout=5)
        assert received == [{"n": number} for number in range(20)]
        # 20 publishes and 20 acks: kombu's own channel builds a client for each
        assert len(built) <= 3, len(built)
        client = channel._create_client()
        channel._disconnect_pools()  # what kombu does after a fork or a lost connection
        assert channel._create_client() is not client
        assert channel._create_client().connection_pool is channel.pool
        queue(channel).delete()


def test_socket_urls_use_it_too(redis_url: str) -> None:
    install_redis_transport()
    assert Connection("redis+socket:///tmp/redis.sock").get_transport_cls().Channel is Channel
    assert Connection(redis_url).get_transport_cls().Channel is Channel

"""The project's Redis transport (kombu_redis.py), against the real Redis."""

from __future__ import annotations

from typing import Any

from kombu import Connection, Exchange, Queue

from services.kombu_redis import Channel, install_redis_transport


def test_messages_round_trip_through_the_channel(redis_url: str) -> None:
    install_redis_transport()
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
        queue(channel).delete()


def test_socket_urls_use_it_too(redis_url: str) -> None:
    install_redis_transport()
    assert Connection("redis+socket:///tmp/redis.sock").get_transport_cls().Channel is Channel
    assert Connection(redis_url).get_transport_cls().Channel is Channel

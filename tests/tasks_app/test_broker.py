"""The broker transport on real Redis."""

from __future__ import annotations

import redis
from django.conf import settings
from kombu import Connection, Producer, Queue


def test_closing_a_channel_after_its_connection_was_collected_does_not_raise(redis_client: redis.Redis) -> None:
    """What a worker does when Redis goes away with tasks unacknowledged: Celery collects the
    connection, then closes its channel. kombu's restore of the unacknowledged messages raised
    AttributeError ('NoneType' object has no attribute 'hostname') there, and the worker exited."""
    connection = Connection(settings.REDIS_URL, transport="tasks_app.broker:Transport")
    channel = connection.channel()
    queue = Queue(f"{settings.CELERY_TASK_DEFAULT_QUEUE}-collected", channel=channel)
    queue.declare()
    Producer(channel).publish({"n": 1}, routing_key=queue.name)
    assert queue.get(no_ack=False) is not None  # delivered, not acknowledged
    connection._do_close_transport()  # the end of Connection.collect(): the transport forgets its connection
    channel.close()
    assert channel.closed


def test_acknowledging_on_a_channel_closed_by_a_reconnect_does_not_raise(redis_client: redis.Redis) -> None:
    """A task running across a reconnect ends on the old channel; its ack raised AttributeError
    ('NoneType' object has no attribute 'client') in the consumer's loop, and the worker exited."""
    connection = Connection(settings.REDIS_URL, transport="tasks_app.broker:Transport")
    channel = connection.channel()
    queue = Queue(f"{settings.CELERY_TASK_DEFAULT_QUEUE}-reconnected", channel=channel)
    queue.declare()
    Producer(channel).publish({"n": 1}, routing_key=queue.name)
    message = queue.get(no_ack=False)
    connection._do_close_transport()
    channel.close()
    assert message is not None
    message.ack()
    assert message.acknowledged

"""kombu's Redis transport, less one cost of every message.

kombu builds a new redis-py client object for each publish, each delivery's bookkeeping and each
acknowledgement; redis-py's client fills a table of response callbacks when built, which costs
more than the Redis command it then sends. A client is only a handle on the channel's connection
pool (and safe to share between threads), so each channel keeps one.

The Celery app registers it as kombu's ``redis``/``rediss`` transport (``register``) rather than
naming it in ``broker_transport``: the broker URL stays ``redis://…``, so tools that read the
scheme (Flower's broker tab) know it, and the wire format is kombu's own, so stock Celery tools
without the app (``celery --broker=redis://… inspect ping``) talk to the same workers. The same
goes for ``sentinel://`` brokers (a REDIS_URL naming a Sentinel set, decision 1301).

And one crash less: when the broker connection drops, Celery collects it (the transport forgets
its connection details) and then closes its channel, whose QoS tries to put the messages still
unacknowledged back in Redis; building a client from the forgotten details raised
``AttributeError: 'NoneType' object has no attribute 'hostname'`` and the worker exited. Those
messages belong to tasks this worker is still running (they finish and record their outcome) or
were lost with Redis, and the database sends again whatever no worker claimed, so they are left
there; so is the acknowledgement of a task that ran across the reconnect and ends on the old,
closed channel (it raised AttributeError in the consumer's loop, another exit) (decision 0802).
A Sentinel failover drops the connection the same way.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu import transport
from kombu.transport import redis as kombu_redis

logger = logging.getLogger(__name__)


class QoS(kombu_redis.QoS):
    """Acknowledgements and restores of a channel whose connection is gone are dropped (see above)."""

    def _connection_gone(self) -> bool:
        transport = self.channel.connection  # None once the channel is closed
        return transport is None or transport.client is None

    def restore_unacked(self, client: Any = None) -> Any:
        if client is None and self._connection_gone():
            logger.info("broker connection gone: %d unacknowledged message(s) left to the database's recovery", len(self._delivered))
            self._delivered.clear()
            return None
        return super().restore_unacked(client)

    def ack(self, delivery_tag: Any) -> None:
        # A task that ran across a reconnect ends on the old channel: its message went with that
        # connection (or with Redis), and an attempt runs once whatever becomes of it.
        if self._connection_gone():
            self._delivered.pop(delivery_tag, None)
            return
        super().ack(delivery_tag)

    def reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        if self._connection_gone():
            self._delivered.pop(delivery_tag, None)
            return
        super().reject(delivery_tag, requeue=requeue)


class SharedClientMixin:
    """Keeps one client per channel, and drops what a gone connection cannot do (see above);
    mixed into kombu's channels."""

    QoS = QoS
    _shared_client: Any = None
    pool: Any

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:  # the consumer's own connection for BRPOP: as kombu does it
            return super()._create_client(asynchronous=True)  # type: ignore[misc]
        client = self._shared_client
        if client is None or client.connection_pool is not self.pool:  # a new pool after a reconnect
            client = self._shared_client = super()._create_client()  # type: ignore[misc]
        return client


class Channel(SharedClientMixin, kombu_redis.Channel):
    pass


class Transport(kombu_redis.Transport):
    Channel = Channel


class SentinelChannel(SharedClientMixin, kombu_redis.SentinelChannel):
    """The same, on a master found through Redis Sentinel (a ``sentinel://`` REDIS_URL): the
    pool's connections ask the sentinels for the master whenever they (re)connect, so a
    failover is followed without a restart."""


class SentinelTransport(kombu_redis.SentinelTransport):
    Channel = SentinelChannel


def register() -> None:
    for scheme in ("redis", "rediss"):
        transport.TRANSPORT_ALIASES[scheme] = f"{__name__}:Transport"
    transport.TRANSPORT_ALIASES["sentinel"] = f"{__name__}:SentinelTransport"

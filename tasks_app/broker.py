"""kombu's Redis transport, less one cost of every message.

kombu builds a new redis-py client object for each publish, each delivery's bookkeeping and each
acknowledgement; redis-py's client fills a table of response callbacks when built, which costs
more than the Redis command it then sends. A client is only a handle on the channel's connection
pool (and safe to share between threads), so each channel keeps one. Selected by
``CELERY_BROKER_TRANSPORT`` for ``redis://`` brokers (see settings).
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _shared_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:  # the consumer's own connection for BRPOP: as kombu does it
            return super()._create_client(asynchronous=True)
        client = self._shared_client
        if client is None or client.connection_pool is not self.pool:  # a new pool after a reconnect
            client = self._shared_client = super()._create_client()
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel

"""A real gRPC server on 127.0.0.1, port 0, and clients built from our committed stubs."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
import redis

from api_app.grpc.generated.standard_pb2_grpc import QueuesStub
from api_app.grpc.server import QueuesServer
from tests.api_app.grpc.client import Receiver, Reporter
from tests.api_app.grpc.tokens import authorized, staff_key


@pytest.fixture
def grpc_port(transactional_db: None, redis_client: redis.Redis) -> Iterator[int]:
    server = QueuesServer(bind="127.0.0.1", port=0, max_workers=64)
    port = server.start()
    yield port
    server.stop(grace=0)


@pytest.fixture
def channel(grpc_port: int) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as opened:
        yield authorized(opened, staff_key())


@pytest.fixture
def stub(channel: grpc.Channel) -> QueuesStub:
    return QueuesStub(channel)


@pytest.fixture
def receivers(stub: QueuesStub) -> Iterator[list[Receiver]]:
    """Receive streams opened by a test (``receivers.append(Receiver(stub))``), closed after it."""
    opened: list[Receiver] = []
    yield opened
    for receiver in opened:
        receiver.cancel()


@pytest.fixture
def reporter(stub: QueuesStub) -> Iterator[Reporter]:
    opened = Reporter(stub)
    yield opened
    opened.close()

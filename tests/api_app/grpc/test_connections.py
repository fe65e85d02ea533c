"""The gRPC server's database connections do not grow with its streams (PostgreSQL).

Each gRPC stream runs on a thread of its own. When each such thread opened its own connection,
32 receivers and their report streams held 60-odd connections, and a stream that started when
PostgreSQL had no connection left to give (``max_connections`` is shared by every client of the
server) had its claims and reports fail: the bench saw reports answered with a non-200 State.
Here the database refuses every new connection while new streams receive and report: they
must all succeed on the connections the server already holds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection

from api_app.grpc.generated.standard_pb2_grpc import QueuesStub
from tasks_app import services
from tests.api_app.grpc.client import Receiver, Reporter

SUCCESS = 1
NEW_STREAMS = 8

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's connection limits")


@contextmanager
def no_new_connections() -> Iterator[None]:
    """This test database refuses new connections (those open stay open) until the block ends."""
    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    # PostgreSQL changes this only from a session on another database.
    with psycopg.connect(**{**connection.get_connection_params(), "dbname": "postgres"}, autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        try:
            yield
        finally:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")


def server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return int(cursor.fetchone()[0])


def receive_and_report(stub: QueuesStub, receivers: list[Receiver], reporter: Reporter, count: int) -> list[int]:
    """``count`` new receive streams each take one task; every task is reported on ``reporter``."""
    for _ in range(count):
        receivers.append(Receiver(stub))
    asked = [receiver.ask("load") for receiver in receivers[-count:]]
    handed = [answer.result(timeout=20).Tasks.ID for answer in asked]
    return [reporter.report(task_id, SUCCESS, "done").State for task_id in handed]


def test_new_streams_need_no_new_database_connection(stub: QueuesStub, receivers: list[Receiver], reporter: Reporter) -> None:
    for _ in range(NEW_STREAMS + 1):
        services.create_queue_task(channel="load", input="work")
    assert receive_and_report(stub, receivers, reporter, 1) == [200]  # the server's threads connect
    held = server_connections()
    with no_new_connections():
        states = receive_and_report(stub, receivers, reporter, NEW_STREAMS)
    assert states == [200] * NEW_STREAMS
    assert server_connections() == held

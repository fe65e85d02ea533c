"""The gRPC server through a database outage: calls fail UNAVAILABLE (what gRPC clients retry),
never INTERNAL or a 500 State, and succeed again, on replaced connections, once it is back."""

from __future__ import annotations

import grpc
import pytest
from django.db import connection

from api_app.grpc.generated import standard_pb2 as pb
from api_app.grpc.generated.standard_pb2_grpc import QueuesStub
from tests.conftest import database_url_for_processes, wait_for
from tests.faults import connections_refused


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL faults")
def test_calls_fail_unavailable_while_the_database_refuses_connections(stub: QueuesStub) -> None:
    query = pb.QueryTaskByIDRequest(ID=1)
    assert stub.QueryTaskByID(query, timeout=10).State == 404
    with connections_refused(database_url_for_processes(), connection.settings_dict["NAME"]), pytest.raises(grpc.RpcError) as failure:
        stub.QueryTaskByID(query, timeout=10)
    connection.close()  # this test's own session ended with the others
    assert failure.value.code() == grpc.StatusCode.UNAVAILABLE
    wait_for(lambda: stub.QueryTaskByID(query, timeout=10).State == 404, timeout=5, message="the server to answer again")

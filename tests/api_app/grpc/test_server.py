"""The server around the service: health checking, reflection, the stubs in sync with the proto,
and `manage.py grpcserver` as a process."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import grpc
import pytest
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from api_app.grpc.generated import standard_pb2 as pb
from api_app.grpc.generated.standard_pb2_grpc import QueuesStub
from api_app.grpc.server import QueuesServer
from tests.api_app.grpc.client import Reporter, create
from tests.api_app.grpc.tokens import authorized, staff_key
from tests.conftest import ROOT, Processes

GRPC_DIR = ROOT / "api_app" / "grpc"


def test_health_checking_reports_serving(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "standard.Queues"):
        answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING


def reflect_v1(channel: grpc.Channel, *requests: reflection_pb2.ServerReflectionRequest) -> list[reflection_pb2.ServerReflectionResponse]:
    """A grpc.reflection.v1 client: v1's messages are v1alpha's field for field, so v1alpha's
    classes write and read them; what makes it v1 is the method it calls."""
    call = channel.stream_stream(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    return list(call(iter(requests), timeout=10))


SERVICES = {"standard.Queues", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"}


def test_reflection_v1alpha_lists_the_services(channel: grpc.Channel) -> None:
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    answers = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10)
    assert {service.name for service in next(answers).list_services_response.service} == SERVICES


def test_reflection_v1_lists_and_describes_the_services(channel: grpc.Channel) -> None:
    listed, queues, itself = reflect_v1(
        channel,
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="standard.Queues"),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="grpc.reflection.v1.ServerReflection"),
    )
    assert {service.name for service in listed.list_services_response.service} == SERVICES
    standard = descriptor_pb2.FileDescriptorProto.FromString(queues.file_descriptor_response.file_descriptor_proto[0])
    methods = [method.name for method in standard.service[0].method]
    assert (standard.name, methods[:2]) == ("standard.proto", ["CreateTask", "QueryTaskByID"])
    v1 = descriptor_pb2.FileDescriptorProto.FromString(itself.file_descriptor_response.file_descriptor_proto[0])
    assert (v1.name, v1.package, v1.service[0].method[0].input_type) == (
        "grpc/reflection/v1/reflection.proto", "grpc.reflection.v1", ".grpc.reflection.v1.ServerReflectionRequest",
    )  # fmt: skip


def test_reflection_v1_answers_an_unknown_symbol_with_not_found(channel: grpc.Channel) -> None:
    (answer,) = reflect_v1(channel, reflection_pb2.ServerReflectionRequest(file_containing_symbol="no.Such"))
    assert answer.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


def test_the_committed_stubs_are_generated_from_the_proto(tmp_path: Path) -> None:
    protoc = pytest.importorskip("grpc_tools.protoc")
    assert protoc.main(["protoc", f"-I{GRPC_DIR}", f"--python_out={tmp_path}", str(GRPC_DIR / "standard.proto")]) == 0
    assert (tmp_path / "standard_pb2.py").read_text() == (GRPC_DIR / "generated" / "standard_pb2.py").read_text(), "run `make proto`"


def _served_port(output: IO[str]) -> int:
    for _ in range(50):  # the first lines: log output, then the one naming the port
        found = re.search(r"serving standard\.Queues on 127\.0\.0\.1:(\d+)", output.readline())
        if found:
            return int(found.group(1))
    raise AssertionError("the server never said where it listens")


def test_grpcserver_command_serves_until_sigterm(transactional_db: None, redis_client: object, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "grpcserver", "--port", "0"],
        cwd=ROOT, env=Processes(tmp_path).env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        port = _served_port(process.stdout)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            created = QueuesStub(authorized(channel, staff_key())).CreateTask(pb.CreateTaskRequest(Task=pb.Task(Channel="cli")), timeout=10)
            assert created.State == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


SERVER_THREADS = ("grpc", "queues-return")


def _server_threads_since(before: set[threading.Thread]) -> set[str]:
    """The names of the server threads (the calls', the database's, the servicer's) started since."""
    return {thread.name for thread in threading.enumerate() if thread not in before and thread.name.startswith(SERVER_THREADS)}


def test_each_server_owns_its_threads_and_ends_them_when_it_stops(grpc_port: int, stub: QueuesStub) -> None:
    before = set(threading.enumerate())
    second = QueuesServer(bind="127.0.0.1", port=0, max_workers=8)
    port = second.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as own:
        created = create(QueuesStub(authorized(own, staff_key())))  # the creator's batch thread, the token lookup's thread
        reporter = Reporter(QueuesStub(authorized(own, staff_key())))
        assert reporter.report(created.ID, 4, "").State == 400  # the reporter's batch thread (not handed out: refused)
        reporter.close()
    assert {"grpc-creates", "grpc-reports", "grpc-database"} <= {name.rsplit("_", 1)[0] for name in _server_threads_since(before)}
    second.stop(grace=0)
    assert not _server_threads_since(before)
    assert create(stub).State == "WAITING"  # the other server, on threads of its own, still serves

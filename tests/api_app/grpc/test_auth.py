"""standard.Queues over gRPC is locked like REST: a token in the metadata, the same namespace
scoping (a channel is a namespace), the health service open; optionally TLS."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from api_app.grpc.generated import standard_pb2 as pb
from api_app.grpc.generated.standard_pb2_grpc import QueuesStub
from api_app.grpc.server import QueuesServer
from tasks_app.services import tenancy
from tests.api_app.grpc.client import Receiver
from tests.api_app.grpc.tokens import authorized, staff_key


@pytest.fixture
def plain(grpc_port: int) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as opened:
        yield opened


def scoped_stub(channel: grpc.Channel, name: str, namespaces: list[str], **options) -> QueuesStub:
    _, key = tenancy.create_api_client(name=name, namespaces=namespaces, **options)
    return QueuesStub(authorized(channel, key))


def test_calls_without_a_valid_token_are_unauthenticated(plain: grpc.Channel) -> None:
    for stub in (QueuesStub(plain), QueuesStub(authorized(plain, "not-a-key"))):
        with pytest.raises(grpc.RpcError) as refused:
            stub.CreateTask(pb.CreateTaskRequest(Task=pb.Task(Channel="c")), timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as stream_refused:
            next(stub.ReceiveQueueByChannel(iter([pb.ReceiveQueueByChannelRequest(Channel="c")]), timeout=10))
        assert stream_refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_the_health_service_stays_open(plain: grpc.Channel) -> None:
    answer = health_pb2_grpc.HealthStub(plain).Check(health_pb2.HealthCheckRequest(service="standard.Queues"), timeout=10)
    assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_tokens_see_only_their_channels(plain: grpc.Channel) -> None:
    alice = scoped_stub(plain, "alice", ["alice-*"])
    bob = scoped_stub(plain, "bob", ["bob-*"])
    staff = QueuesStub(authorized(plain, staff_key()))
    created = alice.CreateTask(pb.CreateTaskRequest(Task=pb.Task(Channel="alice-mail", Owner=9, Input="secret input")), timeout=10)
    assert created.State == 200
    task_id = alice.QueryTaskByHashCode(pb.QueryTaskByHashCodeRequest(HashCode=created.Data), timeout=10).Data.ID
    assert bob.CreateTask(pb.CreateTaskRequest(Task=pb.Task(Channel="alice-mail")), timeout=10).State == 403
    assert bob.QueryTaskByID(pb.QueryTaskByIDRequest(ID=task_id), timeout=10).State == 404
    assert bob.QueryTaskByHashCode(pb.QueryTaskByHashCodeRequest(HashCode=created.Data), timeout=10).State == 404
    assert bob.CancelTaskByID(pb.CancelTaskByIDRequest(ID=task_id), timeout=10).State == 404
    by_owner = bob.QueryTaskByOwner(pb.QueryTaskByOwnerRequest(Owner=9, Limit=10), timeout=10)
    assert (by_owner.State, by_owner.Total, list(by_owner.Data)) == (200, 0, [])
    assert bob.QueryLengthByChannel(pb.QueryLengthByChannelRequest(Channel="alice-mail"), timeout=10).Data == 0
    with pytest.raises(grpc.RpcError) as denied:
        next(bob.ReceiveQueueByChannel(iter([pb.ReceiveQueueByChannelRequest(Channel="alice-mail")]), timeout=10))
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert staff.QueryTaskByOwner(pb.QueryTaskByOwnerRequest(Owner=9, Limit=10), timeout=10).Total == 1
    receiver = Receiver(alice)
    try:
        assert task_id == receiver.take("alice-mail").ID
    finally:
        receiver.cancel()


def test_a_read_only_token_cannot_create_or_receive(plain: grpc.Channel) -> None:
    reader = scoped_stub(plain, "reader", ["ro-*"], read_only=True)
    refused = reader.CreateTask(pb.CreateTaskRequest(Task=pb.Task(Channel="ro-x")), timeout=10)
    assert (refused.State, refused.Message) == (403, "Channel: the token 'reader' is read-only")


LOOPBACK = ipaddress.ip_address("127.0.0.1")


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(LOOPBACK)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = tmp_path / "grpc.crt", tmp_path / "grpc.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def test_tls_with_a_token(transactional_db: None, redis_client: object, tmp_path: Path) -> None:
    cert_path, key_path = self_signed(tmp_path)
    server = QueuesServer(bind="127.0.0.1", port=0, max_workers=8, tls_cert=str(cert_path), tls_key=str(key_path))
    port = server.start()
    try:
        credentials = grpc.ssl_channel_credentials(root_certificates=cert_path.read_bytes())
        with grpc.secure_channel(f"127.0.0.1:{port}", credentials) as secure:
            stub = QueuesStub(authorized(secure, staff_key()))
            assert stub.CreateTask(pb.CreateTaskRequest(Task=pb.Task(Channel="tls")), timeout=10).State == 200
        with grpc.insecure_channel(f"127.0.0.1:{port}") as plaintext:
            with pytest.raises(grpc.RpcError) as refused:
                QueuesStub(authorized(plaintext, staff_key())).CreateTask(pb.CreateTaskRequest(Task=pb.Task(Channel="tls")), timeout=5)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        server.stop(grace=0)

"""Server reflection in both versions clients ask for: ``grpc.reflection.v1`` (what current
grpcurl, Postman and grpc-js ask first) and ``grpc.reflection.v1alpha`` (older tools).

grpcio-reflection ships only v1alpha. v1 is the same protocol under a new package name (its
messages are v1alpha's field for field), so v1's method is served by v1alpha's servicer with its
messages read and written in their identical wire format; and v1's file (v1alpha's, renamed) is
added to the descriptor pool, so that a client can describe the v1 service itself."""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection, reflection_pb2

V1_PACKAGE = "grpc.reflection.v1"
V1_FILE = "grpc/reflection/v1/reflection.proto"
V1_SERVICE = f"{V1_PACKAGE}.ServerReflection"
V1ALPHA_SERVICE = reflection.SERVICE_NAME


def _renamed(type_name: str) -> str:
    return type_name.replace(f".{reflection_pb2.DESCRIPTOR.package}.", f".{V1_PACKAGE}.")


def v1_file() -> descriptor_pb2.FileDescriptorProto:
    """v1alpha's reflection.proto as v1's: its name, package and every type reference renamed."""
    proto = descriptor_pb2.FileDescriptorProto()
    reflection_pb2.DESCRIPTOR.CopyToProto(proto)
    proto.name, proto.package = V1_FILE, V1_PACKAGE
    proto.ClearField("options")
    for message in proto.message_type:
        for field in message.field:
            if field.HasField("type_name"):
                field.type_name = _renamed(field.type_name)
    for method in proto.service[0].method:
        method.input_type, method.output_type = _renamed(method.input_type), _renamed(method.output_type)
    return proto


def _add_v1_file(pool: descriptor_pool.DescriptorPool) -> None:
    try:
        pool.FindFileByName(V1_FILE)
    except KeyError:  # not there yet (the pool is the process's, shared by every server)
        pool.AddSerializedFile(v1_file().SerializeToString())


def enable(server: grpc.Server, service_names: Iterable[str]) -> None:
    """Serve reflection, both versions, listing ``service_names`` and the two reflection services."""
    _add_v1_file(descriptor_pool.Default())
    names = (*service_names, V1_SERVICE, V1ALPHA_SERVICE)
    reflection.enable_server_reflection(names, server)
    v1 = grpc.stream_stream_rpc_method_handler(
        reflection.ReflectionServicer(names).ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(V1_SERVICE, {"ServerReflectionInfo": v1}),))

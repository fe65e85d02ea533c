"""The gRPC server of the queues dialect: standard.proto's Queues service (see README)."""

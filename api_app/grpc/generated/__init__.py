"""Stubs generated from ../standard.proto by grpcio-tools: do not edit, run `make proto`."""

"""The partition benchmark's hosts: namespaces that reach the core over their link, lose it when
it is cut, get it back when restored, and leave nothing behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bench.partition_net import CORE_ADDRESS, Network
from tests.conftest import wait_for

# A TCP server in the core namespace that answers one line to every connection, for a few seconds.
SERVE = """
import socket, sys
server = socket.create_server((sys.argv[1], 7000)); server.settimeout(20)
print("listening", flush=True)
while True:
    connection, _ = server.accept(); connection.sendall(b"hello\\n"); connection.close()
"""
CONNECT = "import socket, sys; print(socket.create_connection((sys.argv[1], 7000), timeout=2).recv(16).decode().strip())"


def _require_namespaces() -> None:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        if os.environ.get("CI"):
            pytest.fail("CI runs as root with iproute2: the partition network must be testable there")
        pytest.skip("network namespaces need root and iproute2")


@pytest.fixture
def network() -> Iterator[Network]:
    _require_namespaces()
    hosts = Network(f"t{os.getpid() % 1000}", hosts=2)
    try:
        hosts.up()
        yield hosts
    finally:
        hosts.down()


def reach_core(network: Network, host: str) -> str:
    command = [*network.exec_prefix(host), sys.executable, "-c", CONNECT, CORE_ADDRESS]
    probe = subprocess.run(command, capture_output=True, text=True, timeout=10)
    return probe.stdout.strip() or probe.stderr.strip().splitlines()[-1]


def test_a_cut_host_loses_the_core_while_the_other_keeps_it(network: Network) -> None:
    command = [*network.exec_prefix(network.core), sys.executable, "-c", SERVE, CORE_ADDRESS]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "listening"
        assert [reach_core(network, host) for host in network.hosts] == ["hello", "hello"]
        network.cut(1)
        assert "timed out" in reach_core(network, network.hosts[0])
        assert reach_core(network, network.hosts[1]) == "hello"
        network.restore(1)
        # The host's neighbour entry for the core failed during the cut: the first tries may
        # still say "no route to host" until it is probed again.
        wait_for(lambda: reach_core(network, network.hosts[0]) == "hello", timeout=15, every=0.5, message="the restored link")
    finally:
        server.kill()
        server.wait(timeout=10)


def test_taking_the_network_down_removes_its_namespaces_and_their_processes() -> None:
    _require_namespaces()
    hosts = Network(f"u{os.getpid() % 1000}", hosts=1)
    hosts.up()
    sleeper = subprocess.Popen([*hosts.exec_prefix(hosts.hosts[0]), "sleep", "60"])
    wait_for(lambda: subprocess.run(["ip", "netns", "pids", hosts.hosts[0]], capture_output=True, text=True).stdout.strip(), timeout=10)
    hosts.down()
    assert sleeper.wait(timeout=10) != 0
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert hosts.core not in listed and hosts.hosts[0] not in listed

"""Test hosts on this machine for the partition benchmark: network namespaces joined by veth pairs.

One ``core`` namespace holds a bridge (10.231.0.1/24: the database, Redis and the receiver listen
there) and one namespace per worker host hangs off it by a veth pair (10.231.0.11, .12, ...).
Cutting a host pulls its cable at the core's end (``ip link set ... down``): its packets go nowhere
and nothing answers, as in a real partition. Every address lives only inside these namespaces;
``down()`` deletes them (and with them their links), after ending whatever still runs in them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

SUBNET = "10.231.0.0/24"
CORE_ADDRESS = "10.231.0.1"


def ip(*arguments: str) -> None:
    subprocess.run(["ip", *arguments], check=True, capture_output=True, text=True)


class Network:
    def __init__(self, tag: str, hosts: int = 2) -> None:
        self.tag = tag
        self.core = f"jp{tag}-core"
        self.hosts = [f"jp{tag}-h{index}" for index in range(1, hosts + 1)]

    def host_address(self, index: int) -> str:
        return f"10.231.0.{10 + index}"

    def _core_end(self, index: int) -> str:
        return f"jp{self.tag}c{index}"  # interface names: 15 characters at most

    def _host_end(self, index: int) -> str:
        return f"jp{self.tag}h{index}"

    def up(self) -> None:
        ip("netns", "add", self.core)
        ip("-n", self.core, "link", "set", "lo", "up")
        ip("-n", self.core, "link", "add", "br0", "type", "bridge")
        ip("-n", self.core, "addr", "add", f"{CORE_ADDRESS}/24", "dev", "br0")
        ip("-n", self.core, "link", "set", "br0", "up")
        for index, host in enumerate(self.hosts, start=1):
            self._join(index, host)

    def _join(self, index: int, host: str) -> None:
        core_end, host_end = self._core_end(index), self._host_end(index)
        ip("netns", "add", host)
        ip("-n", host, "link", "set", "lo", "up")
        ip("link", "add", host_end, "type", "veth", "peer", "name", core_end)
        ip("link", "set", host_end, "netns", host)
        ip("link", "set", core_end, "netns", self.core)
        ip("-n", self.core, "link", "set", core_end, "master", "br0")
        ip("-n", self.core, "link", "set", core_end, "up")
        ip("-n", host, "addr", "add", f"{self.host_address(index)}/24", "dev", host_end)
        ip("-n", host, "link", "set", host_end, "up")

    def cut(self, index: int) -> None:
        ip("-n", self.core, "link", "set", self._core_end(index), "down")

    def restore(self, index: int) -> None:
        ip("-n", self.core, "link", "set", self._core_end(index), "up")

    def exec_prefix(self, namespace: str) -> list[str]:
        return ["ip", "netns", "exec", namespace]

    def down(self) -> None:
        """End every process left in the namespaces, then delete them (their links go with them)."""
        for namespace in [*self.hosts, self.core]:
            self._kill_processes_in(namespace)
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)

    def _kill_processes_in(self, namespace: str) -> None:
        for _ in range(20):
            found = subprocess.run(["ip", "netns", "pids", namespace], capture_output=True, text=True)
            pids = [int(pid) for pid in found.stdout.split()]
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)

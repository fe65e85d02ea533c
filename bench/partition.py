"""A network partition across hosts: does anything get lost, doubled or stuck?

    make partition            (as root: network namespaces; Debian's PostgreSQL, redis-server, iproute2)
    python bench/partition.py --jobs 360 --cut-at 25 --cut-seconds 30

Builds a core namespace (its own PostgreSQL, Redis and a receiver on 10.231.0.1) and two worker
hosts (10.231.0.11 and .12), each running a worker and a beat; fires one-off jobs at the receiver,
cuts host 1's link for ``--cut-seconds``, restores it, and prints: expected fires, delivered, lost,
doubled (one occurrence, two executions), calls repeated by at-least-once (one execution called
twice), stuck (queued or running at the end), records whose outcome is not the call's success,
and how long the other host took to re-run what the cut-off host held. The receiver answers every
call, after a second, so that calls are in flight when the cable is pulled.

The script runs itself again inside the core namespace (``--inside``) so that the database, Redis
and the receiver are reached at the addresses the hosts use; the outer run only builds and
removes the namespaces, whatever happens inside.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.partition_net import CORE_ADDRESS, SUBNET, Network  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=360, help="one-off jobs, due evenly over the run")
    parser.add_argument("--fires-per-second", type=float, default=4.0)
    parser.add_argument("--cut-at", type=float, default=25.0, help="seconds after the first fire to cut host 1")
    parser.add_argument("--cut-seconds", type=float, default=30.0)
    parser.add_argument("--callback-timeout", type=int, default=5)
    parser.add_argument("--recovery-grace", type=int, default=10, help="EXECUTION_RECOVERY_GRACE_SECONDS of the run")
    parser.add_argument("--redispatch-after", type=int, default=15, help="EXECUTION_REDISPATCH_AFTER_SECONDS of the run")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tag", default=str(os.getpid() % 10000), help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    return parser.parse_args()


def outside(options: argparse.Namespace) -> int:
    if os.geteuid() != 0:
        raise SystemExit("make partition needs root (network namespaces)")
    network = Network(options.tag)
    folder = Path(tempfile.mkdtemp(prefix="partition-"))
    folder.chmod(0o755)  # the postgres user reaches its data folder inside
    print(f"hosts: {', '.join(network.hosts)} on {SUBNET} (core {CORE_ADDRESS}); logs in {folder}", flush=True)
    try:
        network.up()
        inner = [*network.exec_prefix(network.core), sys.executable, __file__, "--inside", "--tag", options.tag, "--folder", str(folder)]
        inner += [f"--{name.replace('_', '-')}={value}" for name, value in vars(options).items() if name not in {"inside", "tag", "folder"}]
        return subprocess.run(inner, cwd=ROOT).returncode
    finally:
        network.down()
        shutil.rmtree(folder / "pgdata", ignore_errors=True)  # the logs and calls.txt stay
        print(f"namespaces {network.core}, {', '.join(network.hosts)} removed", flush=True)


def main() -> int:
    options = arguments()
    if not options.inside:
        return outside(options)
    from bench.partition_run import Run

    return Run(options, Network(options.tag), Path(options.folder)).execute()


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    if not arguments().inside:
        print(f"took {time.monotonic() - started:.0f}s")
    sys.exit(code)

"""A fast callback receiver in a process of its own (so the benchmark's own work never slows
it): answers 200 to every POST and records when each arrived and for which execution.

    python bench/receiver.py RECORD_FILE   -> prints its port, records "epoch execution-id" lines
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

lines: list[str] = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed-ACK stall

    def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
        lines.append(f"{time.time()} {self.headers.get('X-Execution-Id', '')}\n")
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args: Any) -> None:
        return


class Server(ThreadingHTTPServer):
    # http.server's backlog is 5: a worker opening more connections at once would see SYNs
    # dropped and retried a second later, which the bench would count as a late fire.
    request_queue_size = 1024


def main() -> None:
    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True

    def finish(*_: Any) -> None:
        with open(sys.argv[1], "w") as record:
            record.writelines(lines)
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, finish)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

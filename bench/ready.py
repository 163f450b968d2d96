"""Start to ready: starts the server itself and times it until /readyz first
answers 200. Usage: ready.py PORT LOG_FILE COMMAND [ARG...]

The clock starts just before the process is spawned (this interpreter is
already running, so its own start-up is not counted) and stops when the
status line of the first 200 arrives. /readyz is asked once a millisecond
over a raw socket: a refused connection costs microseconds, and no HTTP
library adds its own time. The server inherits this process's environment,
writes its output to LOG_FILE, and keeps running after this program exits.
Prints the server's process id and the milliseconds, or "never" after 10 s.
"""
import socket
import subprocess
import sys
import time

port, log_path, command = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
request = b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def ready():
    """Whether /readyz answers 200 now; False while nothing listens yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(request)
            answer = b""
            while b"\r\n" not in answer:
                chunk = conn.recv(64)
                if not chunk:
                    break
                answer += chunk
            return answer.startswith(b"HTTP/1.1 200 ")
    except OSError:
        return False


with open(log_path, "ab") as log:
    started = time.monotonic_ns()
    server = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=log, stderr=log
    )
deadline = started + 10 * 10**9
elapsed = None
while time.monotonic_ns() < deadline and server.poll() is None:
    if ready():
        elapsed = (time.monotonic_ns() - started) / 1e6
        break
    time.sleep(0.001)
print(server.pid, "never" if elapsed is None else f"{elapsed:.1f}")

"""A burst at a server that has just started: CLIENTS threads, each on its own
connection, post BODY_FILE to URL for SECONDS from the moment the port
accepts a connection. A 503 is retried after BACKOFF_MS (a client that backs
off briefly; Retry-After says at least a second, which would hide the line's
length). Prints the answers and their latencies, and the server's mean time
per hash from METRICS_URL, then checks that every 201 came within
MAX_WAIT_MS plus one hash.

Usage: burst.py URL BODY_FILE CLIENTS SECONDS MAX_WAIT_MS METRICS_URL STARTED_AT [BACKOFF_MS]
(STARTED_AT: when the server process was started, Unix seconds.)"""
import http.client
import re
import socket
import sys
import threading
import time
from urllib.parse import urlsplit

url = urlsplit(sys.argv[1])
body = open(sys.argv[2], "rb").read()
clients = int(sys.argv[3])
seconds = float(sys.argv[4])
max_wait = float(sys.argv[5]) / 1000
metrics = urlsplit(sys.argv[6])
started_at = float(sys.argv[7])
backoff = float(sys.argv[8]) / 1000 if len(sys.argv) > 8 else 0.1

# The first moment: the listener accepts (the kernel queues connections
# from then on, before the server reads any).
while True:
    try:
        socket.create_connection((url.hostname, url.port), timeout=1).close()
        break
    except OSError:
        time.sleep(0.002)
accepting = time.time() - started_at

answers = []  # (sent at, status, latency), seconds since the burst began
lock = threading.Lock()
go = threading.Barrier(clients + 1)


def client():
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    go.wait()
    while time.monotonic() < deadline:
        sent = time.monotonic()
        try:
            conn.request("POST", url.path, body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            status = response.status
        except OSError:
            status = 0
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        with lock:
            answers.append((sent - begun, status, time.monotonic() - sent))
        if status != 201:
            time.sleep(backoff)


threads = [threading.Thread(target=client) for _ in range(clients)]
for thread in threads:
    thread.start()
begun = time.monotonic()
deadline = begun + seconds
go.wait()

# Readiness while the burst runs: the first 200 from /readyz.
ready = None
probe = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
while ready is None and time.monotonic() < deadline:
    try:
        probe.request("GET", "/readyz")
        response = probe.getresponse()
        response.read()
        if response.status == 200:
            ready = time.time() - started_at
    except OSError:
        probe = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    time.sleep(0.005)
for thread in threads:
    thread.join()

conn = http.client.HTTPConnection(metrics.hostname, metrics.port, timeout=10)
conn.request("GET", metrics.path)
text = conn.getresponse().read().decode()
pick = lambda name: float(re.search(rf'^{name}{{pool="registration"}} (\S+)$', text, re.M).group(1))
hashes = pick("dcr_hashing_seconds_count")
per_hash = pick("dcr_hashing_seconds_sum") / hashes if hashes else 0.0

created = sorted(latency for _, status, latency in answers if status == 201)
busy = sum(1 for _, status, _ in answers if status == 503)
other = len(answers) - len(created) - busy
first_second = sum(1 for sent, status, _ in answers if status == 201 and sent < 1.0)
print(f"listening {accepting * 1000:.0f} ms after start; /readyz 200 "
      + (f"{ready * 1000:.0f} ms after start" if ready else "never during the burst"))
print(f"{clients} clients for {seconds:.0f} s: {len(created)} answered 201, {busy} answered 503, "
      f"{other} other; 201s to requests sent in the first second: {first_second}")
if created:
    q = lambda p: created[min(len(created) - 1, int(p * len(created)))]
    print(f"201 latency: p50 {q(0.5) * 1000:.0f} ms, p99 {q(0.99) * 1000:.0f} ms, "
          f"slowest {created[-1] * 1000:.0f} ms")
bound = max_wait + per_hash
print(f"bcrypt under this load (server's own histogram): {per_hash * 1000:.0f} ms per hash "
      f"over {hashes:.0f} hashes; bound DCR_QUEUE_MAX_WAIT_MS + one hash = {bound * 1000:.0f} ms")
late = sorted((sent, latency) for sent, status, latency in answers if status == 201 and latency > bound)
if late:
    print("late 201s (sent at, latency): " + ", ".join(f"{sent:.1f} s: {latency * 1000:.0f} ms" for sent, latency in late))
if late or other:
    print(f"FAIL: {len(late)} answers 201 later than the bound, {other} answers neither 201 nor 503")
    sys.exit(1)
print("ok: every 201 within the bound")

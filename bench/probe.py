"""Probes a URL at a steady rate, as a load balancer's health check does, and
prints latency percentiles. Usage: probe.py URL SECONDS [INTERVAL_MS]"""
import http.client
import sys
import time
from urllib.parse import urlsplit

url = urlsplit(sys.argv[1])
seconds = float(sys.argv[2])
interval = float(sys.argv[3]) / 1000 if len(sys.argv) > 3 else 0.01

conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
latencies, failures = [], 0
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    started = time.perf_counter()
    try:
        conn.request("GET", url.path)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            failures += 1
    except OSError:
        failures += 1
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    latencies.append((time.perf_counter() - started) * 1000)
    time.sleep(interval)

latencies.sort()
pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
print(f"probes {len(latencies)} failures {failures} p50 {pick(0.50):.2f}ms "
      f"p99 {pick(0.99):.2f}ms max {latencies[-1]:.2f}ms")

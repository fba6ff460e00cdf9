#!/usr/bin/env python
"""Load on the HTTP service over loopback: requests per second and p50 / p99 latency (run by hand).

Starts ``python CNN_usage.py serve`` (or uses --url), then sends single-image ``POST /predict`` requests from
``--clients`` concurrent connections, ``--repeats`` times, and prints a Markdown table with the median of the
repeats. The load comes from ``wrk`` (Debian package ``wrk``: a C load generator, ``--seconds`` per repeat)
when it is installed, else from a Python asyncio client (``--requests`` per repeat), which on a 2-core machine
is itself the bottleneck. Bounded in count and time; loopback only.

    python -m benchmarks.service_load [--clients 8] [--requests 2000] [--workers 2] [--quantized]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def wrk_load(url: str, body_file: Path, clients: int, seconds: int) -> tuple[float, float, float, int]:
    """Requests/s, p50 and p99 latency (ms) and non-2xx answers, measured by wrk."""
    with tempfile.TemporaryDirectory(prefix="wrk-") as scratch:
        script = Path(scratch) / "post.lua"
        script.write_text(
            'wrk.method = "POST"\n'
            f'local f = io.open("{body_file}", "rb")\nwrk.body = f:read("*a")\nf:close()\n'
            'wrk.headers["Content-Type"] = "image/jpeg"\n'
        )
        command = ["wrk", f"-t{min(2, clients)}", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", str(script), url]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def milliseconds(label: str) -> float:
        value = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        number, unit = float(value.group(1)), value.group(2)
        return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rate, milliseconds("50%"), milliseconds("99%"), int(errors.group(1)) if errors else 0


async def load(url: str, body: bytes, clients: int, requests: int, limit_s: float) -> tuple[float, np.ndarray, int]:
    """Requests/s, latencies (s) and failures for ``requests`` POSTs from ``clients`` concurrent clients."""
    latencies: list[float] = []
    failures = 0
    remaining = requests
    deadline = time.perf_counter() + limit_s

    async def client(session: httpx.AsyncClient):
        nonlocal remaining, failures
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            started = time.perf_counter()
            answer = await session.post(url, content=body, headers={"Content-Type": "image/jpeg"})
            latencies.append(time.perf_counter() - started)
            failures += answer.status_code != 200

    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=clients)) as session:
        await session.post(url, content=body)  # warm-up
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, np.array(latencies), failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default: %(default)s)")
    parser.add_argument("--quantized", action="store_true", help="serve the int8 model")
    parser.add_argument("--url", help="an already running service (default: start one on a free port)")
    parser.add_argument("--seconds", type=int, default=10, help="wrk: seconds per repeat (default: %(default)s)")
    parser.add_argument(
        "--requests", type=int, default=2000, help="Python client: requests per repeat (default: %(default)s)"
    )
    parser.add_argument("--time-limit", type=float, default=60, help="Python client: seconds per repeat at most")
    parser.add_argument("--python-client", action="store_true", help="use the Python client even when wrk is installed")
    args = parser.parse_args()

    server = None
    url = args.url
    if url is None:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [sys.executable, "CNN_usage.py", "serve", "--port", str(port), "--workers", str(args.workers)]
        server = subprocess.Popen(command + (["--quantized"] if args.quantized else []), cwd=ROOT)
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
    body_file = ROOT / "data" / "samples" / "7.jpg"
    use_wrk = shutil.which("wrk") is not None and not args.python_client
    results = []
    try:
        for _ in range(args.repeats):
            if use_wrk:
                results.append(wrk_load(f"{url}/predict", body_file, args.clients, args.seconds))
            else:
                body = body_file.read_bytes()
                rate, latencies, failed = asyncio.run(
                    load(f"{url}/predict", body, args.clients, args.requests, args.time_limit)
                )
                results.append((rate, np.percentile(latencies, 50) * 1000, np.percentile(latencies, 99) * 1000, failed))
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)
    rates, p50, p99 = ([r[i] for r in results] for i in range(3))
    failures = sum(r[3] for r in results)
    client = f"wrk, {args.seconds} s" if use_wrk else f"Python asyncio client, {args.requests} requests"
    print(
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} CPU cores: {args.clients} concurrent connections "
        f"({client}) x {args.repeats} repeats, {args.workers} server workers, "
        f"{'int8' if args.quantized else 'float'} model, a 28x28 JPEG per request; load generator and server share the machine.\n"
    )
    print("| measure | target | measured (median of repeats) |")
    print("|---|---|---|")
    print(f"| requests per second | >= 500 | **{np.median(rates):.0f}** |")
    print(f"| latency p50 | | {np.median(p50):.1f} ms |")
    print(f"| latency p99 | <= 50 ms | **{np.median(p99):.1f} ms** |")
    print(f"| failed requests | 0 | {failures} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Normal clients beside hostile traffic, on the HTTP service over loopback (run by hand).

Starts ``python CNN_usage.py serve --workers 2`` and, for ``--seconds``, runs at once:

- normal clients: ``--clients`` connections sending a 28x28 digit JPEG, one request after the other;
- slow bodies: connections that announce a 100 KB body and send one byte every 100 ms;
- worst-case images: a 7900x7900 RGBA PNG (a few hundred KB, 62 megapixels) and a dot grid with ``?number=1``;
- oversized bodies: connections announcing 20 MB, which must get 413 before the body is read.

The normal clients also run alone first, in the same run, for comparison.

Prints a Markdown table: the normal requests' count, failures, p50 and p99 latency, and what each kind of
hostile request got. Bounded in count and time; loopback only.

    python -m benchmarks.hostile_load [--seconds 20] [--clients 4]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def worst_images() -> list[tuple[str, bytes]]:
    huge = Image.new("RGBA", (7900, 7900), (0, 0, 0, 0))
    grid = np.full((600, 800), 255, np.uint8)
    grid[10::20, 10::20] = 0
    return [("/predict", png(huge)), ("/predict?number=1", png(Image.fromarray(grid)))]


async def normal_client(url: str, body: bytes, until: float, latencies: list, failures: Counter) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        while time.perf_counter() < until:
            started = time.perf_counter()
            try:
                response = await client.post(url + "/predict", content=body)
                if response.status_code != 200:
                    failures[response.status_code] += 1
            except httpx.HTTPError as error:
                failures[type(error).__name__] += 1
                continue
            latencies.append(time.perf_counter() - started)


async def hostile_client(url: str, requests: list[tuple[str, bytes]], until: float, outcomes: Counter) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        while time.perf_counter() < until:
            for path, body in requests:
                try:
                    response = await client.post(url + path, content=body)
                    outcomes[(path, len(body), response.status_code)] += 1
                except httpx.HTTPError as error:
                    outcomes[(path, len(body), type(error).__name__)] += 1


async def oversized_body(port: int, until: float, outcomes: Counter) -> None:
    """Announce a 20 MB body and send its first megabyte: the server must answer 413 without reading it."""
    chunk = b"\x00" * 1_000_000
    while time.perf_counter() < until:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n\r\n" + chunk)
            await writer.drain()
            status = (await asyncio.wait_for(reader.readline(), 10)).split(b" ")[1].decode()
            outcomes[f"20 MB body: {status}"] += 1
        except (ConnectionError, OSError, IndexError, TimeoutError):
            outcomes["20 MB body: connection closed"] += 1
        finally:
            writer.close()


async def slow_body(port: int, until: float, outcomes: Counter) -> None:
    while time.perf_counter() < until:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        try:
            while time.perf_counter() < until:
                writer.write(b"\x00")
                await writer.drain()
                await asyncio.sleep(0.1)
            outcomes["slow body: still open at the end"] += 1
        except (ConnectionError, OSError):
            outcomes["slow body: closed by the server"] += 1
        finally:
            writer.close()


async def run(port: int, seconds: float, clients: int, hostile: bool, use_wrk: bool) -> tuple[list, Counter, Counter]:
    """Latencies (s) of the normal requests (with wrk: its one summary), their failures, the hostile outcomes."""
    url = f"http://127.0.0.1:{port}"
    digit = (ROOT / "data" / "samples" / "7.jpg").read_bytes()
    until = time.perf_counter() + seconds
    latencies: list = []
    failures, outcomes = Counter(), Counter()
    if use_wrk:  # normal clients from wrk, a C load generator that leaves the CPU to the server
        from service_load import wrk_load

        body = ROOT / "data" / "samples" / "7.jpg"
        tasks = [asyncio.to_thread(lambda: latencies.append(wrk_load(url + "/predict", body, clients, int(seconds))))]
    else:
        tasks = [normal_client(url, digit, until, latencies, failures) for _ in range(clients)]
    if hostile:
        tasks.append(hostile_client(url, worst_images(), until, outcomes))
        tasks.append(oversized_body(port, until, outcomes))
        tasks += [slow_body(port, until, outcomes) for _ in range(4)]
    await asyncio.gather(*tasks)
    return latencies, failures, outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the run (default: %(default)s)")
    parser.add_argument("--clients", type=int, default=4, help="normal clients (default: %(default)s)")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "CNN_usage.py"), "serve", "--port", str(port), "--workers", "2"], cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        use_wrk = shutil.which("wrk") is not None
        baseline, _, _ = asyncio.run(run(port, args.seconds, args.clients, False, use_wrk))
        latencies, failures, outcomes = asyncio.run(run(port, args.seconds, args.clients, True, use_wrk))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    generator = "wrk" if use_wrk else "a Python asyncio client"
    print(f"{args.seconds:.0f} s, {args.clients} normal clients ({generator}), serve --workers 2, loopback\n")
    print("| normal requests | requests/s | failed | p50 | p99 |\n|---|---|---|---|---|")
    for label, result, hostile in (("alone (same run)", baseline, False), ("beside hostile traffic", latencies, True)):
        if use_wrk:
            rate, p50, p99, failed = result[0]
            if hostile and failed:
                failures["non-2xx"] += failed
        else:
            ms = np.array(result) * 1000
            rate, p50, p99 = len(ms) / args.seconds, np.percentile(ms, 50), np.percentile(ms, 99)
            failed = sum(failures.values()) if hostile else 0
        print(f"| {label} | {rate:,.0f} | {failed} | {p50:.1f} ms | {p99:.1f} ms |")
    print("\n| hostile request | answers |\n|---|---|")
    for key, count in sorted(outcomes.items(), key=str):
        print(f"| {key} | {count} |")
    if failures:
        print(f"\nnormal requests that failed: {dict(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

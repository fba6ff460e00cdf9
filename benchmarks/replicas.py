"""Three replicas of the inference image behind HAProxy, one killed mid-way through a load run (run by hand).

Builds the image (``docker build``; on machines without a Docker engine the drop-in ``docker`` of
``../shared/container/``), starts three containers serving on their own ports, puts HAProxy (Debian package
``haproxy``) in front with health checks on ``/health`` and retries of failed connections on another replica,
then sends ``POST /predict`` requests with a 28x28 digit from ``--clients`` concurrent clients for ``--seconds``
and kills one container (SIGKILL) half-way. Prints every request's fate: answered 200, failed, and how many
were in flight when the replica died. With HAProxy's retries nothing should be lost beyond those in flight.

    python -m benchmarks.replicas [--seconds 20] [--clients 8] [--image digits-replica]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DROP_IN = ROOT.parent / "shared" / "container" / "bin"

HAPROXY_CONFIG = """
global
    maxconn 256
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
    retry-on conn-failure empty-response response-timeout
frontend digits
    bind 127.0.0.1:{front}
    default_backend replicas
backend replicas
    balance leastconn
    option httpchk GET /health
    default-server inter 500ms fall 2 rise 2
{servers}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=900)


def wait_healthy(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy")


async def load(url: str, body: bytes, clients: int, seconds: float, kill_at: float, kill) -> dict:
    """Send requests until ``seconds`` pass; call ``kill()`` once at ``kill_at``. Count what happened."""
    outcome, in_flight = Counter(), {"now": 0, "at_kill": None}
    started = time.monotonic()
    killed = asyncio.Event()

    async def client():
        async with httpx.AsyncClient(timeout=30) as session:
            while time.monotonic() - started < seconds:
                in_flight["now"] += 1
                try:
                    answer = await session.post(url, content=body, headers={"Content-Type": "image/jpeg"})
                    outcome[answer.status_code] += 1
                except httpx.HTTPError as error:
                    outcome[type(error).__name__] += 1
                finally:
                    in_flight["now"] -= 1

    async def killer():
        await asyncio.sleep(kill_at)
        in_flight["at_kill"] = in_flight["now"]
        await asyncio.to_thread(kill)
        killed.set()

    await asyncio.gather(killer(), *(client() for _ in range(clients)))
    return {"outcome": outcome, "in_flight_at_kill": in_flight["at_kill"], "seconds": time.monotonic() - started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--image", default="digits-replica")
    args = parser.parse_args()
    if DROP_IN.is_dir():  # a docker client without an engine is no use: the drop-in first, as .ci/run does
        os.environ["PATH"] = f"{DROP_IN}:{os.environ['PATH']}"
    if shutil.which("haproxy") is None:
        print("error: haproxy is not installed (Debian: apt-get install haproxy)", file=sys.stderr)
        return 1
    docker("build", "-t", args.image, str(ROOT))
    ports = [free_port() for _ in range(3)]
    names = [f"digits-replica-{port}" for port in ports]
    proxy = None
    scratch = Path(tempfile.mkdtemp(prefix="replicas-"))
    try:
        for name, port in zip(names, ports):
            docker(
                "run",
                "-d",
                "--rm",
                "--name",
                name,
                "-e",
                f"DIGITS_PORT={port}",
                "-e",
                "DIGITS_HOST=127.0.0.1",
                args.image,
                "serve",
            )
        for port in ports:
            wait_healthy(f"http://127.0.0.1:{port}")
        front = free_port()
        servers = "\n".join(f"    server r{i} 127.0.0.1:{port} check" for i, port in enumerate(ports))
        config = scratch / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(front=front, servers=servers))
        proxy = subprocess.Popen(["haproxy", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_healthy(f"http://127.0.0.1:{front}")
        body = next((ROOT / "data" / "samples").glob("7.jpg")).read_bytes()
        result = asyncio.run(
            load(
                f"http://127.0.0.1:{front}/predict",
                body,
                args.clients,
                args.seconds,
                args.seconds / 2,
                lambda: docker("kill", names[0], check=False),
            )
        )
    finally:
        if proxy is not None:
            proxy.send_signal(signal.SIGTERM)
            proxy.wait(timeout=10)
        for name in names:
            docker("rm", "-f", name, check=False)
        shutil.rmtree(scratch, ignore_errors=True)
    outcome = result["outcome"]
    total = sum(outcome.values())
    failed = total - outcome[200]
    print(
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} CPU cores: 3 containers of the inference image "
        f"(1 worker each) behind HAProxy, {args.clients} clients for {result['seconds']:.0f} s, one replica killed "
        "(SIGKILL) half-way; load generator, proxy and replicas share the machine.\n"
    )
    print("| measure | value |\n|---|---|")
    print(f"| requests sent | {total:,} |")
    print(f"| answered 200 | {outcome[200]:,} |")
    print(f"| failed | {failed} ({', '.join(f'{k}: {v}' for k, v in outcome.items() if k != 200) or 'none'}) |")
    print(f"| requests in flight when the replica was killed | {result['in_flight_at_kill']} |")
    print(f"| requests per second | {total / result['seconds']:.0f} |")
    return 0 if failed <= (result["in_flight_at_kill"] or 0) else 1


if __name__ == "__main__":
    sys.exit(main())

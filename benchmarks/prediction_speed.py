"""Prediction speed and memory on real inputs: phone photos, scans, 28x28 digits; single digits and numbers.

The published 28x28 timings skip most of the work (decoding a large image, finding the ink). This measures, on
this machine, for each kind of input and for ``--number``:

- cold: ``python CNN_usage.py FILE`` in a new process, start to printed answer (median of ``--repeats``), with
  the process's peak memory (max RSS, from ``wait4``);
- warm: the same read in a process that already has the model loaded (median of ``--warm-repeats``) and the
  throughput that gives on one core;
- the HTTP service (2 workers): requests per second and p99 latency under load from ``wrk`` (when installed) with a
  1-megapixel photo and with a 28x28 digit, in the same run, at each of ``--clients`` concurrent connections,
  each row the median of ``--rounds`` measurements taken in turn with the other rows' (two shared cores are noisy). Once
  both workers are busy, more connections only queue: latency grows with them (Little's law) while requests per
  second stay, so the table shows where the service still answers quickly at full throughput.

Inputs are MNIST test digits (real handwriting, never trained on) written onto synthetic paper by
``tests.synthetic``: a 12-megapixel phone photo (4000x3000 JPEG), a 1-megapixel scan (1000x1000 grey PNG) and a
1-megapixel photo (1155x866 JPEG); numbers of 5 digits on the same canvases.

    python -m benchmarks.prediction_speed [--repeats 5] [--warm-repeats 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from benchmarks.service_load import wrk_load
from digits.constants import CACHE_DIR_NAME, DATA_DIR
from digits.folders import load_labelled_folder
from digits.predict import load_predictor, read_files
from digits.training.mnist import mnist_folders
from tests.synthetic import PhotoSettings, photo_of_digits, save_photo

ROOT = Path(__file__).resolve().parent.parent
INPUTS = {
    "12 MP phone photo (4000x3000 JPEG)": PhotoSettings(canvas=(4000, 3000), digit_height=0.3, jpeg_quality=90),
    "1 MP scan (1000x1000 grey PNG)": PhotoSettings(canvas=(1000, 1000), digit_height=0.3, mode="L", noise=2, blur=0.3),
    "1 MP photo (1155x866 JPEG)": PhotoSettings(canvas=(1155, 866), digit_height=0.3, jpeg_quality=85),
}


def glyph(image: np.ndarray, height: int = 64) -> np.ndarray:
    """An MNIST digit (white on black) cut to its ink and scaled to ``height`` px, as photo_of_digits wants it."""
    rows, cols = np.nonzero(image > 30)
    cut = image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    width = max(2, round(cut.shape[1] * height / cut.shape[0]))
    return np.asarray(Image.fromarray(cut).resize((width, height), Image.Resampling.BICUBIC))


def make_inputs(folder: Path, digits: list[np.ndarray], rng: np.random.Generator) -> dict[tuple[str, bool], Path]:
    """(input kind, is a number) -> file, plus a 28x28 MNIST JPEG as it comes."""
    files = {}
    for name, settings in INPUTS.items():
        for number in (False, True):
            chosen = digits[:5] if number else digits[:1]
            if number:
                settings = PhotoSettings(**{**settings.__dict__, "digit_height": 0.15})
            image, _ = photo_of_digits([glyph(d) for d in chosen], settings, rng)
            path = (
                folder
                / f"{'number' if number else 'digit'}-{settings.canvas[0]}.{'png' if settings.mode == 'L' else 'jpg'}"
            )
            if path.suffix == ".png":
                image.save(path)
            else:
                save_photo(image, path, settings)
            files[(name, number)] = path
    small = folder / "mnist-28x28.jpg"
    Image.fromarray(digits[0]).save(small, quality=95)
    files[("28x28 MNIST JPEG", False)] = small
    return files


PEAK_MEMORY = (
    "import runpy, sys\n"
    "sys.argv = sys.argv[1:]\n"
    "try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\n"
    "finally:\n"
    "    peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]\n"
    "    print('peak-kb', peak, file=sys.stderr)\n"
)
"""Runs CNN_usage.py and reports its own peak resident memory (Linux ``VmHWM``, which starts afresh at exec;
``ru_maxrss`` would still count the memory of the parent the process was forked from)."""


def cold_run(path: Path, number: bool) -> tuple[float, float]:
    """Seconds from process start to printed answer, and the process's peak memory in MB."""
    script = [str(ROOT / "CNN_usage.py"), *(["--number"] if number else []), str(path)]
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", PEAK_MEMORY, *script], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(script)} failed: {result.stderr[-500:]}")
    peak_kb = int(result.stderr.rsplit("peak-kb", 1)[1].split()[0])
    return elapsed, peak_kb / 1024


def warm_seconds(predictor, path: Path, number: bool, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        list(read_files(predictor, [path], number=number))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def start_server(workers: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "CNN_usage.py", "serve", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(command, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{url}/health", timeout=1)
            return server, url
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the service did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="cold runs per input (median)")
    parser.add_argument("--warm-repeats", type=int, default=20, help="warm reads per input (median)")
    parser.add_argument("--seconds", type=int, default=10, help="wrk: seconds per service measurement")
    parser.add_argument(
        "--rounds", type=int, default=3, help="wrk: measurements per row, interleaved (median; default %(default)s)"
    )
    parser.add_argument(
        "--clients",
        type=int,
        nargs="+",
        default=[2, 4, 8],
        help="wrk: concurrent connections, one measurement each (latency grows with them once the workers are busy)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    _, testing_dir = mnist_folders(DATA_DIR)
    testing = load_labelled_folder(testing_dir, cache_dir=DATA_DIR / CACHE_DIR_NAME)
    rng = np.random.default_rng(args.seed)
    digits = [testing.images[i] for i in rng.choice(len(testing.labels), 5, replace=False)]
    predictor = load_predictor()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        files = make_inputs(Path(scratch), digits, rng)
        for (name, number), path in files.items():
            cold = [cold_run(path, number) for _ in range(args.repeats)]
            warm = warm_seconds(predictor, path, number, args.warm_repeats)
            rows.append(
                (
                    name,
                    "number (5 digits)" if number else "one digit",
                    statistics.median(c[0] for c in cold),
                    max(c[1] for c in cold),
                    warm,
                )
            )
            print(f"  {rows[-1]}", file=sys.stderr)
        service_rows = []
        if shutil.which("wrk"):
            server, url = start_server(2)
            loads = [
                (name, key, clients)
                for name, key in (
                    ("1 MP photo", ("1 MP photo (1155x866 JPEG)", False)),
                    ("28x28 digit", ("28x28 MNIST JPEG", False)),
                )
                for clients in args.clients
            ]
            measured: dict[tuple[str, int], list[tuple[float, float, float, int]]] = {}
            try:
                for _ in range(args.rounds):  # round-robin, so a slow spell of the machine hits every row alike
                    for name, key, clients in loads:
                        result = wrk_load(f"{url}/predict", files[key], clients, args.seconds)
                        measured.setdefault((name, clients), []).append(result)
                        print(f"  {name}, {clients} connections: {result}", file=sys.stderr)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=20)
            for (name, clients), results in measured.items():
                rates, p50s, p99s, failed = zip(*results)
                rate_range = f"{min(rates):.0f}–{max(rates):.0f}"
                service_rows.append(
                    (
                        name,
                        clients,
                        statistics.median(rates),
                        rate_range,
                        statistics.median(p50s),
                        statistics.median(p99s),
                        sum(failed),
                    )
                )

    print(
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} CPU cores; cold: median of "
        f"{args.repeats} new processes; warm: median of {args.warm_repeats} reads with the model loaded.\n"
    )
    floor = next(cold_s for name, _, cold_s, _, _ in rows if name.startswith("28x28"))
    print(
        "| input | read | cold, end to end | cold / cold 28x28 | peak memory (cold) | warm | warm throughput (1 core) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, what, cold_s, memory, warm_s in rows:
        print(
            f"| {name} | {what} | {cold_s:.2f} s | {cold_s / floor:.2f}x | {memory:.0f} MB | {warm_s * 1000:.1f} ms "
            f"| {1 / warm_s:,.0f}/s |"
        )
    if service_rows:
        print(
            f"\nHTTP service, 2 workers, wrk on the same cores: medians of {args.rounds} rounds of {args.seconds} s "
            "per row, the rounds interleaved:\n"
        )
        print("| body | connections | requests/s | range | p50 | p99 | failed |\n|---|---|---|---|---|---|---|")
        for name, clients, rate, rate_range, p50, p99, failed in service_rows:
            print(f"| {name} | {clients} | {rate:.0f} | {rate_range} | {p50:.1f} ms | {p99:.1f} ms | {failed} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

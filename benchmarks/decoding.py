"""How much decoding labelled folders on all cores (joblib) saves, against one process, in the same run.

Decodes the MNIST JPG folders (no cache) with ``digits.folders.decode_in_parallel`` and with a plain loop,
alternating, ``--repeats`` times each, and prints the medians and their ratio as a Markdown table. This is what
``CNN_model.py`` does on its first run (70,000 files) and ``CNN_usage.py --evaluate`` does every time.

    python -m benchmarks.decoding [--repeats 3] [--split testing|training|both]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

from digits.constants import DATA_DIR
from digits.folders import decode_file, decode_in_parallel, find_split_folders, list_labelled_files


def seconds(decode, paths) -> float:
    started = time.perf_counter()
    for _ in decode(paths):
        pass
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each way (median reported)")
    parser.add_argument("--split", choices=["testing", "training", "both"], default="both")
    args = parser.parse_args()
    try:
        training, testing = find_split_folders(DATA_DIR)
    except Exception:
        print("error: the MNIST folders are missing; run: python CNN_model.py --prepare-data-only", file=sys.stderr)
        return 1
    folders = {"training": [training], "testing": [testing], "both": [training, testing]}[args.split]
    paths = [path for folder in folders for path, _ in list_labelled_files(folder)]
    serial, parallel = [], []
    for _ in range(args.repeats):
        serial.append(seconds(lambda p: map(decode_file, p), paths))
        parallel.append(seconds(decode_in_parallel, paths))
        print(f"  one process {serial[-1]:.1f} s, all cores {parallel[-1]:.1f} s", file=sys.stderr)
    one, many = statistics.median(serial), statistics.median(parallel)
    print(f"{len(paths):,} files, {os.cpu_count()} cores, {platform.machine()}, {time.strftime('%Y-%m-%d')}\n")
    print(f"| decoding | median of {args.repeats} | files/s |\n|---|---|---|")
    print(f"| one process | {one:.1f} s | {len(paths) / one:,.0f} |")
    print(f"| all cores (joblib) | {many:.1f} s | {len(paths) / many:,.0f} |")
    print(f"| speed-up, same run | {one / many:.2f}x | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

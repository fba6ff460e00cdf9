#!/usr/bin/env python
"""Fuzz the image reader with many thousands of mutated files (run by hand; a few hundred run in the tests).

Valid images of every format and several modes (``tests/fuzz_support.py``) are mutated at random (flipped,
inserted and deleted bytes, truncations, huge declared dimensions). Each is read as the CLI and the service read
it, as a single digit and as a number. Every outcome must be a reading, "no digit found" or one DigitsError;
anything else is listed. Prints the count, the time, the slowest input and the outcomes as a Markdown table.

    python -m benchmarks.fuzz [--cases 20000] [--seed 2026]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from tqdm import tqdm

from digits.errors import DigitsError
from digits.images import read_gray_bytes
from digits.predict import load_predictor, predict_gray, read_number_gray
from tests.fuzz_support import mutate, seed_images


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20000, help="mutated files to read (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    seeds = seed_images()
    predictor = load_predictor()
    rng = np.random.default_rng(args.seed)
    outcomes, unexpected, slowest = Counter(), [], (0.0, "")
    started = time.perf_counter()
    for case in tqdm(range(args.cases), desc="fuzzing", unit="file", file=sys.stderr):
        name, data = seeds[int(rng.integers(len(seeds)))]
        body = mutate(data, rng)
        number = case % 2 == 1
        began = time.perf_counter()
        try:
            gray, scale = read_gray_bytes(body, name)
            if number:
                reading = read_number_gray(predictor, gray, Path(name), 0.0, scale)
                outcomes["number read" if reading.digits else "no digit found"] += 1
            else:
                outcomes[
                    "digit read" if predict_gray(predictor, gray, Path(name)).digit is not None else "no digit found"
                ] += 1
        except DigitsError:
            outcomes["one named error"] += 1
        except Exception as error:  # what the product must never let through
            outcomes["unexpected exception"] += 1
            unexpected.append(f"case {case} ({name}): {type(error).__name__}: {error}")
        spent = time.perf_counter() - began
        if spent > slowest[0]:
            slowest = (spent, f"case {case} ({name}, {'number' if number else 'digit'})")
    total = time.perf_counter() - started
    print(f"{args.cases:,} mutated files, seed {args.seed}, {total:.1f} s ({total / args.cases * 1000:.2f} ms each)")
    print(f"slowest: {slowest[0] * 1000:.0f} ms, {slowest[1]}\n")
    print("| outcome | files |\n|---|---|")
    for outcome, count in outcomes.most_common():
        print(f"| {outcome} | {count:,} |")
    for line in unexpected[:20]:
        print(line, file=sys.stderr)
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())

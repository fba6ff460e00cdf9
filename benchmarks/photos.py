#!/usr/bin/env python
"""How well CNN_usage.py reads photo- and scan-like images, and how fast it preprocesses them (run by hand).

Handwritten digits from the MNIST test set (real handwriting, never trained on) are written onto synthetic
paper with ``tests.synthetic``: dark ink on light paper, random position, size, rotation, pen width, lighting
gradient, noise, blur, JPEG quality, RGB / L / RGBA, EXIF rotation, ruled lines. Prints Markdown tables:
single-digit accuracy per condition, multi-digit numbers read exactly (and whether a number was lost to its
digit count or to a misread digit), numbers by pen, numbers written close (touching or overlapping), digits and
numbers written hollow (each stroke as its outline, as bubble letters are), what the user is told (a wrong answer marked unsure at the
model's own threshold, as the CLI marks it, or given as if it were sure), the preprocessing time of a 640x480
photo (median of repeated runs), and MNIST test accuracy with and without the preprocessing.

    python -m benchmarks.photos [--singles 2000] [--numbers 500] [--close-numbers 300] [--hollow 500]
                                [--model models/digits_cnn.tflite]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.real_handwriting import CLOSE_GAPS, NUMBER_LENGTHS, ink_box
from benchmarks.told import TOLD, Readings
from digits.constants import CACHE_DIR_NAME, DATA_DIR
from digits.folders import load_labelled_folder
from digits.images import decode_side, read_gray
from digits.numbers import TooManyDigits
from digits.predict import (
    load_predictor,
    min_confidence_or_default,
    predict_arrays,
    predict_number_digits,
    read_number_digits,
)
from digits.preprocess import NoDigitFound, preprocess_digit
from digits.training.mnist import mnist_folders
from tests.synthetic import photo_of_digits, random_settings, save_photo


def pen(stroke: int) -> str:
    """The pen bucket of a stroke change at rendering size (``tests.synthetic.PhotoSettings.stroke``)."""
    return {-2: "fine pen", -1: "fine pen", 0: "normal pen"}.get(stroke, "thick pen")


def conditions(settings) -> list[str]:
    """The condition buckets one photo falls into."""
    width, height = settings.canvas
    return [
        "all",
        f"mode {settings.mode}",
        "EXIF-rotated" if settings.exif_orientation != 1 else "upright",
        "ruled lines" if settings.ruled_lines else "plain paper",
        pen(settings.stroke),
        "noisy (sigma > 6)" if settings.noise > 6 else "low noise",
        "JPEG quality < 60" if settings.jpeg_quality < 60 and settings.mode != "RGBA" else "JPEG quality >= 60 or PNG",
        "small canvas (<= 100 px)" if max(width, height) <= 100 else "photo-size canvas",
        "digit < 35% of height" if settings.digit_height < 0.35 else "digit >= 35% of height",
        "rotated > 8 degrees" if abs(settings.rotation) > 8 else "rotated <= 8 degrees",
    ]


def table(rows: list[tuple], header: tuple) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


NUMBER_CANVASES = ((640, 480), (1024, 768), (800, 200), (480, 640))
"""The canvases numbers are photographed on, in turn: photo sizes both ways round, and a strip."""


def as_the_cli_reads(image, settings, path_stem: Path, number: bool) -> np.ndarray:
    """Save a synthetic photo as a user's file (PNG when transparent, else JPEG; EXIF by ``save_photo``) and read it
    back as the CLI does (``decode_side``): the grey image the reader gets."""
    path = path_stem.with_suffix(".png" if image.mode == "RGBA" else ".jpg")
    save_photo(image, path, settings)
    return read_gray(path, decode_side(number=number))[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--singles", type=int, default=2000, help="single-digit photos (default: %(default)s)")
    parser.add_argument(
        "--numbers", type=int, default=500, help="multi-digit photos, 2-10 digits (default: %(default)s)"
    )
    parser.add_argument(
        "--close-numbers",
        type=int,
        default=300,
        help="photos of 3-10-digit numbers written close, touching or overlapping (default: %(default)s; 0: none)",
    )
    parser.add_argument(
        "--hollow",
        type=int,
        default=500,
        help="photos of single digits written hollow, and as many of 3-10-digit numbers (default: %(default)s; 0: none)",
    )
    parser.add_argument("--model", type=Path, default=None, help="model to use (default: the committed one)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--min-confidence",
        type=float,
        default=None,
        help="mark an answer unsure under this confidence (default: the model's own threshold, as the CLI)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="photo-bench-") as scratch:
        return measure(args, Path(scratch))


def measure(args: argparse.Namespace, scratch: Path) -> int:
    """Write the photos one at a time into ``scratch``, read each as the CLI does, and print the tables."""
    testing = mnist_folders(DATA_DIR)[1]
    if not testing.is_dir():
        print("error: the MNIST folders are missing; run: python CNN_model.py --prepare-data-only", file=sys.stderr)
        return 1
    mnist = load_labelled_folder(testing, cache_dir=DATA_DIR / CACHE_DIR_NAME)
    predictor = load_predictor(args.model)
    threshold = min_confidence_or_default(args.min_confidence, predictor.path)
    answers = {"single digits": [], "numbers": []}  # (right, confidence) as the CLI gives them; 0: not read
    rng = np.random.default_rng(args.seed)

    def photograph(indices, canvas=None):
        """A photo of ``indices`` digits, read as the CLI reads it (``decode_side``)."""
        settings = random_settings(rng, canvas)
        image, _ = photo_of_digits([mnist.images[i] for i in indices], settings, rng)
        return as_the_cli_reads(image, settings, scratch / "p", number=len(indices) > 1), settings

    # Single digits, per condition.
    right, right_once, total, order = defaultdict(int), defaultdict(int), defaultdict(int), {}
    timings = []
    for index in rng.choice(len(mnist.labels), args.singles, replace=False):
        gray, settings = photograph([index])
        try:
            frame = preprocess_digit(gray)
            probabilities = predict_arrays(predictor, frame[None])[0]
            digit = int(probabilities.argmax())
            digit_once = int(predict_arrays(predictor, frame[None], tta=False).argmax())
        except NoDigitFound:
            digit = digit_once = None
        confidence = 0.0 if digit is None else float(probabilities.max())
        answers["single digits"].append((digit == mnist.labels[index], confidence))
        for position, bucket in enumerate(conditions(settings)):
            order.setdefault(bucket, position)
            total[bucket] += 1
            right[bucket] += digit == mnist.labels[index]
            right_once[bucket] += digit_once == mnist.labels[index]
    buckets = sorted(total, key=lambda bucket: (order[bucket], bucket))
    singles = [
        (bucket, total[bucket], f"{right[bucket] / total[bucket]:.2%}", f"{right_once[bucket] / total[bucket]:.2%}")
        for bucket in buckets
    ]

    # Whole numbers.
    exact, exact_once, by_length = 0, 0, defaultdict(lambda: [0, 0, 0, []])
    count_right = digits_right = digits_in_counted = 0  # where a number is lost: its digit count, or a digit
    by_pen = defaultdict(lambda: [0, 0, 0, 0])  # numbers read exactly, numbers; digits right, digits (counts right)
    for k in range(args.numbers):
        length = int(rng.integers(2, 11))
        indices = rng.choice(len(mnist.labels), length)
        gray, settings = photograph(indices, NUMBER_CANVASES[k % len(NUMBER_CANVASES)])
        truth = "".join(str(mnist.labels[i]) for i in indices)
        try:
            found, probabilities = read_number_digits(predictor, gray)
            frames = np.stack([digit.frame for digit in found])
            read = "".join(str(d) for d in probabilities.argmax(axis=1))
            read_once = "".join(str(d) for d in predict_number_digits(predictor, frames, tta=False).argmax(axis=1))
            confidence = number_confidence(found, probabilities)
        except (NoDigitFound, TooManyDigits):  # the CLI's answer would be an error line: not read
            read = read_once = ""
            confidence = 0.0
        answers["numbers"].append((read == truth, confidence))
        exact += read == truth
        exact_once += read_once == truth
        pen_counts = by_pen[settings.stroke]
        pen_counts[0] += read == truth
        pen_counts[1] += 1
        if len(read) == len(truth):
            count_right += 1
            digits_in_counted += len(truth)
            digits_right += sum(a == b for a, b in zip(read, truth))
            pen_counts[2] += sum(a == b for a, b in zip(read, truth))
            pen_counts[3] += len(truth)
        counts = by_length[f"{length:2d} digits"]
        counts[0] += read == truth
        counts[1] += read_once == truth
        counts[2] += 1
        counts[3].append((read == truth, confidence))

    close_rows = numbers_written_close(args, mnist, predictor, threshold, scratch)
    hollow_rows = written_hollow(args, mnist, predictor, threshold, scratch)

    # Preprocessing time of a 640x480 photo.
    photos = [photograph([i], (640, 480))[0] for i in rng.choice(len(mnist.labels), 50)]
    for _ in range(5):
        started = time.perf_counter()
        for gray in photos:
            try:
                preprocess_digit(gray)
            except NoDigitFound:
                pass
        timings.append((time.perf_counter() - started) / len(photos) * 1000)

    # The network's time for one digit, read once or five times (test-time augmentation), in the same run.
    frames = [preprocess_digit(gray) for gray in photos]
    network_ms = {}
    for tta in (False, True):
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            for frame in frames:
                predict_arrays(predictor, frame[None], tta=tta)
            runs.append((time.perf_counter() - started) / len(frames) * 1000)
        network_ms[tta] = float(np.median(runs))

    # MNIST itself: the preprocessing must not cost accuracy on images that are already MNIST-style.
    plain = predict_arrays(predictor, mnist.images, tta=False).argmax(axis=1)
    plain_tta = predict_arrays(predictor, mnist.images).argmax(axis=1)
    through = predict_arrays(predictor, np.stack([preprocess_digit(image) for image in mnist.images])).argmax(axis=1)

    print(
        f"Model: {predictor.path}; {args.singles} single-digit and {args.numbers} multi-digit photos, seed {args.seed}\n"
    )
    if singles:  # --singles 0: the other tables alone
        print(table(singles, ("single digits: condition", "images", "accuracy", "read once, no shifts")))
        print()
    if args.numbers:  # --numbers 0: single digits alone
        rows = [
            (bucket, n, f"{ok / n:.2%}", f"{once / n:.2%}", f"{Readings.collect(pairs).given_as_sure(threshold):.2%}")
            for bucket, (ok, once, n, pairs) in sorted(by_length.items())
        ]
        rows.append(
            (
                "all",
                args.numbers,
                f"{exact / args.numbers:.2%}",
                f"{exact_once / args.numbers:.2%}",
                f"{Readings.collect(answers['numbers']).given_as_sure(threshold):.2%}",
            )
        )
        print(table(rows, ("numbers", "images", "read exactly", "read once, no shifts", "wrong, given as sure")))
        print()
        pen_rows = [
            (
                f"{pen(stroke)}, stroke {stroke:+d}",
                n,
                f"{exact_n / n:.2%}",
                f"{right / max(1, digits):.2%}",
            )
            for stroke, (exact_n, n, right, digits) in sorted(by_pen.items())
        ]
        header = (
            "numbers: pen (stroke change at rendering size)",
            "images",
            "read exactly",
            "each digit right, where all found",
        )
        print(table(pen_rows, header))
        print()
    told_rows = [
        (kind, *(f"{share:.2%}" for share in Readings.collect(pairs).told_shares(threshold).values()))
        for kind, pairs in answers.items()
        if pairs  # --singles 0 or --numbers 0: no row of zeros for what was not read
    ]
    if told_rows:
        print(table(told_rows, (f"what the user is told (unsure under {threshold:.2f})", *TOLD)))
        print()
    if close_rows:
        header = (
            "numbers written close",
            "images",
            "read exactly",
            "digits all found",
            "each digit right, where all found",
        )
        print(table(close_rows, (*header, "wrong, given as sure")))
        print()
    if hollow_rows:
        header = ("written hollow (each stroke as its outline)", "images", "read right", "no digit found")
        print(table(hollow_rows, (*header, "wrong, given as sure")))
        print()
    if args.numbers:
        print(
            table(
                [
                    ("numbers whose digits were all found, none extra", f"{count_right / args.numbers:.2%}"),
                    ("each digit read right, in those numbers", f"{digits_right / max(1, digits_in_counted):.2%}"),
                ],
                ("numbers: where they are lost", "value"),
            )
        )
        print()
    print(
        table(
            [
                ("preprocessing, 640x480 photo (median of 5 x 50)", f"{np.median(timings):.2f} ms"),
                ("network, one digit read once (median of 5 x 50)", f"{network_ms[False]:.2f} ms"),
                ("network, one digit read 5 times, shifted, averaged (median of 5 x 50)", f"{network_ms[True]:.2f} ms"),
                ("MNIST test accuracy, raw 28x28 input, read once", f"{(plain == mnist.labels).mean():.2%}"),
                ("MNIST test accuracy, raw 28x28 input, with shifts", f"{(plain_tta == mnist.labels).mean():.2%}"),
                ("MNIST test accuracy, through the preprocessing", f"{(through == mnist.labels).mean():.2%}"),
            ],
            ("measure", "value"),
        )
    )
    return 0


def number_confidence(found, probabilities: np.ndarray) -> float:
    """A number's confidence as the CLI marks it unsure (``NumberResult.uncertain``): its least sure digit's, or 0
    when any digit was cut from a mark that might as well be other digits (unsure at any threshold)."""
    return 0.0 if any(digit.cut_in_doubt for digit in found) else float(probabilities.max(axis=1).min())


def numbers_written_close(args, mnist, predictor, threshold: float, scratch: Path) -> list[tuple]:
    """Photos of 3-10-digit numbers written close (``CLOSE_GAPS`` of the height between the digits' ink: touching,
    or a stroke reaching over), read as the CLI reads them; one table row per length group and one for all. A
    generator of their own, so the other tables draw the same photos with or without them."""
    rng = np.random.default_rng([args.seed, 1])
    groups = defaultdict(list)  # length group -> (exact, all found, digits right, digits, confidence)
    for k in range(args.close_numbers):
        indices = rng.choice(len(mnist.labels), int(rng.integers(3, 11)))
        truth = "".join(str(mnist.labels[i]) for i in indices)
        settings = replace(random_settings(rng, NUMBER_CANVASES[k % len(NUMBER_CANVASES)]), gaps=CLOSE_GAPS)
        # MNIST's 4 px margins would keep digits apart however close they are written: cut to their ink.
        image, _ = photo_of_digits([ink_box(mnist.images[i]) for i in indices], settings, rng)
        gray = as_the_cli_reads(image, settings, scratch / "c", number=True)
        try:
            found, probabilities = read_number_digits(predictor, gray)
            read = "".join(str(d) for d in probabilities.argmax(axis=1))
            confidence = number_confidence(found, probabilities)
        except (NoDigitFound, TooManyDigits):
            read, confidence = "", 0.0
        found_all = len(read) == len(truth)
        right = sum(a == b for a, b in zip(read, truth)) if found_all else 0
        group = next(f"{low}-{high} digits" for low, high in NUMBER_LENGTHS if low <= len(truth) <= high)
        for key in (group, "all"):
            groups[key].append((read == truth, found_all, right, len(truth) if found_all else 0, confidence))
    rows = []
    for key in [f"{low}-{high} digits" for low, high in NUMBER_LENGTHS] + ["all"]:
        answers = groups.get(key, [])
        if not answers:
            continue
        exact, found_all, right, digits, confidence = zip(*answers)
        wrong_sure = Readings.collect(list(zip(exact, confidence))).given_as_sure(threshold)
        cells = (f"{np.mean(exact):.2%}", f"{np.mean(found_all):.2%}", f"{sum(right) / max(1, sum(digits)):.2%}")
        rows.append((key, len(answers), *cells, f"{wrong_sure:.2%}"))
    return rows


def written_hollow(args, mnist, predictor, threshold: float, scratch: Path) -> list[tuple]:
    """Photos of single digits and of 3-10-digit numbers written hollow (``PhotoSettings.hollow``: each stroke as
    its outline, paper inside), read as the CLI reads them: a row per kind. A generator of their own, so the other
    tables draw the same photos with or without them."""
    if not args.hollow:
        return []
    rng = np.random.default_rng([args.seed, 2])
    rows = []
    for kind, lengths in (("single digits", (1, 1)), ("numbers of 3-10 digits, read exactly", (3, 10))):
        answers, blank = [], 0
        for k in range(args.hollow):
            indices = rng.choice(len(mnist.labels), int(rng.integers(lengths[0], lengths[1] + 1)))
            truth = "".join(str(mnist.labels[i]) for i in indices)
            settings = replace(random_settings(rng, NUMBER_CANVASES[k % len(NUMBER_CANVASES)]), hollow=True)
            image, _ = photo_of_digits([mnist.images[i] for i in indices], settings, rng)
            gray = as_the_cli_reads(image, settings, scratch / "h", number=len(indices) > 1)
            try:
                if len(indices) == 1:
                    probabilities = predict_arrays(predictor, preprocess_digit(gray)[None])
                    confidence = float(probabilities.max())
                else:
                    found, probabilities = read_number_digits(predictor, gray)
                    confidence = number_confidence(found, probabilities)
                read = "".join(str(d) for d in probabilities.argmax(axis=1))
            except (NoDigitFound, TooManyDigits):
                read, confidence = "", 0.0
                blank += 1
            answers.append((read == truth, confidence))
        right = np.mean([ok for ok, _ in answers])
        wrong_sure = Readings.collect(answers).given_as_sure(threshold)
        rows.append((kind, len(answers), f"{right:.2%}", f"{blank / len(answers):.2%}", f"{wrong_sure:.2%}"))
    return rows


if __name__ == "__main__":
    sys.exit(main())

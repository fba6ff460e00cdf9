#!/usr/bin/env python
"""How far this network can go on a real collection once it has been taught that collection (run by hand).

Our aims for other people's handwriting (``benchmarks/real_handwriting.py``) are for a model that never saw it.
This measures an optimistic ceiling for them: the committed model is fine-tuned by ``digits.training.fine_tune``
(the settings of ``CNN_model.py --fine-tune``; ``--epochs`` to train longer) on half of each digit's samples of
the collection itself, each as a tight crop and as a scan, then the other half is read as the CLI reads it
(``digits.predict.predict_gray``), as crops and as scans, by the committed model and by the taught one. mfeat and
USPS name no writers, so the two halves share writers: the taught model knows the very hands it is measured on.
That makes it an upper bound on what this network learns of such digits, not a held-out result: where even the
bound falls short of an aim, no preprocessing or drawn style will take a model that has never seen the hand there.

    python -m benchmarks.ceiling [--collections mfeat usps] [--per-digit 100] [--epochs 5] [--from-scratch]

``--from-scratch`` trains a new network by the default recipe instead, the taught images of every collection
added to its training split, for the same halves: the ceiling without the committed model's start.

Fine-tuning on 1,000 samples takes a few minutes on 2 cores; TensorFlow is needed (the training requirements).
The taught models are written to a temporary folder (their LiteRT export alone) and deleted: nothing here
changes ``models/``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from benchmarks.real_handwriting import read_all
from digits.constants import KERAS_MODEL_FILE, MODELS_DIR, TFLITE_MODEL_FILE
from digits.errors import DigitsError
from digits.predict import load_predictor
from digits.preprocess import NoDigitFound, preprocess_digit
from digits.training.handwriting_sources import collection_named, load_collection
from digits.training.other_writers import as_scan

AIMS = {"tight crop as it comes": 0.98, "scan (dark on white, upscaled, margin)": 0.993}
"""Issue 8's aims for real handwriting from other collections, per rendering."""


def halves(labels: np.ndarray, per_digit: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of up to ``per_digit`` samples of each digit to teach, and as many others of it to read: drawn
    at random, seeded, never the same sample in both."""
    rng = np.random.default_rng(seed)
    taught, read = [], []
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(labels == digit))
        half = min(per_digit, len(members) // 2)
        taught.extend(members[:half])
        read.extend(members[half : 2 * half])
    return np.sort(np.array(taught, np.int64)), np.sort(np.array(read, np.int64))


@dataclass
class Taught:
    """One collection split in two: the preprocessed images to teach and the renderings to read."""

    name: str
    images: np.ndarray
    labels: np.ndarray
    read_labels: np.ndarray
    renderings: dict[str, list[np.ndarray]]


def split_collection(name: str, per_digit: int, seed: int) -> Taught:
    """Half of each digit's samples (at most ``per_digit``) to teach, each as a crop and as a scan preprocessed as
    ``--collect`` stores them (the 28x28 the network saw; as the default recipe adds optdigits' writers); as many
    others to read, as crops and as scans. Never digits the default recipe trains on."""
    collection = collection_named(name)
    if collection.kind != "crop":
        raise DigitsError(f"{name}: only image collections (tight crops) can be read as crops and scans")
    crops, labels = load_collection(collection)
    held_out = ~collection.training_mask(len(labels))
    crops, labels = crops[held_out], labels[held_out]
    taught_index, read_index = halves(labels, per_digit, seed)
    teach_rng = np.random.default_rng([seed, 2])
    frames, kept = [], []
    for index in taught_index:
        for rendering in (crops[index], as_scan(crops[index], teach_rng)):
            try:
                frames.append(preprocess_digit(rendering))
                kept.append(labels[index])
            except NoDigitFound:
                pass
    rng = np.random.default_rng([seed, 1])
    renderings = {
        "tight crop as it comes": [crops[i] for i in read_index],
        "scan (dark on white, upscaled, margin)": [as_scan(crops[i], rng) for i in read_index],
    }
    return Taught(name, np.stack(frames), np.array(kept, np.int64), labels[read_index], renderings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--collections", nargs="+", default=["mfeat", "usps"], help="image collections to teach")
    parser.add_argument("--per-digit", type=int, default=100, help="samples per digit taught, as many read")
    parser.add_argument("--epochs", type=int, default=None, help="fine-tuning epochs (default: the product's)")
    parser.add_argument(
        "--from-scratch",
        action="store_true",
        help="instead of fine-tuning, train a new network by the default recipe with every collection's taught "
        "images added to its training split (about 10 minutes on 2 cores)",
    )
    parser.add_argument("--base-model", type=Path, default=MODELS_DIR / KERAS_MODEL_FILE)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    from digits.folders import LabelledImages
    from digits.training.cli import prepare_data
    from digits.training.config import TrainingConfig
    from digits.training.fine_tune import FINE_TUNE, fine_tune
    from digits.training.train import train

    try:
        splits = [split_collection(name, args.per_digit, args.seed) for name in args.collections]
    except DigitsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    committed = load_predictor(args.base_model.with_name(TFLITE_MODEL_FILE))
    training, testing = prepare_data(None)
    config = FINE_TUNE if args.epochs is None else replace(FINE_TUNE, epochs=args.epochs)
    runs = {}  # collection name -> the run that taught it (one run for all of them from scratch)
    if args.from_scratch:
        config = TrainingConfig()
        mixed = LabelledImages(
            np.concatenate([training.images, *(split.images for split in splits)]),
            np.concatenate([training.labels, *(split.labels for split in splits)]),
            [],
        )
        run = train(config, mixed, testing)
        runs = {split.name: run for split in splits}
    else:
        for split in splits:
            checksum = hashlib.sha256(split.images.tobytes() + split.labels.tobytes()).hexdigest()
            # Held-out share as small as fine-tuning allows (one a digit): the read half is the held-out one here.
            result = fine_tune(
                args.base_model,
                (split.images, split.labels, checksum),
                Path(split.name),
                training,
                testing,
                config,
                0,
                1e-9,
            )
            print(f"  {split.name}: fine-tuned in {result.seconds:.0f} s", file=sys.stderr)
            runs[split.name] = result.run

    rows = []
    with tempfile.TemporaryDirectory(prefix="ceiling-") as scratch:
        taught_models = {}  # each run's LiteRT export, written and loaded once
        for split in splits:
            run = runs[split.name]
            if id(run) not in taught_models:
                path = Path(scratch) / f"{len(taught_models)}.tflite"
                path.write_bytes(run.litert["tflite"])
                taught_models[id(run)] = load_predictor(path)
            for rendering, images_read in split.renderings.items():
                before = read_all(committed, images_read, split.read_labels).accuracy()
                after = read_all(taught_models[id(run)], images_read, split.read_labels).accuracy()
                print(f"  {split.name}, {rendering}: {before:.2%} -> {after:.2%}", file=sys.stderr)
                mnist = run.metrics["test_accuracy"]
                rows.append((split.name, rendering, len(split.labels), len(split.read_labels), before, after, mnist))

    how = (
        f"trained from scratch by the default recipe, seed {config.seed}"
        if args.from_scratch
        else f"base {args.base_model}, fine-tuned {config.epochs} epochs at {config.learning_rate}"
    )
    print(
        f"\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {how}; halves drawn with seed {args.seed}.\n"
    )
    print(
        "| collection | as | taught (images) / read | the committed model | taught that collection | aim | "
        "MNIST (read once) |\n|---|---|---|---|---|---|---|"
    )
    for name, rendering, taught_count, read_count, before, after, mnist in rows:
        aim = AIMS.get(rendering)
        print(
            f"| {name} | {rendering} | {taught_count} / {read_count} | {before:.2%} | **{after:.2%}** | "
            f"{'—' if aim is None else f'{aim:.1%}'} | {mnist:.2%} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

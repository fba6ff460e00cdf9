"""Synthetic digit images for the tests and benchmarks: real rendered glyphs, varied, made on the spot.

Digits are drawn with Pillow's built-in scalable font at random size, slant, rotation and stroke width, then
made MNIST-style: the ink's bounding box scaled into 20x20 and placed so its centre of mass sits at the centre
of a 28x28 frame, white on black. Nothing here is used by training or prediction on real data.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from digits.constants import IMAGE_SIZE, NUM_CLASSES

GLYPH_CANVAS = 96


def render_glyph(digit: int, rng: np.random.Generator) -> Image.Image:
    """A white-on-black 'L' image of one digit, drawn with random size, stroke, slant and rotation."""
    font = ImageFont.load_default(size=int(rng.integers(52, 72)))
    canvas = Image.new("L", (GLYPH_CANVAS, GLYPH_CANVAS), 0)
    draw = ImageDraw.Draw(canvas)
    stroke = int(rng.integers(0, 4))
    draw.text(
        (GLYPH_CANVAS / 2, GLYPH_CANVAS / 2),
        str(digit),
        fill=255,
        font=font,
        anchor="mm",
        stroke_width=stroke,
        stroke_fill=255,
    )
    shear = float(rng.uniform(-0.25, 0.25))
    canvas = canvas.transform(
        canvas.size,
        Image.Transform.AFFINE,
        (1, shear, -shear * GLYPH_CANVAS / 2, 0, 1, 0),
        resample=Image.Resampling.BILINEAR,
    )
    canvas = canvas.rotate(float(rng.uniform(-12, 12)), resample=Image.Resampling.BILINEAR)
    return canvas.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.0))))


def to_mnist_style(glyph: Image.Image) -> np.ndarray:
    """White-on-black glyph of any size -> uint8 (28, 28): fitted into 20x20, centred by centre of mass."""
    array = np.asarray(glyph, dtype=np.uint8)
    rows, cols = np.nonzero(array > 20)
    box = array[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = 20.0 / max(box.shape)
    size = (max(1, round(box.shape[1] * scale)), max(1, round(box.shape[0] * scale)))
    small = np.asarray(Image.fromarray(box).resize(size, Image.Resampling.LANCZOS), dtype=np.float64)
    frame = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float64)
    ys, xs = np.indices(small.shape)
    total = small.sum() or 1.0
    top = int(round(IMAGE_SIZE / 2 - (ys * small).sum() / total))
    left = int(round(IMAGE_SIZE / 2 - (xs * small).sum() / total))
    top = min(max(top, 0), IMAGE_SIZE - small.shape[0])
    left = min(max(left, 0), IMAGE_SIZE - small.shape[1])
    frame[top : top + small.shape[0], left : left + small.shape[1]] = small
    return frame.clip(0, 255).astype(np.uint8)


def synthetic_mnist(per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` MNIST-style images of each digit: uint8 (10 * per_class, 28, 28) and int64 labels."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(NUM_CLASSES), per_class)
    images = np.stack([to_mnist_style(render_glyph(int(label), rng)) for label in labels])
    return images, labels.astype(np.int64)

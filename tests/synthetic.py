"""Synthetic digit images for the tests and benchmarks: real rendered glyphs, varied, made on the spot.

Digits are drawn with Pillow's built-in scalable font at random size, slant, rotation and stroke width, then
made MNIST-style: the ink's bounding box scaled into 20x20 and placed so its centre of mass sits at the centre
of a 28x28 frame, white on black. Nothing here is used by training or prediction on real data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from digits.constants import NUM_CLASSES
from digits.preprocess import DIGIT_BOX, center_by_mass

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
    scale = DIGIT_BOX / max(box.shape)
    size = (max(1, round(box.shape[1] * scale)), max(1, round(box.shape[0] * scale)))
    return center_by_mass(np.asarray(Image.fromarray(box).resize(size, Image.Resampling.LANCZOS), dtype=np.float32))


def synthetic_mnist(per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` MNIST-style images of each digit: uint8 (10 * per_class, 28, 28) and int64 labels."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(NUM_CLASSES), per_class)
    images = np.stack([to_mnist_style(render_glyph(int(label), rng)) for label in labels])
    return images, labels.astype(np.int64)


def tight_glyph(digit: int, rng: np.random.Generator) -> np.ndarray:
    """A rendered digit (white on black, uint8) cropped to its ink, at its rendering size (about 50-70 px tall)."""
    array = np.asarray(render_glyph(digit, rng), dtype=np.uint8)
    rows, cols = np.nonzero(array > 20)
    return array[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


@dataclass
class PhotoSettings:
    """How one synthetic photo or scan is made; drawn at random by ``random_settings``."""

    canvas: tuple[int, int] = (640, 480)
    digit_height: float = 0.4
    """Digit height as a share of the canvas height."""
    rotation: float = 0.0
    stroke: int = 0
    """Change of stroke width at rendering size: positive thickens, negative thins (pixels of max/min filter)."""
    paper: int = 235
    gradient: float = 25.0
    ink: int = 40
    noise: float = 4.0
    blur: float = 0.6
    jpeg_quality: int = 85
    mode: str = "RGB"
    exif_orientation: int = 1
    ruled_lines: bool = False
    gaps: tuple[float, float] = (0.08, 0.35)
    """Space between neighbouring glyphs, drawn between these shares of the digit height (negative: overlapping)."""
    hollow: bool = False
    """Each stroke written as its outline (bubble letters): a bold pen's shape, with paper inside its lines."""


def random_settings(rng: np.random.Generator, canvas: tuple[int, int] | None = None) -> PhotoSettings:
    """Varied, realistic conditions: phone-photo and scan sizes, light paper, dark ink, noise, blur, JPEG."""
    canvases = [(640, 480), (480, 640), (1024, 768), (320, 240), (200, 200), (96, 96), (64, 80)]
    return PhotoSettings(
        canvas=canvas or canvases[int(rng.integers(len(canvases)))],
        digit_height=float(rng.uniform(0.25, 0.8)),
        rotation=float(rng.uniform(-12, 12)),
        stroke=int(rng.integers(-2, 4)),
        paper=int(rng.integers(170, 250)),
        gradient=float(rng.uniform(0, 45)),
        ink=int(rng.integers(0, 90)),
        noise=float(rng.uniform(0, 10)),
        blur=float(rng.uniform(0, 1.2)),
        jpeg_quality=int(rng.integers(40, 96)),
        mode=str(rng.choice(["RGB", "RGB", "L", "RGBA"])),
        exif_orientation=int(rng.choice([1, 1, 1, 3, 6, 8])),
        ruled_lines=bool(rng.random() < 0.2),
    )


def _ink_layer(
    glyphs: list[np.ndarray], settings: PhotoSettings, rng: np.random.Generator
) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Ink coverage (float 0..1) of the glyphs written in a row on the canvas, and each glyph's box."""
    width, height = settings.canvas
    target_h = max(8, int(settings.digit_height * height))
    scaled = []
    for glyph in glyphs:
        image = Image.fromarray(glyph).rotate(
            settings.rotation + float(rng.uniform(-3, 3)), resample=Image.Resampling.BICUBIC, expand=True
        )
        factor = target_h / image.height
        image = image.resize((max(2, round(image.width * factor)), target_h), Image.Resampling.BICUBIC)
        # Pen width: thicken or thin by a share of the glyph's height, as a thicker or finer pen would.
        radius = (
            int(round(settings.stroke * target_h / 60))
            if settings.stroke > 0
            else int(settings.stroke < 0 and target_h >= 120)
        )
        if radius and not settings.hollow:  # a hollow digit's pen is its own (below)
            size = 2 * radius + 1
            image = image.filter(ImageFilter.MaxFilter(size) if settings.stroke > 0 else ImageFilter.MinFilter(size))
        if settings.hollow:  # the outline of a pen a little bolder than MNIST's, in lines of 1/70 of the height
            bold = image.point(lambda level: 255 if level > 100 else 0).filter(
                ImageFilter.MaxFilter(2 * max(1, round(target_h / 40)) + 1)
            )
            image = outline(bold, 2 * max(1, round(target_h / 70)) + 1).filter(ImageFilter.GaussianBlur(0.5))
        scaled.append(image)
    gaps = [int(rng.uniform(*settings.gaps) * target_h) for _ in scaled[1:]]
    row_width = sum(image.width for image in scaled) + sum(gaps)
    shrink = min(1.0, 0.95 * width / row_width)
    if shrink < 1.0:  # a long number on a narrow canvas: make it smaller rather than cut it
        scaled = [
            image.resize(
                (max(2, round(image.width * shrink)), max(2, round(image.height * shrink))), Image.Resampling.BICUBIC
            )
            for image in scaled
        ]
        gaps = [int(gap * shrink) for gap in gaps]
        row_width = sum(image.width for image in scaled) + sum(gaps)
    row_height = max(image.height for image in scaled)
    x = int(rng.integers(0, max(1, width - row_width)))
    y0 = int(rng.integers(0, max(1, height - row_height)))
    layer = np.zeros((height, width), np.float32)
    boxes = []
    for image, gap in zip(scaled, [*gaps, 0]):
        y = min(max(0, y0 + int(rng.integers(-2, 3))), height - image.height)
        patch = np.asarray(image, np.float32)[: height - y, : width - x] / 255.0
        layer[y : y + patch.shape[0], x : x + patch.shape[1]] = np.maximum(
            layer[y : y + patch.shape[0], x : x + patch.shape[1]], patch
        )
        boxes.append((x, y, x + image.width, y + image.height))
        x += image.width + gap
    return layer, boxes


def outline(ink: Image.Image, line: int) -> Image.Image:
    """Light-on-black ink ("L") written as its outline: its edge, ``line`` // 2 px thick, with paper inside."""
    return ImageChops.subtract(ink, ink.filter(ImageFilter.MinFilter(line)))


def photo_of_digits(
    glyphs: list[np.ndarray], settings: PhotoSettings, rng: np.random.Generator
) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """A photo- or scan-like image of ``glyphs`` (white-on-black uint8 arrays) written in a row.

    Dark ink on light paper with a lighting gradient, optional ruled lines, noise and blur. The result is
    an RGB, L or RGBA image (RGBA: transparent paper, opaque ink), with each glyph's box (left, top, right,
    bottom); EXIF orientation is applied by ``save_photo``.
    """
    width, height = settings.canvas
    ink, boxes = _ink_layer(glyphs, settings, rng)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xs / width + np.sin(angle) * ys / height) * settings.gradient
    paper = settings.paper - settings.gradient / 2 + ramp
    if settings.ruled_lines:
        spacing = max(6, height // 8)
        for row in range(int(rng.integers(2, spacing)), height, spacing):
            paper[row : row + max(1, height // 300)] -= 60
    tint = np.array([1.0, 1.0, 1.0]) if settings.mode == "L" else rng.uniform(0.9, 1.0, 3)
    ink_rgb = np.array([settings.ink, settings.ink, settings.ink + rng.integers(0, 80)], np.float32)
    if settings.blur:
        blurred = Image.fromarray((ink * 255).astype(np.uint8)).filter(
            ImageFilter.GaussianBlur(settings.blur * max(1, height / 300))
        )
        ink = np.asarray(blurred, np.float32) / 255.0
    rgb = paper[..., None] * tint * (1 - ink[..., None]) + ink_rgb * ink[..., None]
    rgb = rgb + rng.normal(0, settings.noise, rgb.shape)
    pixels = np.clip(rgb, 0, 255).astype(np.uint8)
    if settings.mode == "RGBA":
        alpha = np.clip(ink * 255 * 1.5, 0, 255).astype(np.uint8)
        dark = np.broadcast_to(ink_rgb.astype(np.uint8), pixels.shape)
        return Image.fromarray(np.dstack([dark, alpha]), "RGBA"), boxes
    image = Image.fromarray(pixels, "RGB")
    return (image.convert("L") if settings.mode == "L" else image), boxes


_UNDO_ORIENTATION = {
    1: None,
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}


def save_photo(image: Image.Image, path, settings: PhotoSettings) -> None:
    """Save as a camera would: pixels stored rotated, with an EXIF orientation tag; JPEG, or PNG for RGBA."""
    transpose = _UNDO_ORIENTATION[settings.exif_orientation]
    stored = image.transpose(transpose) if transpose is not None else image
    exif = Image.Exif()
    exif[0x0112] = settings.exif_orientation
    if image.mode == "RGBA":
        stored.save(path, format="PNG", exif=exif)
    else:
        stored.save(path, format="JPEG", quality=settings.jpeg_quality, exif=exif)

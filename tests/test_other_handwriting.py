"""Inputs made the way other people make them: tight crops, unnormalised 28x28 images, bold marker strokes.

Each test generates its images on the spot (real MNIST test digits from ``data/samples/``, or digits drawn with
Pillow's font) and checks what a user sees: the digit the committed model reads, or "no digit found".
"""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from digits.arrays import label_components, stroke_width
from digits.predict import load_predictor, predict_arrays, predict_gray
from digits.preprocess import NoDigitFound, is_mnist_style, preprocess_digit
from tests.conftest import ROOT, run_script

SAMPLES = ROOT / "data" / "samples"


@pytest.fixture(scope="module")
def predictor():
    return load_predictor()


def read(predictor, gray: np.ndarray):
    """The digit the product answers for a grey image (None for "no digit found")."""
    return predict_gray(predictor, gray, Path("test")).digit


def sample(digit: int) -> np.ndarray:
    """A real MNIST test digit (28x28, light on black) shipped in data/samples/."""
    return np.asarray(Image.open(SAMPLES / f"{digit}.jpg").convert("L"))


def ink_box(gray: np.ndarray, level: int = 40) -> np.ndarray:
    rows, cols = np.flatnonzero(gray.max(axis=1) > level), np.flatnonzero(gray.max(axis=0) > level)
    return gray[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def resized(gray: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(Image.fromarray(gray).resize((width, height), Image.Resampling.LANCZOS))


def font_digit(digit: int, stroke: int, size: int = 90, canvas: int = 160) -> np.ndarray:
    """A digit drawn with Pillow's font: dark ink on white paper; ``stroke`` widens the pen like a marker."""
    image = Image.new("L", (canvas, canvas), 245)
    font = ImageFont.load_default(size=size)
    ImageDraw.Draw(image).text(
        (canvas / 2, canvas / 2), str(digit), fill=20, font=font, anchor="mm", stroke_width=stroke, stroke_fill=20
    )
    return np.asarray(image.filter(ImageFilter.GaussianBlur(0.8)))


@pytest.mark.parametrize("digit", range(10))
def test_tight_crop_touching_all_four_sides_is_read(predictor, digit):
    # A 16x16 crop stretched to fill the frame, light ink on black, as classic digit collections deliver them.
    box = ink_box(sample(digit))
    crop = resized(box, max(2, round(16 * box.shape[1] / box.shape[0])), 16)
    assert min(crop[0].max(), crop[-1].max(), crop[:, 0].max(), crop[:, -1].max()) > 40
    assert read(predictor, crop) == digit


@pytest.mark.parametrize("digit", [0, 3, 5, 8])
def test_thick_tight_crop_is_never_blank(predictor, digit):
    # A bold digit cropped to its box: more than half of the frame is ink.
    bold = ink_box(255 - font_digit(digit, stroke=7))
    crop = resized(bold, 15, 16)
    assert (crop > 127).mean() > 0.4
    assert read(predictor, crop) is not None


@pytest.mark.parametrize("corner", ["top-left", "top-right", "bottom-left", "bottom-right", "centre-small"])
@pytest.mark.parametrize("digit", [2, 4, 7])
def test_small_or_off_centre_28x28_digit_is_normalised(predictor, digit, corner):
    small = resized(ink_box(sample(digit)), 10, 12)
    frame = np.zeros((28, 28), np.uint8)
    top = {"top": 0, "bottom": 16}.get(corner.split("-")[0], 8)
    left = {"left": 0, "right": 18}.get(corner.split("-")[-1], 9)
    frame[top : top + 12, left : left + 10] = small
    assert not is_mnist_style(frame)
    assert read(predictor, frame) == digit


@pytest.mark.parametrize("digit", [0, 2, 3, 5, 6, 9])
def test_28x28_digit_filling_the_frame_is_normalised(predictor, digit):
    filling = resized(ink_box(sample(digit)), 28, 28)
    assert not is_mnist_style(filling)
    assert read(predictor, filling) == digit


def test_mnist_digits_still_pass_through_unchanged():
    for digit in range(10):
        image = sample(digit)
        assert is_mnist_style(image)
        assert np.array_equal(preprocess_digit(image), image)


OWN_LOOPS = {0: 1, 3: 0, 5: 0}
"""The loops each digit has when its gaps are open (a 5's bowl does not touch its stem)."""


def loops(ink: np.ndarray) -> int:
    return label_components(np.pad(~ink, 1, constant_values=True))[1] - 1


@pytest.mark.parametrize("digit", [3, 5, 0])
def test_bold_marker_digit_is_not_read_as_8(predictor, digit):
    # The boldest marker, up to a stroke a quarter of the digit's height, that leaves the digit's gaps open:
    # bolder than that, Pillow's 5 closes its bowl onto its stem and is a 6 in all but the notch.
    stroke = max(s for s in range(1, 6) if loops(font_digit(digit, s) < 128) == OWN_LOOPS[digit])
    ink = font_digit(digit, stroke) < 128
    rows = np.flatnonzero(ink.any(axis=1))
    assert stroke_width(ink) / (rows[-1] - rows[0] + 1) > 0.18  # MNIST's stroke is 0.13-0.15 of the height
    assert read(predictor, font_digit(digit, stroke)) == digit


def paper_texture(rng: np.random.Generator, size=(240, 320)) -> np.ndarray:
    """Fibres and blotches of paper: smooth low-contrast variation, no ink."""
    grain = Image.fromarray(rng.uniform(0, 255, size).astype(np.uint8)).filter(ImageFilter.GaussianBlur(4))
    texture = 215 + 0.35 * (np.asarray(grain, np.float64) - 128) + rng.normal(0, 2, size)
    return np.clip(texture, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    "kind", ["blank", "uniform dark", "sensor noise", "tiny noise", "specks", "tiny specks", "paper texture"]
)
def test_images_without_ink_have_no_digit(kind):
    rng = np.random.default_rng(7)
    images = {
        "blank": np.full((240, 320), 230, np.uint8),
        "uniform dark": np.full((28, 28), 0, np.uint8),
        "sensor noise": np.clip(200 + rng.normal(0, 8, (240, 320)), 0, 255).astype(np.uint8),
        "tiny noise": np.clip(128 + rng.normal(0, 30, (16, 16)), 0, 255).astype(np.uint8),
        "specks": np.where(rng.random((240, 320)) < 0.002, 30, 230).astype(np.uint8),
        "tiny specks": np.where(np.arange(256).reshape(16, 16) == 77, 30, 230).astype(np.uint8),
        "paper texture": paper_texture(rng),
    }
    with pytest.raises(NoDigitFound):
        preprocess_digit(images[kind])


def test_shift_averaging_gives_one_probability_row_per_digit(predictor):
    digits = np.stack([sample(d) for d in range(10)])
    probabilities = predict_arrays(predictor, digits)
    assert probabilities.shape == (10, 10)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
    assert list(probabilities.argmax(axis=1)) == list(range(10))


def test_cli_reads_a_tight_crop_instead_of_no_digit(tmp_path):
    crop = resized(ink_box(255 - font_digit(4, stroke=5)), 16, 16)
    Image.fromarray(crop).save(tmp_path / "crop.png")
    result = run_script("CNN_usage.py", str(tmp_path / "crop.png"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{tmp_path / 'crop.png'}: 4 ")

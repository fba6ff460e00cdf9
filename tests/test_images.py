"""Reading image files safely and turning them into the network's 28x28 input."""

import numpy as np
import pytest
from PIL import Image

from digits.errors import DigitsError
from digits.images import collect_image_paths, load_digit_array, read_image, to_grayscale, to_model_input
from tests.conftest import ROOT

SAMPLES = ROOT / "data" / "samples"

EXPECTED_PROBLEM = {
    "missing": "no such file",
    "not an image": "not an image",
    "empty file": "empty file",
    "truncated": "truncated or corrupt",
    "corrupt jpeg": "corrupt",
    "bomb": "decompression bomb",
}


@pytest.mark.parametrize("kind", sorted(EXPECTED_PROBLEM))
def test_bad_file_gives_one_line_naming_file_and_problem(bad_inputs, kind):
    with pytest.raises(DigitsError) as caught:
        load_digit_array(bad_inputs[kind])
    message = str(caught.value)
    assert message.startswith(str(bad_inputs[kind]))
    assert EXPECTED_PROBLEM[kind] in message
    assert "\n" not in message


def test_bomb_between_limit_and_twice_limit_is_refused_too(tmp_path):
    from tests.conftest import png_header_only

    path = tmp_path / "big.png"
    path.write_bytes(png_header_only(9_000, 9_000))  # 81 MP: PIL itself would only warn
    with pytest.raises(DigitsError, match=r"9000x9000.*decompression bomb"):
        read_image(path)


def test_mnist_style_image_passes_through_unchanged(tmp_path):
    from tests.synthetic import synthetic_mnist

    images, _ = synthetic_mnist(per_class=1)
    Image.fromarray(images[3]).save(tmp_path / "three.png")
    assert np.array_equal(load_digit_array(tmp_path / "three.png"), images[3])


def test_any_size_and_mode_becomes_28x28_gray(tmp_path):
    from tests.synthetic import tight_glyph

    glyph = np.pad(tight_glyph(4, np.random.default_rng(0)), 12)
    ink_on_paper = 255 - glyph
    Image.fromarray(ink_on_paper).convert("RGB").save(tmp_path / "rgb.jpg")
    Image.fromarray(ink_on_paper.astype(np.uint16) * 200).save(tmp_path / "deep.png")  # 16-bit grey
    Image.fromarray(ink_on_paper).convert("CMYK").save(tmp_path / "print.jpg")
    Image.fromarray(ink_on_paper).quantize(16).save(tmp_path / "palette.png")
    for name in ("rgb.jpg", "deep.png", "print.jpg", "palette.png"):
        array = load_digit_array(tmp_path / name)
        assert array.shape == (28, 28) and array.dtype == np.uint8
        assert array[0, 0] == 0 and array.max() == 255  # light digit on black, as MNIST


def test_transparent_background_counts_as_white_paper(tmp_path):
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[10:18, 12:16] = (0, 0, 0, 255)  # opaque black ink, the rest fully transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "ink.png")
    gray = to_grayscale(read_image(tmp_path / "ink.png"))
    assert gray[0, 0] == 255 and gray[12, 13] == 0


def test_exif_orientation_is_applied(tmp_path):
    array = np.zeros((20, 40), np.uint8)
    array[:, :5] = 255  # a bright stripe on the left edge of a landscape image
    image = Image.fromarray(array)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    image.save(tmp_path / "rotated.jpg", exif=exif, quality=100)
    shown = read_image(tmp_path / "rotated.jpg")
    assert shown.size == (20, 40)
    assert np.asarray(shown)[:5].mean() > 200  # the stripe is now along the top edge


def test_model_input_is_float_in_unit_range():
    batch = to_model_input(np.array([[[0, 255]]], np.uint8))
    assert batch.dtype == np.float32 and batch.shape == (1, 1, 2, 1)
    assert batch.min() == 0.0 and batch.max() == 1.0


def test_collect_expands_folders_recursively_and_reports_problems(tmp_path, bad_inputs):
    nested = tmp_path / "scans" / "week1"
    nested.mkdir(parents=True)
    for name in ("b.png", "a.jpg", "notes.txt"):
        (nested / name).write_bytes(b"x")
    files, problems = collect_image_paths([tmp_path / "scans", bad_inputs["missing"], bad_inputs["empty folder"]])
    assert [f.name for f in files] == ["a.jpg", "b.png"]
    assert len(problems) == 2
    assert "no such file" in str(problems[0]) and "no image files" in str(problems[1])


@pytest.mark.parametrize("size", [(4000, 3000), (6000, 4500), (3000, 4000)])
def test_large_jpeg_is_never_decoded_at_full_size(tmp_path, monkeypatch, size):
    # A phone photo: the decoder must produce a reduced image straight away (JPEG draft mode), which is what
    # keeps a 12 MP photo fast and its memory small, and the digit on it must still be found where it is.
    from PIL import ImageFile

    from digits.constants import ANALYSIS_MAX_SIDE
    from digits.images import read_gray

    photo = Image.new("RGB", size, (235, 230, 220))
    digit = Image.open(SAMPLES / "7.jpg").convert("L").resize((size[0] // 4, size[0] // 4))
    ink = Image.eval(digit, lambda value: 255 - value)
    photo.paste(Image.merge("RGB", [ink] * 3), (size[0] // 2, size[1] // 3), mask=digit)
    photo.save(tmp_path / "photo.jpg", quality=90)

    decoded_sizes = []
    load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: (decoded_sizes.append(image.size), load(image))[1])
    gray, scale = read_gray(tmp_path / "photo.jpg")

    assert decoded_sizes and max(max(s) for s in decoded_sizes) <= max(size) // 2
    assert max(gray.shape) <= ANALYSIS_MAX_SIDE
    assert scale == pytest.approx(max(size) / max(gray.shape))
    rows, cols = np.nonzero(gray < 128)
    assert abs(cols.mean() * scale - (size[0] // 2 + size[0] // 8)) < size[0] / 20


def test_a_single_digit_photo_is_decoded_smaller_than_a_number_and_still_read(tmp_path, monkeypatch):
    # One digit is read at 80 px, so a 12 MP photo of it is decoded at an eighth of its size (a quarter of the
    # work of the number reader's half size), and the 7 on it is still read as 7.
    from PIL import ImageFile

    from digits.predict import load_predictor, predict_arrays
    from digits.preprocess import DIGIT_MAX_SIDE

    photo = Image.new("RGB", (4000, 3000), (235, 230, 220))
    digit = Image.open(SAMPLES / "7.jpg").convert("L").resize((1000, 1000))
    photo.paste(Image.merge("RGB", [Image.eval(digit, lambda value: 255 - value)] * 3), (1500, 1000), mask=digit)
    photo.save(tmp_path / "photo.jpg", quality=90)
    decoded_sizes = []
    load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: (decoded_sizes.append(image.size), load(image))[1])

    frame = load_digit_array(tmp_path / "photo.jpg")

    assert set(decoded_sizes) == {(1000, 750)} and DIGIT_MAX_SIDE < 1000
    assert predict_arrays(load_predictor(threads=1), frame[np.newaxis]).argmax() == 7


@pytest.mark.parametrize(
    ("size", "decoded"), [((800, 200), (800, 200)), ((1400, 300), (700, 150)), ((1024, 768), (512, 384))]
)
def test_a_wide_strip_of_one_digit_keeps_its_height(tmp_path, monkeypatch, size, decoded):
    # The decoding limit bounds the work, which grows with the pixels: a strip (a cell cut from a form's row) with
    # fewer pixels than a 640x480 photo is decoded whole, not halved because its longer side is over 640, so its
    # digit keeps its height (a hollow digit its thin outline); larger strips and 4:3 photos are reduced as before.
    from PIL import ImageFile

    from digits.images import decode_side, read_gray
    from digits.predict import load_predictor, predict_arrays

    photo = Image.new("L", size, 235)
    digit = Image.open(SAMPLES / "7.jpg").convert("L").resize((size[1] * 3 // 4,) * 2)
    photo.paste(Image.eval(digit, lambda value: 255 - value), (size[0] // 3, size[1] // 8))
    photo.save(tmp_path / "strip.jpg", quality=90)
    decoded_sizes = []
    load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: (decoded_sizes.append(image.size), load(image))[1])

    gray, _ = read_gray(tmp_path / "strip.jpg", decode_side(number=False))

    assert gray.shape[::-1] == decoded and max(max(s) for s in decoded_sizes) <= max(size)
    assert predict_arrays(load_predictor(threads=1), load_digit_array(tmp_path / "strip.jpg")[np.newaxis]).argmax() == 7

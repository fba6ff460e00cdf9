"""Reading any image file safely, and turning it into what the network was trained on.

Data flows one way: file -> ``read_image`` (a decoded PIL image, or a one-line DigitsError naming the file)
-> ``to_grayscale`` -> ``digits.preprocess`` (MNIST-style uint8 28x28) -> ``to_model_input`` (float32 in [0, 1]).
Training on folders and prediction both go through these functions, so they cannot disagree. No TensorFlow here.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digits.arrays import reduction_for
from digits.constants import ANALYSIS_MAX_SIDE, IMAGE_EXTENSIONS, MAX_IMAGE_PIXELS
from digits.errors import DigitsError
from digits.preprocess import DIGIT_MAX_SIDE, preprocess_digit

EXIF_ORIENTATION = 0x0112
ORIENTATIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""How to turn an image upright for each EXIF orientation (as ``ImageOps.exif_transpose`` does)."""

# PIL warns above this many pixels and refuses above twice as many; read_image refuses above it.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


def is_image_name(path: str | os.PathLike) -> bool:
    """True when the file name ends in one of the image extensions a folder scan picks up."""
    return str(path).lower().endswith(IMAGE_EXTENSIONS)


def read_image(path: str | os.PathLike) -> Image.Image:
    """Open and fully decode an image file, with EXIF orientation applied.

    Raises DigitsError, with the file name and the problem in one line, for a missing or empty file, a file
    that is not an image, truncated or corrupt image data, and images over ``MAX_IMAGE_PIXELS`` pixels
    (decompression bombs), which are refused before their pixels are decoded.
    """
    path = Path(path)
    _check_path(path)
    return decode_image(path, str(path))


def _check_path(path: Path) -> None:
    try:
        if not path.exists():
            raise DigitsError(f"{path}: no such file or directory")
        if path.is_dir():
            raise DigitsError(f"{path}: is a folder, not an image file")
    except OSError as error:
        raise access_error(path, error) from None


def access_error(path: Path, error: OSError) -> DigitsError:
    """The one-line error for a path the operating system would not let us read."""
    return DigitsError(f"{path}: cannot be read ({(error.strerror or str(error)).lower()})")


def decode_image(source, name: str, size: int | None = None) -> Image.Image:
    """Decode a path or binary stream safely, at full size; errors are DigitsErrors that start with ``name``."""
    return _decode(source, name, size, _loaded)


def decode_gray(
    source, name: str, size: int | None = None, max_side: int = ANALYSIS_MAX_SIDE
) -> tuple[np.ndarray, float]:
    """Decode a path or binary stream straight to uint8 grey levels, at reduced size when it is large.

    An image over ``max_side`` on its longer side (a wider one than 4:3: with more pixels than a 4:3 photo of that
    side, ``reduction_factor``) is decoded at reduced size (JPEG's draft mode,
    which never builds the full-size pixels) or reduced right after decoding, before any conversion, so memory
    and time per image stay bounded. Returns the grey image and its scale (original pixels per returned pixel,
    to map boxes back). Every failure of opening, decoding or converting is a one-line DigitsError naming
    ``name``.
    """
    return _decode(source, name, size, lambda image: _reduced_gray(image, max_side))


def reduction_factor(width: int, height: int, max_side: int) -> int:
    """The whole factor an image is reduced by when decoded (``digits.arrays.reduction_for``): a 4:3 photo or a
    squarer image to ``max_side`` on its longer side, a wider one to a 4:3 photo's pixels."""
    return int(np.ceil(reduction_for((height, width), max_side) - 1e-9))


def _reduced_gray(image: Image.Image, max_side: int) -> tuple[np.ndarray, float]:
    original = max(image.size)
    orientation = image.getexif().get(EXIF_ORIENTATION, 1)
    if image.format == "JPEG":
        # Only the brightness is decoded (a colour JPEG stores it apart from the colour), and a large photo at
        # 1/2, 1/4 or 1/8 of its size: draft() picks the largest of those whose sides are whole multiples of the
        # requested ones, so the request is the original divided by a whole factor.
        factor = reduction_factor(*image.size, max_side)
        image.draft("L", (image.width // factor, image.height // factor) if factor > 1 else None)
    image.load()
    factor = reduction_factor(*image.size, max_side)
    if factor > 1:  # reduce before any conversion or rotation, so no full-size copy is ever made
        try:
            image = image.reduce(factor)
        except ValueError:  # modes reduce() does not take (palette, bilevel, CMYK, ...)
            image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
            image = image.reduce(factor)
    transpose = ORIENTATIONS.get(orientation)
    if transpose is not None:
        image = image.transpose(transpose)
    gray = to_grayscale(image)
    return gray, original / max(gray.shape)


def _loaded(image: Image.Image) -> Image.Image:
    image.load()
    return ImageOps.exif_transpose(image)


def _decode(source, name: str, size: int | None, finish):
    """Open ``source``, refuse empty files and decompression bombs before decoding, then ``finish(image)``;
    every error on the way becomes a DigitsError that starts with ``name``."""
    try:
        size = size if size is not None else Path(source).stat().st_size
    except OSError as error:
        raise access_error(Path(name), error) from None
    if size == 0:
        raise DigitsError(f"{name}: empty file (0 bytes)")
    too_large = f"{name}: image too large to decode safely (limit {MAX_IMAGE_PIXELS:,} pixels); refused as a possible decompression bomb"
    try:
        with warnings.catch_warnings():
            # Decoder plugins warn about what they skip in a damaged file (bad EXIF, oversized tags): the image
            # is still read, and the user's output stays one line per file.
            warnings.simplefilter("ignore")
            with Image.open(source) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise DigitsError(too_large.replace("(limit", f"({image.width}x{image.height}, limit"))
                return finish(image)
    except DigitsError:
        raise
    except Image.DecompressionBombError:
        raise DigitsError(too_large) from None
    except UnidentifiedImageError:
        raise DigitsError(f"{name}: not an image, or an image format that cannot be read") from None
    except PermissionError as error:
        raise access_error(Path(name), error) from None
    except (OSError, SyntaxError, EOFError) as error:
        raise DigitsError(f"{name}: truncated or corrupt image data ({_short(error)})") from None
    except ValueError as error:
        raise DigitsError(f"{name}: an image Pillow can open but not convert or decode ({_short(error)})") from None
    except MemoryError:
        raise DigitsError(f"{name}: not enough memory to decode this image") from None
    except Exception as error:  # a decoder plugin's own failure on hostile bytes: still "cannot read this file"
        raise DigitsError(f"{name}: corrupt image data ({type(error).__name__}: {_short(error)})") from None


def _short(error: BaseException) -> str:
    return " ".join(str(error).split())[:200]


def to_grayscale(image: Image.Image) -> np.ndarray:
    """Any PIL image -> uint8 (H, W) gray levels.

    Transparency is flattened onto white (a transparent background is paper, not ink); 16-bit and float images
    are rescaled from their own range rather than clipped.
    """
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = np.asarray(image, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        scale = 255.0 / (high - low) if high > low else 0.0
        return np.rint((values - low) * scale).astype(np.uint8)
    return np.asarray(image if image.mode == "L" else image.convert("L"), dtype=np.uint8)


def decode_side(number: bool) -> int:
    """The longer side an image is decoded at, at most (a wider one than 4:3 keeps its height: ``reduction_factor``):
    ``ANALYSIS_MAX_SIDE`` for a number, whose digits are small parts of the image, ``DIGIT_MAX_SIDE`` for one
    digit (read at 80 px). The one place this choice is made."""
    return ANALYSIS_MAX_SIDE if number else DIGIT_MAX_SIDE


def read_gray(path: str | os.PathLike, max_side: int = ANALYSIS_MAX_SIDE) -> tuple[np.ndarray, float]:
    """Read an image file as uint8 grey levels (reduced when large) and its scale; see ``decode_gray``."""
    path = Path(path)
    _check_path(path)
    return decode_gray(path, str(path), max_side=max_side)


def read_gray_bytes(data: bytes, name: str = "upload", max_side: int = ANALYSIS_MAX_SIDE) -> tuple[np.ndarray, float]:
    """Like ``read_gray``, for an image held in memory (an HTTP upload); ``name`` appears in errors."""
    return decode_gray(io.BytesIO(data), name, len(data), max_side)


def load_digit_array(path: str | os.PathLike) -> np.ndarray:
    """Read an image file of one digit -> MNIST-style uint8 (28, 28) (see ``digits.preprocess``).

    Raises DigitsError naming the file when it cannot be read, and NoDigitFound when it holds no digit.
    """
    return preprocess_digit(read_gray(path, decode_side(number=False))[0])


def to_model_input(digits_uint8: np.ndarray) -> np.ndarray:
    """uint8 (..., 28, 28) -> float32 (..., 28, 28, 1) in [0, 1], the network's input."""
    return (np.asarray(digits_uint8, dtype=np.float32) / 255.0)[..., np.newaxis]


def collect_image_paths(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[DigitsError]]:
    """Expand files and folders (recursively) into image files, keeping the order given.

    Returns the files and the problems: a path that does not exist, or a folder holding no image files.
    A file named explicitly is always returned, whatever its extension; in folders only image names count.
    """
    files: list[Path] = []
    problems: list[DigitsError] = []
    for raw in paths:
        path = Path(raw)
        try:
            if path.is_dir():
                os.listdir(path)  # rglob skips folders it may not read without a word: ask once, loudly
                found = sorted(p for p in path.rglob("*") if p.is_file() and is_image_name(p))
                if not found:
                    extensions = ", ".join(IMAGE_EXTENSIONS[:4])
                    problems.append(DigitsError(f"{path}: folder holds no image files ({extensions}, ...)"))
                files.extend(found)
            elif path.exists():
                files.append(path)
            else:
                problems.append(DigitsError(f"{path}: no such file or directory"))
        except OSError as error:
            problems.append(access_error(path, error))
    return files, problems

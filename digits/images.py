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

from digits.constants import IMAGE_EXTENSIONS, MAX_IMAGE_PIXELS
from digits.errors import DigitsError
from digits.preprocess import preprocess_digit

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
    try:
        if not path.exists():
            raise DigitsError(f"{path}: no such file or directory")
        if path.is_dir():
            raise DigitsError(f"{path}: is a folder, not an image file")
    except OSError as error:
        raise access_error(path, error) from None
    return decode_image(path, str(path))


def access_error(path: Path, error: OSError) -> DigitsError:
    """The one-line error for a path the operating system would not let us read."""
    return DigitsError(f"{path}: cannot be read ({(error.strerror or str(error)).lower()})")


def read_image_bytes(data: bytes, name: str = "upload") -> Image.Image:
    """Like ``read_image``, for an image held in memory (an HTTP upload); ``name`` appears in errors."""
    return decode_image(io.BytesIO(data), name, len(data))


def decode_image(source, name: str, size: int | None = None) -> Image.Image:
    """Decode a path or binary stream safely; errors are DigitsErrors that start with ``name``."""
    try:
        size = size if size is not None else Path(source).stat().st_size
    except OSError as error:
        raise access_error(Path(name), error) from None
    if size == 0:
        raise DigitsError(f"{name}: empty file (0 bytes)")
    too_large = f"{name}: image too large to decode safely (limit {MAX_IMAGE_PIXELS:,} pixels); refused as a possible decompression bomb"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(source)
        with opened as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise DigitsError(too_large.replace("(limit", f"({image.width}x{image.height}, limit"))
            image.load()
            return ImageOps.exif_transpose(image)
    except Image.DecompressionBombError:
        raise DigitsError(too_large) from None
    except UnidentifiedImageError:
        raise DigitsError(f"{name}: not an image, or an image format that cannot be read") from None
    except PermissionError as error:
        raise access_error(Path(name), error) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise DigitsError(f"{name}: truncated or corrupt image data ({error})") from None


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
    return np.asarray(image.convert("L"), dtype=np.uint8)


def load_digit_array(path: str | os.PathLike) -> np.ndarray:
    """Read an image file of one digit -> MNIST-style uint8 (28, 28) (see ``digits.preprocess``).

    Raises DigitsError naming the file when it cannot be read, and NoDigitFound when it holds no digit.
    """
    return preprocess_digit(to_grayscale(read_image(path)))


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

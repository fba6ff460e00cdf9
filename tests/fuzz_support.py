"""Hostile image bytes for the fuzz test and ``benchmarks/fuzz.py``: valid files of every format, mutated.

Seeds are small valid images (PNG, JPEG, TIFF, GIF, BMP, WebP, in several modes) made from a real digit; a
mutation flips, inserts or deletes bytes, truncates, or patches the declared dimensions to huge values.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "samples" / "7.jpg"
FORMATS = ("PNG", "JPEG", "TIFF", "GIF", "BMP", "WEBP")
MODES = ("L", "RGB", "RGBA", "P", "1", "I;16", "CMYK", "LAB")


def seed_images() -> list[tuple[str, bytes]]:
    """(name, bytes) of valid images: each format in each mode it can store, small and large canvases."""
    digit = Image.open(SAMPLE).convert("L")
    seeds = []
    for size in (28, 200):
        base = digit.resize((size, size))
        for mode in MODES:
            try:
                image = base.convert(mode) if mode not in ("I;16", "LAB") else _special(base, mode)
            except ValueError:
                continue
            for fmt in FORMATS:
                buffer = io.BytesIO()
                try:
                    image.save(buffer, format=fmt)
                except (OSError, ValueError, KeyError):
                    continue
                seeds.append((f"{size}-{mode}.{fmt.lower()}", buffer.getvalue()))
    return seeds


def _special(base: Image.Image, mode: str) -> Image.Image:
    if mode == "I;16":
        return Image.fromarray((np.asarray(base, np.uint16) * 257).astype(np.uint16))
    return Image.new("LAB", base.size, (50, 0, 0))


def huge_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid PNG header declaring a huge image (with a correct CRC), followed by a tiny data chunk."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + header
    data = zlib.compress(b"\x00" * 64)
    idat = b"IDAT" + data
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(header))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + struct.pack(">I", len(data))
        + idat
        + struct.pack(">I", zlib.crc32(idat))
    )


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One random mutation of ``data``: flipped bytes, a truncation, an insertion, a deletion, or patched
    dimension fields (the first 4-byte words after the header, set to huge values)."""
    kind = int(rng.integers(6))
    array = bytearray(data)
    if kind == 0:
        for _ in range(int(rng.integers(1, 16))):
            array[int(rng.integers(len(array)))] = int(rng.integers(256))
    elif kind == 1:
        array = array[: int(rng.integers(1, len(array)))]
    elif kind == 2:
        at = int(rng.integers(len(array)))
        array[at:at] = rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
    elif kind == 3:
        at = int(rng.integers(len(array)))
        del array[at : at + int(rng.integers(1, 64))]
    elif kind == 4:
        for at in range(8, min(40, len(array) - 4), 4):
            if rng.random() < 0.3:
                array[at : at + 4] = struct.pack(">I", int(rng.choice([0, 1, 65535, 100_000, 2**31 - 1, 2**32 - 1])))
    else:
        array = bytearray(huge_png(int(rng.integers(1, 2**31)), int(rng.integers(1, 2**31))))
    return bytes(array)

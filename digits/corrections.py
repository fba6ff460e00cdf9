"""Samples of a user's own handwriting, collected for fine-tuning: what the network saw, and the original.

A correction (from the drawing page or ``CNN_usage.py --collect DIR --label D``) stores, under ``DIR/<digit>/``:

- ``<name>.png``: the 28x28 network input, exactly as the network saw it (what fine-tuning trains on);
- ``<name>.original.png``: the image it came from, in grey, reduced to at most ``ORIGINAL_MAX_SIDE`` pixels.

``<name>`` is made here (time and random hex), never taken from the client; each file is written atomically. A
folder holds at most ``MAX_SAMPLES_PER_DIGIT`` samples per digit, so a flood of corrections cannot fill the disk.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from digits.atomic import atomic_path
from digits.constants import CLASS_NAMES, IMAGE_SIZE
from digits.errors import DigitsError

MAX_SAMPLES_PER_DIGIT = 2000
"""Samples one digit's folder may hold: far more than fine-tuning needs (20 per digit already help)."""
ORIGINAL_MAX_SIDE = 1024
"""Originals are kept reduced to this longer side: enough to look at, bounded on disk (about 1 MB at most)."""
ORIGINAL_MARK = ".original"


class FolderFull(DigitsError):
    """A digit's folder holds as many samples as it may."""


@dataclass(frozen=True)
class StoredSample:
    """Where one collected sample went."""

    label: int
    network_input: Path
    original: Path | None
    count: int
    """Samples of this digit in the folder, this one included."""

    def to_json(self, root: Path) -> dict:
        relative = {"network_input": str(self.network_input.relative_to(root))}
        if self.original is not None:
            relative["original"] = str(self.original.relative_to(root))
        return {"stored": {"label": self.label, **relative}, "count": self.count}


def parse_label(value) -> int:
    """A digit label 0-9 from a flag or a query string; anything else is a DigitsError."""
    text = str(value).strip()
    if text not in CLASS_NAMES:
        raise DigitsError(f"label {text[:20]!r}: must be one digit, 0 to 9")
    return int(text)


def sample_files(folder: Path) -> list[tuple[Path, int]]:
    """The network inputs collected under ``folder/<digit>/`` (originals left out), with their labels, in order."""
    folder = Path(folder)
    return [
        (path, label) for label, name in enumerate(CLASS_NAMES) for path in sorted(network_inputs_in(folder / name))
    ]


def load_samples(folder: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """Every collected network input as uint8 (N, 28, 28), the int64 labels, and a SHA-256 of both (which the
    fine-tuned model's metadata names). Raises DigitsError when there is none or one is not a 28x28 grey PNG."""
    files = sample_files(folder)
    if not files:
        raise DigitsError(f"{folder}: no collected samples (expected {folder}/<digit>/*.png)")
    images = []
    for path, _ in files:
        try:
            with Image.open(path) as image:
                array = np.asarray(image.convert("L"), dtype=np.uint8)
        except (OSError, ValueError) as error:
            raise DigitsError(f"{path}: not a readable PNG ({error})") from None
        if array.shape != (IMAGE_SIZE, IMAGE_SIZE):
            raise DigitsError(
                f"{path}: a sample must be the 28x28 network input, this is {array.shape[1]}x{array.shape[0]}"
            )
        images.append(array)
    stacked, labels = np.stack(images), np.array([label for _, label in files], dtype=np.int64)
    digest = hashlib.sha256(stacked.tobytes())
    digest.update(labels.tobytes())
    return stacked, labels, digest.hexdigest()


def store_sample(
    folder: Path,
    label: int,
    network_input: np.ndarray,
    original_gray: np.ndarray | None = None,
    limit: int = MAX_SAMPLES_PER_DIGIT,
) -> StoredSample:
    """Store one sample of ``label`` (see the module docstring); FolderFull when the digit already has ``limit``."""
    if not 0 <= int(label) <= 9:
        raise DigitsError(f"label {label!r}: must be one digit, 0 to 9")
    if network_input.shape != (IMAGE_SIZE, IMAGE_SIZE) or network_input.dtype != np.uint8:
        raise ValueError(f"expected the uint8 28x28 network input, got {network_input.dtype} {network_input.shape}")
    target = Path(folder) / CLASS_NAMES[label]
    target.mkdir(parents=True, exist_ok=True)
    count = sum(1 for _ in network_inputs_in(target))
    if count >= limit:
        raise FolderFull(f"{target}: full ({limit} samples of {label}); fine-tune on them and start a new folder")
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(6)}"
    original = None
    if original_gray is not None:
        image = Image.fromarray(original_gray)
        image.thumbnail((ORIGINAL_MAX_SIDE, ORIGINAL_MAX_SIDE))
        original = target / f"{name}{ORIGINAL_MARK}.png"
        with atomic_path(original) as temp:
            image.save(temp, format="PNG")
    stored = target / f"{name}.png"
    with atomic_path(stored) as temp:
        Image.fromarray(network_input).save(temp, format="PNG")
    return StoredSample(label, stored, original, count + 1)


def network_inputs_in(digit_folder: Path) -> Iterator[Path]:
    """The 28x28 samples in one digit's folder (not the originals beside them)."""
    return (p for p in digit_folder.glob("*.png") if not p.name.endswith(ORIGINAL_MARK + ".png"))

"""Loading labelled image folders (``<root>/<class>/<image>``) into uint8 arrays, with an on-disk cache.

Each image is decoded once through ``digits.images`` (the same path prediction uses), on all cores for large
folders (joblib). Unreadable files are reported by name and skipped. The decoded arrays are cached as an ``.npz`` (no pickle) keyed by the folder's
listing, sizes and modification times, so a second run skips decoding and a changed folder is read again.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digits.atomic import atomic_path
from digits.constants import CLASS_NAMES, IMAGE_SIZE, TESTING_DIR_NAMES, TRAINING_DIR_NAMES
from digits.errors import DigitsError
from digits.images import is_image_name, load_digit_array
from digits.preprocess import NoDigitFound
from digits.results import Failure

CACHE_FORMAT_VERSION = "3"  # bump whenever preprocessing changes what an image decodes to


@dataclass
class LabelledImages:
    """Images uint8 (N, 28, 28), labels int64 (N,), their file paths, and the files that could not be read."""

    images: np.ndarray
    labels: np.ndarray
    paths: list[Path]
    failures: list[Failure] = field(default_factory=list)

    def checksum(self) -> str:
        """SHA-256 of the decoded pixels and labels: identifies the data a model was trained on."""
        digest = hashlib.sha256(np.ascontiguousarray(self.images).tobytes())
        digest.update(np.ascontiguousarray(self.labels).tobytes())
        return digest.hexdigest()


def list_labelled_files(root: Path) -> list[tuple[Path, int]]:
    """All image files under ``root/<class name>/`` (recursively), with their class index, in a stable order.

    Raises DigitsError when ``root`` is missing or has none of the class sub-folders 0-9.
    """
    root = Path(root)
    if not root.is_dir():
        raise DigitsError(f"{root}: no such folder")
    class_dirs = [(root / name, index) for index, name in enumerate(CLASS_NAMES) if (root / name).is_dir()]
    if not class_dirs:
        raise DigitsError(f"{root}: expected sub-folders named {', '.join(CLASS_NAMES)} (one per digit), found none")
    return [
        (path, index)
        for folder, index in class_dirs
        for path in sorted(folder.rglob("*"))
        if path.is_file() and is_image_name(path)
    ]


def _listing_key(files: list[tuple[Path, int]], root: Path) -> str:
    digest = hashlib.sha256(CACHE_FORMAT_VERSION.encode())
    for path, label in files:
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}\0{label}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def load_labelled_folder(root: Path, cache_dir: Path | None = None, progress: bool = True) -> LabelledImages:
    """Decode every image under ``root/<0-9>/`` into a LabelledImages; skip and record unreadable files.

    With ``cache_dir``, reuse (or write) a cache of the decoded arrays for exactly this folder state.
    Raises DigitsError when the folder holds no usable image.
    """
    root = Path(root)
    files = list_labelled_files(root)
    cache_file = None
    if cache_dir is not None and files:
        cache_file = Path(cache_dir) / f"{root.name.replace(' ', '_')}-{_listing_key(files, root)}.npz"
        if cache_file.is_file():
            return _read_cache(cache_file, root)

    from tqdm import tqdm

    images, labels, paths, failures = [], [], [], []
    decoded = decode_in_parallel([path for path, _ in files])
    for (path, label), outcome in tqdm(
        zip(files, decoded),
        total=len(files),
        desc=f"Reading {root.name}",
        unit="img",
        file=sys.stderr,
        disable=not progress,
        leave=False,
    ):
        if isinstance(outcome, Failure):
            failures.append(outcome)
            continue
        images.append(outcome)
        labels.append(label)
        paths.append(path)
    if not images:
        raise DigitsError(f"{root}: no usable images ({len(failures)} unreadable)")
    result = LabelledImages(np.stack(images), np.asarray(labels, dtype=np.int64), paths, failures)
    if cache_file is not None and not failures:
        _write_cache(cache_file, result, root)
    return result


def decode_file(path: Path) -> np.ndarray | Failure:
    """One labelled image as the network's 28x28 input, or the Failure that says why it cannot be used."""
    try:
        return load_digit_array(path)
    except DigitsError as error:
        return Failure(path, str(error))
    except NoDigitFound:
        return Failure(path, f"{path}: no digit found (blank image)")


PARALLEL_MIN_FILES = 2000
"""Folders smaller than this are decoded in this process: starting worker processes costs about a second."""
PARALLEL_BATCH = 256
"""Files handed to a worker process at a time: large enough that sending them back costs little."""


def decode_in_parallel(paths: list[Path]) -> Iterator[np.ndarray | Failure]:
    """``decode_file`` of every path, in order, on all cores (joblib's process pool) for large folders."""
    if len(paths) < PARALLEL_MIN_FILES or (os.cpu_count() or 1) < 2:
        return map(decode_file, paths)
    from joblib import Parallel, delayed

    return Parallel(n_jobs=-1, batch_size=PARALLEL_BATCH, return_as="generator")(
        delayed(decode_file)(path) for path in paths
    )


def _write_cache(cache_file: Path, data: LabelledImages, root: Path) -> None:
    relative = np.array([str(path.relative_to(root)) for path in data.paths])
    try:
        with atomic_path(cache_file) as temp:
            with open(temp, "wb") as stream:
                np.savez(stream, images=data.images, labels=data.labels, paths=relative)
    except OSError:
        pass  # a read-only data folder just means no cache


def _read_cache(cache_file: Path, root: Path) -> LabelledImages:
    with np.load(cache_file, allow_pickle=False) as npz:
        images, labels, relative = npz["images"], npz["labels"], npz["paths"]
    if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise DigitsError(f"{cache_file}: stale cache with images of shape {images.shape[1:]}; delete it")
    return LabelledImages(images, labels, [root / str(p) for p in relative])


def find_split_folders(data_dir: Path) -> tuple[Path, Path]:
    """The training and testing folders of ``data_dir``: ``training``/``testing`` or the two MNIST names."""
    data_dir = Path(data_dir)

    def pick(names: tuple[str, ...]) -> Path:
        for name in names:
            if (data_dir / name).is_dir():
                return data_dir / name
        raise DigitsError(f"{data_dir}: no {' or '.join(repr(n) for n in names)} folder")

    return pick(TRAINING_DIR_NAMES), pick(TESTING_DIR_NAMES)

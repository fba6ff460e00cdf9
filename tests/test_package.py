"""The package as a wheel: `pip install .` gives working `digits` and `digits-train` commands, away from the clone.

The wheel is built from this checkout and installed into a fresh virtual environment that borrows the already
installed dependencies (a path entry, so nothing is downloaded and the clone's editable install is not seen).
Then the commands run in an empty folder: no models/ there, no source checkout on the path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import ROOT
from tests.synthetic import synthetic_mnist


def run(command: list, cwd: Path, **env) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "DIGITS_MODEL")}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=240, env={**environment, **env})


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ folder of a fresh venv with the wheel of this checkout installed."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy of what the wheel is built from, so no build files land in the clone
    ignore = shutil.ignore_patterns("__pycache__", "*.keras", "*.png", "*.csv")
    for name in ("digits", "models"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "requirements-inference.txt", "requirements-training.txt"):
        shutil.copy(ROOT / name, source / name)
    built = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(work), str(source)],
        work,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = work.glob("digits_cnn-*.whl")
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(env_dir), "platbase": str(env_dir)}))
    # The dependencies of the running environment, as a plain path entry: its .pth files (the editable install
    # of this clone among them) are not processed, so `digits` can only come from the wheel.
    (purelib / "borrowed_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    python = env_dir / "bin" / "python"
    installed = run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], work)
    assert installed.returncode == 0, installed.stderr
    return env_dir / "bin"


def test_wheel_installs_the_commands_and_reads_digits_with_the_shipped_model(installed, tmp_path):
    images, labels = synthetic_mnist(per_class=2, seed=5)
    for index, (image, label) in enumerate(zip(images, labels)):
        Image.fromarray(image).save(tmp_path / f"{index:02d}_{label}.png")
    result = run([installed / "digits", str(tmp_path), "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 20
    assert sum(record["digit"] == int(record["path"][-5]) for record in records) >= 14
    where = run([installed / "python", "-c", "import digits.predict as p; print(p.default_model_path())"], tmp_path)
    assert "bundled_models" in where.stdout and str(ROOT) not in where.stdout


def test_wheel_respects_digits_model_and_has_the_training_command(installed, tmp_path):
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "x.png")
    missing = run([installed / "digits", str(tmp_path / "x.png")], tmp_path, DIGITS_MODEL=str(tmp_path / "mine.tflite"))
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        f"error: {tmp_path / 'mine.tflite'}: model file not found; train one with 'python CNN_model.py' or pass --model"
    )
    training = run([installed / "digits-train", "--help"], tmp_path)
    assert training.returncode == 0 and "--epochs" in training.stdout


def test_every_inference_module_is_under_the_tensorflow_contract():
    """A new top-level module cannot slip past `lint-imports`: the contract must name every one of them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = config["tool"]["importlinter"]["contracts"]
    modules = {f"digits.{path.stem}" for path in (ROOT / "digits").glob("*.py") if path.stem != "__init__"}
    assert modules <= set(contract["source_modules"])
    assert set(contract["forbidden_modules"]) == {"tensorflow", "keras", "digits.training"}

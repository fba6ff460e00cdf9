"""Training with tf.distribute, really run on this machine: two logical CPUs mirrored, and two worker processes."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from digits.constants import KERAS_MODEL_FILE, TFLITE_MODEL_FILE
from digits.folders import load_labelled_folder
from digits.predict import load_predictor, predict_arrays
from tests.conftest import ROOT
from tests.test_service import free_port

SHORT = [
    "--epochs",
    "1",
    "--batch-size",
    "16",
    "--style-samples",
    "0",
    "--validation-fraction",
    "0.1",
    "--no-other-writers",
]


def train_command(data: str, output, *extra: str) -> list[str]:
    return [sys.executable, str(ROOT / "CNN_model.py"), "--data-dir", data, "--output-dir", str(output), *SHORT, *extra]


def assert_exports_agree(folder, testing) -> None:
    keras_answers = predict_arrays(load_predictor(folder / KERAS_MODEL_FILE), testing.images)
    tflite_answers = predict_arrays(load_predictor(folder / TFLITE_MODEL_FILE), testing.images)
    np.testing.assert_allclose(keras_answers, tflite_answers, atol=1e-4)


def test_mirrored_over_two_logical_cpus(synthetic_dataset, tmp_path):
    output = tmp_path / "mirrored"
    result = subprocess.run(
        train_command(str(synthetic_dataset), output, "--distribute", "mirrored", "--cpu-devices", "2"),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metadata = json.loads((output / "digits_cnn.json").read_text())
    assert metadata["replicas"] == 2 and metadata["training"]["distribute"] == "mirrored"
    assert_exports_agree(output, load_labelled_folder(synthetic_dataset / "testing"))


def test_two_worker_processes_train_together_and_only_the_chief_writes(synthetic_dataset, tmp_path):
    ports = [free_port(), free_port()]
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    processes = []
    for index in (0, 1):
        env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        command = train_command(str(synthetic_dataset), tmp_path / f"worker{index}", "--distribute", "multi-worker")
        processes.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    outputs = []
    try:
        for process in processes:
            outputs.append(process.communicate(timeout=600))
    finally:
        for process in processes:
            process.kill()
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr[-3000:]
    assert "the chief saves the run" in outputs[1][0]
    assert not (tmp_path / "worker1").exists()  # one set of files: the chief's
    metadata = json.loads((tmp_path / "worker0" / "digits_cnn.json").read_text())
    assert metadata["replicas"] == 2 and metadata["training"]["distribute"] == "multi-worker"
    assert_exports_agree(tmp_path / "worker0", load_labelled_folder(synthetic_dataset / "testing"))


def test_multi_worker_without_tf_config_is_one_clear_line(monkeypatch):
    from digits.errors import DigitsError
    from digits.training.distribute import strategy_for

    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(DigitsError, match=r"^--distribute multi-worker: TF_CONFIG is not set"):
        strategy_for("multi-worker")


@pytest.mark.parametrize("value", ["{", '{"cluster": {}}'])
def test_malformed_tf_config_is_named(value, monkeypatch):
    from digits.errors import DigitsError
    from digits.training.distribute import cluster_spec

    monkeypatch.setenv("TF_CONFIG", value)
    with pytest.raises(DigitsError, match="TF_CONFIG: not a JSON object"):
        cluster_spec()

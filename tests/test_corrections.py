"""Teaching the model your handwriting: corrections collected by the service and the CLI, then fine-tuning."""

import io
import json
import signal

import httpx
import numpy as np
import pytest
from PIL import Image

from digits.constants import KERAS_MODEL_FILE, TFLITE_MODEL_FILE
from digits.corrections import load_samples
from digits.folders import load_labelled_folder
from digits.predict import load_predictor, predict_arrays
from tests.conftest import run_script
from tests.synthetic import PhotoSettings, photo_of_digits, save_photo, synthetic_mnist, tight_glyph
from tests.test_service import free_port, start_server


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def drawn_digit(digit: int, seed: int) -> bytes:
    """A digit as the drawing page sends it: dark ink on a white 280x280 canvas."""
    glyph = tight_glyph(digit, np.random.default_rng(seed))
    canvas = np.full((280, 280), 255, np.uint8)
    height, width = glyph.shape
    top, left = (280 - height) // 2, (280 - width) // 2
    canvas[top : top + height, left : left + width] = 255 - glyph
    return png(canvas)


@pytest.fixture(scope="module")
def collecting(tmp_path_factory):
    folder = tmp_path_factory.mktemp("collected")
    port = free_port()
    server = start_server(port, "--collect", str(folder), "--collect-limit", "2")
    yield f"http://127.0.0.1:{port}", folder
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=15)


def test_a_correction_is_stored_as_the_network_input_and_the_original(collecting):
    url, folder = collecting
    assert httpx.get(f"{url}/health").json()["collect"] is True
    answer = httpx.post(f"{url}/correct?label=4", content=drawn_digit(4, 1), headers={"Content-Type": "image/png"})
    assert answer.status_code == 200, answer.text
    stored = answer.json()
    assert stored["count"] == 1 and stored["stored"]["label"] == 4
    network_input = folder / stored["stored"]["network_input"]
    original = folder / stored["stored"]["original"]
    assert network_input.parent == folder / "4" and original.parent == folder / "4"
    assert Image.open(network_input).size == (28, 28) and Image.open(original).size == (280, 280)
    images, labels, _ = load_samples(folder)
    assert labels.tolist() == [4] and images.shape == (1, 28, 28)
    # The stored sample is exactly what /predict fed the network for the same image.
    predicted = httpx.post(f"{url}/predict?inputs=1", content=drawn_digit(4, 1)).json()
    assert np.array_equal(np.array(predicted["network_input"], np.uint8), images[0])


def test_corrections_are_capped_per_digit_and_labels_are_checked(collecting):
    url, folder = collecting
    for seed in (2, 3):
        httpx.post(f"{url}/correct?label=7", content=drawn_digit(7, seed))
    full = httpx.post(f"{url}/correct?label=7", content=drawn_digit(7, 4))
    assert full.status_code == 409 and "full (2 samples of 7)" in full.json()["error"]
    assert len(list((folder / "7").glob("*.png"))) == 4  # two samples, each with its original
    for label in ("x", "12", "-1", "../../etc", ""):
        bad = httpx.post(f"{url}/correct", params={"label": label}, content=drawn_digit(1, 5))
        assert bad.status_code == 400 and "must be one digit" in bad.json()["error"], label
    blank = httpx.post(f"{url}/correct?label=3", content=png(np.full((280, 280), 255, np.uint8)))
    assert blank.status_code == 400 and "no digit found" in blank.json()["error"]
    not_image = httpx.post(f"{url}/correct?label=3", content=b"not an image")
    assert not_image.status_code == 400
    assert not (folder / "3").exists() or not list((folder / "3").glob("*.png"))
    assert sorted(p.name for p in folder.iterdir()) == ["4", "7"]  # no client-chosen path was ever used


def test_without_collect_the_endpoint_is_404_and_the_page_hides_the_buttons():
    port = free_port()
    server = start_server(port)
    try:
        url = f"http://127.0.0.1:{port}"
        answer = httpx.post(f"{url}/correct?label=4", content=drawn_digit(4, 1))
        assert answer.status_code == 404 and "--collect" in answer.json()["error"]
        assert httpx.get(f"{url}/health").json()["collect"] is False
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)


def test_number_answers_carry_each_network_input_when_asked(collecting, tmp_path):
    url, _ = collecting
    rng = np.random.default_rng(8)
    settings = PhotoSettings(canvas=(800, 260), digit_height=0.45, mode="RGB")
    image, _ = photo_of_digits([tight_glyph(int(d), rng) for d in "305"], settings, rng)
    save_photo(image, tmp_path / "n.jpg", settings)
    body = (tmp_path / "n.jpg").read_bytes()
    plain = httpx.post(f"{url}/predict?number=1", content=body).json()
    detailed = httpx.post(f"{url}/predict?number=1&inputs=1", content=body).json()
    assert all("network_input" not in digit for digit in plain["digits"])
    assert len(detailed["digits"]) == 3
    for digit in detailed["digits"]:
        assert np.array(digit["network_input"]).shape == (28, 28)
        assert {key: value for key, value in digit.items() if key != "network_input"} in plain["digits"]


def test_cli_collects_photos_of_your_digits(tmp_path):
    rng = np.random.default_rng(3)
    photos = tmp_path / "sevens"
    photos.mkdir()
    for index in range(3):
        settings = PhotoSettings(canvas=(400, 300), digit_height=0.5, mode="RGB")
        image, _ = photo_of_digits([tight_glyph(7, rng)], settings, rng)
        save_photo(image, photos / f"{index}.jpg", settings)
    Image.new("L", (100, 100), 250).save(photos / "blank.png")
    result = run_script("CNN_usage.py", "--collect", str(tmp_path / "mine"), "--label", "7", str(photos))
    assert result.returncode == 1  # the blank one is named and skipped
    assert result.stderr.strip() == f"error: {photos / 'blank.png'}: no digit found, nothing stored"
    assert len(result.stdout.splitlines()) == 3 and all("samples of 7" in line for line in result.stdout.splitlines())
    images, labels, _ = load_samples(tmp_path / "mine")
    assert labels.tolist() == [7, 7, 7] and images.shape == (3, 28, 28)
    bad = run_script("CNN_usage.py", "--collect", str(tmp_path / "mine"), "--label", "seven", str(photos))
    assert bad.returncode == 2 and "--label must be one digit" in bad.stderr


def test_fine_tuning_learns_a_new_hand_and_keeps_the_old(tmp_path, trained_model_dir, synthetic_dataset):
    """Mirrored digits are a hand the base model reads badly: after a short fine-tune it reads the held-out
    mirrored digits better, the ordinary test digits about as well, and the run names where it came from."""
    images, labels = synthetic_mnist(per_class=12, seed=21)
    mirrored = images[:, :, ::-1].copy()
    samples = tmp_path / "samples"
    for index, (image, label) in enumerate(zip(mirrored, labels)):
        (samples / str(label)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(samples / str(label) / f"{index:03d}.png")
    output = tmp_path / "tuned"
    result = run_script(
        "CNN_model.py",
        "--fine-tune",
        str(samples),
        "--base-model",
        str(trained_model_dir / KERAS_MODEL_FILE),
        "--data-dir",
        str(synthetic_dataset),
        "--output-dir",
        str(output),
        "--epochs",
        "8",
        "--learning-rate",
        "0.002",
    )
    assert result.returncode == 0, result.stderr
    metadata = json.loads((output / "digits_cnn.json").read_text())
    origin = metadata["fine_tuned_from"]
    assert origin["base_model"] == str(trained_model_dir / KERAS_MODEL_FILE)
    assert origin["samples_sha256"] == load_samples(samples)[2]
    assert origin["samples_trained"] + origin["samples_held_out"] == 120 and origin["samples_held_out"] >= 30
    before, after = origin["accuracy_before"], origin["accuracy_after"]
    assert after["samples"] >= before["samples"] + 0.2, (before, after)
    assert after["mnist"] >= before["mnist"] - 0.1, (before, after)
    assert "held-out samples" in result.stdout and (output / "report.html").is_file()
    # The saved LiteRT model is the fine-tuned one: it reads the mirrored hand better than the base model.
    testing = load_labelled_folder(synthetic_dataset / "testing")
    base = load_predictor(trained_model_dir / TFLITE_MODEL_FILE)
    tuned = load_predictor(output / TFLITE_MODEL_FILE)
    mirrored_test = testing.images[:, :, ::-1].copy()
    base_right = (predict_arrays(base, mirrored_test).argmax(1) == testing.labels).mean()
    tuned_right = (predict_arrays(tuned, mirrored_test).argmax(1) == testing.labels).mean()
    assert tuned_right > base_right + 0.15

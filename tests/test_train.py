"""A short real training run: it learns, and its .keras and .tflite exports answer the same."""

import json
from dataclasses import replace

import numpy as np
import pytest

from digits.folders import LabelledImages
from digits.predict import load_predictor, predict_arrays
from digits.training.config import TrainingConfig
from digits.training.photographed import CHECKSUM_KEY as PHOTOGRAPHED_KEY
from digits.training.styles import CHECKED_SAMPLES_KEY
from tests.synthetic import synthetic_mnist


def labelled(per_class, seed):
    images, labels = synthetic_mnist(per_class=per_class, seed=seed)
    return LabelledImages(images, labels, [])


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    from digits.training.train import save_run, train

    training, testing = labelled(40, 11), labelled(8, 12)
    config = TrainingConfig(
        epochs=6,
        batch_size=32,
        learning_rate=3e-3,
        validation_fraction=0.1,
        seed=3,
        style_samples=40,
        photographed_samples=40,
        other_writers=False,
    )
    run = train(config, training, testing, verbose=0)
    output = tmp_path_factory.mktemp("model")
    paths = save_run(run, training, testing, output, output / "results.txt")
    return run, paths, testing


def test_training_learns_the_digits(short_run):
    run, _, _ = short_run
    assert run.metrics["test_accuracy"] >= 0.8
    assert run.history["loss"][-1] < run.history["loss"][0]
    expected = {f"{s}_{m}" for s in ("train", "validation", "test") for m in ("loss", "accuracy")}
    assert set(run.metrics) == expected | {"test_accuracy_int8"}


def test_keras_and_tflite_exports_agree(short_run):
    _, paths, testing = short_run
    keras_probs = predict_arrays(load_predictor(paths["keras"]), testing.images)
    tflite_probs = predict_arrays(load_predictor(paths["tflite"]), testing.images)
    assert keras_probs.shape == tflite_probs.shape == (80, 10)
    np.testing.assert_allclose(keras_probs, tflite_probs, atol=1e-4)
    assert np.array_equal(keras_probs.argmax(axis=1), tflite_probs.argmax(axis=1))


def test_saved_files_describe_the_run(short_run):
    run, paths, _ = short_run
    metadata = json.loads(paths["metadata"].read_text())
    assert metadata["class_names"] == list("0123456789") and metadata["input_shape"] == [28, 28, 1]
    assert metadata["parameters"] == 93_322
    assert metadata["metrics"]["test_accuracy"] == run.metrics["test_accuracy"]
    assert metadata["training"]["seed"] == 3 and len(metadata["data"]["sha256"]["training"]) == 64
    drawn = {"style_samples", CHECKED_SAMPLES_KEY}  # what tests/test_committed_model.py checks
    assert set(metadata["data"]["sha256"]) == {"training", "testing", *drawn, PHOTOGRAPHED_KEY}
    assert {"tensorflow", "keras", "numpy"} <= set(metadata["versions"])
    history = paths["history"].read_text().splitlines()
    assert history[0] == "epoch,accuracy,loss,val_accuracy,val_loss" and len(history) == 7
    results = paths["results"].read_text()
    assert "test accuracy:" in results and "Confusion matrix" in results and "93,322" in results
    for key in ("curves", "confusion", "misclassified"):
        assert paths[key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert metadata["speed"]["ms_per_digit"] > 0 and metadata["speed"]["digits_per_s"] > 0


def test_report_page_is_self_contained_and_shows_the_run(short_run):
    run, paths, _ = short_run
    page = paths["report"].read_text()
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    # Everything embedded: three images as data URIs, nothing fetched from anywhere.
    assert page.count('src="data:image/png;base64,') == 3
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert f"{run.metrics['test_accuracy']:.2%}" in page and "93,322" in page
    assert "Per-class precision" in page and f"{run.uncertainty['min_confidence']:.2f}" in page


def test_failed_export_leaves_the_previous_model_in_place(short_run, monkeypatch):
    import digits.training.train

    run, paths, testing = short_run
    before = {key: paths[key].read_bytes() for key in ("keras", "tflite", "metadata")}

    def broken_export(model, path):
        path.write_bytes(b"half a model")
        raise OSError("disk full")

    monkeypatch.setattr(digits.training.train, "export_keras", broken_export)
    with pytest.raises(OSError):
        digits.training.train.save_run(run, labelled(1, 0), testing, paths["keras"].parent, paths["results"])
    assert {key: paths[key].read_bytes() for key in before} == before
    assert not [p for p in paths["keras"].parent.iterdir() if p.name.startswith(".tmp-")]


def test_same_seed_same_split():
    from digits.training.optimisation import split_validation

    labels = labelled(5, 0).labels
    first, second = split_validation(labels, 0.2, 7), split_validation(labels, 0.2, 7)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert len(first[1]) == 10 and not set(first[0]) & set(first[1])


def test_int8_export_is_small_and_agrees_with_the_float_model(short_run):
    run, paths, testing = short_run
    assert paths["tflite_int8"].stat().st_size < paths["tflite"].stat().st_size / 2.5
    float_answers = predict_arrays(load_predictor(paths["tflite"]), testing.images).argmax(axis=1)
    int8_answers = predict_arrays(load_predictor(paths["tflite"], quantized=True), testing.images).argmax(axis=1)
    assert (float_answers == int8_answers).mean() >= 0.95
    assert run.metrics["test_accuracy_int8"] == (int8_answers == testing.labels).mean()


def test_same_seed_gives_the_same_weights():
    from digits.training.train import fit_network

    training = labelled(12, 21)
    config = TrainingConfig(
        epochs=1,
        batch_size=16,
        validation_fraction=0.0,
        seed=9,
        style_samples=20,
        patience=0,
        other_writers=False,
    )
    first = fit_network(config, training, verbose=0).model.get_weights()
    second = fit_network(config, training, verbose=0).model.get_weights()
    other = fit_network(TrainingConfig(**{**config.__dict__, "seed": 10}), training, verbose=0).model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_weight_averaging_ends_with_the_average_of_the_steps():
    # With ema_momentum the run ends with the moving average of the weights, not the last step's weights: an
    # average that forgets quickly (0.01) is almost the last step, one that remembers (0.9) is not. Early stopping
    # is on (--patience): restoring its best epoch's (raw) weights must not undo the average.
    from digits.training.train import fit_network

    training = labelled(12, 21)
    base = TrainingConfig(
        epochs=10,
        batch_size=16,
        validation_fraction=0.2,
        seed=9,
        style_samples=0,
        patience=3,
        other_writers=False,
    )

    def weights(momentum):
        return fit_network(replace(base, ema_momentum=momentum), training, verbose=0).model.get_weights()

    plain, forgetful, remembering = weights(0.0), weights(0.01), weights(0.9)
    gap = lambda a, b: max(float(np.abs(x - y).max()) for x, y in zip(a, b))  # noqa: E731
    assert gap(plain, remembering) > 5 * gap(plain, forgetful)


def test_the_weight_average_of_a_short_run_spans_at_most_its_last_fifth():
    # Keras starts the average at the first step's weights: 0.999 on a 100-step run would end mostly untrained.
    from digits.training.optimisation import averaging_momentum

    assert averaging_momentum(0.999, 24 * 235) == 0.999  # the default recipe on MNIST: as asked
    assert averaging_momentum(0.0, 100) == 0.0
    short = averaging_momentum(0.999, 100)
    assert 1 / (1 - short) == pytest.approx(20)  # remembers about 20 of the 100 steps

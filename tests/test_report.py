"""Metrics, text tables and plots."""

import numpy as np
from PIL import Image

from digits.report import (
    classification_metrics,
    format_confusion_matrix,
    format_report,
    plot_confusion_matrix,
    plot_misclassified,
    plot_training_curves,
)


def test_metrics_match_a_hand_count():
    y_true = np.array([0, 0, 1, 1, 2, 2, 3, 3, 3, 3])
    y_pred = np.array([0, 1, 1, 1, 2, 2, 3, 3, 3, 0])
    metrics = classification_metrics(y_true, y_pred)
    assert metrics["accuracy"] == 0.8
    assert metrics["per_class"]["1"]["precision"] == 2 / 3 and metrics["per_class"]["1"]["recall"] == 1.0
    assert metrics["per_class"]["3"]["recall"] == 0.75 and metrics["per_class"]["3"]["support"] == 4
    assert metrics["confusion_matrix"][3][0] == 1 and metrics["confusion_matrix"][0][1] == 1
    assert len(metrics["confusion_matrix"]) == 10


def test_text_report_has_table_and_matrix():
    metrics = classification_metrics(np.arange(10), np.arange(10))
    text = format_report("Check", metrics)
    assert "accuracy: 100.0000% (10 of 10 images)" in text
    assert "precision" in text and "true\\pred" in text
    assert format_confusion_matrix(metrics["confusion_matrix"]).splitlines()[1].split() == ["0", "1"] + ["0"] * 9


def test_plots_are_real_pngs(tmp_path):
    history = {"loss": [1.0, 0.5], "accuracy": [0.6, 0.8], "val_loss": [0.9, 0.6], "val_accuracy": [0.7, 0.75]}
    images = np.zeros((3, 28, 28), np.uint8)
    paths = [
        plot_training_curves(history, tmp_path / "curves.png"),
        plot_confusion_matrix(np.eye(10, dtype=int).tolist(), tmp_path / "cm.png"),
        plot_misclassified(
            images, np.array([1, 2, 3]), np.array([1, 5, 3]), np.array([0.9, 0.6, 0.8]), tmp_path / "wrong.png"
        ),
    ]
    for path in paths:
        with Image.open(path) as image:
            assert image.format == "PNG" and image.width > 300


def test_metrics_agree_with_scikit_learn():
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 10, 500)
    y_pred = np.where(rng.random(500) < 0.8, y_true, rng.integers(0, 9, 500))  # digit 9 is never predicted
    ours = classification_metrics(y_true, y_pred)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=range(10), zero_division=0)
    assert ours["accuracy"] == accuracy_score(y_true, y_pred)
    assert ours["confusion_matrix"] == confusion_matrix(y_true, y_pred, labels=range(10)).tolist()
    for digit in range(10):
        row = ours["per_class"][str(digit)]
        assert np.allclose([row["precision"], row["recall"], row["f1"]], [precision[digit], recall[digit], f1[digit]])
        assert row["support"] == support[digit]


def test_min_confidence_separates_wrong_answers_from_right_ones():
    from digits.training.calibration import choose_min_confidence

    rng = np.random.default_rng(0)
    labels = np.arange(200) % 10
    probabilities = np.full((200, 10), 0.0)
    right_confidence = rng.uniform(0.9, 1.0, 180)
    wrong_confidence = rng.uniform(0.45, 0.6, 20)
    probabilities[np.arange(180), labels[:180]] = right_confidence
    probabilities[np.arange(180, 200), (labels[180:] + 1) % 10] = wrong_confidence
    choice = choose_min_confidence(probabilities, labels)
    assert 0.6 <= choice["min_confidence"] <= 0.9
    assert choice["wrong_flagged"] == 1.0 and choice["right_flagged"] == 0.0


def test_min_confidence_without_wrong_answers_is_the_default():
    from digits.training.calibration import choose_min_confidence

    probabilities = np.eye(10)[np.arange(20) % 10]
    assert choose_min_confidence(probabilities, np.arange(20) % 10)["min_confidence"] == 0.5


def test_the_misclassified_grid_shows_the_wrong_digits_and_only_them(tmp_path):
    images = np.zeros((4, 28, 28), np.uint8)  # read right: black squares, must not appear
    images[1] = 128  # read wrong: a grey square, must appear
    path = plot_misclassified(
        images, np.array([1, 2, 3, 4]), np.array([1, 7, 3, 4]), np.full(4, 0.9), tmp_path / "wrong.png"
    )
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("L"))
    grey = (np.abs(pixels.astype(int) - 128) <= 2).sum()
    assert grey > 40 * 40  # one digit drawn at about 1.5x, so well over 28x28 pixels of it
    dark = np.pad(pixels < 20, ((0, 0), (1, 1)))
    edges = np.flatnonzero(np.diff(dark.astype(np.int8), axis=1).ravel())
    longest_dark_run = max(np.diff(edges)[::2], default=0)
    assert longest_dark_run < 28  # no black square (only text): the digits read right are left out

"""Handwriting styles MNIST lacks, drawn for training: what they look like to the network, and reproducible."""

import numpy as np

from digits.predict import load_predictor, predict_arrays
from digits.preprocess import is_mnist_style
from digits.training.styles import CHECKED_SAMPLES_KEY, style_checksums, style_samples


def test_style_samples_are_balanced_mnist_style_and_seeded():
    images, labels = style_samples(40, seed=5)
    assert images.shape == (40, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == [4] * 10
    assert sum(is_mnist_style(image) for image in images) >= 36  # what the preprocessing makes of a drawing
    again, _ = style_samples(40, seed=5)
    other, _ = style_samples(40, seed=6)
    assert np.array_equal(images, again) and not np.array_equal(images, other)


def test_the_first_samples_of_a_large_set_are_a_small_set():
    # What lets the committed-model check redraw only the first samples: a model's metadata fingerprints both.
    images, labels = style_samples(30, seed=5)
    first, first_labels = style_samples(12, seed=5)
    assert np.array_equal(images[:12], first) and np.array_equal(labels[:12], first_labels)
    assert set(style_checksums(images, labels)) == {"style_samples", CHECKED_SAMPLES_KEY}
    assert style_checksums(images[:0], labels[:0]) == {}


def test_committed_model_reads_the_drawn_styles():
    # The committed model was trained with these styles; a model that never saw them misreads many
    # (a 1 with a flag and a base read as 2, 4 or 7, a crossed 7 as 2).
    images, labels = style_samples(200, seed=99)
    accuracy = float((predict_arrays(load_predictor(), images).argmax(axis=1) == labels).mean())
    assert accuracy >= 0.98

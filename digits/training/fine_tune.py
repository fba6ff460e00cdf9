"""Teach the trained model a user's handwriting in seconds, without forgetting MNIST.

Starts from the trained ``.keras`` model and trains a few epochs, at a low learning rate, on the user's collected
samples (``digits.corrections``) mixed with a replay of MNIST training images, so MNIST accuracy does not
collapse. A seeded, per-digit share of the samples is held out and never trained on: accuracy on it, and on the
MNIST test set, is measured before and after. The result is a whole run (``save_run``: the same files and
metadata as a full training, the metadata naming the base model and the samples' checksum), saved to its own
folder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.errors import DigitsError
from digits.folders import LabelledImages
from digits.images import to_model_input
from digits.training.config import TrainingConfig
from digits.training.tfimport import keras, tf
from digits.training.train import CALIBRATION_IMAGES, TrainingRun, measure_run, training_dataset

FINE_TUNE = TrainingConfig(
    epochs=5,
    batch_size=64,
    learning_rate=5e-4,
    schedule="constant",
    warmup_epochs=0,
    augment=True,
    label_smoothing=0.0,
    ema_momentum=0.0,
    patience=0,
    validation_fraction=0.0,
    style_samples=0,
    other_writers=False,
    precision="float32",
)
"""The fine-tuning settings (saved in the run's metadata like a recipe's)."""
HELD_OUT_FRACTION = 0.3
"""Share of each digit's samples kept aside to measure the gain, never trained on."""
SAMPLE_REPEATS = 5
"""Each training sample appears this many times per epoch (augmented differently each time)."""
REPLAY_PER_SAMPLE = 12
"""MNIST training images replayed per (repeated) user sample: what keeps MNIST from being forgotten."""


@dataclass(frozen=True)
class FineTuneResult:
    run: TrainingRun
    before: dict[str, float]
    after: dict[str, float]
    """Accuracy on the held-out samples (``samples``) and the MNIST test set (``mnist``), read once by Keras."""
    trained_samples: int
    held_out_samples: int
    seconds: float


def split_held_out(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices to train on and to hold out: per digit, a seeded ``fraction`` (at least one when a digit has two)."""
    rng = np.random.default_rng(seed)
    train, held = [], []
    for digit in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == digit))
        count = int(round(len(members) * fraction)) if len(members) >= 2 else 0
        count = max(count, 1) if len(members) >= 2 else 0
        held.extend(members[:count])
        train.extend(members[count:])
    return np.sort(np.array(train, dtype=np.int64)), np.sort(np.array(held, dtype=np.int64))


def accuracy(model, images: np.ndarray, labels: np.ndarray) -> float:
    if len(labels) == 0:
        return float("nan")
    predicted = model.predict(to_model_input(images), batch_size=512, verbose=0).argmax(axis=1)
    return float((predicted == labels).mean())


def fine_tune(
    base_model: Path,
    samples: tuple[np.ndarray, np.ndarray, str],
    samples_folder: Path,
    training: LabelledImages,
    testing: LabelledImages,
    config: TrainingConfig = FINE_TUNE,
    verbose: int = 2,
    held_out_fraction: float = HELD_OUT_FRACTION,
) -> FineTuneResult:
    """Fine-tune ``base_model`` on ``samples`` (images, labels, checksum from ``load_samples``) with MNIST
    ``training`` replayed; measure on the held-out samples and ``testing`` before and after."""
    started = time.perf_counter()
    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()
    images, labels, checksum = samples
    train_index, held_index = split_held_out(labels, held_out_fraction, config.seed)
    if len(train_index) == 0:
        raise DigitsError(f"{samples_folder}: too few samples to fine-tune on (collect at least two per digit)")
    try:
        model = keras.models.load_model(base_model, safe_mode=True)
    except Exception as error:  # Keras raises many types for a bad file
        raise DigitsError(f"{base_model}: not a readable Keras model ({str(error).splitlines()[0][:200]})") from None
    held_images, held_labels = images[held_index], labels[held_index]
    before = {
        "samples": accuracy(model, held_images, held_labels),
        "mnist": accuracy(model, testing.images, testing.labels),
    }

    rng = np.random.default_rng(config.seed)
    user_images = np.repeat(images[train_index], SAMPLE_REPEATS, axis=0)
    user_labels = np.repeat(labels[train_index], SAMPLE_REPEATS)
    replay = rng.choice(
        len(training.labels), min(len(training.labels), REPLAY_PER_SAMPLE * len(user_labels)), replace=False
    )
    mixed_images = np.concatenate([user_images, training.images[replay]])
    mixed_labels = np.concatenate([user_labels, training.labels[replay]])
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate), loss="categorical_crossentropy", metrics=["accuracy"]
    )
    dataset = training_dataset(mixed_images, mixed_labels, config)
    history = model.fit(dataset, epochs=config.epochs, verbose=verbose, shuffle=False)
    history_lists = {
        key: [float(v) for v in values] for key, values in history.history.items() if key != "learning_rate"
    }
    splits = {"train": (mixed_images, mixed_labels)}
    if len(held_index):
        splits["validation"] = (held_images, held_labels)  # the threshold is chosen on the user's own hand
    provenance = {
        "base_model": str(base_model),
        "samples": str(samples_folder),
        "samples_sha256": checksum,
        "samples_trained": int(len(train_index)),
        "samples_held_out": int(len(held_index)),
        "accuracy_before": before,
        "mnist_replay": int(len(replay)),
    }
    calibration = training.images[rng.permutation(len(training.labels))[:CALIBRATION_IMAGES]]
    run = measure_run(model, config, history_lists, splits, testing, calibration, started, provenance)
    # The run measured the held-out samples (its validation split) and MNIST once already: no second pass.
    after = {"samples": run.metrics.get("validation_accuracy", float("nan")), "mnist": run.metrics["test_accuracy"]}
    provenance["accuracy_after"] = after
    return FineTuneResult(run, before, after, int(len(train_index)), int(len(held_index)), run.wall_time_s)

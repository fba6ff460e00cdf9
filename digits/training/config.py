"""The training settings and their defaults, importable without TensorFlow (so ``--help`` is instant)."""

from __future__ import annotations

from dataclasses import dataclass, replace

DEFAULT_DROPOUT = 0.4


@dataclass(frozen=True)
class TrainingConfig:
    """Every knob of the recipe; the defaults reach over 99% on MNIST in a few minutes on two CPU cores."""

    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 2e-3
    warmup_epochs: int = 1
    dropout: float = DEFAULT_DROPOUT
    augment: bool = True
    patience: int = 10
    validation_fraction: float = 0.1
    seed: int = 42
    style_samples: int = 6000
    """Digits drawn in handwriting styles MNIST lacks (``digits.training.styles``), added to the training split only."""


QUICK_EPOCHS = 2
QUICK_STYLE_SAMPLES = 200


def quick_config(config: TrainingConfig) -> TrainingConfig:
    """The settings of a ``--quick`` smoke run: the same recipe, at most 2 epochs and 200 drawn styles. Resolved
    once, by the CLI, so the settings saved with the model are the ones the run really used."""
    return replace(
        config, epochs=min(config.epochs, QUICK_EPOCHS), style_samples=min(config.style_samples, QUICK_STYLE_SAMPLES)
    )

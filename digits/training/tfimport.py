"""Import TensorFlow and Keras once, without the native start-up log lines they print to stderr.

TensorFlow's C++ side writes CUDA and CPU-feature notices straight to file descriptor 2 while it loads, before
any Python setting can silence it; users of a CPU-only tool gain nothing from them. Only this module imports
TensorFlow by name (``digits.training.kerasimport`` imports it through Keras' default backend), and only the
training and Keras-fallback paths import this module.
"""

from __future__ import annotations

from digits.quiet import native_stderr_silenced
from digits.training.kerasimport import keras

with native_stderr_silenced():
    import tensorflow as tf

    tf.config.list_physical_devices()  # device discovery logs (no CUDA driver, ...) happen here, silenced

__all__ = ["keras", "native_stderr_silenced", "tf"]

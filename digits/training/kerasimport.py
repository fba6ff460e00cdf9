"""Import Keras once, on whichever backend ``KERAS_BACKEND`` names, without native start-up log lines on stderr.

Why apart from ``digits.training.tfimport``: the network (``digits.training.model``) and its optimisation
(``digits.training.optimisation``) are plain Keras 3, so they also build and train on JAX or PyTorch, where
TensorFlow is not installed (``benchmarks/gpu_training.py`` trains them on a GPU machine that way). Under the
default backend, importing Keras imports TensorFlow, whose C++ side prints CUDA and CPU-feature notices straight
to file descriptor 2; they are silenced here as in ``tfimport``.
"""

from __future__ import annotations

import os

from digits.quiet import native_stderr_silenced

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
with native_stderr_silenced():
    import keras

__all__ = ["keras"]

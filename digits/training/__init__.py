"""Training: the only part of the project that imports TensorFlow and Keras.

The recipe and its settings (``config``), the network (``model``), augmentation (``augment``), the drawn
handwriting styles (``styles``), training and export (``train``), the calibration of the uncertainty threshold
(``calibration``) and the MNIST folders (``mnist``). The package above it (reading images, preprocessing,
LiteRT prediction, evaluation, reports, the HTTP service) never imports this subpackage, TensorFlow or Keras:
``lint-imports`` checks that contract in CI (see ``[tool.importlinter]`` in pyproject.toml). The one exception
is ``digits.predict`` loading a ``.keras`` model when no LiteRT model is there, through ``tfimport``.
"""

"""Shared code of the digit recogniser: data, preprocessing, network, training, prediction, reports.

Both command-line scripts (``CNN_model.py`` and ``CNN_usage.py``) import from here, so training and
inference can never disagree about preprocessing or the network. Submodules are imported on demand:
``digits.predict`` and ``digits.images`` never import TensorFlow.
"""

__version__ = "1.0.0"

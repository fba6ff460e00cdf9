"""The digit recogniser's package. Its top level is the inference side: reading images, preprocessing, number
segmentation, LiteRT prediction, evaluation, reports and the HTTP service; none of it imports TensorFlow.
``digits.training`` is the training side and the only code that does (the contract ``lint-imports`` checks).

Both command-line scripts (``CNN_model.py`` and ``CNN_usage.py``) import from here, so training and inference
can never disagree about preprocessing or the network.
"""

__version__ = "1.0.0"

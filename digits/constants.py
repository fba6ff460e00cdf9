"""Every constant the project shares: image geometry, class names, file names and default paths.

One source of truth, so that the data preparation, training, export, prediction and reports cannot drift apart.
"""

from pathlib import Path

IMAGE_SIZE = 28
"""Side of the square images the network sees, in pixels (MNIST's 28x28)."""

INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)
"""Shape of one network input: height, width, one grayscale channel."""

CLASS_NAMES = tuple(str(digit) for digit in range(10))
"""The ten classes, which are also the names of the labelled sub-folders."""

NUM_CLASSES = len(CLASS_NAMES)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm")
"""File name endings that a folder scan treats as images (case-insensitive)."""

DEFAULT_MIN_CONFIDENCE = 0.7
"""Below this probability a prediction is marked uncertain, for models whose metadata does not say better."""

MAX_IMAGE_PIXELS = 64_000_000
"""Largest image (width x height) we agree to decode; larger files are refused as decompression bombs."""

ANALYSIS_MAX_SIDE = 2048
"""Images with a longer side over this (wider than 4:3: more pixels than a 4:3 photo of this side,
``digits.images.reduction_factor``) are decoded at reduced size (JPEG draft mode) or reduced right after
decoding: reading a number never needs more (a single digit needs less: ``digits.preprocess.DIGIT_MAX_SIDE``),
and memory and time per image stay bounded."""

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_ROOT = PACKAGE_DIR.parent if (PACKAGE_DIR.parent / "CNN_usage.py").is_file() else None
"""The folder this package runs from beside ``CNN_usage.py`` (a clone, an editable install, the Docker image);
None when installed from a wheel."""
PROJECT_ROOT = CHECKOUT_ROOT or Path.cwd()
"""Where ``data/``, ``models/`` and ``example_results.txt`` live: the checkout, else the working directory."""
DATA_DIR = PROJECT_ROOT / "data"
MODELS_DIR = PROJECT_ROOT / "models"
"""Where training saves the model, and the first place prediction looks for one."""
BUNDLED_MODELS_DIR = PACKAGE_DIR / "bundled_models"
"""The committed model as shipped inside the wheel (package data built from ``models/``), used when installed and
no ``models/`` folder of one's own is there."""
MODEL_ENV = "DIGITS_MODEL"
"""Environment variable naming the model to use when no ``--model`` is given (CLI and service)."""
REPORTS_DIR = Path("reports")
"""Where ``CNN_usage.py --evaluate`` writes its report by default, relative to the working directory."""

MNIST_TRAINING_DIR_NAME = "MNIST - JPG - training"
MNIST_TESTING_DIR_NAME = "MNIST - JPG - testing"
TRAINING_DIR_NAMES = (MNIST_TRAINING_DIR_NAME, "training")
TESTING_DIR_NAMES = (MNIST_TESTING_DIR_NAME, "testing")
CACHE_DIR_NAME = ".cache"
"""Sub-folder of a data folder holding decoded-image caches (never committed)."""

MODEL_STEM = "digits_cnn"
KERAS_MODEL_FILE = f"{MODEL_STEM}.keras"
TFLITE_MODEL_FILE = f"{MODEL_STEM}.tflite"
TFLITE_INT8_MODEL_FILE = f"{MODEL_STEM}_int8.tflite"
METADATA_FILE = f"{MODEL_STEM}.json"
HISTORY_FILE = "history.csv"
CURVES_FILE = "training_curves.png"
CONFUSION_FILE = "confusion_matrix.png"
MISCLASSIFIED_FILE = "misclassified.png"
REPORT_FILE = "report.html"
"""A training run's self-contained report page (images embedded), beside the model."""
EXAMPLE_RESULTS_FILE = PROJECT_ROOT / "example_results.txt"

PREPROCESSING = (
    "EXIF orientation, transparency onto white, grayscale; unless already MNIST-style: polarity to light-on-dark, "
    "paper level and gradient removed, cropped to the digit, stroke width matched, longer side 20 px, "
    "centred by mass in 28x28; scaled to [0, 1]"
)
"""Human-readable description of the preprocessing, stored in the model's metadata."""

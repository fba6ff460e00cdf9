"""Loading a saved model and predicting digits, without TensorFlow when a LiteRT (``.tflite``) model is there.

``load_predictor`` prefers the ``.tflite`` model run by LiteRT (``ai-edge-litert``: milliseconds to load) and
falls back to the ``.keras`` model, loaded in Keras' safe mode (which never runs code stored in the file).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from digits.constants import (
    BUNDLED_MODELS_DIR,
    DEFAULT_MIN_CONFIDENCE,
    IMAGE_SIZE,
    INPUT_SHAPE,
    KERAS_MODEL_FILE,
    METADATA_FILE,
    MODEL_ENV,
    MODELS_DIR,
    TFLITE_INT8_MODEL_FILE,
    TFLITE_MODEL_FILE,
)
from digits.errors import DigitsError
from digits.images import decode_side, load_digit_array, read_gray, to_model_input
from digits.numbers import FoundDigit, TooManyDigits, cut_number, find_number_ink
from digits.preprocess import NoDigitFound, is_near_square, narrowed, narrowed_weight, preprocess_digit
from digits.quiet import native_stderr_silenced
from digits.results import DigitResult, Failure, NoDigit, NumberResult, Result

BATCH_SIZE = 256


class Predictor:
    """A loaded model: ``predict_batch(float32 (N, 28, 28, 1)) -> float32 (N, 10)`` probabilities. Thread-safe."""

    def __init__(self, path: Path, run: Callable[[np.ndarray], np.ndarray]):
        self.path = path
        self._run = run
        self._lock = threading.Lock()

    def predict_batch(self, inputs: np.ndarray) -> np.ndarray:
        inputs = np.asarray(inputs, dtype=np.float32)
        if inputs.shape[1:] != INPUT_SHAPE:
            raise ValueError(f"expected inputs of shape (N, {INPUT_SHAPE}), got {inputs.shape}")
        outputs = []
        with self._lock:
            for start in range(0, len(inputs), BATCH_SIZE):
                outputs.append(self._run(inputs[start : start + BATCH_SIZE]))
        return np.concatenate(outputs) if outputs else np.zeros((0, 10), np.float32)


def _litert_runner(path: Path, threads: int) -> Callable[[np.ndarray], np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter

    try:
        with native_stderr_silenced():
            interpreter = Interpreter(model_path=str(path), num_threads=threads)
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as error:
        raise DigitsError(f"{path}: not a readable LiteRT model ({error})") from None
    input_index = interpreter.get_input_details()[0]["index"]
    output_index = interpreter.get_output_details()[0]["index"]
    allocated = {"batch": None}

    def run(batch: np.ndarray) -> np.ndarray:
        if allocated["batch"] != len(batch):
            interpreter.resize_tensor_input(input_index, [len(batch), *INPUT_SHAPE])
            interpreter.allocate_tensors()
            allocated["batch"] = len(batch)
        interpreter.set_tensor(input_index, batch)
        interpreter.invoke()
        return interpreter.get_tensor(output_index).copy()

    return run


def _keras_runner(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    from digits.training.tfimport import keras

    try:
        model = keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types for a bad file; all mean "cannot use this model"
        raise DigitsError(f"{path}: not a readable Keras model ({str(error).splitlines()[0][:200]})") from None
    return lambda batch: np.asarray(model(batch, training=False))


def default_model_path(models_dir: Path = MODELS_DIR) -> Path:
    """The model used when none is named: ``$DIGITS_MODEL``; else the ``.tflite`` (or ``.keras``) in ``models/``
    of the checkout (or, when installed, of the working directory); else the one shipped inside the package."""
    named = os.environ.get(MODEL_ENV, "").strip()
    if named:
        return Path(named)
    for folder in (models_dir, BUNDLED_MODELS_DIR):
        for name in (TFLITE_MODEL_FILE, KERAS_MODEL_FILE):
            if (folder / name).is_file():
                return folder / name
    return models_dir / TFLITE_MODEL_FILE


def load_predictor(model_path: Path | None = None, quantized: bool = False, threads: int = 2) -> Predictor:
    """Load a ``.tflite`` (LiteRT) or ``.keras`` model; by default the one committed under ``models/``.

    ``quantized`` picks the int8 LiteRT model in the same folder instead; ``threads`` is LiteRT's thread count
    (a server answering one image a request does best with 1 per worker). When LiteRT is not installed, a
    ``.tflite`` path falls back to the ``.keras`` file beside it. Raises DigitsError for a missing or
    unreadable model file.
    """
    path = Path(model_path) if model_path else default_model_path()
    if quantized:
        path = path.with_name(TFLITE_INT8_MODEL_FILE)
    if not path.is_file():
        raise DigitsError(f"{path}: model file not found; train one with 'python CNN_model.py' or pass --model")
    if path.suffix == ".tflite":
        try:
            return Predictor(path, _litert_runner(path, threads))
        except ImportError:
            fallback = path.with_name(KERAS_MODEL_FILE)
            if not fallback.is_file():
                raise DigitsError(
                    f"{path}: LiteRT (package ai-edge-litert) is not installed and no {KERAS_MODEL_FILE} is beside it"
                ) from None
            path = fallback
    if path.suffix != ".keras":
        raise DigitsError(f"{path}: unknown model format (expected .tflite or .keras)")
    return Predictor(path, _keras_runner(path))


def load_metadata(model_path: Path) -> dict:
    """The metadata JSON saved beside a model (empty when there is none or it is unreadable)."""
    path = Path(model_path).with_name(METADATA_FILE)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def default_min_confidence(model_path: Path) -> float:
    """The model's own uncertainty threshold (chosen on its validation set at training), else the default."""
    value = load_metadata(model_path).get("min_confidence")
    return float(value) if isinstance(value, (int, float)) and 0 <= value <= 1 else DEFAULT_MIN_CONFIDENCE


def min_confidence_or_default(requested: float | None, model_path: Path) -> float:
    """The threshold under which an answer is marked uncertain: the one asked for (``--min-confidence``), else the
    model's own (``default_min_confidence``)."""
    return requested if requested is not None else default_min_confidence(model_path)


TTA_SHIFTS = ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1))
"""Test-time augmentation: each digit is also read shifted by one pixel in each direction and the five answers'
probabilities are averaged. Measured to help on photos, numbers and other collections' handwriting (README,
"Photos and scans"), for five times the network's work, which is a small part of the time per image."""


def shifted_copies(digits_uint8: np.ndarray, shifts=TTA_SHIFTS) -> np.ndarray:
    """uint8 (N, 28, 28) -> uint8 (len(shifts) * N, 28, 28): each shift (rows, columns) of every image, the
    pixels moved out of the frame dropped and the ones moved in black."""
    count, height, width = digits_uint8.shape
    padded = np.pad(digits_uint8, ((0, 0), (1, 1), (1, 1)))
    return np.concatenate([padded[:, 1 - dy : 1 - dy + height, 1 - dx : 1 - dx + width] for dy, dx in shifts]).reshape(
        len(shifts) * count, height, width
    )


def predict_arrays(
    predictor: Predictor, digits_uint8: np.ndarray, tta: bool = True, may_be_stretched: bool = True
) -> np.ndarray:
    """uint8 (N, 28, 28) images -> float32 (N, 10) probabilities.

    With ``tta``, each digit's probabilities are averaged over ``TTA_SHIFTS``; when ``may_be_stretched``, a digit
    whose box is near square is also read narrowed (``digits.preprocess.narrowed``: whatever cut it out may have
    stretched it to fill a square) and the two averages are combined, the narrowed one weighted by
    ``digits.preprocess.narrowed_weight``.
    """
    if not tta or len(digits_uint8) == 0:
        return predictor.predict_batch(to_model_input(digits_uint8))
    frames = map(narrowed, digits_uint8) if may_be_stretched else ()
    narrow = [(index, frame) for index, frame in enumerate(frames) if frame is not None]
    batch = np.concatenate(
        [digits_uint8, np.array([frame for _, frame in narrow], np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)]
    )
    copies = predictor.predict_batch(to_model_input(shifted_copies(batch)))
    averaged = copies.reshape(len(TTA_SHIFTS), len(batch), -1).mean(axis=0)
    probabilities = averaged[: len(digits_uint8)].copy()
    for row, (index, _) in enumerate(narrow, start=len(digits_uint8)):
        weight = narrowed_weight(digits_uint8[index])
        probabilities[index] = (1 - weight) * probabilities[index] + weight * averaged[row]
    return probabilities


def predict_number_digits(predictor: Predictor, frames: np.ndarray, tta: bool = True) -> np.ndarray:
    """The probabilities of a number's digits, as ``cut_number`` cut them from one image (uint8 (N, 28, 28)).

    Read with shifts, and narrowed only when the number itself says its digits were stretched
    (``number_looks_stretched``). Our own segmenter keeps each digit as it was written, so a wide digit in a
    number written by hand is wide on the paper: narrowing every near-square digit cost photographed numbers,
    whose thick near-square digits were read as 1 (README, "How an image is prepared").
    """
    return predict_arrays(predictor, frames, tta=tta, may_be_stretched=number_looks_stretched(frames))


def number_looks_stretched(frames: np.ndarray) -> bool:
    """Whether every digit of a number is near square (``digits.preprocess.NEAR_SQUARE``), its narrowest too.

    Why: a hand writes a 1 far narrower than it is high, and most digits narrower than square; a number whose
    every digit is as wide as high was put together from digits stretched to fill boxes (a form's cells cut out
    and pasted in a line, a collection normalised to squares such as mfeat). Read as written, mfeat's stretched
    1s are 4s and 7s; its numbers read exactly 48.5% as written, 62.75% read narrowed too. The photo benchmark's
    numbers, 6% of which pass this test, read as before (README, "Numbers of stretched digits")."""
    return len(frames) > 0 and all(is_near_square(frame) for frame in frames)


UNSHARPENED_MARGIN = 0.1
"""A number read with its enlarged digits not sharpened is taken only when its least confident digit is this much
more confident than sharpened: a small blurred marker digit left unsharpened is a blob read confidently wrong (the
suite's 987822 read 887822 with any margin under this)."""


def read_number_digits(predictor: Predictor, gray: np.ndarray) -> tuple[list[FoundDigit], np.ndarray]:
    """The digits of a number in a grey image and their probabilities, as the CLI reads them: its ink found once
    (``find_number_ink``) and cut twice (``cut_number``, which decides between ways to cut a mark by how its pieces
    read: shifted, never narrowed, as they are not yet a number), its enlarged digits sharpened and not; the
    reading whose least confident digit is more confident wins (``predict_number_digits``; the unsharpened one by ``UNSHARPENED_MARGIN``).

    Why both: sharpening an enlarged digit clears a blurred photo's haze from its loops (README, "A number's small
    digits are sharpened once enlarged"), but rings round the steps of a coarse bitmap enlarged smoothly (optdigits'
    8x8 digits, mfeat's 15x16): numbers of their digits read exactly 85.5% and 62.75% sharpened, 91% and 73.5% not,
    USPS's and the photo benchmark's the other way round. Nothing in the image says which a digit is; how the number
    reads does: 90.5% and 68.5% now (README, "Sharpened or not")."""
    classify = lambda arrays: predict_arrays(predictor, arrays, may_be_stretched=False)  # noqa: E731
    ink = find_number_ink(gray)
    best, refused = None, None
    for sharpen in (True, False):
        try:
            found = cut_number(ink, classify=classify, sharpen=sharpen)
        except TooManyDigits as error:  # more digits one way than a number may have: the other way may fit
            refused = refused or error
            continue
        probabilities = predict_number_digits(predictor, np.stack([digit.frame for digit in found]))
        if best is None or probabilities.max(axis=1).min() > best[1].max(axis=1).min() + UNSHARPENED_MARGIN:
            best = (found, probabilities)
    if best is None:
        raise refused
    return best


def _digit_result(
    path: Path, network_input: np.ndarray, probabilities: np.ndarray, min_confidence: float, in_doubt: bool = False
) -> DigitResult:
    """A digit's result: uncertain under ``min_confidence`` or, when unsure answers are marked at all
    (``min_confidence`` above 0), when it was cut from a mark that might as well be other digits (``in_doubt``)."""
    digit = int(np.argmax(probabilities))
    confidence = float(probabilities[digit])
    uncertain = confidence < min_confidence or (in_doubt and min_confidence > 0)
    return DigitResult(path, digit, confidence, tuple(float(p) for p in probabilities), uncertain, network_input)


def predict_files(
    predictor: Predictor, paths: Iterable[Path], min_confidence: float = 0.0, batch_size: int = BATCH_SIZE
) -> Iterator[DigitResult | NoDigit | Failure]:
    """Read one digit from each file, in order: a DigitResult, a NoDigit for a blank image, or a Failure for a
    file that could not be read. Files are decoded and preprocessed one by one and run through the model in
    batches."""
    pending: list[tuple[Path, np.ndarray]] = []

    def flush() -> Iterator[DigitResult]:
        probabilities = predict_arrays(predictor, np.stack([array for _, array in pending]))
        for (path, array), probs in zip(pending, probabilities):
            yield _digit_result(path, array, probs, min_confidence)
        pending.clear()

    for path in paths:
        try:
            pending.append((path, load_digit_array(path)))
        except (DigitsError, NoDigitFound) as problem:
            yield from flush() if pending else ()
            yield NoDigit(path) if isinstance(problem, NoDigitFound) else Failure(path, str(problem))
            continue
        if len(pending) >= batch_size:
            yield from flush()
    if pending:
        yield from flush()


def read_numbers(predictor: Predictor, paths: Iterable[Path], min_confidence: float = 0.0) -> Iterator[Result]:
    """Read a number from each file, in order: a NumberResult, or a Failure for a file that could not be read."""
    for path in paths:
        try:
            yield read_number(predictor, path, min_confidence)
        except DigitsError as error:
            yield Failure(path, str(error))


def read_files(
    predictor: Predictor, paths: Iterable[Path], min_confidence: float = 0.0, number: bool = False
) -> Iterator[Result]:
    """The one path iterator of the command line: each file's result, in order, as a digit or as a number."""
    return read_numbers(predictor, paths, min_confidence) if number else predict_files(predictor, paths, min_confidence)


def predict_gray(
    predictor: Predictor, gray: np.ndarray, source: Path, min_confidence: float = 0.0
) -> DigitResult | NoDigit:
    """Read the digit of one grey image (uint8 (H, W), any size)."""
    try:
        frame = preprocess_digit(gray)
    except NoDigitFound:
        return NoDigit(source)
    return _digit_result(source, frame, predict_arrays(predictor, frame[np.newaxis])[0], min_confidence)


def read_number_gray(
    predictor: Predictor, gray: np.ndarray, source: Path, min_confidence: float = 0.0, scale: float = 1.0
) -> NumberResult:
    """Read a handwritten number (digits in one line) from a grey image; no digits when it is blank.

    ``scale`` is how many pixels of the user's image one pixel of ``gray`` stands for (large images are read
    reduced): the boxes are given in the user's pixels. Raises DigitsError naming ``source`` when the image holds
    more digit-sized parts than a number may have.
    """
    try:
        found, probabilities = read_number_digits(predictor, gray)
    except NoDigitFound:
        return NumberResult(source, (), ())
    except TooManyDigits as error:
        raise DigitsError(f"{source}: {error}") from None
    digits = tuple(
        _digit_result(source, digit.frame, probs, min_confidence, digit.cut_in_doubt)
        for digit, probs in zip(found, probabilities)
    )
    boxes = tuple(
        tuple(int(round(value * scale)) for value in (digit.box.left, digit.box.top, digit.box.right, digit.box.bottom))
        for digit in found
    )
    return NumberResult(source, digits, boxes)


def read_number(predictor: Predictor, path: Path, min_confidence: float = 0.0) -> NumberResult:
    """Read a handwritten number from an image file; raises DigitsError when the file cannot be read."""
    gray, scale = read_gray(path, decode_side(number=True))
    return read_number_gray(predictor, gray, path, min_confidence, scale)

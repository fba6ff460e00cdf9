"""What reading an input can give, as four small types with one JSON form and one text form each.

Every front end (the command line, the HTTP service, ``--evaluate``) reports through these, so their outputs
cannot drift apart:

- ``DigitResult``: a digit was read (with its confidence, the ten probabilities and the 28x28 input the network saw);
- ``NoDigit``: the image holds no ink that could be a digit (blank, noise, paper texture): an answer, not an error;
- ``NumberResult``: a number read left to right, each digit with its box (no digits: the image is blank);
- ``Failure``: the input could not be read at all (missing, not an image, too large...), with a one-line message
  that names it.

``to_json()`` gives the fields without the input's name (the service answers for one upload); the command line
adds ``path`` in front (``output_line``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

JSON_DIGITS = 6
"""Probabilities and confidences are rounded to this many decimals in JSON output."""


@dataclass(frozen=True)
class DigitResult:
    """One digit read: ``uncertain`` when its confidence is under the reader's minimum confidence."""

    path: Path
    digit: int
    confidence: float
    probabilities: tuple[float, ...]
    uncertain: bool = False
    network_input: np.ndarray | None = field(default=None, repr=False, compare=False)

    def top_k(self, k: int) -> list[tuple[int, float]]:
        """The ``k`` most probable digits with their probabilities, most probable first."""
        order = np.argsort(self.probabilities)[::-1][:k]
        return [(int(digit), float(self.probabilities[digit])) for digit in order]

    def to_json(self, top_k: int = 1, inputs: bool = False) -> dict:
        """The JSON fields; ``inputs`` adds ``network_input``, the 28x28 grey levels the network saw (rows)."""
        record = {
            "digit": self.digit,
            "confidence": round(self.confidence, JSON_DIGITS),
            "probabilities": [round(p, JSON_DIGITS) for p in self.probabilities],
            "uncertain": self.uncertain,
        }
        if top_k > 1:
            record["top_k"] = [{"digit": d, "probability": round(p, JSON_DIGITS)} for d, p in self.top_k(top_k)]
        if inputs and self.network_input is not None:
            record["network_input"] = self.network_input.tolist()
        return record

    def to_text(self, top_k: int = 1) -> str:
        """'7 (99.12%)', with a mark when uncertain and the top-k list when asked."""
        text = f"{self.digit} ({self.confidence:.2%})"
        if self.uncertain:
            text += " uncertain"
        if top_k > 1:
            text += f"   top {top_k}: " + ", ".join(f"{d} {p:.2%}" for d, p in self.top_k(top_k))
        return text


@dataclass(frozen=True)
class NoDigit:
    """The image holds no digit: uniform, or only noise, specks or paper texture."""

    path: Path
    digit: ClassVar[None] = None
    network_input: ClassVar[None] = None

    def to_json(self, top_k: int = 1, inputs: bool = False) -> dict:
        return {"digit": None, "no_digit": True}

    def to_text(self, top_k: int = 1) -> str:
        return "no digit found"


@dataclass(frozen=True)
class NumberResult:
    """A number read from one image: its digits left to right, each with its box (left, top, right, bottom) in
    the image's own pixels. No digits means the image is blank."""

    path: Path
    digits: tuple[DigitResult, ...]
    boxes: tuple[tuple[int, int, int, int], ...]

    @property
    def text(self) -> str:
        return "".join(str(p.digit) for p in self.digits)

    @property
    def uncertain(self) -> bool:
        return any(p.uncertain for p in self.digits)

    def to_json(self, top_k: int = 1, inputs: bool = False) -> dict:
        return {
            "number": self.text or None,
            "uncertain": self.uncertain,
            "digits": [{**p.to_json(top_k, inputs), "box": list(box)} for p, box in zip(self.digits, self.boxes)],
        }

    def to_text(self, top_k: int = 1) -> str:
        if not self.digits:
            return "no digit found"
        details = ", ".join(f"{p.digit} {p.confidence:.1%}{' uncertain' if p.uncertain else ''}" for p in self.digits)
        return f"{self.text}{' (uncertain)' if self.uncertain else ''}   [{details}]"


@dataclass(frozen=True)
class Failure:
    """An input that could not be read; ``message`` is one line that names it and the problem."""

    path: Path
    message: str

    def to_json(self, top_k: int = 1, inputs: bool = False) -> dict:
        return {"error": self.message}

    def to_text(self, top_k: int = 1) -> str:
        return f"error: {self.message}"


Result = DigitResult | NoDigit | NumberResult | Failure


def network_inputs(result: Result) -> list[np.ndarray]:
    """The 28x28 images the network saw for a result: one per digit read, none for a blank or a failure."""
    digits = result.digits if isinstance(result, NumberResult) else (result,)
    return [p.network_input for p in digits if isinstance(p, DigitResult) and p.network_input is not None]


def output_line(result: Result, as_json: bool = False, top_k: int = 1) -> str:
    """The command line's line for a result: ``<path>: <text>``, or a JSON object with ``path`` first."""
    if as_json:
        return json.dumps({"path": str(result.path), **result.to_json(top_k)})
    return f"{result.path}: {result.to_text(top_k)}"

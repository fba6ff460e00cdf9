"""What a user is told about each answer a benchmark reads: right or wrong, and marked unsure or not.

One rule for every benchmark, the CLI's: an answer is marked unsure when its confidence is under the threshold
(a number: when any of its digits is, so its confidence is its least sure digit's). An image answered "no digit
found" (or a number not read) counts as wrong and is never given as sure. A wrong answer given as sure is the one
a user cannot catch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digits.training.calibration import best_threshold

TOLD = ("right, sure", "right, marked unsure", "wrong, marked unsure", "wrong, given as sure", "not read")
"""What the user is told about one answer, in the order of the told table's columns."""


def told(right: bool, unsure: bool, read: bool = True) -> str:
    """The ``TOLD`` bucket of one answer."""
    if not read:
        return TOLD[4]
    if right:
        return TOLD[1] if unsure else TOLD[0]
    return TOLD[2] if unsure else TOLD[3]


@dataclass
class Readings:
    """Answers as the CLI gave them: per image, right or not, and the confidence (0 for an image not read)."""

    right: np.ndarray
    confidence: np.ndarray

    @classmethod
    def collect(cls, answers: list[tuple[bool, float]]) -> Readings:
        """From (right, confidence) pairs, one per image."""
        right, confidence = zip(*answers) if answers else ((), ())
        return cls(np.array(right, bool), np.array(confidence, np.float64))

    def accuracy(self) -> float:
        return float(self.right.mean())

    def blank(self) -> float:
        return float((self.confidence == 0).mean())

    def given_as_sure(self, threshold: float) -> float:
        """The share misread with a confidence of at least ``threshold``: not marked unsure, as the CLI marks."""
        return float((~self.right & (self.confidence >= threshold)).mean())

    def flagged(self, threshold: float) -> str:
        """The shares of wrong and of right answers marked unsure at ``threshold``, as "wrong / right" ("—" for
        a share of no answers)."""
        unsure = self.confidence < threshold
        wrong = f"{unsure[~self.right].mean():.0%}" if (~self.right).any() else "—"
        right = f"{unsure[self.right].mean():.1%}" if self.right.any() else "—"
        return f"{wrong} / {right}"

    def best_threshold(self) -> float | None:
        """The threshold that would best separate this set's wrong answers from its right ones, by the rule that
        chose the model's own on its validation digits (``digits.training.calibration.best_threshold``); None when
        there is nothing to separate (every answer right, or none)."""
        if self.right.all() or not self.right.any():
            return None
        return best_threshold(self.confidence, self.right)["min_confidence"]

    def told_shares(self, threshold: float) -> dict[str, float]:
        """The share of answers in each ``TOLD`` bucket at ``threshold``."""
        buckets = [
            told(bool(right), bool(confidence < threshold), bool(confidence > 0))
            for right, confidence in zip(self.right, self.confidence)
        ]
        return {bucket: buckets.count(bucket) / max(1, len(buckets)) for bucket in TOLD}

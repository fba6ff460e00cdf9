"""The uncertainty threshold of a trained model, chosen on its validation set and stored in its metadata."""

from __future__ import annotations

import numpy as np


def best_threshold(confidence: np.ndarray, correct: np.ndarray) -> dict:
    """Among thresholds 0.30, 0.31, ... 0.99, the one that best separates wrong answers from right ones: the
    largest (share of wrong answers flagged) - (share of right answers flagged), Youden's J. Returns the
    threshold with both shares, so the choice can be documented; 0.5 when the answers are all right or all wrong.

    Why a function of its own: the benchmarks ask the same question of each collection of other people's
    handwriting, to show how far apart the thresholds that would suit them are (README, "Results")."""
    best = {"min_confidence": 0.5, "wrong_flagged": 0.0, "right_flagged": 0.0}
    if correct.all() or not correct.any():
        return best
    best_score = -1.0
    for threshold in np.round(np.arange(0.30, 0.995, 0.01), 2):
        flagged = confidence < threshold
        wrong_flagged = float(flagged[~correct].mean())
        right_flagged = float(flagged[correct].mean())
        if wrong_flagged - right_flagged > best_score:
            best_score = wrong_flagged - right_flagged
            best = {"min_confidence": float(threshold), "wrong_flagged": wrong_flagged, "right_flagged": right_flagged}
    return best


def choose_min_confidence(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """The confidence under which a prediction is called uncertain, chosen on held-out (validation) data: the
    ``best_threshold`` of its top probabilities."""
    return best_threshold(probabilities.max(axis=1), probabilities.argmax(axis=1) == labels)

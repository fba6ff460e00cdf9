"""Reading a whole number: the digits of one handwritten line, left to right, each made MNIST-style.

Components of the ink (``digits.preprocess.analyse``) that share most of their columns are one digit (broken
strokes, a detached bar); marks far smaller than the line are dropped; a group too wide for one digit is cut
where touching digits meet: at the columns with the least ink, the way whose pieces read best (``read_cuts``),
or, with no classifier to ask, at even steps of a digit's usual width. More than ``MAX_DIGITS`` digit-sized
marks is refused at once (a grid, a texture), so the work per image stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from digits.arrays import Box, Component, percentile_last_axis, true_runs, union_box
from digits.preprocess import (
    SCATTERED_PIECES,
    InkAnalysis,
    NoDigitFound,
    analyse,
    ink_crop,
    is_shadow_edge,
    scattered_pieces,
    to_mnist_frame,
    upscale_small,
)

SAME_DIGIT_OVERLAP = 0.5
"""Two marks sharing this share of the narrower one's columns belong to one digit (a broken stroke, a bar)."""
SAME_DIGIT_GAP = 0.5
"""...and lie at most this share of the taller one's height apart vertically (a dash of a ruled line above or
below the digits shares their columns but is far from them)."""
SMALL_MARK_HEIGHT = 0.35
"""Marks under this share of the line's height are specks or dots, not digits."""
BAR_OVERLAP = 0.3
"""A small mark sharing at least this share of its columns with a digit just above or below it is that digit's
detached bar (``SAME_DIGIT_OVERLAP`` asks half of the narrower one's: a 5's bar often reaches past its body)."""
BAR_GAP = 0.15
"""...when it lies within this share of the digit's height of it (a ruled line's dash is further away)."""
ONE_DIGIT_WIDTH = 1.1
"""A group at most this many line heights wide is one digit."""
DIGIT_PITCH = 0.72
"""A digit's usual width, in line heights: how many touching digits a wide group holds."""
CERTAINLY_SEVERAL = 1.8
"""A group wider than this many line heights is certainly several digits; in between, the classifier decides."""
CUT_WINDOW = 0.25
"""A cut between touching digits is looked for within this share of a digit's width around the even position."""
INK_LEVEL = 0.1
"""Ink (0..1) above this level counts when trimming a digit's crop to its box."""
CUT_NEIGHBOURHOOD = 0.08
"""Where a wide group is cut by how its pieces read (``read_cuts``), a cut is tried at each column with the
least ink within this share of the line's height either side: where two digits meet, the ink thins."""
CUT_STROKES = 2
"""...crossing at most this many strokes (the stroke joining two digits, or one stroke of each where they share
columns); a cut across more goes through a digit's body (a 0's or an 8's loops and its middle)."""
PIECE_HEIGHT = 0.65
"""A piece cut from a group is a digit only if its ink is at least this share of the line's height tall: a 1's
flag or a 2's tail cut off is read as a confident 1 but is no digit."""
PIECE_WIDTH = 1.3
"""...and at most this many line heights wide (the whole group may be one digit up to ``CERTAINLY_SEVERAL``)."""
CUT_DOUBT = 0.05
"""A group whose best way to cut into another number of digits reads within this much (its least confident
piece's confidence) of the way chosen is in doubt: its digits are marked unsure, however confident each is. Why:
two digits overlapping read as one confident digit, or one wide digit read as two, is a wrong number no digit's
confidence warns of (README, "Numbers written close")."""


NUMBER_WORK_SIDE = 480
"""Longer side of the reduced copy for whole numbers (several digits need more pixels to find their gaps)."""
MAX_DIGITS = 10
"""The longest number read from one image; more digit-sized marks are refused (bounded work per image)."""
MAX_NUMBER_PARTS = 8 * MAX_DIGITS
"""Separate ink marks a number may have (a digit in pieces, a few specks); more is a grid or texture, refused."""
MAX_CUTS = 3 * MAX_DIGITS
"""The most places a group is tried cut at (``cut_columns``), the ones with the least ink: the pieces read stay a
few hundred whatever the image holds."""


class FoundDigit(NamedTuple):
    """One digit of a number as ``segment_number`` found it: its box in the image's pixels, its MNIST-style
    uint8 (28, 28) frame, and whether the mark it was cut from might as well be cut into another number of
    digits (``CUT_DOUBT``)."""

    box: Box
    frame: np.ndarray
    cut_in_doubt: bool = False


class TooManyDigits(ValueError):
    """The image holds more digit-sized parts than a number may have (``MAX_DIGITS``): a grid, a texture, a
    page of text. Refused at once rather than read as dozens of "digits"."""


def _x_overlap(a: Box, b: Box) -> int:
    return min(a.right, b.right) - max(a.left, b.left)


def same_digit(a: Box, b: Box) -> bool:
    """Whether two marks are pieces of one digit: they share most of the narrower one's columns and are close
    above or below each other."""
    share_columns = _x_overlap(a, b) >= SAME_DIGIT_OVERLAP * min(a.width, b.width)
    close = max(a.top, b.top) - min(a.bottom, b.bottom) <= SAME_DIGIT_GAP * max(a.height, b.height)
    return share_columns and close


def group_into_digits(parts: list[Component]) -> list[list[Component]]:
    """Components -> digits, left to right: pieces sharing most of their columns, one close above the other, are
    one digit (broken strokes, a detached bar); a small mark just above or below a digit, sharing part of its
    columns, is that digit's bar; other marks far below the line's height (specks, dots, dashes of a ruled line)
    are dropped."""
    groups: list[list[Component]] = []
    boxes: list[Box] = []
    for part in sorted(parts, key=lambda p: p.box.left):
        for index, box in enumerate(boxes):
            if same_digit(part.box, box):
                groups[index].append(part)
                boxes[index] = union_box([Component(0, 0, box), part])
                break
        else:
            groups.append([part])
            boxes.append(part.box)
    line_height = max(box.height for box in boxes)
    is_digit = [box.height >= SMALL_MARK_HEIGHT * line_height for box in boxes]
    digits = [group for group, keep in zip(groups, is_digit) if keep]
    digit_boxes = [box for box, keep in zip(boxes, is_digit) if keep]
    for group, box, keep in zip(groups, boxes, is_digit):
        if not keep and (owner := _bar_owner(box, digit_boxes)) is not None:
            digits[owner].extend(group)
    return digits


def _bar_owner(mark: Box, digit_boxes: list[Box]) -> int | None:
    """The digit a small mark is a detached part of (a 5's or 7's bar written apart from its body): the one it
    touches or nearly touches above or below whose columns it shares most, if it shares at least
    ``BAR_OVERLAP`` of its own width; None for a speck or a dash on its own."""
    best, best_overlap = None, BAR_OVERLAP * mark.width
    for index, box in enumerate(digit_boxes):
        gap = max(box.top, mark.top) - min(box.bottom, mark.bottom)
        overlap = _x_overlap(mark, box)
        if gap <= BAR_GAP * box.height and overlap >= best_overlap:
            best, best_overlap = index, overlap
    return best


def group_mask(group: list[Component], labels: np.ndarray) -> np.ndarray:
    """The ink of a group's components within its box (the label image cut to it): other marks inside left out."""
    box = union_box(group)
    return np.isin(labels[box.top : box.bottom, box.left : box.right], [part.label for part in group])


def column_ranges(group: list[Component], labels: np.ndarray, count: int) -> list[tuple[int, int]]:
    """Split a group's columns into ``count`` digits, cutting at the columns with the least ink near the evenly
    spaced positions (where touching digits meet)."""
    box = union_box(group)
    if count == 1:
        return [(box.left, box.right)]
    mask = group_mask(group, labels)
    profile = mask.sum(axis=0).astype(np.float32)
    cuts = [box.left]
    for k in range(1, count):
        nominal = k * box.width / count
        window = max(1, int(CUT_WINDOW * box.width / count))
        low, high = int(max(1, nominal - window)), int(min(box.width - 1, nominal + window))
        cuts.append(box.left + low + int(np.argmin(profile[low:high])) if high > low else box.left + int(nominal))
    cuts.append(box.right)
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


def split_candidates(width: int, line_height: int) -> list[int]:
    """How many digits a group of this width may hold: one when it is not much wider than the line is high,
    the count its width suggests when it is far too wide for one, both when in doubt."""
    if width <= ONE_DIGIT_WIDTH * line_height:
        return [1]
    guess = max(2, int(round(width / (DIGIT_PITCH * line_height))))
    return [guess] if width > CERTAINLY_SEVERAL * line_height else [1, guess]


@dataclass(frozen=True)
class NumberInk:
    """A number's ink found once (``find_number_ink``), to be cut into digits one way or another (``cut_number``):
    the grey image as analysed (small ones enlarged), its analysis, the groups of components that are digits or
    touching digits, left to right, and the line's height (work-copy pixels)."""

    gray: np.ndarray
    analysis: InkAnalysis
    groups: list[list[Component]]
    line_height: int


def find_number_ink(gray: np.ndarray) -> NumberInk:
    """Grey image of a handwritten number in one line -> its ink grouped into digit-sized marks. Raises
    NoDigitFound for a blank image, TooManyDigits for more marks than a number may have."""
    gray, upscaled = upscale_small(gray)
    analysis = analyse(gray, NUMBER_WORK_SIDE, bridge=3, upscaled=upscaled)
    if len(analysis.components) > MAX_NUMBER_PARTS:
        raise TooManyDigits(
            f"more than {MAX_DIGITS} digits ({len(analysis.components)} separate marks); not one number"
        )
    groups = group_into_digits(analysis.components)
    if len(groups) > MAX_DIGITS:
        raise TooManyDigits(f"more than {MAX_DIGITS} digits ({len(groups)} digit-sized marks); not one number")
    line_height = line_height_of(groups)
    groups = [group for group in groups if not is_scattered_mark(analysis, group, line_height)]
    if not groups:
        raise NoDigitFound("only scattered specks, no strokes")
    groups = [group for group in groups if not is_shadow_edge(analysis, group)]
    if not groups:
        raise NoDigitFound("only the edge of a shadow, no ink")
    return NumberInk(gray, analysis, groups, line_height_of(groups))


def line_height_of(groups: list[list[Component]]) -> int:
    """A number's line height: that of its taller marks (a 1's flag or a minus sign cut off is not a digit)."""
    return int(percentile_last_axis(np.array([union_box(group).height for group in groups]), 75))


def is_scattered_mark(analysis: InkAnalysis, group: list[Component], line_height: int) -> bool:
    """Whether a mark of a number is noise, not writing: its pieces and holes (``scattered_pieces``, its own
    only) number ``SCATTERED_PIECES`` or more for each line height of its width, as a single digit's ink is noise
    (``digits.preprocess.is_scattered``).

    Why: salt-and-pepper noise given to ``--number`` was read as a long number of garbage digits. Digits written
    in a number have at most 4 pieces and holes per line height of a mark's width (touching digits' loops
    included), over 5,774 marks of the real collections' numbers; noise from 64x200 up, dozens to thousands.
    """
    width_in_lines = max(1.0, union_box(group).width / max(line_height, 1))
    return scattered_pieces(analysis, group, parts=group) >= SCATTERED_PIECES * width_in_lines


def segment_number(gray: np.ndarray, classify=None, sharpen: bool = True) -> list[FoundDigit]:
    """Grey image of a handwritten number in one line -> its digits, left to right (``FoundDigit``: box in image
    pixels, MNIST-style uint8 (28, 28), whether its cut is in doubt). Raises NoDigitFound for a blank image.
    ``find_number_ink``, then ``cut_number``."""
    return cut_number(find_number_ink(gray), classify, sharpen)


def cut_number(ink: NumberInk, classify=None, sharpen: bool = True) -> list[FoundDigit]:
    """A number's ink (``find_number_ink``) -> its digits, left to right.

    Pieces of one digit are merged (shared columns, gaps bridged); a group too wide for one digit is split
    where touching digits meet. With ``classify`` (uint8 (N, 28, 28) -> probabilities (N, 10)), how the pieces
    read decides where and into how many (``read_cuts``; the whole group, while it may still be one wide digit,
    is one way): the reading whose least confident digit is most confident wins, and its digits are in doubt
    when a reading with another number of digits comes within ``CUT_DOUBT`` of it. Without it, the width alone
    decides, cutting at even steps. ``sharpen``: a digit enlarged to be read is sharpened (``to_mnist_frame``).
    """
    gray, analysis, line_height = ink.gray, ink.analysis, ink.line_height
    digits = []
    for group in ink.groups:
        width = union_box(group).width
        if classify is not None and width > ONE_DIGIT_WIDTH * line_height:
            cut = read_cuts(gray, analysis, group, line_height, classify, sharpen)
            if cut:
                pieces, in_doubt = cut
                digits.extend(FoundDigit(box, frame, in_doubt) for box, frame in pieces)
                continue
        readings = [
            [
                crop
                for crop in (
                    _digit_from_columns(gray, analysis, group, columns, sharpen)
                    for columns in column_ranges(group, analysis.labels, count)
                )
                if crop
            ]
            for count in split_candidates(width, line_height)
        ]
        readings = [reading for reading in readings if reading]
        if len(readings) > 1 and classify is not None:
            weakest = [
                float(classify(np.stack([frame for _, frame in reading])).max(axis=1).min()) for reading in readings
            ]
            digits.extend(FoundDigit(box, frame) for box, frame in readings[int(np.argmax(weakest))])
        elif readings:
            digits.extend(FoundDigit(box, frame) for box, frame in readings[-1])
    if not digits:
        raise NoDigitFound("no digits found")
    if len(digits) > MAX_DIGITS:
        raise TooManyDigits(f"more than {MAX_DIGITS} digits; not one number")
    return digits


def cut_columns(mask: np.ndarray, line_height: int) -> list[int]:
    """Where a group of ink (``mask``, cut to its box) may be cut between touching digits: the columns with the
    least ink within ``CUT_NEIGHBOURHOOD`` of the line's height either side (the middle of a run of them),
    crossing at most ``CUT_STROKES`` strokes, not at the group's very edges; at most ``MAX_CUTS`` of them."""
    profile = mask.sum(axis=0).astype(np.float32)
    width = len(profile)
    reach = max(1, round(CUT_NEIGHBOURHOOD * line_height))
    padded = np.pad(profile, reach, constant_values=np.inf)
    least = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1).min(axis=1)
    strokes = np.diff(np.vstack([np.zeros((1, width), bool), mask]).astype(np.int8), axis=0).clip(0).sum(axis=0)
    columns = np.arange(width)
    allowed = (profile <= least) & (strokes <= CUT_STROKES) & (columns >= reach) & (columns <= width - reach)
    cuts = [(start + end) // 2 for start, end in true_runs(allowed)]
    return sorted(sorted(cuts, key=lambda column: profile[column])[:MAX_CUTS])


def read_cuts(
    gray: np.ndarray, analysis: InkAnalysis, group: list[Component], line_height: int, classify, sharpen: bool = True
):
    """The digits of a group too wide for one digit, cut where its pieces read best: of every way to cut it at
    ``cut_columns`` into pieces of a digit's height and width (the whole group too, if not certainly several),
    the one whose least confident piece is most confident; and whether the best way into another number of
    pieces comes within ``CUT_DOUBT`` of it. None if there is no such way.

    Why: touching digits were cut at even steps of a usual digit's width, so digits written close, of unequal
    widths (a 1 beside a 0), were cut through their middles or not cut at all; numbers of real digits written
    touching were read exactly 16-44% of the time, 34-57% now (README, "Numbers written close")."""
    box = union_box(group)
    nodes = [0, *cut_columns(group_mask(group, analysis.labels), line_height), box.width]
    whole_allowed = box.width <= CERTAINLY_SEVERAL * line_height
    spans, pieces = [], []
    for start, left in enumerate(nodes):
        for end in range(start + 1, len(nodes)):
            whole = start == 0 and end == len(nodes) - 1 and whole_allowed
            if nodes[end] - left > PIECE_WIDTH * line_height and not whole:
                continue
            piece = _digit_from_columns(gray, analysis, group, (box.left + left, box.left + nodes[end]), sharpen)
            if piece and piece[0].height >= PIECE_HEIGHT * line_height * analysis.factor_y:
                spans.append((start, end))
                pieces.append(piece)
    if not pieces:
        return None
    confidence = classify(np.stack([frame for _, frame in pieces])).max(axis=1)
    # The best way to reach each cut: its weakest piece's confidence, and the piece that ends there; and, for the
    # doubt, the best way to reach it in each number of pieces. The spans come ordered by where they start, so
    # every way to reach a cut is known before a piece starts from it.
    weakest = [np.inf] + [-np.inf] * (len(nodes) - 1)
    last: list[int | None] = [None] * len(nodes)
    by_count = np.full((len(nodes), len(nodes)), -np.inf)
    by_count[0, 0] = np.inf
    for index, (start, end) in enumerate(spans):
        value = min(weakest[start], float(confidence[index]))
        if value > weakest[end]:
            weakest[end], last[end] = value, index
        by_count[end, 1:] = np.maximum(by_count[end, 1:], np.minimum(by_count[start, :-1], confidence[index]))
    if last[-1] is None:
        return None
    chosen, end = [], len(nodes) - 1
    while end:
        chosen.append(pieces[last[end]])
        end = spans[last[end]][0]
    others = np.delete(by_count[-1], len(chosen))
    return chosen[::-1], bool(others.max() >= weakest[-1] - CUT_DOUBT)


def _digit_from_columns(
    gray: np.ndarray, analysis: InkAnalysis, group: list[Component], columns: tuple[int, int], sharpen: bool = True
):
    """The digit of ``group`` between work-copy ``columns``: (box in image pixels, uint8 28x28), or None if empty."""
    ink = ink_crop(gray, analysis, group, columns)
    rows = np.flatnonzero(ink.max(axis=1) > INK_LEVEL)
    cols = np.flatnonzero(ink.max(axis=0) > INK_LEVEL)
    if len(rows) == 0 or len(cols) == 0:
        return None
    height, width = gray.shape
    work_box = union_box(group)
    crop_box = Box(max(work_box.left, columns[0]), work_box.top, min(work_box.right, columns[1]), work_box.bottom)
    origin = crop_box.scaled(analysis.factor_x, analysis.factor_y, width, height)
    box = Box(
        origin.left + int(cols[0]),
        origin.top + int(rows[0]),
        origin.left + int(cols[-1]) + 1,
        origin.top + int(rows[-1]) + 1,
    )
    return box, to_mnist_frame(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], sharpen_enlarged=sharpen)

"""Printed boxes around handwriting: a form's cell cut out with its box, a field of cells or a comb.

A box is found in an ink mask by its shape (``frame_bands``): straight thin sides, inked nearly all along, standing
apart from what is written inside, with something written inside (or, left empty, with square corners).
``digits.preprocess`` clears its sides from the mask as it clears ruled lines, and tells the polarity of a cell cut
along its box inside the box (``inside_printed_box``). numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digits.arrays import clear_bands, ink_components, median_of, true_runs

FRAME_SIDE_COVER = 0.85
"""A printed box's (a form cell's) sides are inked over this share of its width and height: a digit's bar or stem
may be as long as the digit, but no digit has straight sides at its left, its right and its bottom."""
FRAME_LINE_THICKNESS = 0.08
"""...each side at most this share of the box's height (or width) thick, and at least 2 work pixels."""
FRAME_INSIDE_INK = 0.01
"""...and has ink inside its walls on at least this share of the space they enclose (a square 0 is hollow)."""
FRAME_MIN_SIDE = 8
"""Work pixels: a smaller mark is no box a digit could be written in."""
COMB_TEETH_HEIGHT = 0.6
"""A comb's teeth rise at most this share of the width of the cells between them (forms print them a quarter to
a half of the cell high): a round digit with a flat bottom (a 0 written small) has sides as high as it is wide."""
UPRIGHT_DRIFT = 2
"""Work pixels a comb's tooth may drift sideways from its top to its foot (a form scanned a degree askew)."""
EMPTY_BOX_HOLE = 5
"""An empty printed box encloses paper at least this many times as wide and as high as its lines are thick (print:
15 times and more)."""
APART_ROWS = 3
"""A box's side stands apart from what is written in it: one of the rows this close inside it is mostly paper (a
digit's bar may lie along the side for a row or two)."""
WRITTEN_BOX_HOLE = 2.5
"""A box with writing in it encloses paper at least this many times as wide and as high as its sides are thick: a
small digit seen at the low ink level boxes are looked for at (an 8, its loops two "cells") is as thick as its holes."""
WRITING_HEIGHT = 0.4
"""A box whose corners are not square (a pen's, or print's rounded) has writing inside it at least this share of its
inside high."""
LINE_RUN_ON = 0.25
"""A box's top and bottom lines end at its left and right sides: a line running on past them by more than this
share of the box's height is a ruled line, and the strokes it joins are digits, not a box's sides."""


def frame_bands(mask: np.ndarray) -> list[tuple[int, int, int]]:
    """Printed boxes around handwriting: a form's cell, a field of cells or a comb for a number, as the
    (axis, start, end) bands of their sides and of the walls between cells.

    A mark is a box when thin rows inked over ``FRAME_SIDE_COVER`` of its width lie at its top and bottom (a comb:
    at its bottom only, its teeth rising from it), thin columns inked over that share of the rows between them at
    its left and right, the rows and columns just inside them are mostly paper, and there is ink inside; every
    such row and column inside it is a wall. Why: a box is longer than a digit's strokes but need not reach the
    image's edges as a ruled line does, so the line rule kept it and the box was read as the digit (a cell cropped
    with a margin: half of USPS's digits read wrong); a digit written touching its box, or across its top or
    bottom, is one mark with it, and the box's bands cut it free. A hollow mark (a 0 drawn square) has nothing
    inside and is no box, unless its sides meet at square corners as only print does: an empty box, or a comb's
    empty cell, which would be read as a 0 or as 1s (``_empty_printed_box``)."""
    labels, parts = ink_components(mask)
    bands = []
    for part in parts:
        box = part.box
        if min(box.height, box.width) < FRAME_MIN_SIDE:
            continue
        own = labels[box.top : box.bottom, box.left : box.right] == part.label
        sides = _box_in_mark(own)
        if sides is None:
            continue
        first, last, rows, columns = sides.first, sides.last, sides.rows, sides.columns
        area = own[first:last]  # the mark's own ink: a digit written apart from its box, however near, is no side
        # Only a side that is the mark's own edge is asked to stand apart: a digit written across a side reaches
        # beyond it, which a digit's own edge never does, and its bar may lie along that side. A comb's teeth
        # stand apart above its line; its line need not (a digit may sit on it: its teeth tell it from a digit).
        edges = (not sides.comb and first == 0, not sides.comb and last >= box.height)
        teeth = area[: rows[-1][0] - first] if sides.comb else area
        if not (
            _stands_apart(area, [(a - first, b - first) for a, b in rows], *edges) and _stands_apart(teeth.T, columns)
        ):
            continue
        # What is written inside: between its outer sides (not the ink of a round mark bulging past them); above a
        # comb's bottom, reaching higher than its teeth.
        top = 0 if sides.comb else box.top + first
        walls = [(0, box.top + a - top, box.top + b - top) for a, b in rows]
        walls += [(1, a - columns[0][1], b - columns[0][1]) for a, b in columns[1:-1]]
        inside = clear_bands(mask[top : box.top + last, box.left + columns[0][1] : box.left + columns[-1][0]], walls)
        written = inside.sum() >= max(FRAME_MIN_SIDE, FRAME_INSIDE_INK * inside.size)
        if written and not sides.comb and not _thin_sides(own, sides, WRITTEN_BOX_HOLE):
            continue
        if written and not sides.comb and not (_square_cornered(own, sides) or _written_inside(inside)):
            continue  # a pen's round loop (a 0 or an 8 written small, seen at the low ink level), not a box
        if written or sides.comb or _empty_printed_box(own, sides):  # or a comb's cell, empty or not
            bands += [(0, box.top + a, box.top + b) for a, b in rows]
            bands += [(1, box.left + a, box.left + b) for a, b in columns]
    return bands


@dataclass(frozen=True)
class Sides:
    """A printed box's (or a comb's) sides in a mark: the mark's rows ``first:last`` that they span, the bands of
    rows of its top and bottom (a comb: its bottom line) and of columns of its walls (a comb: its teeth)."""

    first: int
    last: int
    rows: list[tuple[int, int]]
    columns: list[tuple[int, int]]
    comb: bool


def _written_inside(inside: np.ndarray) -> bool:
    """Whether something is written inside a box: a piece of ink at least ``WRITING_HEIGHT`` of its inside high
    (touching its sides or not: a wide 2 written from wall to wall). A round 0 seen at the low ink level has flat
    stretches that pass for sides, and nothing inside them but the ends of its own stroke beside them, or a tick of
    its closing stroke (two 0s in 2,000 photos on ruled paper were boxes, their sides cleared and the rest read 7)."""
    _, parts = ink_components(inside)
    return any(part.box.height >= WRITING_HEIGHT * inside.shape[0] for part in parts)


def _empty_printed_box(own: np.ndarray, sides: Sides) -> bool:
    """Whether a hollow box is an empty printed box, not a 0: its lines thin beside the paper they enclose (a small
    round 0 seen at a low ink level is as thick as its hole is wide) and meeting at square corners."""
    return _thin_sides(own, sides, EMPTY_BOX_HOLE) and _square_cornered(own, sides)


def _thin_sides(own: np.ndarray, sides: Sides, hole_per_thickness: float) -> bool:
    """Whether a box's outer sides are thin beside the paper they enclose: its hole (the least of its height and
    width between them) is at least ``hole_per_thickness`` times as wide as its thickest side (the median of its
    ink across the side's middle half)."""
    height, width = own.shape
    rows = [own[slice(*row), width // 4 : 3 * width // 4].sum(axis=0) for row in (sides.rows[0], sides.rows[-1])]
    columns = [
        own[height // 4 : 3 * height // 4, slice(*column)].sum(axis=1)
        for column in (sides.columns[0], sides.columns[-1])
    ]
    thickest = max(float(np.median(line)) for line in rows + columns)
    hole = min(sides.rows[-1][0] - sides.rows[0][1], sides.columns[-1][0] - sides.columns[0][1])
    return hole >= hole_per_thickness * thickest


def _square_cornered(own: np.ndarray, sides: Sides) -> bool:
    """Whether a box's outer sides meet at square corners, as a printed box's do: the middle row of its top (or
    bottom) line and the middle column of its left (or right) line, each found along the side's middle half,
    cross on ink at all four corners. A pen rounds them (a 0 drawn square, on paper or with a mouse) and leaves
    paper there."""
    own = own[sides.first : sides.last]
    height, width = own.shape
    rows = [(a - sides.first, b - sides.first) for a, b in (sides.rows[0], sides.rows[-1])]
    across = [_middle_of_line(own[slice(*row), width // 4 : 3 * width // 4], row[0]) for row in rows]
    down = [
        _middle_of_line(own[height // 4 : 3 * height // 4, slice(*column)].T, column[0])
        for column in (sides.columns[0], sides.columns[-1])
    ]
    return bool(own[np.ix_(across, down)].all())


def _middle_of_line(band: np.ndarray, start: int) -> int:
    """The row of ``band`` (a side's band of rows, from row ``start``) where its line runs: their mean by ink."""
    ink = band.sum(axis=1)
    return start + round(float(np.arange(len(ink)) @ ink) / max(1, int(ink.sum())))


def _box_in_mark(own: np.ndarray) -> Sides | None:
    """A mark's printed box (``frame_bands``), or None: the widest pair of thin full rows with thin full columns
    at both ends between them (a digit written across the box's bottom may add a full row of its own below it),
    else a comb (``_comb_in_mark``)."""
    width = own.shape[1]
    rows = _frame_walls(own)
    spans = sorted(
        (
            (top[0], bottom[1])
            for top in rows
            for bottom in rows
            if top[1] <= bottom[0] and bottom[1] - top[0] >= FRAME_MIN_SIDE
        ),
        key=lambda span: span[0] - span[1],
    )
    for first, last in spans:
        columns = _frame_walls(own[first:last].T)
        if _at_near_end(columns, width) and _at_far_end(columns, width):
            inner_rows = [row for row in rows if first <= row[0] and row[1] <= last]
            if _lines_end_at_sides(own, inner_rows, columns, last - first):
                return Sides(first, last, inner_rows, columns, False)
    # A comb's line may be a row thicker than a box's side: a comb's cell is a short mark (its teeth and line, with
    # the digit written across it if there is one), and a 3 px line under a marker digit had been too thick for it
    # (its teeth are what tell a comb from a digit's bar).
    return _comb_in_mark(own, _frame_walls(own, spare_rows=2))


def _lines_end_at_sides(
    own: np.ndarray, rows: list[tuple[int, int]], columns: list[tuple[int, int]], height: int
) -> bool:
    """Whether a box's top and bottom lines end at its outer sides, as a printed box's do: neither runs on outside
    them, unbroken, for more than ``LINE_RUN_ON`` of the box's height.

    Why: on ruled paper the ruled lines join a number's digits into one mark at the low ink level, whose strokes
    standing between two lines were taken for a field of cells: their walls were cleared and the digits cut to
    pieces (a number of 8 digits on ruled paper read with 7 of them wrong)."""
    run_on = max(2, round(LINE_RUN_ON * height))
    for start, end in (rows[0], rows[-1]):
        line = own[start:end].any(axis=0)
        outside = (line[: columns[0][0]][::-1], line[columns[-1][1] :])
        if any(_unbroken_from_start(part) > run_on for part in outside):
            return False
    return True


def _unbroken_from_start(inked: np.ndarray) -> int:
    """How many of ``inked``'s first entries are True in a row."""
    return int(np.argmin(np.append(inked, False)))


def _comb_in_mark(own: np.ndarray, rows: list[tuple[int, int]]) -> Sides | None:
    """A comb in a mark: a thin full row, its bottom line, with short teeth as high as each other rising from it
    at the mark's left and right ends, and as high as they between them at even steps (a digit's stroke crossing
    the line rises higher or lower, and seldom where a tooth would stand). Digits written across the line are one
    mark with it. Why: the teeth were looked for only as columns inked down from the mark's top, so a comb with a
    digit written across it was kept and read as 1s (8.7% of USPS's numbers in combs were not cut into their
    digits)."""
    width = own.shape[1]
    reach = _wall_reach(width)
    for line in reversed(rows):
        above = np.vstack([own[: line[0]][::-1], np.zeros((1, width), bool)])
        rise = np.argmin(above, axis=0)  # the ink in each column going up from the line, unbroken
        at_left, at_right = int(rise[:reach].max()), int(rise[-reach:].max())
        height = min(at_left, at_right)
        if height < 2 or abs(at_left - at_right) > reach:  # a comb's teeth are as high as each other
            continue
        rising = _frame_walls(own[line[0] - height : line[1]].T)
        if not (_at_near_end(rising, width) and _at_far_end(rising, width)) or len(rising) < 2:
            continue
        columns = _evenly_spaced(
            rising[0],
            [wall for wall in rising[1:-1] if height - 1 <= rise[slice(*wall)].max() <= height + reach],
            rising[-1],
        )
        # Short teeth: a round digit with a flat bottom (a 0 written small) has sides as high as it is wide; and
        # upright: a bold digit's bar with strokes rising from its ends (a 4's, a 6's loop) leans or curves.
        if height > COMB_TEETH_HEIGHT * min(right[0] - left[1] for left, right in zip(columns, columns[1:])):
            continue
        teeth = own[line[0] - height : line[0]]
        if not (_upright(teeth, reach) and _upright(teeth[:, ::-1], reach)):
            continue
        # ...and ending there, as printed teeth do: a digit's strokes go on (an 8's lower loop into its upper one).
        over_teeth = own[line[0] - height - 1] if line[0] > height else np.zeros(width, bool)
        if over_teeth[slice(*columns[0])].any() or over_teeth[slice(*columns[-1])].any():
            continue
        # Standing on the line at square corners, and not going on below it: a digit's bar with strokes rising
        # from both its ends (a 4's, a 7's) has them go on below it or round into it (an 8's lower loop).
        below = [own[line[1] : line[1] + reach, slice(*tooth)] for tooth in (columns[0], columns[-1])]
        sides = Sides(line[0] - height, line[1], [line], columns, True)
        if _square_cornered(own, sides) and all(ink.size == 0 or ink.mean() < 0.5 for ink in below):
            return sides
    return None


def _upright(band: np.ndarray, reach: int) -> bool:
    """Whether the tooth at a comb's left end stands upright in ``band`` (the rows of its teeth; mirrored for the
    right end): its outer edge is the same column, within ``UPRIGHT_DRIFT``, in every row, as a printed line's is.
    A digit written against it from inside leaves its outer edge as it is."""
    near = band[:, : 2 * reach]
    if not near.any(axis=1).all():
        return False
    edges = near.argmax(axis=1)
    return int(edges.max() - edges.min()) <= UPRIGHT_DRIFT


def _evenly_spaced(
    first: tuple[int, int], between: list[tuple[int, int]], last: tuple[int, int]
) -> list[tuple[int, int]]:
    """A comb's teeth: its ``first`` and ``last`` and, of the columns ``between`` them, those standing at even
    steps, as many cells as fit (a digit's stroke crossing the comb's line beside a tooth is no tooth)."""
    start, span = sum(first) / 2, (sum(last) - sum(first)) / 2
    for cells in range(len(between) + 1, 1, -1):
        pitch = span / cells
        teeth = [min(between, key=lambda wall: abs(sum(wall) / 2 - start - step * pitch)) for step in range(1, cells)]
        if all(abs(sum(wall) / 2 - start - step * pitch) <= max(2, pitch / 10) for step, wall in enumerate(teeth, 1)):
            return [first, *teeth, last]
    return [first, last]


def _frame_walls(view: np.ndarray, spare_rows: int = 1) -> list[tuple[int, int]]:
    """Thin runs of rows of a mark inked over ``FRAME_SIDE_COVER`` of its width (each row taken with its two
    neighbours, so a box scanned a little askew still counts), at most ``spare_rows`` more than ``_wall_reach`` of
    the mark's height."""
    near = view.copy()
    near[1:] |= view[:-1]
    near[:-1] |= view[1:]
    thickest = _wall_reach(view.shape[0]) + spare_rows
    return [(start, end) for start, end in true_runs(near.mean(axis=1) >= FRAME_SIDE_COVER) if end - start <= thickest]


def _stands_apart(area: np.ndarray, walls: list[tuple[int, int]], near: bool = True, far: bool = True) -> bool:
    """Whether the rows just inside a box's outer walls (of ``area``, the mark's own ink between them; the
    ``near`` and the ``far`` one, as asked) are mostly paper, as beside a printed line; a digit filling a tight
    crop (a bold 0) is inked on across the rows beside its edge. A digit written apart from its box is not the
    box's ink, however near its side it runs (a 7's bar just under a box's top had kept the box, read as a
    digit)."""
    coverage = area.mean(axis=1)
    beside = [coverage[walls[0][1] : walls[0][1] + APART_ROWS]] if near else []
    beside += [coverage[max(0, walls[-1][0] - APART_ROWS) : walls[-1][0]]] if far else []
    return all(rows.size and rows.min() < FRAME_SIDE_COVER / 2 for rows in beside)


def _wall_reach(side: int) -> int:
    return max(2, round(FRAME_LINE_THICKNESS * side)) + 1


def _at_near_end(walls: list[tuple[int, int]], side: int) -> bool:
    return bool(walls) and walls[0][0] <= _wall_reach(side)


def _at_far_end(walls: list[tuple[int, int]], side: int) -> bool:
    return bool(walls) and walls[-1][1] >= side - _wall_reach(side)


@dataclass(frozen=True)
class PrintedCell:
    """An image cropped to a printed box: what is inside the box, and whether its lines are darker than the paper
    (as a pen's ink is on the same form: when nothing is written inside, the lines tell the polarity)."""

    inside: np.ndarray
    lines_are_dark: bool


def inside_printed_box(work: np.ndarray, contrast: float) -> PrintedCell | None:
    """The inside of the printed box an image was cropped to (a form's cell cut along its lines), or None when its
    border is not such a box's sides.

    Why: the border is taken for paper when telling ink from paper; a cell cut along its box has the box's lines
    there instead, as dark as ink, and the paper inside read as light ink (USPS's digits in such cells: 19 of 300
    answered "no digit found"). The box's lines are the marks departing from the image's median level (its paper)
    by ``contrast`` grey levels either way."""
    height, width = work.shape
    paper = median_of(work.ravel())
    reach = max(1, min(height, width) // 20) + 2
    for lines_are_dark, marks in ((True, work < paper - contrast), (False, work > paper + contrast)):
        along = [marks[:reach].mean(axis=1).max(), marks[-reach:].mean(axis=1).max()]
        if max(along) < FRAME_SIDE_COVER / 2:
            continue  # no side along the top or the bottom (the usual case, checked first as it is cheap)
        bands = frame_bands(marks)
        rows = sorted(band[1:] for band in bands if band[0] == 0)
        columns = sorted(band[1:] for band in bands if band[0] == 1)
        if not rows or not columns or columns[0][0] > reach or columns[-1][1] < width - reach:
            continue  # its sides are not the image's left and right
        at_top, at_bottom = rows[0][0] <= reach, rows[-1][1] >= height - reach
        if at_top or at_bottom:  # and its top or its bottom (a digit written across the other)
            inside = work[
                rows[0][1] + 1 if at_top else 0 : rows[-1][0] - 1 if at_bottom else height,
                columns[0][1] + 1 : columns[-1][0] - 1,
            ]
            if min(inside.shape) >= FRAME_MIN_SIDE:
                return PrintedCell(inside, lines_are_dark)
    return None

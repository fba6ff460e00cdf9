"""Printed boxes around handwriting: a form's cell cut out with its box, a field of cells or a comb.

A box is found in an ink mask by its shape (``frame_bands``): straight thin sides, inked nearly all along, standing
apart from what is written inside, with something written inside. ``digits.preprocess`` clears its sides from the
mask as it clears ruled lines, and tells the polarity of a cell cut along its box inside the box
(``inside_printed_box``). numpy only.
"""

from __future__ import annotations

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
APART_ROWS = 3
"""A box's side stands apart from what is written in it: one of the rows this close inside it is mostly paper (a
digit's bar may lie along the side for a row or two)."""


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
    inside and is no box."""
    labels, parts = ink_components(mask)
    bands = []
    for part in parts:
        box = part.box
        if min(box.height, box.width) < FRAME_MIN_SIDE:
            continue
        own = labels[box.top : box.bottom, box.left : box.right] == part.label
        found = _box_in_mark(own)
        if found is None:
            continue
        first, last, rows, columns = found
        area = mask[box.top + first : box.top + last, box.left : box.right]
        # Only a side that is the mark's own edge is asked to stand apart: a digit written across a side reaches
        # beyond it, which a digit's own edge never does, and its bar may lie along that side.
        edges = (len(rows) >= 2 and first == 0, last >= box.height)  # a comb has no top side
        if not (
            _stands_apart(area, [(a - first, b - first) for a, b in rows], *edges) and _stands_apart(area.T, columns)
        ):
            continue
        # What is written inside: between its sides; above a comb's bottom, reaching higher than its teeth.
        top = box.top + first if len(rows) >= 2 else 0
        walls = [(0, box.top + a - top, box.top + b - top) for a, b in rows] + [(1, a, b) for a, b in columns]
        inside = clear_bands(mask[top : box.top + last, box.left : box.right], walls)
        if inside.sum() >= max(FRAME_MIN_SIDE, FRAME_INSIDE_INK * inside.size):
            bands += [(0, box.top + a, box.top + b) for a, b in rows]
            bands += [(1, box.left + a, box.left + b) for a, b in columns]
    return bands


def _box_in_mark(own: np.ndarray):
    """A mark's printed box (``frame_bands``) as its first and last row, its walls' rows and its walls' columns,
    or None: the widest pair of thin full rows with thin full columns at both ends between them (a digit written
    across the box's bottom may add a full row of its own below it), else a comb: a full row at the bottom, its
    teeth full columns from the mark's top down to it."""
    height, width = own.shape
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
    if not spans and _at_far_end(rows, height):
        spans = [(0, rows[-1][1])]
    for first, last in spans:
        columns = _frame_walls(own[first:last].T)
        if _at_near_end(columns, width) and _at_far_end(columns, width):
            return first, last, [row for row in rows if first <= row[0] and row[1] <= last], columns
    return None


def _frame_walls(view: np.ndarray) -> list[tuple[int, int]]:
    """Thin runs of rows of a mark inked over ``FRAME_SIDE_COVER`` of its width (each row taken with its two
    neighbours, so a box scanned a little askew still counts)."""
    near = view.copy()
    near[1:] |= view[:-1]
    near[:-1] |= view[1:]
    thickest = _wall_reach(view.shape[0]) + 1
    return [(start, end) for start, end in true_runs(near.mean(axis=1) >= FRAME_SIDE_COVER) if end - start <= thickest]


def _stands_apart(area: np.ndarray, walls: list[tuple[int, int]], near: bool = True, far: bool = True) -> bool:
    """Whether the rows just inside a box's outer walls (of ``area``, all the ink in its box; the ``near`` and the
    ``far`` one, as asked) are mostly paper, as beside a printed line; a digit filling a tight crop (a bold 0) is
    inked on across the rows beside its edge."""
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


def inside_printed_box(work: np.ndarray, contrast: float) -> np.ndarray | None:
    """The inside of the printed box an image was cropped to (a form's cell cut along its lines), or None when its
    border is not such a box's sides.

    Why: the border is taken for paper when telling ink from paper; a cell cut along its box has the box's lines
    there instead, as dark as ink, and the paper inside read as light ink (USPS's digits in such cells: 19 of 300
    answered "no digit found"). The box's lines are the marks departing from the image's median level (its paper)
    by ``contrast`` grey levels either way."""
    height, width = work.shape
    paper = median_of(work.ravel())
    reach = max(1, min(height, width) // 20) + 2
    for marks in (work < paper - contrast, work > paper + contrast):
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
                return inside
    return None

"""Array primitives the preprocessing is built from: boxes, reductions, grey-level filters, and ink components.

numpy and Pillow only, vectorised: connected components are found on runs of ink with a vectorised union of
labels (no loop per pixel or per mark), so any image costs milliseconds whatever it contains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Box:
    """A rectangle in pixel coordinates: left, top (inclusive), right, bottom (exclusive)."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def scaled(self, factor_x: float, factor_y: float, limit_w: int, limit_h: int) -> Box:
        return Box(
            max(0, int(np.floor(self.left * factor_x))),
            max(0, int(np.floor(self.top * factor_y))),
            min(limit_w, int(np.ceil(self.right * factor_x))),
            min(limit_h, int(np.ceil(self.bottom * factor_y))),
        )


def reduction_for(shape: tuple[int, ...], side: int) -> float:
    """How many times smaller an image of ``shape`` is made to fit a budget of ``side``: its longer side down to
    ``side`` when it is no wider (or taller) than 4:3; a wider one only down to a 4:3 image's pixels, its longer side
    at most twice ``side``. At least 1 (never enlarged).

    Why pixels for wide images: the budget bounds the work, which grows with the pixels. A strip (800x200, a cell cut
    from a form's row) cut to 640 or 128 px long is a quarter or less of its height, and the digit on it with it (a
    hollow digit's thin outline faded into the paper); images up to 4:3 are reduced as by the longer side alone.
    The one rule for decoding (``digits.images.reduction_factor``) and single-digit analysis
    (``digits.preprocess.analysis_side``)."""
    longer, shorter = max(shape), min(shape)
    by_side = longer / side
    by_pixels = max(float(np.sqrt(longer * shorter / (side * side * 0.75))), longer / (2 * side))
    return max(1.0, min(by_side, by_pixels))


def reduce_to(gray: np.ndarray, side: int) -> tuple[np.ndarray, float, float]:
    """Area-average ``gray`` so its longer side is at most ``side``; return it (float32) and the x, y factors."""
    height, width = gray.shape
    factor = max(height, width) / side
    if factor <= 1:
        return gray.astype(np.float32), 1.0, 1.0
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    image = Image.fromarray(gray)
    whole = round(factor)
    if whole == factor and width % whole == 0 and height % whole == 0:
        small = image.reduce(whole)  # the same box average, a third of the time (a 640x480 photo: 5x5 blocks)
    else:
        small = image.resize(size, Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32), width / small.width, height / small.height


def square_filter(image: np.ndarray, size: int, reduce) -> np.ndarray:
    """Grey dilation (``np.maximum``) or erosion (``np.minimum``) with a size x size square (edges replicated),
    separably: rows, then columns."""
    radius = size // 2
    return np.ascontiguousarray(_reduce_rows(_reduce_rows(image, radius, reduce).T, radius, reduce).T)


def _reduce_rows(values: np.ndarray, radius: int, reduce) -> np.ndarray:
    """Each row reduced with the ``radius`` rows above and below it (edges replicated), in place on one copy."""
    out = values.copy()
    for offset in range(1, radius + 1):
        reduce(out[offset:], values[:-offset], out=out[offset:])
        reduce(out[:offset], values[:1], out=out[:offset])
        reduce(out[:-offset], values[offset:], out=out[:-offset])
        reduce(out[-offset:], values[-1:], out=out[-offset:])
    return out


def box_mean3(image: np.ndarray) -> np.ndarray:
    """3x3 mean filter (edges replicated): single noisy pixels do not count as ink. Separable: rows, then columns."""
    values = np.asarray(image, np.result_type(image.dtype, np.float32))
    return _with_neighbours(_with_neighbours(values).T).T / 9.0


def _with_neighbours(values: np.ndarray) -> np.ndarray:
    """Each row plus the rows above and below it (edges replicated), without padding a copy."""
    total = values.copy()
    total[1:] += values[:-1]
    total[0] += values[0]
    total[:-1] += values[1:]
    total[-1] += values[-1]
    return total


def cell_percentile(image: np.ndarray, percentile: float, grid: int) -> np.ndarray:
    """The given percentile of each cell of a ``grid`` x ``grid`` grid over the image (fewer cells if small)."""
    height, width = image.shape
    cells = max(1, min(grid, height // 2, width // 2))
    cell_h, cell_w = height // cells, width // cells
    trimmed = image[: cell_h * cells, : cell_w * cells]
    blocks = trimmed.reshape(cells, cell_h, cells, cell_w).transpose(0, 2, 1, 3).reshape(cells, cells, -1)
    return percentile_last_axis(blocks, percentile).astype(np.float32)


def percentile_last_axis(values: np.ndarray, percentile: float) -> np.ndarray:
    """``np.percentile(values, percentile, axis=-1)`` (linear interpolation), by one partition.

    Why not ``np.percentile``: it also runs ``np.unique`` over the ranks, whose first call imports ``numpy.ma``
    (25 ms of every cold start; ``np.median`` does too), and takes longer per call on the small cells this is used for.
    """
    position = percentile / 100 * (values.shape[-1] - 1)
    low = int(np.floor(position))
    high = min(low + 1, values.shape[-1] - 1)
    ranked = np.partition(values, (low, high), axis=-1)
    below = ranked[..., low].astype(np.float64)
    return below + (ranked[..., high] - below) * (position - low)


def median_of(values: np.ndarray) -> float:
    """``np.median`` of all the values, without the ``numpy.ma`` import its first call costs (see above)."""
    return float(percentile_last_axis(np.ravel(values), 50))


def true_runs(line: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True in a 1-D boolean array, end exclusive."""
    padded = np.concatenate([[False], line, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


@dataclass(frozen=True)
class Runs:
    """Horizontal runs of ink of a mask: row, first column, end column (exclusive) and component label (1..)."""

    rows: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    labels: np.ndarray
    count: int


def row_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every horizontal run of ink of a boolean mask, in row-major order: its row, first column and end column
    (exclusive)."""
    height, width = mask.shape
    padded = np.zeros((height, width + 2), bool)
    padded[:, 1:-1] = mask
    # Where ink begins or ends: in row-major order a row's edges alternate start, end (the padding is paper).
    edge_rows, edge_columns = np.nonzero(padded[:, 1:] != padded[:, :-1])
    return edge_rows[::2], edge_columns[::2], edge_columns[1::2]


def ink_runs(mask: np.ndarray) -> Runs:
    """8-connected components of a boolean mask, as labelled runs, in vectorised numpy.

    Runs on adjacent rows that overlap or touch diagonally are joined; the components of that run graph are
    found by hooking each edge's two labels to the smaller one and pointer jumping, until nothing changes. The
    work grows with the number of runs, not of pixels, and no Python loop runs per run or per pixel, so noise,
    dot grids and thousands of specks cost milliseconds.
    """
    width = mask.shape[1]
    rows, starts, ends = row_runs(mask)
    count = len(rows)
    if count == 0:
        return Runs(rows, starts, ends, np.zeros(0, np.int64), 0)
    # The runs of the row above that touch a run form a contiguous range (a row's runs are sorted and apart):
    # from the first whose end reaches this run's start to the last whose start is within this run's end.
    stride = width + 2
    first = np.searchsorted(rows * stride + ends, (rows - 1) * stride + starts, side="left")
    last = np.searchsorted(rows * stride + starts, (rows - 1) * stride + ends, side="right")
    pairs = np.maximum(last - first, 0)
    below = np.repeat(np.arange(count), pairs)
    above = np.repeat(first, pairs) + (np.arange(pairs.sum()) - np.repeat(np.cumsum(pairs) - pairs, pairs))
    parent = graph_roots(count, below, above)
    # Each component's root is its first run, so numbering the roots in order numbers the components in the
    # order of their first runs (row by row), as sorting the roots would, without the sort.
    roots = np.cumsum(parent == np.arange(count))
    return Runs(rows, starts, ends, roots[parent], int(roots[-1]))


def graph_roots(count: int, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """For nodes 0..count-1 joined by the edges (first[i], second[i]): each node's root, the smallest node of its
    connected component. Each edge's two ends are hooked to the smaller root, then pointers jump to their roots,
    until nothing changes: vectorised, with no Python loop per node or edge."""
    parent = np.arange(count)
    while True:
        low = np.minimum(parent[first], parent[second])
        np.minimum.at(parent, parent[first], low)
        np.minimum.at(parent, parent[second], low)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
        if np.array_equal(parent[first], parent[second]):
            return parent


def label_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected component labels of a boolean mask (0 = background) and their count."""
    runs = ink_runs(mask)
    return label_image(runs, mask.shape), runs.count


def count_components(mask: np.ndarray) -> int:
    """How many 8-connected components a boolean mask has."""
    return ink_runs(mask).count


def label_image(runs: Runs, shape: tuple[int, int]) -> np.ndarray:
    """The label image of labelled runs (0 = background)."""
    labels = np.zeros(shape, np.int32)
    if runs.count:
        lengths = runs.ends - runs.starts
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        labels[np.repeat(runs.rows, lengths), np.repeat(runs.starts, lengths) + offsets] = np.repeat(
            runs.labels, lengths
        )
    return labels


@dataclass
class Component:
    label: int
    area: int
    box: Box


def components_from_runs(runs: Runs) -> list[Component]:
    """Area and bounding box of each component, from its runs (no pass over the image per component)."""
    if not runs.count:
        return []
    index = runs.labels - 1
    area = np.bincount(index, weights=runs.ends - runs.starts, minlength=runs.count)
    left = np.full(runs.count, np.iinfo(np.int64).max)
    top = left.copy()
    right = np.zeros(runs.count, np.int64)
    bottom = right.copy()
    np.minimum.at(left, index, runs.starts)
    np.minimum.at(top, index, runs.rows)
    np.maximum.at(right, index, runs.ends)
    np.maximum.at(bottom, index, runs.rows + 1)
    return [
        Component(k + 1, int(area[k]), Box(int(left[k]), int(top[k]), int(right[k]), int(bottom[k])))
        for k in range(runs.count)
    ]


def union_box(parts: list[Component]) -> Box:
    return Box(
        min(p.box.left for p in parts),
        min(p.box.top for p in parts),
        max(p.box.right for p in parts),
        max(p.box.bottom for p in parts),
    )


def interior(mask: np.ndarray) -> np.ndarray:
    """The pixels of a boolean mask whose four neighbours are in it too (the image's edge counts as in it)."""
    inner = mask.copy()
    inner[1:] &= mask[:-1]
    inner[:-1] &= mask[1:]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    return inner


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a boolean mask: twice the area over the boundary length."""
    boundary = int((mask & ~interior(mask)).sum())
    return 2.0 * float(mask.sum()) / boundary if boundary else 0.0


def run_lengths_along_rows(mask: np.ndarray) -> np.ndarray:
    """int32 array of a boolean mask's shape: for each ink pixel, the length of the run of ink along its row
    that it belongs to (0 on paper)."""
    rows, starts, ends = row_runs(mask)
    lengths = ends - starts
    within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    result = np.zeros(mask.shape, np.int32)
    result[np.repeat(rows, lengths), np.repeat(starts, lengths) + within] = np.repeat(lengths, lengths)
    return result


def stroke_anisotropy(mask: np.ndarray, min_pixels: int = 3) -> float:
    """How much wider the upright strokes of a boolean ink mask are than its flat ones: the median width across
    of its upright strokes over the median height of its flat strokes (1.0 when either kind is missing).

    A pixel belongs to an upright stroke where its run along the row is shorter than its run down the column,
    and the row run is then that stroke's width. A digit drawn with a round pen gives about 1; one stretched
    sideways to fill a square box (as classic collections deliver digits) has its upright strokes widened and
    its flat ones not, and gives more.
    """
    across = run_lengths_along_rows(mask)
    down = run_lengths_along_rows(mask.T).T
    upright_widths = across[mask & (across < down)]
    flat_heights = down[mask & (down < across)]
    if len(upright_widths) < min_pixels or len(flat_heights) < min_pixels:
        return 1.0
    return median_of(upright_widths) / median_of(flat_heights)


def clear_bands(mask: np.ndarray, bands: list[tuple[int, int, int]]) -> np.ndarray:
    """``mask`` without the rows (or columns) of ``bands``: the digits a line crosses lose only its few rows and
    come apart from it and from each other."""
    if not bands:
        return mask
    mask = mask.copy()
    for axis, start, end in bands:
        (mask if axis == 0 else mask.T)[start:end] = False
    return mask


def ink_components(mask: np.ndarray, bridge: int = 1) -> tuple[np.ndarray, list[Component]]:
    """Label image and components of a mask, its ink first grown by ``bridge`` (odd) so that strokes broken by
    gaps of up to ``bridge - 1`` pixels are one component."""
    if bridge > 1:
        mask = square_filter(mask, bridge, np.maximum)
    runs = ink_runs(mask)
    return label_image(runs, mask.shape), components_from_runs(runs)

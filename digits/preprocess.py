"""Single-digit preprocessing: any photo, scan, drawing or crop of one digit -> what the network was trained on.

MNIST digits are white on black, their ink's bounding box scaled into 20x20 (aspect kept, antialiased) and placed
in a 28x28 frame so that the centre of mass is in the middle. ``preprocess_digit`` bridges any image to that:

1. a 28x28 image that already is MNIST-normalised (light on black, ink box near 20 px, centred) passes through;
2. a tiny image (a tight 8x8 or 16x16 crop) is enlarged smoothly first;
3. polarity: the strongest departure from the border's lighting plane says whether ink is darker or lighter
   (when both are about equal, as for a bold crop whose border is half ink, the class in fewer pieces is the
   ink, else the corners decide);
4. the paper's level and gradient, estimated on a coarse grid, are subtracted; the paper's noise floor is
   measured on the paper class when ink and paper are clearly apart (a crop that is half ink), else on all,
   and kept below the split between the classes (a 1 cut to its 20x4 px stroke);
5. ``analyse`` finds the ink components without specks, ruled lines (and what is left of them), frame
   borders or printed boxes (``digits.printed_boxes``); ``digit_group`` keeps the digit and its pieces, those a
   cleared line cut apart counting as one; ``ink_crop`` cuts it at full resolution;
6. ``to_mnist_frame`` inks in strokes written as outlines (``filled_outlines``), matches the stroke width to
   MNIST's, scales the longer side to 20 px and centres by mass
   (a number's digits, when enlarged to be read, are sharpened first: ``sharpened``).

``narrowed`` gives the second reading of a near-square digit, which may have been stretched to fill a square, and
``narrowed_weight`` how much that reading counts.

Images without ink (blank, noise, specks, paper texture) raise ``NoDigitFound``. The analysis runs on a reduced
copy (``WORK_SIDE``) and only the digit's crop at full resolution (``DIGIT_MAX_SIDE`` at most). Reading whole numbers is ``digits.numbers``;
the array primitives are ``digits.arrays``. numpy and Pillow only: no TensorFlow, no SciPy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from digits.arrays import (
    Box,
    Component,
    box_mean3,
    cell_percentile,
    clear_bands,
    count_components,
    graph_roots,
    ink_components,
    interior,
    label_components,
    median_of,
    percentile_last_axis,
    reduce_to,
    reduction_for,
    square_filter,
    stroke_anisotropy,
    stroke_width,
    true_runs,
    union_box,
)
from digits.constants import IMAGE_SIZE
from digits.printed_boxes import frame_bands, inside_printed_box

DIGIT_BOX = 20
"""MNIST's size-normalisation box: the longer side of the digit, in pixels."""
WORK_SIDE = 128
"""Longer side of the reduced copy that single-digit analysis runs on (longer for an image wider than 4:3:
``analysis_side``)."""
STAGE_SIDE = 4 * DIGIT_BOX
"""Intermediate size (4x the final box) at which strokes are thickened before the final reduction."""
DIGIT_MAX_SIDE = 8 * STAGE_SIDE
"""Longer side a single digit's image is decoded at, at most (a wider one than 4:3 keeps its height:
``digits.images.reduction_factor``; numbers need more: ``ANALYSIS_MAX_SIDE``). A
digit is found at ``WORK_SIDE`` and read at ``STAGE_SIDE``, so even one filling only an eighth of the image is
still read at full detail; decoding a large photo smaller (JPEG draft mode) is most of its time. Measured on
1024x768 and 1600x1200 photos: same accuracy as at 2048 px, a quarter to a third less time per image."""
MNIST_STROKE_AT_STAGE = 4 * 2.6
"""MNIST's typical stroke width (2.6 px in the 20 px box; median measured 3.0), at the intermediate size."""
MARKER_EXCESS = 0.6
"""Strokes wider than MNIST's by more than this share are thinned (markers), thinner ones are left as they are."""
MNIST_MEDIAN_STROKE_AT_STAGE = 4 * 3.0
"""A marker stroke is thinned until it is no wider than MNIST's median stroke (3.0 px in the 20 px box)..."""
MAX_THINNING_SHARE = 0.3
"""...or by this share of its width at most: a pen so thick that it filled the loops leaves a blob, and eroding
a blob further only leaves its spine, a line that reads as 1."""
OUTLINE_BAND_WIDTH = 1.5
"""Paper enclosed by the ink, at least this many times as wide as the ink's lines..."""
OUTLINE_BAND_LENGTH = 5.0
"""...and long for its width (its area at least this many times its width squared: a band, not a loop's round
hole)..."""
OUTLINE_LINE_SHARE = 0.07
"""...where those lines are at most this share of the digit's size thick (fine lines, as outlines are drawn: a pen
track's narrow loop, drawn with a mouse's thicker pen, is not a band), is the inside of a stroke written as its
outline: a hollow ("bubble") digit, which ``filled_outlines`` inks in. README, "How an image is prepared", has how
these were chosen."""
OUTLINE_RIM_LINE_SHARE = 0.10
"""Lines up to this share of the digit's size thick (a hollow digit photographed small: its lines blurred and
thickened) still leave bands to ink in, if the ink is all their rim (``OUTLINE_RIM_SHARE`` of it no further from
them than ``OUTLINE_RIM_REACH`` line widths) and the bands are at most ``OUTLINE_RIM_BAND_SHARE`` of the digit's
size wide: a pen track's narrow loop, drawn with a mouse's thicker pen, has the rest of the digit's stroke beyond
it, and a 0's narrow hole is wider than a stroke's inside. README, "How an image is prepared", has the figures."""
OUTLINE_RIM_SHARE = 0.97
"""See ``OUTLINE_RIM_LINE_SHARE``."""
OUTLINE_RIM_REACH = 1.5
"""See ``OUTLINE_RIM_LINE_SHARE``."""
OUTLINE_RIM_BAND_SHARE = 0.25
"""See ``OUTLINE_RIM_LINE_SHARE``."""
ENLARGED_SHARPEN_RADIUS = 6.0
"""A digit enlarged to the intermediate size is sharpened (unsharp mask) over this many pixels there: 1.5 px of
the 20 px box, about a stroke's soft edge..."""
ENLARGED_SHARPEN_PERCENT = 150
"""...and by this much. Why: a digit written small (a number's digits in a photo) comes out of the enlargement
with the photo's blur spread over its strokes: a marker's loops and gaps become a grey haze the stroke
measurement and the network both take for ink (an 8 read as a blob 1, a 7's bar merged into its stem)."""
POLARITY_MARGIN = 1.5
"""The ink's departure from the paper must be this many times the opposite one to decide polarity by itself."""
TIGHT_RING_SHARE = 0.1
"""A crop whose border ring is at least this share light and this share dark is cut tight to its digit: the
digit touches its frame, and polarity is told by which class is in fewer pieces (``pieces_say_ink_is_dark``)."""
PIECE_SHARE = 0.02
"""A piece of one grey class counts when it covers at least this share of the image (not a speck or a corner's
sliver)."""
MIN_CONTRAST = 24.0
"""Ink must stand out from the paper by this many grey levels (of 255), or the image has no digit."""
LINE_SPAN = 0.7
"""A thin band inked over this share of the image's width (or height), edge to edge, is a ruled line or a border."""
MIN_INK_PIXELS = 4
"""A digit has at least this many ink pixels (of the user's image, or of the reduced copy); fewer are specks."""
SPECK_FRACTION = 0.06
"""Components smaller than this share of the largest one are noise."""
LINE_EDGE = 0.1
"""A ruled line starts and ends within this share of the image's width from its edges."""
LINE_CONTRAST = 2.0
"""...and at least this many times more than the rows beside it: a line stands out from the paper around it, a
row of small digits filling the width does not."""
LINE_BAND_STROKES = 1.5
"""A faint line's band is at most this many pen strokes thick: a digit, three or more strokes tall, never fits in
one, however small it is in the image."""
THIN_LINE_SHARE = 0.6
"""A band thinner than this share of the ink's mean stroke width is a printed line, not a pen stroke."""
FAINT_LINE_SPAN = 0.25
"""A faint ruled line, broken into dashes by noise, inks at least this share of a thin band edge to edge; only the
pieces lying wholly inside such a band are dropped, never the part of a digit that crosses it."""
LINE_THICKNESS = 0.05
"""A ruled line is at most this share of the image's height thick (a digit's bar in a tight crop is thicker)."""
PAPER_PERCENTILE = 30
"""The paper's level in a grid cell: this percentile of the cell (ink is the brighter minority)."""
SHADOW_SHARE = 0.25
"""A mark with more than this share of the paper around it about as dark as itself is a shadow's edge."""
SHADOW_RING_PIXELS = 20
"""...judged only with at least this many work pixels of paper around it (a tight crop has none)."""
NOISY_MIN_CONTRAST = 16.0
"""On a noisy photo, ink stands out from the paper's median in a 3x3 mean by this many grey levels (the paper's
texture: under 7)..."""
NOISY_INK_SIGMAS = 9.0
"""...and by this many of the mean's own noise deviations (``noisy_ink_floor``)."""
INK_THRESHOLD = 0.3
"""A pixel is ink when it rises this share of the way from the paper's noise floor to the ink's peak."""
FRAME_INK_THRESHOLD = 0.1
"""A printed box is looked for in the pixels rising this share of that way: its grey print may be far lighter
than the pen (a box at a third of the pen's darkness was kept in pieces, read as 1s and bars)."""
LINE_LENGTH = 0.5
"""A component at least this share of the image long..."""
LINE_ASPECT = 10
"""...and this many times longer than thick is a ruled line or a border, not a digit."""
UPRIGHT_RATIO = 2.0
"""Digits are upright: a component wider than this many times its height counts for less (a dash, a leftover)."""
PIECE_REACH_X = 0.5
"""Pieces of the digit (a detached bar, a broken stroke) lie within this share of its size to its sides..."""
PIECE_REACH_Y = 0.35
"""...and within this share above or below it."""
BACKGROUND_GRID = 8
"""Cells per side of the grid on which the paper's level and gradient are estimated."""
SMALL_SIDE = 64
"""Images whose longer side is under this (tight crops of 8x8 or 16x16, thumbnails) are upscaled first..."""
UPSCALED_SIDE = 128
"""...to this longer side, smoothly, so the grid, line and stroke analysis have pixels to work with."""
SMOOTH_UPSCALE_BELOW = UPSCALED_SIDE
"""A single digit's image under this longer side (a 96x96 canvas export, a 64x80 thumbnail) is enlarged the same
way, with its paper still estimated as a photo's: measured on small synthetic photos, read right more often."""
TINY_PAPER_PERCENTILE = 5
"""In a tiny crop, the paper level is this percentile of the ink-up image: at least its corners are paper."""
STROKE_CUT_ASPECT = 3.0
STROKE_CUT_ROUGHNESS = 0.7
"""A tiny crop at least ``STROKE_CUT_ASPECT`` times longer than wide, smooth along its length, is one stroke cut to
its box (a 1 cut to 20x2 px; see ``is_stroke_cut``)."""
SMOOTH_CROP_ROUGHNESS = 0.85
"""A tiny crop whose neighbouring pixels differ by at most this share of its spread, on average, is a picture of
strokes, not noise (see ``is_smooth_crop``)."""
MIN_SMOOTH_CROP_SIDE = 6
"""...with both sides at least this long: smaller, a few noisy pixels can be smooth by chance."""
MNIST_BOX_SIDES = (17, 21)
"""An MNIST digit's ink box has its longer side in this range (measured: 20 px for 99.9% of the test set)."""
MNIST_INK_LEVEL = 40
"""Grey level above which a pixel of a light-on-dark 28x28 image counts as ink, for measuring its box."""
MNIST_CENTRE_TOLERANCE = 1.25
"""An MNIST digit's centre of mass is within this many pixels of the frame's centre (measured: within 0.6)."""
NEAR_SQUARE = 0.8
"""A digit whose box is at least this wide for its height may have been stretched to fill a square box..."""
NARROWED_WIDTH = 0.6
"""...and is also read with its width cut to this share (see ``narrowed``; README, "How an image is prepared",
has the measurements for 0.5, 0.6 and 0.7)."""
STRETCHED_ANISOTROPY = 1.5
"""A near-square digit whose upright strokes are at least this much wider than its flat ones
(``digits.arrays.stroke_anisotropy``) was most likely stretched sideways..."""
STRETCHED_NARROWED_WEIGHT = 0.75
"""...so its narrowed reading counts for this share of its probabilities (half otherwise). README, "How an image is
prepared", has the measurements for thresholds 1.2-1.5 and weights 0.67-1.0: 1.5 is the lowest threshold that
leaves photographed digits, whose 2-3 px strokes reach 1.2 a quarter of the time, read as before."""
SCATTERED_PIECES = 12
"""An image whose ink falls into at least this many pieces and holes is noise, not a digit (``is_scattered``)..."""
MIN_HOLE_PIXELS = 1
"""...counting a hole in the digit's ink from this many of the user's pixels: smaller, it is a pinhole that noise
left in a bold stroke..."""
SLIVER_THICKNESS = 2
"""...and not counting a piece at most this many work pixels thick and three times as long: a sliver that noise
left of a ruled line, not a speck of scattered ink."""
STROKE_MASK_LEVEL = 128
"""Grey level from which a pixel of a 28x28 frame counts as stroke, for measuring stroke widths."""
BIMODAL_SEPARATION = 3.5
"""Ink and paper whose grey levels are this many pooled standard deviations apart are two clear classes: the
paper's noise is then measured on the paper class alone, so a crop that is half ink is not called blank."""


class NoDigitFound(ValueError):
    """The image is blank, or nearly: nothing stands out from the background enough to be a digit.

    Not an error of the input file: a reader answers "no digit found" for it instead of guessing.
    """


def is_mnist_style(gray: np.ndarray) -> bool:
    """True only for what the network was trained on: a 28x28 light digit on black whose ink box has its longer
    side near 20 px and whose centre of mass is at the centre. Any other 28x28 image (a small, off-centre or
    frame-filling digit, a canvas export, a crop from another tool) is normalised like every other image."""
    if gray.shape != (IMAGE_SIZE, IMAGE_SIZE):
        return False
    border = np.concatenate([gray[:2].ravel(), gray[-2:].ravel(), gray[:, :2].ravel(), gray[:, -2:].ravel()])
    paper = median_of(border)
    if paper >= 60 or float(gray.max()) <= paper + MIN_CONTRAST:
        return False
    rows = np.flatnonzero(gray.max(axis=1) > MNIST_INK_LEVEL)
    cols = np.flatnonzero(gray.max(axis=0) > MNIST_INK_LEVEL)
    if len(rows) == 0:
        return False
    longer = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    if not MNIST_BOX_SIDES[0] <= longer <= MNIST_BOX_SIDES[1]:
        return False
    weights = gray.astype(np.float64)
    ys, xs = np.indices(gray.shape)
    centre = (IMAGE_SIZE - 1) / 2 + 0.25  # MNIST centres on the pixel grid's (14, 14) corner, not 13.5
    total = weights.sum()
    return (
        abs((ys * weights).sum() / total - centre) <= MNIST_CENTRE_TOLERANCE
        and abs((xs * weights).sum() / total - centre) <= MNIST_CENTRE_TOLERANCE
    )


def upscale_small(gray: np.ndarray, below: int = SMALL_SIDE) -> tuple[np.ndarray, float]:
    """An image whose longer side is under ``below`` (a tight 8x8 or 16x16 crop, a thumbnail) smoothly enlarged
    to ``UPSCALED_SIDE``, and the factor; other images as they are (factor 1)."""
    height, width = gray.shape
    if max(height, width) >= below:
        return gray, 1.0
    factor = UPSCALED_SIDE / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(Image.fromarray(gray).resize(size, Image.Resampling.BICUBIC), dtype=np.uint8), factor


def paper_noise_floor(residual: np.ndarray) -> float:
    """The grey level (ink up, paper about 0) under which a pixel is paper or its noise.

    The paper is normally most of the image: its median plus three robust standard deviations. When the image
    splits into two clearly separate classes (Otsu), the paper's statistics come from the darker class alone,
    so a tight crop whose ink covers half the frame still has its paper measured on paper, and the floor stays
    below the split: in a crop cut to a thin stroke (a 1 cut to 20x4 px) the darker class is mostly the
    stroke's soft edges, whose spread would otherwise put the floor above the ink.
    """
    sample = residual[::2, ::2] if residual.size >= 4096 else residual
    values = sample.ravel()
    split = otsu_low_class(values)
    paper = np.clip(values if split is None else split[0], 0, None)
    median = median_of(paper)
    spread = 1.4826 * median_of(np.abs(paper - median))
    floor = median + 3 * spread
    return floor if split is None else min(floor, split[1])


def noisy_ink_floor(mean3: np.ndarray, peak: float) -> float | None:
    """The noise floor of a 3x3 mean of the paper-corrected image (``mean3``, ink up), when its ``peak`` stands
    out from the paper in it by ``NOISY_MIN_CONTRAST`` and by ``NOISY_INK_SIGMAS`` robust standard deviations of its
    noise (at least one grey level); else None: nothing stands out.

    Why: the pixel-level floor (``paper_noise_floor``: the paper's median plus three standard deviations) asks a
    noisy photo's ink for 24 levels more than its noise, which the 3x3 mean has already cut to a third: digits
    written 40-60 levels darker than dim paper with sensor noise were "no digit found" 19-49% of the time. Noise
    alone, blurred, compressed or not, never rises over 5.2 of its mean's deviations here, nor blotchy paper over
    8.8; the digits it finds rise 7.4-26 (README)."""
    sample = mean3[::2, ::2] if mean3.size >= 4096 else mean3
    median = median_of(sample.ravel())
    spread = max(1.0, 1.4826 * median_of(np.abs(sample.ravel() - median)))
    if peak - median < NOISY_MIN_CONTRAST or peak - median < NOISY_INK_SIGMAS * spread:
        return None
    return median + 3 * spread


def otsu_low_class(values: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The darker class of an Otsu split of ``values`` and the split's level, or None when the two classes are
    not clearly apart."""
    lowest, highest = float(values.min()), float(values.max())
    if highest <= lowest:
        return None
    bins = 64  # np.histogram's bins, counted by one bincount (np.histogram takes ten times as long here)
    index = np.minimum(((values - lowest) * (bins / (highest - lowest))).astype(np.int64), bins - 1)
    histogram = np.bincount(index, minlength=bins)
    edges = lowest + np.arange(bins + 1) * ((highest - lowest) / bins)
    centres = (edges[:-1] + edges[1:]) / 2
    weight_low = np.cumsum(histogram)
    weight_high = weight_low[-1] - weight_low
    sum_low = np.cumsum(histogram * centres)
    mean_low = sum_low / np.maximum(weight_low, 1)
    mean_high = (sum_low[-1] - sum_low) / np.maximum(weight_high, 1)
    between = weight_low * weight_high * (mean_low - mean_high) ** 2
    split = int(np.argmax(between[:-1]))
    threshold = edges[split + 1]
    low, high = values[values < threshold], values[values >= threshold]
    if len(low) < 8 or len(high) < 8:
        return None
    pooled = np.sqrt((low.var() * len(low) + high.var() * len(high)) / len(values))
    if pooled == 0 or (high.mean() - low.mean()) / pooled < BIMODAL_SEPARATION:
        return None
    return low, float(threshold)


def pieces_say_ink_is_dark(work: np.ndarray, ring: np.ndarray) -> bool | None:
    """Polarity of a crop cut tight to its digit, told by the pieces each grey class is in; None when the image
    is not such a crop or the pieces do not tell.

    A digit's ink is one stroke, in one piece or a few; the paper it leaves in a tight crop is cut into more: a
    7's bar and stem leave paper on either side of the stem, a 0 touching all four sides leaves four corners and
    its hole. The corners alone guessed a bold 7 wrong (its bar fills both top corners): 9 of mfeat's 2,000 crops
    and 10 of pyclustering's 250 drawings stretched to 16x16 were read inverted; 0 and 1 with the pieces.
    """
    split = otsu_low_class(work.ravel())
    if split is None:
        return None
    light = work >= split[1]
    light_on_ring = float(light[ring].mean())
    if min(light_on_ring, 1 - light_on_ring) < TIGHT_RING_SHARE:
        return None
    smallest = PIECE_SHARE * work.size
    light_pieces, dark_pieces = (
        int((np.bincount(label_components(mask)[0].ravel())[1:] >= smallest).sum()) for mask in (light, ~light)
    )
    if light_pieces == dark_pieces:
        return None
    return light_pieces > dark_pieces


@functools.lru_cache(maxsize=16)
def border_plane_fit(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The border ring of an image of this shape, and the least-squares projector that fits a plane
    (level, x and y gradient) to the ring's pixels. Depends only on the shape, so it is computed once per shape
    (photos of one camera all share it)."""
    ring = np.zeros((height, width), bool)
    edge = max(1, min(height, width) // 20)
    ring[:edge], ring[-edge:], ring[:, :edge], ring[:, -edge:] = True, True, True, True
    ys, xs = np.nonzero(ring)
    design = np.column_stack([np.ones(len(xs)), xs / width, ys / height])
    projector = np.linalg.pinv(design)  # one row or column of pixels: the minimum-norm plane, as lstsq gives
    ring.flags.writeable = projector.flags.writeable = False  # shared by every call with this shape
    return ring, projector


def ink_is_dark(work: np.ndarray) -> bool:
    """Is the ink darker than the paper? The image's border is mostly paper: fit a plane (the lighting
    gradient) to the border, and see whether the strongest departure from it inside is downwards or upwards.
    An image cropped to a printed box is judged inside the box (``inside_printed_box``)."""
    cell = inside_printed_box(work, MIN_CONTRAST)
    if cell is not None:
        work = cell.inside
    height, width = work.shape
    ring, projector = border_plane_fit(height, width)
    coefficients = projector @ work[ring]
    plane = (
        coefficients[0]
        + coefficients[1] * (np.arange(width, dtype=np.float32) / width)[None, :]
        + coefficients[2] * (np.arange(height, dtype=np.float32) / height)[:, None]
    ).astype(np.float32)
    residual = box_mean3(work - plane)
    down, up = -float(residual.min()), float(residual.max())
    if cell is not None and max(down, up) < MIN_CONTRAST:
        return cell.lines_are_dark  # an empty cell: nothing but its box, printed as the pen would write
    if max(down, up) > POLARITY_MARGIN * min(down, up):
        return down > up
    # As far above as below: a tight crop whose border is half ink (a bold 0 touching all four sides, a bold 7
    # whose bar and stem run along three sides).
    pieces = pieces_say_ink_is_dark(work, ring)
    if pieces is not None:
        return pieces
    # Otherwise its corners are the likeliest paper: darker corners than the image's mean mean light ink on dark
    # paper.
    patch = max(1, min(height, width) // 8)
    corners = np.concatenate(
        [
            work[:patch, :patch].ravel(),
            work[:patch, -patch:].ravel(),
            work[-patch:, :patch].ravel(),
            work[-patch:, -patch:].ravel(),
        ]
    )
    return median_of(corners) > float(work.mean())


def background_grid(ink_up: np.ndarray) -> np.ndarray:
    """Paper level per grid cell (ink bright, paper dark): a low percentile, then a 3x3 minimum over cells.

    The minimum keeps cells that are mostly ink (thick digits in tight crops) from being taken for paper.
    """
    return square_filter(cell_percentile(ink_up, PAPER_PERCENTILE, BACKGROUND_GRID), 3, np.minimum)


def interpolate_grid(grid: np.ndarray, full_shape: tuple[int, int], box: Box) -> np.ndarray:
    """Bilinear interpolation of a coarse grid stretched over ``full_shape``, evaluated only inside ``box``."""
    cells_y, cells_x = grid.shape

    def weights(start: int, stop: int, full: int, cells: int):
        position = np.clip((np.arange(start, stop) + 0.5) / full * cells - 0.5, 0, cells - 1)
        low = np.minimum(position.astype(np.int64), cells - 1)
        high = np.minimum(low + 1, cells - 1)
        return low, high, (position - low).astype(np.float32)

    y0, y1, wy = weights(box.top, box.bottom, full_shape[0], cells_y)
    x0, x1, wx = weights(box.left, box.right, full_shape[1], cells_x)
    along_x = grid[:, x0] * (1 - wx) + grid[:, x1] * wx  # separable: along the cells' rows first (small), then down
    return along_x[y0] * (1 - wy)[:, None] + along_x[y1] * wy[:, None]


def line_bands(mask: np.ndarray) -> list[tuple[int, int, int]]:
    """Ruled lines and frame edges: thin bands of rows (axis 0) or columns (axis 1) inked across nearly the whole
    image, as (axis, start, end); the columns are judged with the rows' lines already cleared.

    A band counts as a line when each of its rows is inked over ``LINE_SPAN`` of the width, from edge to edge,
    and the band is thin compared with the image (a digit's bar in a tight crop is thicker).
    """
    rows = [(0, start, end) for start, end in _edge_to_edge_bands(mask, LINE_SPAN)[0]]
    columns = [(1, start, end) for start, end in _edge_to_edge_bands(clear_bands(mask, rows).T, LINE_SPAN)[0]]
    return rows + columns


def faint_line_bands(mask: np.ndarray) -> list[tuple[int, int, int]]:
    """Thin bands of rows (axis 0) or columns (axis 1) inked edge to edge over ``FAINT_LINE_SPAN`` of their
    length: a ruled line, even when noise or faint printing has broken it into dashes, as (axis, start, end)."""
    bands = []
    for axis, view in enumerate((mask, mask.T)):
        runs, coverage = _edge_to_edge_bands(view, FAINT_LINE_SPAN)
        for start, end in runs:
            reach = max(2, end - start)
            above, below = coverage[max(0, start - reach) : start], coverage[end : end + reach]
            beside = max(above.mean() if above.size else 0.0, below.mean() if below.size else 0.0)
            if coverage[start:end].mean() >= LINE_CONTRAST * beside:
                bands.append((axis, start, end))
    return bands


def _edge_to_edge_bands(view: np.ndarray, span: float) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Runs of rows inked over ``span`` of the width and reaching within ``LINE_EDGE`` of both edges, at most
    ``LINE_THICKNESS`` of the height thick; with each row's inked share."""
    height, width = view.shape
    coverage = view.mean(axis=1)
    if not view.any():
        return [], coverage
    first = np.argmax(view, axis=1)
    last = width - 1 - np.argmax(view[:, ::-1], axis=1)
    spanning = (coverage >= span) & (first <= LINE_EDGE * width) & (last >= (1 - LINE_EDGE) * width - 1)
    max_band = max(2, int(LINE_THICKNESS * height))
    return [(start, end) for start, end in true_runs(spanning) if end - start <= max_band], coverage


def thin_bands(bands: list[tuple[int, int, int]], stroke: float) -> list[tuple[int, int, int]]:
    """The bands thinner than the pen's stroke: a printed ruled line is, a digit's bar never is."""
    return [band for band in bands if band[2] - band[1] < THIN_LINE_SHARE * stroke]


def paint_over_bands(ink: np.ndarray, box: Box, bands: list[tuple[int, int, int]], factors: tuple[float, float]):
    """Paint the lines of ``bands`` (work-copy rows or columns) out of ``ink``, a full-resolution crop at ``box``,
    in place: across each band, every column takes the values interpolated between the rows just outside it.

    Why: the ink mask loses a line's rows, but the crop the network sees is cut from the grey image, where the
    line still runs through the digit's box and fills its loops (a 6 read as 0, a 1 with a bar read as 4). A
    stroke that crosses the line has ink on both sides and stays whole; the line alone has paper on both sides
    and goes."""
    for axis, start, end in bands:
        view = ink if axis == 0 else ink.T
        factor = factors[1] if axis == 0 else factors[0]
        offset = box.top if axis == 0 else box.left
        low = int(np.floor(start * factor)) - offset - 1
        high = int(np.ceil(end * factor)) - offset + 1
        if high <= 0 or low >= view.shape[0]:
            continue
        before = view[low - 1] if low >= 1 else None
        after = view[high] if high < view.shape[0] else None
        low, high = max(low, 0), min(high, view.shape[0])
        if before is None and after is None:
            view[low:high] = 0.0
            continue
        if before is None or after is None:  # the line runs along the crop's edge: paint from the other side
            view[low:high] = after if before is None else before
            continue
        share = (np.arange(low, high, dtype=np.float32) - (low - 1)) / (high - low + 1)
        view[low:high] = before * (1 - share[:, None]) + after * share[:, None]


def inside_band(box: Box, band: tuple[int, int, int], bridge: int) -> bool:
    """Whether a component lies wholly within a line's band (allowing for the ``bridge`` its mask was grown by)."""
    axis, start, end = band
    low, high = (box.top, box.bottom) if axis == 0 else (box.left, box.right)
    slack = bridge // 2 + 1
    return low >= start - slack and high <= end + slack


@dataclass
class InkAnalysis:
    """What the reduced copy tells: polarity, paper grid, ink levels, the cleaned ink mask and its components."""

    dark_ink: bool
    grid: np.ndarray
    floor: float
    peak: float
    labels: np.ndarray
    components: list[Component]
    factor_x: float
    factor_y: float
    lines: list[tuple[int, int, int]]
    """The ruled lines cleared from the mask, as (axis, start, end) bands of work-copy rows or columns."""
    crossings: frozenset[tuple[int, int]] = frozenset()
    """Pairs of component labels that are one stroke cut by a cleared line (``strokes_across_lines``)."""
    work_per_source_pixel: float = 1.0
    """Work-copy pixels per pixel of the user's image (at least 1): how big a speck or a pinhole of theirs is."""
    ink_level: np.ndarray | None = None
    """The work copy, ink up, before the paper's grid is subtracted (``is_shadow_edge`` compares ink with the paper
    around it)."""


def is_stroke_cut(gray: np.ndarray) -> bool:
    """Whether a tiny image is one stroke cut to its box (a 1 cut to 20x2 px): long and thin, and smooth along
    its length. Such a crop is mostly ink, so its paper's spread cannot be measured on it. Smoothness tells it from
    noise: neighbouring rows of a stroke differ by under a third of the image's spread (0.52 at most over the
    MNIST test digits cut to their box), those of random noise by more than its spread (0.84 or more)."""
    long_side, short_side = max(gray.shape), min(gray.shape)
    if long_side >= SMALL_SIDE or long_side < STROKE_CUT_ASPECT * short_side:
        return False
    return roughness(gray, (0 if gray.shape[0] >= gray.shape[1] else 1,)) <= STROKE_CUT_ROUGHNESS


def roughness(values: np.ndarray, axes: tuple[int, ...]) -> float:
    """The mean difference between neighbouring pixels along ``axes``, as a share of the values' spread (inf for
    a uniform image): about 1.13 for random noise, well under 1 for a picture whose strokes span several pixels."""
    values = values.astype(np.float32)
    spread = float(values.std())
    if spread == 0:
        return float("inf")
    steps = np.concatenate([np.abs(np.diff(values, axis=axis)).ravel() for axis in axes])
    return float(steps.mean()) / spread


def is_smooth_crop(gray: np.ndarray) -> bool:
    """Whether a tiny image varies smoothly from pixel to pixel, as a picture of strokes does and noise does not.

    Why: a tight crop can be nearly all ink (a 1 stretched to fill 16x16, an 8 squeezed into 8x8), leaving no
    paper to measure the noise on; it was then answered "no digit found". Measured: MNIST test digits stretched
    to 8x8 and 16x16 that were answered so had 0.71 (median) and 0.87 (90th percentile); random noise of 8x8 to
    16x16 0.93 at the least of 5,000 per size. Under ``MIN_SMOOTH_CROP_SIDE`` a few noisy pixels can be smooth
    by chance (4x4: 1% under 0.88), and no digit is legible anyway.
    """
    if max(gray.shape) >= SMALL_SIDE or min(gray.shape) < MIN_SMOOTH_CROP_SIDE:
        return False
    return roughness(gray, (0, 1)) <= SMOOTH_CROP_ROUGHNESS


def analyse(
    gray: np.ndarray,
    work_side: int,
    bridge: int = 1,
    upscaled: float = 1.0,
    stroke_cut: bool = False,
    smooth_crop: bool = False,
) -> InkAnalysis:
    """Find the ink in a reduced copy of ``gray``; raise NoDigitFound when nothing stands out from the paper.

    ``bridge`` (odd) grows the ink mask before labelling, so strokes broken by a gap of up to ``bridge - 1``
    pixels count as one component. ``upscaled`` is how much ``gray`` was enlarged from the user's image, so a
    speck is judged by its size in the user's pixels. A ``stroke_cut`` image (``is_stroke_cut``) has its noise
    floor at ``MIN_CONTRAST`` over the paper; so has a ``smooth_crop`` (``is_smooth_crop``) in which nothing
    would stand out otherwise.
    """
    work, factor_x, factor_y = reduce_to(gray, work_side)
    dark_ink = ink_is_dark(work)
    ink_up = 255.0 - work if dark_ink else work
    grid = background_grid(ink_up)
    tiny_crop = upscaled > 1 and max(gray.shape) / upscaled < SMALL_SIDE
    if tiny_crop:
        # A tiny crop has no lighting gradient to speak of, and a bold digit may leave no paper in most cells:
        # its paper is one level, that of its darkest part (a crop always keeps some paper, e.g. its corners).
        grid = np.full(grid.shape, percentile_last_axis(ink_up.ravel(), TINY_PAPER_PERCENTILE), np.float32)
    residual = ink_up - interpolate_grid(grid, work.shape, Box(0, 0, work.shape[1], work.shape[0]))
    corrected = np.clip(residual, 0, None)
    floor = paper_noise_floor(residual)
    if stroke_cut:
        floor = min(floor, MIN_CONTRAST)
    peak = float(box_mean3(corrected).max())  # a 3x3 mean, so single noisy pixels do not count as ink
    if smooth_crop and peak - floor < MIN_CONTRAST:
        # Mostly ink and smooth: the spread measured as paper noise was the digit's own shading.
        floor = min(floor, MIN_CONTRAST)
    level = corrected
    if peak - floor < MIN_CONTRAST:
        # Noise may hide ink pixel by pixel that its 3x3 mean shows plainly (a dim, grainy photo): the ink is then
        # found in that mean, measured against the mean's own noise.
        level = box_mean3(residual)
        floor = noisy_ink_floor(level, peak)
        if floor is None:
            raise NoDigitFound("nothing stands out from the background")
        level = np.clip(level, 0, None)
    ink_mask = level > floor + INK_THRESHOLD * (peak - floor)
    # A form's box may be printed in a grey far lighter than the pen: looked for at a lower level of ink.
    frames = frame_bands(level > floor + FRAME_INK_THRESHOLD * (peak - floor))
    unframed = clear_bands(ink_mask, frames)
    stroke = stroke_width(unframed)
    if tiny_crop or frames:
        # A crop this small holds one digit filling its frame: a band inked edge to edge is the digit's own
        # stroke (a 0's top, a 7's bar), not a ruled line, and cutting it out broke digits apart (mfeat's crops:
        # 87.9% read right with such bands cut, 89.8% without; optdigits' 97.97% -> 98.02%). So is a band across
        # a printed box, whose own lines are the ones to clear (a cell cut along its box lost a 2's base).
        bands, cleared = [], frames
    else:
        bands = [band for band in faint_line_bands(ink_mask) if band[2] - band[1] <= LINE_BAND_STROKES * stroke]
        cleared = list(dict.fromkeys(line_bands(ink_mask) + thin_bands(bands, stroke)))  # a line may be in both
    labels, parts = ink_components(clear_bands(ink_mask, cleared), bridge)
    parts = [
        part
        for part in parts
        if not is_line(part, ink_mask.shape) and not any(inside_band(part.box, band, bridge) for band in bands)
    ]
    if cleared:
        parts = [part for part in parts if not is_line_piece(part, stroke)]
    work_per_source_pixel = max(1.0, (upscaled / factor_x) * (upscaled / factor_y))
    min_ink = MIN_INK_PIXELS * work_per_source_pixel
    if not parts or max(part.area for part in parts) < min_ink:
        # Nothing but line-like ink (and specks): it is the digit itself (a "1" filling the frame, or cut to a
        # 20x4 crop, whose stroke the line rule took in pieces), not ruled paper.
        labels, parts = ink_components(unframed, bridge)
        cleared = frames
    if not parts:
        raise NoDigitFound("no ink")
    largest = max(part.area for part in parts)
    min_area = max(2, SPECK_FRACTION * largest) if largest >= 8 else 2
    kept = [part for part in parts if part.area >= min_area]
    if largest < min_ink:
        raise NoDigitFound("only specks of noise")
    crossings = strokes_across_lines(labels, cleared)
    return InkAnalysis(
        dark_ink, grid, floor, peak, labels, kept, factor_x, factor_y, cleared, crossings, work_per_source_pixel, ink_up
    )


def strokes_across_lines(labels: np.ndarray, lines: list[tuple[int, int, int]]) -> frozenset[tuple[int, int]]:
    """Pairs of component labels that a cleared line cut apart: ink just before and just after its band, in the
    same column (or row) give or take one, is a stroke crossing the line.

    Why: clearing a ruled line's rows slices a digit written over ruled paper into pieces one line-spacing tall,
    and the digit's pieces may then reach further than ``digit_group`` looks from the largest (an 8 over three
    lines lost its top loop and read 0, a 0 lost its top and read 6)."""
    pairs = set()
    for axis, start, end in lines:
        view = labels if axis == 0 else labels.T
        if start < 1 or end >= view.shape[0]:
            continue
        before, after = view[start - 1], view[end]
        for above, below in ((before, after), (before[1:], after[:-1]), (before[:-1], after[1:])):
            crossing = (above > 0) & (below > 0) & (above != below)
            pairs.update(zip(above[crossing].tolist(), below[crossing].tolist()))
    return frozenset(pairs)


def is_line_piece(part: Component, stroke: float) -> bool:
    """On ruled paper: a mark thinner than the pen (``THIN_LINE_SHARE`` of its stroke) and ``LINE_ASPECT`` times
    longer than thick is what noise or the digit left of a line that the line rule did not find, not a piece of
    the digit (a dash beside a 5 within its reach was taken for its bar and read 3)."""
    thick, long = sorted((part.box.height, part.box.width))
    return thick < THIN_LINE_SHARE * stroke and long >= LINE_ASPECT * thick


def is_line(part: Component, shape: tuple[int, int]) -> bool:
    """A long thin component (half the image or more, ten times longer than thick): a ruled line or a border."""
    height, width = shape
    box = part.box
    return (box.width >= LINE_LENGTH * width and box.height * LINE_ASPECT <= box.width) or (
        box.height >= LINE_LENGTH * height and box.width * LINE_ASPECT <= box.height
    )


def digit_likeness(part: Component) -> float:
    """Ink area, discounted for shapes much wider than tall (dashes, leftovers of ruled lines): digits are upright."""
    return part.area * min(1.0, UPRIGHT_RATIO * part.box.height / part.box.width)


def joined_units(parts: list[Component], crossings: frozenset[tuple[int, int]]) -> list[list[Component]]:
    """The parts gathered into units: parts joined by a stroke across a cleared line (``crossings``) are one."""
    index = {part.label: position for position, part in enumerate(parts)}
    edges = np.array([(index[a], index[b]) for a, b in crossings if a in index and b in index], np.int64)
    edges = edges.reshape(-1, 2)
    units: dict[int, list[Component]] = {}
    for part, root in zip(parts, graph_roots(len(parts), edges[:, 0], edges[:, 1]).tolist()):
        units.setdefault(root, []).append(part)
    return list(units.values())


def digit_group(parts: list[Component], crossings: frozenset[tuple[int, int]] = frozenset()) -> list[Component]:
    """The components of the one digit: the largest, and those near it (broken strokes, a detached bar).

    Pieces of one stroke cut by a ruled line (``crossings``) count as one, whose size sets how far to look."""
    units = [
        (Component(unit[0].label, sum(p.area for p in unit), union_box(unit)), unit)
        for unit in joined_units(parts, crossings)
    ]
    main = max((whole for whole, _ in units), key=digit_likeness).box
    size = max(main.width, main.height)
    reach_x, reach_y = PIECE_REACH_X * size, PIECE_REACH_Y * size
    return [
        part
        for whole, unit in units
        if whole.box.left <= main.right + reach_x
        and whole.box.right >= main.left - reach_x
        and whole.box.top <= main.bottom + reach_y
        and whole.box.bottom >= main.top - reach_y
        for part in unit
    ]


def ink_crop(
    gray: np.ndarray, analysis: InkAnalysis, parts: list[Component], columns: tuple[int, int] | None = None
) -> np.ndarray:
    """Full-resolution ink (float 0..1, paper 0) of ``parts``, cropped to their box.

    Pixels outside the parts' (slightly grown) mask are cleared, so specks, lines and neighbouring digits
    inside the box do not leak in. ``columns`` limits the crop to a range of work-copy columns (for splitting
    touching digits).
    """
    work_box = union_box(parts)
    if columns is not None:
        work_box = Box(max(work_box.left, columns[0]), work_box.top, min(work_box.right, columns[1]), work_box.bottom)
    height, width = gray.shape
    box = work_box.scaled(analysis.factor_x, analysis.factor_y, width, height)
    crop = gray[box.top : box.bottom, box.left : box.right].astype(np.float32)
    if analysis.dark_ink:
        crop = 255.0 - crop
    corrected = crop - interpolate_grid(analysis.grid, (height, width), box)
    ink = np.clip((corrected - analysis.floor) / (analysis.peak - analysis.floor), 0, 1)
    paint_over_bands(ink, box, lines_beyond(analysis, work_box), (analysis.factor_x, analysis.factor_y))
    keep = np.isin(
        analysis.labels[work_box.top : work_box.bottom, work_box.left : work_box.right], [p.label for p in parts]
    )
    keep = square_filter(keep, 3, np.maximum).astype(np.uint8)
    keep = np.asarray(Image.fromarray(keep).resize((box.width, box.height), Image.Resampling.NEAREST)) > 0
    return ink * keep


def lines_beyond(analysis: InkAnalysis, work_box: Box) -> list[tuple[int, int, int]]:
    """The cleared lines that run on beyond the digit's box (``work_box``): ruled lines. In a tight crop the digit
    spans the image, and a band inked edge to edge is its own stroke (a 0's top: a third of mfeat's crops have
    one), which the mask may lose but the crop must keep."""
    height, width = analysis.labels.shape
    spans = (work_box.width < (1 - 2 * LINE_EDGE) * width, work_box.height < (1 - 2 * LINE_EDGE) * height)
    return [band for band in analysis.lines if spans[band[0]]]


def to_mnist_frame(ink: np.ndarray, sharpen_enlarged: bool = False) -> np.ndarray:
    """Ink crop (float 0..1) -> uint8 28x28: stroke width matched to MNIST, longer side 20 px, centred by mass.

    ``sharpen_enlarged``: a crop smaller than the intermediate size is sharpened once enlarged to it
    (``sharpened``). The number reader asks for it; single digits do not yet, as the committed model's drawn
    training samples go through this function and would change (README, "How an image is prepared")."""
    height, width = ink.shape
    scale = STAGE_SIDE / max(height, width)
    stage_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    stage = Image.fromarray((ink * 255).astype(np.float32), mode="F").resize(
        stage_size, Image.Resampling.BILINEAR if scale > 1 else Image.Resampling.BOX
    )
    stage_array = np.asarray(stage)
    if stage_array.max() > 0:
        stage_array = stage_array * (255.0 / stage_array.max())
    if sharpen_enlarged and scale > 1:
        stage_array = sharpened(stage_array)
    stage_array = filled_outlines(stage_array)
    width_now = stroke_width(stage_array > 127)
    if width_now > 0:
        # Grow thin strokes (fine pens, large photos) and shrink very thick ones (markers) towards MNIST's width.
        change = MNIST_STROKE_AT_STAGE - width_now
        size = min(15, int(2 * round(abs(change) / 2) + 1))
        if change > 0 and size >= 3:
            stage_array = square_filter(stage_array, size, np.maximum)
        elif change < -MNIST_STROKE_AT_STAGE * MARKER_EXCESS and size >= 3:
            stage_array = thin_marker_strokes(stage_array, width_now)
    box_scale = DIGIT_BOX / STAGE_SIDE
    small_size = (max(1, round(stage_size[0] * box_scale)), max(1, round(stage_size[1] * box_scale)))
    small = np.asarray(
        Image.fromarray(stage_array.astype(np.float32), mode="F").resize(small_size, Image.Resampling.LANCZOS)
    )
    small = np.clip(small, 0, None)
    if small.max() > 0:
        small = small * (255.0 / small.max())
    return center_by_mass(small)


def sharpened(stage: np.ndarray) -> np.ndarray:
    """An unsharp mask (Pillow's) of a digit at the intermediate size, float 0..255 in and out: each pixel moves
    away from its neighbourhood's blur, so a haze between strokes falls back towards paper and the strokes' edges
    steepen, as they are in MNIST."""
    image = Image.fromarray(np.clip(stage, 0, 255).astype(np.uint8))
    mask = ImageFilter.UnsharpMask(radius=ENLARGED_SHARPEN_RADIUS, percent=ENLARGED_SHARPEN_PERCENT, threshold=0)
    return np.asarray(image.filter(mask)).astype(np.float32)


def filled_outlines(stage: np.ndarray) -> np.ndarray:
    """A digit at the intermediate size (float 0..255) with the insides of its outlined strokes inked, if any.

    Why: a digit written hollow, each stroke drawn as its outline with paper between (bubble letters, a stencil, a
    font's outline), is two thin lines to the network: a hollow 1 reads as a 0 and most others as 8, 0 or 2
    (62% of hollow MNIST digits read right). Inside such a stroke is a band of paper enclosed by the ink, wider
    than the outline's lines (``OUTLINE_BAND_WIDTH``), long for its width (``OUTLINE_BAND_LENGTH``), and those lines
    are fine (``OUTLINE_LINE_SHARE``); a loop's hole (a 0's, an 8's) is rounder, or narrower than the pen that drew
    it. Filled in, the bands leave the solid digit a marker would write, which the marker thinning then treats as
    one; the loops' holes stay open. A hollow digit photographed small has its lines blurred thicker
    (``OUTLINE_RIM_LINE_SHARE``): its bands are inked in only when the ink is nothing but their rim."""
    ink = stage > 127
    stroke = stroke_width(ink)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    size = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) if len(rows) else 0
    if stroke <= 0 or stroke > OUTLINE_RIM_LINE_SHARE * size:
        return stage
    paper = ~ink
    labels, count = label_components(paper)
    area = np.bincount(labels.ravel(), minlength=count + 1)
    edge = np.bincount(labels[paper & ~interior(paper)], minlength=count + 1)
    width = 2.0 * area / np.maximum(edge, 1)  # as stroke_width measures it, for each piece of paper
    band = (width >= OUTLINE_BAND_WIDTH * stroke) & (area >= OUTLINE_BAND_LENGTH * width**2)
    band[np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))] = False  # open paper
    band[0] = False  # the ink itself
    if stroke > OUTLINE_LINE_SHARE * size:  # thicker lines: only bands that are all there is to the digit
        band &= width <= OUTLINE_RIM_BAND_SHARE * size
        if band.any() and not is_rim_of(ink, band[labels], stroke):
            return stage
    if not band.any():
        return stage
    filled = stage.copy()
    filled[band[labels]] = 255.0
    return filled


def is_rim_of(ink: np.ndarray, inside: np.ndarray, stroke: float) -> bool:
    """Whether (nearly) all of the ink lies along the paper ``inside`` (within ``OUTLINE_RIM_REACH`` line widths
    of it): a stroke's outline and nothing else, as a hollow digit is; a pen track's narrow loop has the rest of
    the digit's stroke beyond it."""
    side = 2 * int(np.ceil(OUTLINE_RIM_REACH * stroke)) + 1
    near = square_filter(inside.astype(np.uint8), side, np.maximum) > 0
    return int((ink & near).sum()) >= OUTLINE_RIM_SHARE * int(ink.sum())


def thin_marker_strokes(stage: np.ndarray, width: float) -> np.ndarray:
    """Erodes a marker's strokes one pixel a side at a time until they are about as wide as MNIST's.

    Why step by step: a bold stroke closes a digit's loops and gaps (a 5's opening, a 6's or 9's eye) until the
    network reads 8 or 0, and only thinning reopens them; but one erosion large enough for the thickest part would
    cut the digit where its stroke is thin. So each step is kept only if the digit is still in as many pieces as
    before. (Keeping the loops as well was tried: it kept the closed gaps shut.)"""
    pieces = count_components(stage > 127)
    steps = int(width * MAX_THINNING_SHARE / 2)
    while width > MNIST_MEDIAN_STROKE_AT_STAGE and steps > 0:
        steps -= 1
        thinner = square_filter(stage, 3, np.minimum)
        ink = thinner > 127
        if not ink.any() or count_components(ink) != pieces:
            break
        stage, width = thinner, stroke_width(ink)
    return stage


def center_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place a digit (at most 28x28, float) in a 28x28 uint8 frame with its centre of mass at the centre."""
    frame = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    total = float(digit.sum()) or 1.0
    ys, xs = np.indices(digit.shape)
    top = int(round(IMAGE_SIZE / 2 - 0.5 - float((ys * digit).sum()) / total))
    left = int(round(IMAGE_SIZE / 2 - 0.5 - float((xs * digit).sum()) / total))
    top = min(max(top, 0), IMAGE_SIZE - digit.shape[0])
    left = min(max(left, 0), IMAGE_SIZE - digit.shape[1])
    frame[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    return np.clip(np.rint(frame), 0, 255).astype(np.uint8)


def is_near_square(frame: np.ndarray) -> bool:
    """Whether an MNIST-style digit's ink box is at least ``NEAR_SQUARE`` as wide as it is high (False if blank)."""
    rows = np.flatnonzero(frame.max(axis=1) > MNIST_INK_LEVEL)
    cols = np.flatnonzero(frame.max(axis=0) > MNIST_INK_LEVEL)
    return len(rows) > 0 and cols[-1] - cols[0] + 1 >= NEAR_SQUARE * (rows[-1] - rows[0] + 1)


def narrowed(frame: np.ndarray, share: float = NARROWED_WIDTH) -> np.ndarray | None:
    """The same MNIST-style digit with its width cut to ``share`` (longer side back to 20 px, centred by mass),
    or None when its box is not near square.

    Why: classic collections and some segmenters deliver each digit stretched to fill a square box (mfeat's
    15x16, Semeion's 16x16), which makes a 1 with a flag as wide as a 4 and every digit squatter than MNIST's.
    Nothing in the image says whether it was stretched, so a near-square digit is read both as it is and
    narrowed, and the readings are averaged (``digits.predict.predict_arrays``).
    """
    if not is_near_square(frame):
        return None
    rows, cols = (
        np.flatnonzero(frame.max(axis=1) > MNIST_INK_LEVEL),
        np.flatnonzero(frame.max(axis=0) > MNIST_INK_LEVEL),
    )
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    box = frame[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32)
    scale = DIGIT_BOX / max(height, width * share)
    size = (max(1, round(width * share * scale)), max(1, round(height * scale)))
    small = np.clip(np.asarray(Image.fromarray(box, mode="F").resize(size, Image.Resampling.LANCZOS)), 0, None)
    if small.max() > 0:
        small = small * (float(box.max()) / small.max())
    return center_by_mass(small)


def narrowed_weight(frame: np.ndarray) -> float:
    """The share of a near-square digit's probabilities that its narrowed reading gets: half, or
    ``STRETCHED_NARROWED_WEIGHT`` when its strokes say it was stretched sideways (upright strokes at least
    ``STRETCHED_ANISOTROPY`` times as wide as flat ones).

    Why: averaging the two readings half and half leaves a stretched 1 with a flag read as 7 or 4 about as often as
    it is read 1 (mfeat, and real drawn digits cut to their box and stretched to 16x16 as Semeion's are); a pen
    draws upright and flat strokes about equally wide, stretching widens only the upright ones. A digit that was
    not stretched keeps the even average, so MNIST, photos and drawings read as before.
    """
    if stroke_anisotropy(frame >= STROKE_MASK_LEVEL) >= STRETCHED_ANISOTROPY:
        return STRETCHED_NARROWED_WEIGHT
    return 0.5


def is_sliver(part: Component) -> bool:
    """A thin flat or upright piece (``SLIVER_THICKNESS``): the pieces of a ruled line broken by noise."""
    thick, long = sorted((part.box.height, part.box.width))
    return thick <= SLIVER_THICKNESS and long >= 3 * thick


def scattered_pieces(analysis: InkAnalysis, group: list[Component], parts: list[Component] | None = None) -> int:
    """How many pieces the ink falls into (``parts``; all of the image's by default), plus the holes of the
    digit's own ink (``group``). Specks and the slivers of ruled lines are not counted, and pieces of one stroke
    cut by a ruled line count as one (``joined_units``: a bold digit written over six lines comes out of the mask
    in seven bands)."""
    box = union_box(group)
    mask = np.isin(analysis.labels[box.top : box.bottom, box.left : box.right], [part.label for part in group])
    _, paper = ink_components(~mask)
    min_hole = MIN_HOLE_PIXELS * analysis.work_per_source_pixel
    holes = [
        part
        for part in paper
        if part.area >= min_hole
        and part.box.left > 0
        and part.box.top > 0
        and part.box.right < box.width
        and part.box.bottom < box.height
    ]
    units = joined_units(analysis.components if parts is None else parts, analysis.crossings)
    return sum(not all(is_sliver(part) for part in unit) for unit in units) + len(holes)


def is_scattered(analysis: InkAnalysis, group: list[Component]) -> bool:
    """Whether the ink is scattered like noise rather than drawn in strokes: ``SCATTERED_PIECES`` or more pieces
    and holes.

    Why: salt-and-pepper noise (pixels inked at random, 5-80% of them) has contrast to spare, so it was read as a
    digit at every size up to 200x200. A digit is one to a few strokes with at most two holes, however many ruled
    lines cut it: at most 4 pieces and holes over 3,450 real digits of five collections as crops, scans, photos
    and drawings. Such noise from 100x100 up is now never read; of 28x28 to 64x64, 6-24% still is, and of 8x8 and
    16x16 most: too few pixels to tell noise from a tiny digit by its pieces. README, "How an image is prepared".
    """
    return scattered_pieces(analysis, group) >= SCATTERED_PIECES


def is_shadow_edge(analysis: InkAnalysis, group: list[Component]) -> bool:
    """Whether a mark is the edge of a shadow, not ink: over ``SHADOW_SHARE`` of the paper around it (a ring a
    stroke or two wide, beyond the other ink and the cleared lines) is about as dark as the mark itself (past half
    its contrast with that ring), where ink has paper on both sides of each stroke.

    Why: the paper's grid cannot follow a shadow's edge across blank paper, and what it leaves looked like a stroke:
    14 of 45 such photos were read as a digit, mostly a sure 1 (0.95), 6 now. Over real digits of every
    collection, as crops, scans, photos, form cells and drawings, at most 0.17 of the ring is as dark; of shadows'
    edges, most 0.3-0.5.
    """
    if analysis.ink_level is None:
        return False
    box, own = union_box(group), [part.label for part in group]
    stroke = stroke_width(np.isin(analysis.labels[box.top : box.bottom, box.left : box.right], own))
    reach = int(np.ceil(max(1.0, stroke))) + 2  # the ring's outer edge, from the mark
    top, left = max(0, box.top - reach), max(0, box.left - reach)
    labels = analysis.labels[top : box.bottom + reach, left : box.right + reach]
    mark = np.isin(labels, own)
    near_ink = square_filter((labels > 0).astype(np.uint8), 5, np.maximum) > 0
    ring = (square_filter(mark.astype(np.uint8), 2 * reach + 1, np.maximum) > 0) & ~near_ink
    for axis, start, end in analysis.lines:  # a ruled line or a box's side is no paper
        offset = top if axis == 0 else left
        band = slice(max(0, start - 1 - offset), max(0, end + 1 - offset))
        ring[(band, slice(None)) if axis == 0 else (slice(None), band)] = False
    if ring.sum() < SHADOW_RING_PIXELS:
        return False
    level = analysis.ink_level[top : box.bottom + reach, left : box.right + reach]
    ink, paper = median_of(level[mark]), median_of(level[ring])
    return float((level[ring] > ink - 0.5 * (ink - paper)).mean()) > SHADOW_SHARE


def analysis_side(shape: tuple[int, ...]) -> int:
    """The longer side of a single digit's analysis copy: ``WORK_SIDE``, or for an image wider (or taller) than 4:3
    as long as holds a 4:3 copy's pixels, up to twice it (``digits.arrays.reduction_for``: an 800x200 strip cut to
    128 px long was 32 px tall)."""
    return round(max(shape) / reduction_for(shape, WORK_SIDE))


def preprocess_digit(gray: np.ndarray) -> np.ndarray:
    """Grey image of one digit, any size and polarity, uint8 (H, W) -> MNIST-style uint8 (28, 28).

    Raises NoDigitFound for a blank or near-blank image, and for one whose ink is scattered like noise.
    """
    if is_mnist_style(gray):
        return gray
    stroke_cut, smooth_crop = is_stroke_cut(gray), is_smooth_crop(gray)
    gray, upscaled = upscale_small(gray, SMOOTH_UPSCALE_BELOW)
    analysis = analyse(
        gray, analysis_side(gray.shape), upscaled=upscaled, stroke_cut=stroke_cut, smooth_crop=smooth_crop
    )
    group = digit_group(analysis.components, analysis.crossings)
    if is_scattered(analysis, group):
        raise NoDigitFound("only scattered specks, no strokes")
    if is_shadow_edge(analysis, group):
        raise NoDigitFound("only the edge of a shadow, no ink")
    return to_mnist_frame(ink_crop(gray, analysis, group))

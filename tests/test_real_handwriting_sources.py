"""The real-handwriting benchmark reads a collection only from an archive whose bytes are the pinned ones.

Archives are built here, so nothing is fetched: a folder of drawn digits in a source archive is read whole,
checked against the hash ``sha256sum * | sha256sum`` gives in that folder, and refused, with the archive and the
folder named, as soon as one file in it differs.
"""

import hashlib
import io
import tarfile

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy.io import savemat

from benchmarks.real_handwriting import CLOSE_GAPS, NUMBER_GAPS, NumberAnswer, as_number_scan, numbers_row
from digits.arrays import count_components
from digits.errors import DigitsError
from digits.numbers import segment_number
from digits.training.handwriting_sources import members_sha256, parse_pyclustering, parse_usps, read_members
from tests.synthetic import tight_glyph

FOLDER = "pkg-1.0/pkg/samples/digits/"


def drawn_digit_png(digit: int, transparent: bool) -> bytes:
    """A 32x32 PNG of a digit drawn dark on white, or dark on a transparent background."""
    image = Image.new("RGBA", (32, 32), (255, 255, 255, 0 if transparent else 255))
    ImageDraw.Draw(image).text((12, 8), str(digit), fill=(0, 0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def source_archive(path, files: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in {"pkg-1.0/setup.py": b"print('never run')\n", **files}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_a_folder_of_drawn_digits_is_read_whole_and_checked_like_sha256sum(tmp_path):
    files = {f"{FOLDER}Digit_{d}_Sample01.png": drawn_digit_png(d, transparent=d == 7) for d in (3, 7)}
    # What `sha256sum * | sha256sum` prints in that folder: each file's hash, two spaces, its name, by name.
    listing = "".join(f"{hashlib.sha256(data).hexdigest()}  {name.rsplit('/', 1)[1]}\n" for name, data in files.items())
    expected = hashlib.sha256(listing.encode()).hexdigest()
    archive = tmp_path / "pkg-1.0.tar.gz"
    source_archive(archive, files)

    members = read_members(archive, FOLDER, expected)

    assert sorted(members) == sorted(files) and members_sha256(members) == expected
    images, labels = parse_pyclustering(members)
    assert labels.tolist() == [3, 7] and images.shape == (2, 32, 32)
    assert images[1].max() == 255 and images[1].min() < 128  # transparency is paper (white), the digit is ink


def test_one_changed_file_in_the_folder_is_refused_with_the_archive_named(tmp_path):
    files = {f"{FOLDER}Digit_{d}_Sample01.png": drawn_digit_png(d, transparent=False) for d in (1, 2)}
    archive = tmp_path / "pkg-1.0.tar.gz"
    source_archive(archive, files)
    pinned = members_sha256(read_members(archive, FOLDER, members_sha256(files)))
    files[f"{FOLDER}Digit_2_Sample01.png"] = drawn_digit_png(5, transparent=False)
    source_archive(archive, files)

    with pytest.raises(DigitsError, match=r"pkg-1\.0\.tar\.gz: .*digits/: checksum mismatch"):
        read_members(archive, FOLDER, pinned)
    with pytest.raises(DigitsError, match="missing"):
        read_members(archive, "pkg-1.0/pkg/samples/letters/", pinned)


def test_usps_digits_come_out_upright_light_on_black_with_their_labels(tmp_path):
    # Laid out as the GPML book's usps_resampled.mat: one 16x16 digit per column, row by row, paper -1, ink +1;
    # labels one +1 per column in the digit's row. An L (a stem down the left, a foot along the bottom) shows
    # the digits come out upright, not transposed or mirrored.
    ell = -np.ones((16, 16))
    ell[2:14, 3] = ell[13, 3:12] = 1.0
    patterns = np.stack([ell.ravel(), -ell.ravel()], axis=1)  # the second, inverted, is all "ink" but the L
    labels = -np.ones((10, 2))
    labels[4, 0] = labels[9, 1] = 1
    mat = tmp_path / "usps_resampled.mat"
    savemat(
        mat,
        {
            "train_patterns": patterns,
            "train_labels": labels,
            "test_patterns": patterns[:, :1],
            "test_labels": labels[:, :1],
        },
    )
    images, digits = parse_usps({"usps_resampled.mat": mat.read_bytes()})
    assert digits.tolist() == [4, 9, 4] and images.shape == (3, 16, 16) and images.dtype == np.uint8
    assert images[0, 2:14, 3].min() == 255 and images[0, 13, 3:12].min() == 255  # ink is light, where drawn
    assert images[0, 0].max() == 0 and images[0, 2:13, 4:].max() == 0  # paper is black
    assert (images[1] == 255 - images[0]).all() and (images[2] == images[0]).all()


def test_a_number_written_with_a_collections_crops_is_cut_back_into_those_digits_in_order():
    # Tight light-on-black crops of unlike widths (a narrow 1, wide 0s) written as one scanned number: the
    # number reader finds each digit once, left to right, in boxes that do not overlap, on light paper.
    rng = np.random.default_rng(4)
    crops = [tight_glyph(digit, rng) for digit in (1, 0, 7, 4, 0, 9, 2)]
    for seed in range(6):
        gray = as_number_scan(crops, np.random.default_rng(seed))
        assert gray.dtype == np.uint8 and np.median(gray) > 200
        boxes = [digit.box for digit in segment_number(gray)]
        assert len(boxes) == len(crops)
        assert all(left.right <= right.left for left, right in zip(boxes, boxes[1:]))
        heights = [box.height for box in boxes]
        assert 40 <= min(heights) and max(heights) <= 100 and min(heights) >= 0.8 * max(heights)


def test_a_number_written_close_has_its_digits_touching_or_sharing_columns():
    # The close rendering writes each digit from a tenth of the line's height over its neighbour to a twentieth
    # apart, so most neighbours share ink or columns: the number is fewer separate marks than digits, and the
    # darker ink shows where two overlap (no digit's ink is cleared by the next one).
    rng = np.random.default_rng(5)
    crops = [tight_glyph(digit, rng) for digit in (3, 8, 5, 2, 6, 9, 4)]
    apart, close = (as_number_scan(crops, np.random.default_rng(1), gaps) for gaps in (NUMBER_GAPS, CLOSE_GAPS))
    assert close.shape[1] < apart.shape[1]
    marks = [count_components(gray < 128) for gray in (apart, close)]
    assert marks[0] == len(crops) and marks[1] < len(crops)
    assert (close < 128).sum() >= 0.9 * (apart < 128).sum()


def test_the_numbers_row_counts_exact_reads_per_length_and_where_the_others_were_lost():
    answers = [
        NumberAnswer(3, True, True, 3, False),
        NumberAnswer(4, False, True, 3, False),  # one digit misread, given as sure
        NumberAnswer(6, False, False, 0, True),  # a digit lost, marked unsure
        NumberAnswer(9, True, True, 9, False),
    ]
    cells = numbers_row("usps", answers).strip("| ").split(" | ")
    assert cells == ["usps", "4", "50.00% (2)", "0.00% (1)", "100.00% (1)", "**50.00%**", "75.00%", "93.75%", "25.00%"]

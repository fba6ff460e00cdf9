"""The training augmentation: every image changes the way handwriting varies, the digit stays whole, and a seed
repeats it exactly."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

tf = pytest.importorskip("tensorflow")

from digits.training.augment import (  # noqa: E402
    augment_batch,
    elastic_displacement,
    random_affine_transforms,
    resample,
)  # noqa: E402

SEED = tf.constant([7, 11], tf.int64)


def ring_batch(count: int = 32) -> tf.Tensor:
    """A 0 drawn as a ring, MNIST-sized and centred, ``count`` times: float32 (count, 28, 28, 1) in [0, 1]."""
    image = Image.new("L", (28, 28))
    ImageDraw.Draw(image).ellipse((8, 5, 19, 22), outline=255, width=2)
    one = np.asarray(image, np.float32)[..., None] / 255
    return tf.constant(np.repeat(one[None], count, axis=0))


def ink_box(image: np.ndarray) -> tuple[int, int]:
    rows, cols = np.nonzero(image[..., 0] > 0.3)
    return int(np.ptp(rows)) + 1, int(np.ptp(cols)) + 1


def test_the_elastic_warp_keeps_the_affine_geometry_exactly_when_nothing_is_displaced():
    batch = ring_batch()
    transforms = random_affine_transforms(batch, SEED)
    tensorflows = tf.raw_ops.ImageProjectiveTransformV3(
        images=batch,
        transforms=transforms,
        output_shape=[28, 28],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    ours = resample(batch, transforms, tf.zeros([32, 28, 28, 2]))
    np.testing.assert_allclose(ours.numpy(), tensorflows.numpy(), atol=2e-3)


def test_elastic_distortion_bends_the_strokes_but_keeps_the_digit_whole_and_in_place():
    batch = ring_batch()
    once = augment_batch(batch, SEED, elastic_pixels=2.0).numpy()
    np.testing.assert_array_equal(once, augment_batch(batch, SEED, elastic_pixels=2.0).numpy())  # seeded
    transforms = random_affine_transforms(batch, SEED)
    plain = resample(batch, transforms, tf.zeros([32, 28, 28, 2])).numpy()
    bent = resample(batch, transforms, elastic_displacement(32, SEED, 2.0)).numpy()
    changed = np.abs(bent - plain).mean(axis=(1, 2, 3))
    assert (changed > 0.01).all()  # every image bent
    ink_plain, ink_bent = plain.sum(axis=(1, 2, 3)), bent.sum(axis=(1, 2, 3))
    assert np.all(np.abs(ink_bent / ink_plain - 1) < 0.25)  # no stroke erased or smeared out
    grid = np.arange(28)
    for before, after in zip(plain[..., 0], bent[..., 0]):
        centre_before = (before.sum(1) @ grid / before.sum(), before.sum(0) @ grid / before.sum())
        centre_after = (after.sum(1) @ grid / after.sum(), after.sum(0) @ grid / after.sum())
        assert np.hypot(*np.subtract(centre_before, centre_after)) < 2.0  # still where the affine put it


def test_aspect_changes_make_digits_wider_and_narrower_than_rotation_and_shear_alone():
    batch = ring_batch(128)
    plain = augment_batch(batch, SEED).numpy()
    stretched = augment_batch(batch, SEED, max_aspect=1.5).numpy()
    log_ratio_plain = [np.log(w / h) for h, w in map(ink_box, plain)]
    log_ratio_stretched = [np.log(w / h) for h, w in map(ink_box, stretched)]
    assert np.std(log_ratio_stretched) > 1.5 * np.std(log_ratio_plain)
    assert min(log_ratio_stretched) < min(log_ratio_plain) and max(log_ratio_stretched) > max(log_ratio_plain)

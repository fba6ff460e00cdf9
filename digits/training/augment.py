"""Training-time data augmentation that follows how handwriting varies: slant, size, rotation, position, pen.

Applied on the fly to each training batch (never to validation or test data), inside the ``tf.data`` pipeline:
one random affine transform per image (rotation, scale, shear, shift, about the centre) and, for some images, a
thicker or thinner stroke. Cheap enough on 28x28 images to cost an epoch only a few percent.
"""

from __future__ import annotations

import math

from digits.constants import IMAGE_SIZE
from digits.training.tfimport import tf

MAX_ROTATION_DEGREES = 12.0
MAX_SHEAR = 0.25
SCALE_RANGE = (0.85, 1.12)
MAX_SHIFT_PIXELS = 2.5
THICKEN_PROBABILITY = 0.2
THIN_PROBABILITY = 0.1


def random_affine_transforms(batch: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """One random output->input projective transform (8 numbers, as ImageProjectiveTransformV3 wants) per image."""
    count = tf.shape(batch)[0]
    seeds = tf.random.experimental.stateless_split(seed, 5)

    def uniform(index, low, high):
        return tf.random.stateless_uniform([count], seeds[index], low, high)

    angle = uniform(0, -MAX_ROTATION_DEGREES, MAX_ROTATION_DEGREES) * (math.pi / 180)
    scale = uniform(1, *SCALE_RANGE)
    shear = uniform(2, -MAX_SHEAR, MAX_SHEAR)
    shift_x = uniform(3, -MAX_SHIFT_PIXELS, MAX_SHIFT_PIXELS)
    shift_y = uniform(4, -MAX_SHIFT_PIXELS, MAX_SHIFT_PIXELS)
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    # Inverse map: input = A (output - centre - shift) + centre, with A = rotation(-angle) * shear / scale.
    a00, a01 = cos, -sin + cos * shear
    a10, a11 = sin, cos + sin * shear
    centre = (IMAGE_SIZE - 1) / 2.0
    ox, oy = centre + shift_x, centre + shift_y
    b0 = centre - a00 * ox - a01 * oy
    b1 = centre - a10 * ox - a11 * oy
    zeros = tf.zeros([count])
    return tf.stack([a00, a01, b0, a10, a11, b1, zeros, zeros], axis=1)


def change_stroke_width(batch: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Thicken (3x3 grey dilation) or thin (2x2 grey erosion, kept where it does not erase the digit) some images."""
    draw = tf.random.stateless_uniform([tf.shape(batch)[0], 1, 1, 1], seed)
    thick = tf.nn.max_pool2d(batch, 3, 1, "SAME")
    thin = -tf.nn.max_pool2d(-batch, 2, 1, "SAME")
    thin_ok = tf.reduce_sum(thin, axis=[1, 2, 3], keepdims=True) > 0.4 * tf.reduce_sum(
        batch, axis=[1, 2, 3], keepdims=True
    )
    batch = tf.where(draw < THICKEN_PROBABILITY, thick, batch)
    return tf.where((draw > 1 - THIN_PROBABILITY) & thin_ok, thin, batch)


def augment_batch(batch: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """float32 (B, 28, 28, 1) in [0, 1] -> the same batch, each image randomly transformed (stateless, seeded)."""
    affine_seed, stroke_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    warped = tf.raw_ops.ImageProjectiveTransformV3(
        images=batch,
        transforms=random_affine_transforms(batch, affine_seed),
        output_shape=[IMAGE_SIZE, IMAGE_SIZE],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    return change_stroke_width(warped, stroke_seed)

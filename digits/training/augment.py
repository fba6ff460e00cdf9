"""Training-time data augmentation that follows how handwriting varies: slant, size, rotation, position, pen.

Applied on the fly to each training batch (never to validation or test data), inside the ``tf.data`` pipeline:
one random affine transform per image (rotation, scale, shear, shift, about the centre; optionally a change of
width against height) and, optionally, an elastic distortion (a smooth random displacement of every pixel, as
Simard et al. 2003 used on MNIST: strokes bend and loops change shape as one hand's writing varies), both in one
bilinear resampling; then, for some images, a thicker or thinner stroke. Cheap enough on 28x28 images to cost an
epoch only a few percent.
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
ELASTIC_GRID = 4
"""The elastic displacement is drawn on a 4x4 grid of control points and interpolated (bicubic) to every pixel:
smooth over about 7 pixels, the scale of a stroke's bend (Simard et al. smooth with a Gaussian of sigma 4)."""
ASPECT_SEED, ELASTIC_SEED = 101, 102
"""Folded into the batch's seed for the optional transforms, so that turning them off leaves every other random
draw (and the recipes measured without them) exactly as before."""


def random_affine_transforms(batch: tf.Tensor, seed: tf.Tensor, max_aspect: float = 1.0) -> tf.Tensor:
    """One random output->input projective transform (8 numbers, as ImageProjectiveTransformV3 wants) per image.

    With ``max_aspect`` > 1 the width is also stretched against the height by a factor drawn log-uniformly from
    [1/max_aspect, max_aspect] (narrow and wide hands, and crops stretched to fill their frame)."""
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
    if max_aspect > 1:
        log_aspect = math.log(max_aspect)
        aspect = tf.exp(tf.random.stateless_uniform([count], fold_in(seed, ASPECT_SEED), -log_aspect, log_aspect))
        widen, heighten = tf.sqrt(aspect), 1 / tf.sqrt(aspect)
        a00, a10 = a00 / widen, a10 / widen
        a01, a11 = a01 / heighten, a11 / heighten
    centre = (IMAGE_SIZE - 1) / 2.0
    ox, oy = centre + shift_x, centre + shift_y
    b0 = centre - a00 * ox - a01 * oy
    b1 = centre - a10 * ox - a11 * oy
    zeros = tf.zeros([count])
    return tf.stack([a00, a01, b0, a10, a11, b1, zeros, zeros], axis=1)


def fold_in(seed: tf.Tensor, data: int) -> tf.Tensor:
    """A new stateless seed derived from ``seed`` and ``data`` (independent of every ``stateless_split`` of it)."""
    return tf.random.experimental.stateless_fold_in(tf.cast(seed, tf.int64), data)


def elastic_displacement(count: tf.Tensor, seed: tf.Tensor, max_pixels: float) -> tf.Tensor:
    """(count, 28, 28, 2) smooth random displacements (rows, columns) in pixels: uniform in [-max_pixels,
    max_pixels] at 4x4 control points, bicubic in between."""
    control = tf.random.stateless_uniform([count, ELASTIC_GRID, ELASTIC_GRID, 2], seed, -max_pixels, max_pixels)
    return tf.image.resize(control, [IMAGE_SIZE, IMAGE_SIZE], method="bicubic")


def resample(batch: tf.Tensor, transforms: tf.Tensor, displacement: tf.Tensor) -> tf.Tensor:
    """Bilinear resampling of (B, 28, 28, 1) at each output pixel's affine source (``transforms``, as
    ImageProjectiveTransformV3 reads them) plus ``displacement`` (B, 28, 28, 2); outside the image is 0."""
    count = tf.shape(batch)[0]
    grid = tf.range(IMAGE_SIZE, dtype=tf.float32)
    out_y, out_x = tf.meshgrid(grid, grid, indexing="ij")
    t = transforms[:, :, tf.newaxis, tf.newaxis]
    source_x = t[:, 0] * out_x + t[:, 1] * out_y + t[:, 2] + displacement[..., 1]
    source_y = t[:, 3] * out_x + t[:, 4] * out_y + t[:, 5] + displacement[..., 0]
    padded = tf.pad(batch[..., 0], [[0, 0], [1, 1], [1, 1]])  # a ring of zeros: outside reads as background
    size = IMAGE_SIZE + 2
    flat = tf.reshape(padded, [-1])
    x = tf.clip_by_value(source_x + 1, 0, size - 1.001)
    y = tf.clip_by_value(source_y + 1, 0, size - 1.001)
    x0, y0 = tf.floor(x), tf.floor(y)
    fx, fy = x - x0, y - y0
    base = tf.reshape(tf.range(count) * size * size, [-1, 1, 1])
    index = base + tf.cast(y0, tf.int32) * size + tf.cast(x0, tf.int32)

    def at(offset):
        return tf.gather(flat, index + offset)

    top = at(0) * (1 - fx) + at(1) * fx
    bottom = at(size) * (1 - fx) + at(size + 1) * fx
    return (top * (1 - fy) + bottom * fy)[..., tf.newaxis]


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


def augment_batch(batch: tf.Tensor, seed: tf.Tensor, elastic_pixels: float = 0.0, max_aspect: float = 1.0) -> tf.Tensor:
    """float32 (B, 28, 28, 1) in [0, 1] -> the same batch, each image randomly transformed (stateless, seeded);
    ``elastic_pixels`` > 0 adds an elastic distortion of about that many pixels, ``max_aspect`` > 1 a change of
    width against height."""
    affine_seed, stroke_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    transforms = random_affine_transforms(batch, affine_seed, max_aspect)
    if elastic_pixels > 0:
        displacement = elastic_displacement(tf.shape(batch)[0], fold_in(seed, ELASTIC_SEED), elastic_pixels)
        warped = resample(batch, transforms, displacement)
    else:  # TensorFlow's own warp, as every recipe was measured and the committed model trained with
        warped = tf.raw_ops.ImageProjectiveTransformV3(
            images=batch,
            transforms=transforms,
            output_shape=[IMAGE_SIZE, IMAGE_SIZE],
            fill_value=0.0,
            interpolation="BILINEAR",
            fill_mode="CONSTANT",
        )
    return change_stroke_width(warped, stroke_seed)

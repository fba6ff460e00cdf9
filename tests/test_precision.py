"""Training in bfloat16 where the CPU computes it natively: picked only there, and the saved network is float32."""

from dataclasses import replace

import numpy as np
import pytest

from digits.folders import LabelledImages
from digits.images import to_model_input
from digits.training.config import RECIPES, TrainingConfig
from digits.training.precision import cpu_flags, resolve_precision
from tests.synthetic import synthetic_mnist


def test_auto_picks_bfloat16_only_on_cpus_with_native_units():
    assert resolve_precision("auto", {"avx2", "amx_bf16", "fma"}) == "mixed_bfloat16"
    assert resolve_precision("auto", {"avx512f", "avx512_bf16"}) == "mixed_bfloat16"
    assert resolve_precision("auto", {"avx2", "avx512f", "fma"}) == "float32"  # emulated bfloat16 is slower
    assert resolve_precision("auto", set()) == "float32"  # no flags listed (not Linux): the safe choice
    assert resolve_precision("float32", {"amx_bf16"}) == "float32"
    assert resolve_precision("mixed_bfloat16", set()) == "mixed_bfloat16"
    with pytest.raises(ValueError, match="float16"):
        resolve_precision("float16", set())


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse2 avx512_bf16 amx_tile\n\n")
    assert cpu_flags(cpuinfo) == {"fpu", "sse2", "avx512_bf16", "amx_tile"}
    assert cpu_flags(tmp_path / "missing") == set()


def test_the_original_recipe_trains_in_float32_as_the_original_did():
    assert RECIPES["original"].precision == "float32"
    assert RECIPES["default"].precision == RECIPES["fast"].precision == "auto"


def test_a_bfloat16_training_learns_repeats_and_ends_as_a_float32_network():
    from digits.training.train import fit_network

    images, labels = synthetic_mnist(per_class=30, seed=5)
    training = LabelledImages(images, labels, [])
    config = TrainingConfig(
        epochs=8,
        batch_size=32,
        learning_rate=3e-3,
        validation_fraction=0.0,
        seed=4,
        style_samples=0,
        other_writers=False,
        patience=0,
        precision="mixed_bfloat16",
    )
    first = fit_network(config, training, verbose=0).model
    again = fit_network(config, training, verbose=0).model
    assert {layer.compute_dtype for layer in first.layers} == {"float32"}
    assert {w.dtype for w in first.get_weights()} == {np.dtype("float32")}
    assert all(np.array_equal(a, b) for a, b in zip(first.get_weights(), again.get_weights()))
    float32 = fit_network(replace(config, precision="float32"), training, verbose=0).model
    assert not all(np.array_equal(a, b) for a, b in zip(first.get_weights(), float32.get_weights()))
    test_images, test_labels = synthetic_mnist(per_class=20, seed=6)

    def accuracy(model):
        return (model.predict(to_model_input(test_images), verbose=0).argmax(axis=1) == test_labels).mean()

    assert accuracy(first) >= 0.9 and accuracy(first) >= accuracy(float32) - 0.05

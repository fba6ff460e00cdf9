"""The training benchmark's tables: the accuracy as the CLI reads it beside the accuracy read once, and records
written before that column existed still summarised, and the number format each trained in (``--include benchmarks/results/*.jsonl``)."""

import json

from benchmarks.training import Measured, load_measured, markdown, save_measured, summarise


def test_as_read_column_gives_median_and_spread_and_old_records_still_load(tmp_path):
    records = tmp_path / "measured.jsonl"
    for seed, once, as_read in ((42, 0.9952, 0.9961), (43, 0.9951, 0.9957), (44, 0.9950, 0.9958)):
        measured = Measured("default recipe", seed, once, 100.0, {0.99: 10.0}, 5.0, 1.0, as_read, "mixed_bfloat16")
        save_measured(measured, records)
    old = {"name": "dense network", "seed": 42, "accuracy": 0.98, "wall_s": 30.0, "reached_s": {}, "epoch_s": 2.6}
    with records.open("a", encoding="utf-8") as lines:
        lines.write(json.dumps({**old, "pipeline_s": None}) + "\n")  # written before the column existed

    table = markdown(summarise(load_measured(records)))

    rows = {line.split(" | ")[0].strip("| "): line for line in table.splitlines()}
    assert "as the CLI reads it" in rows["contender"]
    assert "| 99.51% (99.50%–99.52%) | 99.58% (99.57%–99.61%) |" in rows["default recipe"]
    assert "| 98.00% | — |" in rows["dense network"]
    assert "trained in" in rows["contender"]
    assert "| 5.0 (5.0–5.0) s | bfloat16 |" in rows["default recipe"]
    assert "| 2.6 s | float32 |" in rows["dense network"]  # written before precision was recorded: float32


def test_photo_benchmark_tells_a_silent_misread_from_a_flagged_one():
    from benchmarks.told import TOLD, told

    assert told(right=True, unsure=False) == "right, sure"
    assert told(right=True, unsure=True) == "right, marked unsure"
    assert told(right=False, unsure=True) == "wrong, marked unsure"
    assert told(right=False, unsure=False) == "wrong, given as sure"  # the misread a user cannot catch
    assert told(right=False, unsure=False, read=False) == "not read"
    assert len(set(TOLD)) == 5


def test_real_handwriting_counts_a_blank_as_wrong_but_never_as_given_as_sure():
    import numpy as np

    from benchmarks.told import Readings

    # right at 0.99 and 0.6; wrong at 0.95 (given as sure at 0.91), at 0.4 (marked unsure); "no digit found"
    readings = Readings(np.array([True, True, False, False, False]), np.array([0.99, 0.6, 0.95, 0.4, 0.0]))

    assert readings.accuracy() == 0.4
    assert readings.blank() == 0.2
    assert readings.given_as_sure(0.91) == 0.2  # only the confident misread
    assert readings.flagged(0.91) == "67% / 50.0%"
    assert Readings(np.array([True]), np.array([0.99])).flagged(0.91) == "— / 0.0%"


def test_each_benchmark_set_says_which_threshold_would_suit_it():
    # The benchmark shows how far apart the thresholds that would suit each collection lie, by the training's rule.
    import numpy as np

    from benchmarks.told import Readings

    # Every misread under 0.8, every right answer above it but one: 0.80 flags all wrong, none right.
    right = np.array([True] * 8 + [False] * 3)
    confidence = np.array([0.97, 0.95, 0.93, 0.9, 0.88, 0.85, 0.83, 0.81, 0.79, 0.6, 0.45])
    assert Readings(right, confidence).best_threshold() == 0.8
    # Another set, surer of its right answers and of one misread, would suit a higher one.
    confidence = np.array([0.97, 0.95, 0.93, 0.92, 0.91, 0.95, 0.96, 0.91, 0.89, 0.6, 0.45])
    assert Readings(right, confidence).best_threshold() == 0.9
    assert Readings(np.array([True, True]), np.array([0.9, 0.5])).best_threshold() is None  # nothing to separate


def test_the_photo_benchmark_writes_numbers_close_when_asked():
    # The photo generator wrote every number with its digits 8-35% of the height apart, and MNIST's frames keep
    # 4 px of margin on top: numbers written close were never photographed. Cut to their ink and written with
    # CLOSE_GAPS, neighbouring digits touch or overlap.
    from dataclasses import replace

    import numpy as np
    from PIL import Image

    from benchmarks.real_handwriting import CLOSE_GAPS, ink_box
    from tests.conftest import ROOT
    from tests.synthetic import PhotoSettings, photo_of_digits

    glyphs = [ink_box(np.asarray(Image.open(ROOT / "data" / "samples" / f"{d}.jpg").convert("L"))) for d in range(10)]
    assert all(min(glyph.shape) > 0 and glyph[0].max() > 40 and glyph[:, 0].max() > 40 for glyph in glyphs)
    settings = PhotoSettings(canvas=(1600, 300), digit_height=0.3)
    for gaps, low, high in ((settings.gaps, 0.08, 0.35), (CLOSE_GAPS, -0.1, 0.05)):
        _, boxes = photo_of_digits(glyphs, replace(settings, gaps=gaps), np.random.default_rng(0))
        spaces = [(b[0] - a[2]) / (a[3] - a[1]) for a, b in zip(boxes, boxes[1:])]
        assert all(low - 0.01 <= space <= high + 0.01 for space in spaces), spaces
    assert min(spaces) < 0  # written close, some digits reach over their neighbour


def test_gpu_benchmark_trains_the_network_and_never_passes_a_cpu_run_off_as_a_gpu_one(tmp_path):
    # The GPU benchmark trains the recipe's network in a child process per setup. Asked for a GPU that is not
    # there, that setup fails out loud; the CPU's run is measured and tabled, with its ratio baseline.
    import numpy as np

    from benchmarks.gpu_training import load_records, main, summarise
    from tests.synthetic import synthetic_mnist

    images, labels = synthetic_mnist(per_class=30, seed=3)
    test_images, test_labels = synthetic_mnist(per_class=10, seed=4)
    arrays = tmp_path / "digits.npz"
    np.savez_compressed(
        arrays, train_images=images, train_labels=labels, test_images=test_images, test_labels=test_labels
    )
    records = tmp_path / "records.jsonl"
    argv = ["--arrays", str(arrays), "--backends", "tensorflow", "--devices", "gpu", "cpu", "--cpu-epochs", "8"]
    assert main([*argv, "--records", str(records)]) == 0

    (run,) = load_records([records])  # the GPU setup trained nothing
    assert run.setup.device == "cpu" and run.epochs == 8 and run.libraries.startswith("keras 3")
    assert run.test_accuracy > 0.5  # 270 drawn digits, 8 short epochs: it learnt (chance is 10%)
    row = summarise([run]).splitlines()[-1]
    assert "| tensorflow | x86_64 CPU" in row or "CPU," in row
    assert row.endswith("| 1.0x as fast |")


def test_the_ceiling_benchmark_never_reads_a_digit_it_taught():
    # An upper bound is only honest if the taught model is measured on other samples than it learnt.
    import numpy as np

    from benchmarks.ceiling import halves

    labels = np.repeat(np.arange(10), [30, 30, 30, 30, 30, 30, 30, 30, 30, 7])

    taught, read = halves(labels, per_digit=10, seed=3)

    assert not set(taught) & set(read)
    assert np.bincount(labels[taught], minlength=10).tolist() == [10] * 9 + [3]  # a digit with 7 samples: 3 and 3
    assert np.bincount(labels[read], minlength=10).tolist() == [10] * 9 + [3]
    assert not np.array_equal(taught, halves(labels, per_digit=10, seed=4)[0])  # drawn at random, seeded

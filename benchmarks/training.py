"""Recipes and baselines trained in one run, on the same data and machine: accuracy against wall time.

For each seed, one after another in this process:

- the three recipes of ``CNN_model.py --recipe`` (``digits.training.config.RECIPES``): ``original`` (the original
  project's training, exactly), ``fast`` and ``default``, each on the original 93,322-parameter network;
- the classic Keras example convnet with its own recipe (keras-io ``mnist_convnet``: 15 epochs, batch 128);
- a plain dense network (an ANN/MLP, as the original's report compared ANN with CNN): 784-256-10 with dropout,
  Adam 0.001, 10 epochs, batch 128.

For each: MNIST test accuracy (read once by Keras) and, for the recipes, as the command line reads it (the float
LiteRT export, shifted and narrowed readings averaged: ``digits.predict.predict_arrays``), training wall time (the
accuracy checks below excluded), the time until the test accuracy first reaches 99.0% and 99.5% (checked every
100 steps), seconds per epoch, and the seconds one epoch of the recipe's input pipeline takes alone (iterated
without training). Writes a Markdown table
(medians over the seeds, with min and max) to stdout and a self-contained comparison page with a plot of
accuracy against wall time (``--output-dir``/comparison.html). Every ratio in it is from this one run.

``--save-default DIR`` saves the default recipe's run of the first seed exactly as ``CNN_model.py`` does
(``digits.training.train.save_run``), so the committed model can come from the same run as its benchmark.

    python -m benchmarks.training [--seeds 42 43 44] [--only original fast] [--save-default models]
    python -m benchmarks.training --only default --set elastic_pixels=2 max_aspect=1.25  # a candidate recipe
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from digits.constants import EXAMPLE_RESULTS_FILE
from digits.folders import LabelledImages
from digits.html_report import figure, page, table
from digits.training.cli import KNOBS, parse_args, prepare_data
from digits.training.config import RECIPES
from digits.training.tfimport import keras, tf
from digits.training.train import (
    litert_accuracy,
    make_dataset,
    save_run,
    split_validation,
    train,
    training_dataset,
    training_split,
)

ROOT = Path(__file__).resolve().parent.parent
TARGETS = (0.99, 0.995)
PRECISION_NAMES = {None: "float32", "float32": "float32", "mixed_bfloat16": "bfloat16"}
"""How the table names each precision (records from before it was recorded trained in float32)."""
CHECK_EVERY_STEPS = 100


class TimeToAccuracy(keras.callbacks.Callback):
    """Records the training time (checks excluded) at which the test accuracy first reaches each target, and the
    time each epoch took (checks excluded)."""

    def __init__(self, testing: LabelledImages, targets=TARGETS, sparse_labels: bool = False):
        super().__init__()
        self.dataset = make_dataset(testing.images, testing.labels, 1000, sparse_labels=sparse_labels).cache()
        self.targets = tuple(targets)
        self.reached_s: dict[float, float] = {}
        self.paused = 0.0
        self.epoch_s: list[float] = []

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started, self.epoch_paused = time.perf_counter(), self.paused

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_s.append(time.perf_counter() - self.epoch_started - (self.paused - self.epoch_paused))

    def on_train_batch_end(self, batch, logs=None):
        if len(self.reached_s) == len(self.targets) or (batch + 1) % CHECK_EVERY_STEPS:
            return
        check_started = time.perf_counter()
        accuracy = self.model.evaluate(self.dataset, verbose=0)[1]
        for target in self.targets:
            if accuracy >= target and target not in self.reached_s:
                self.reached_s[target] = check_started - self.started - self.paused
        self.paused += time.perf_counter() - check_started


@dataclass
class Measured:
    """One training of one contender with one seed."""

    name: str
    seed: int
    accuracy: float
    wall_s: float
    reached_s: dict[float, float]
    epoch_s: float
    pipeline_s: float | None
    accuracy_as_read: float | None = None
    """Test accuracy as the command line reads it (recipes only; records written before it was measured: None)."""
    precision: str | None = None
    """The number format it trained in (``digits.training.precision``; records written before: None, float32)."""


def save_measured(measured: Measured, path: Path) -> None:
    """Appends one training's figures to a JSON-lines file as soon as it is done, so that a run cut off half-way
    keeps what it measured and later runs (other seeds) can be summarised together with ``--include``."""
    record = asdict(measured)
    record["reached_s"] = {str(target): seconds for target, seconds in measured.reached_s.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as records:
        records.write(json.dumps(record) + "\n")


def load_measured(path: Path) -> list[Measured]:
    """The records ``save_measured`` wrote."""
    results = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            record["reached_s"] = {float(target): seconds for target, seconds in record["reached_s"].items()}
            results.append(Measured(**record))
    return results


def pipeline_seconds(config, training: LabelledImages) -> float:
    """One epoch of a recipe's input pipeline alone (shuffle, batch, augment), iterated without training."""
    train_index, _ = split_validation(training.labels, config.validation_fraction, config.seed)
    split = training_split(training, train_index, config)
    dataset = training_dataset(split.images, split.labels, config)
    started = time.perf_counter()
    for _ in dataset:
        pass
    return time.perf_counter() - started


def keras_example_convnet() -> keras.Model:
    """The classic Keras example (keras-io examples/vision/mnist_convnet.py), unchanged: 34,826 parameters."""
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def dense_network() -> keras.Model:
    """A plain dense network (ANN/MLP): 784 -> 256 ReLU -> dropout 0.2 -> 10 softmax, 203,530 parameters."""
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(10, activation="softmax"),
        ]
    )


BASELINES = {
    "Keras example convnet (its recipe: 15 epochs, batch 128)": (keras_example_convnet, 15, 128),
    "dense network, ANN/MLP (10 epochs, batch 128)": (dense_network, 10, 128),
}


def train_baseline(name: str, training: LabelledImages, testing: LabelledImages, seed: int) -> Measured:
    """A baseline's own recipe: Adam at 0.001, categorical cross-entropy, the last 10% held out for validation
    (``validation_split``, after a seeded shuffle, since our arrays are ordered by class)."""
    build, epochs, batch = BASELINES[name]
    keras.utils.set_random_seed(seed)
    order = np.random.default_rng(seed).permutation(len(training.labels))
    x = training.images[order].astype("float32")[..., None] / 255
    y = keras.utils.to_categorical(training.labels[order], 10)
    clock = TimeToAccuracy(testing)
    started = time.perf_counter()
    model = build()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x, y, batch_size=batch, epochs=epochs, validation_split=0.1, verbose=0, callbacks=[clock])
    wall = time.perf_counter() - started - clock.paused
    accuracy = model.evaluate(
        testing.images.astype("float32")[..., None] / 255, keras.utils.to_categorical(testing.labels, 10), verbose=0
    )[1]
    epoch_s = statistics.median(clock.epoch_s)
    return Measured(name, seed, float(accuracy), wall, clock.reached_s, epoch_s, None, precision="float32")


def parse_settings(pairs: list[str]) -> dict:
    """['elastic_pixels=2', 'max_aspect=1.25'] -> {'elastic_pixels': 2.0, 'max_aspect': 1.25}: read as
    ``CNN_model.py`` reads ``--elastic-pixels 2 --max-aspect 1.25`` (the same types, choices and checks)."""
    argv = []
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in KNOBS or name == "seed" or not value:
            names = ", ".join(knob for knob in KNOBS if knob != "seed")
            raise SystemExit(f"--set {pair}: expected NAME=VALUE with NAME one of {names} (seeds: --seeds)")
        argv += [f"--{name.replace('_', '-')}", value]
    return parse_args(argv).given


def train_recipe(
    recipe: str, training, testing, seed: int, verbose: int, settings: dict | None = None
) -> tuple[Measured, object]:
    config = replace(RECIPES[recipe], seed=seed, **(settings or {}))
    clock = TimeToAccuracy(testing, sparse_labels=config.sparse_labels)
    run = train(config, training, testing, verbose=verbose, extra_callbacks=[clock])
    changed = ", ".join(f"{name}={value}" for name, value in (settings or {}).items())
    measured = Measured(
        f"{recipe} recipe" + (f" ({changed})" if changed else ""),
        seed,
        run.metrics["test_accuracy"],
        run.wall_time_s - clock.paused,
        clock.reached_s,
        statistics.median(clock.epoch_s),
        pipeline_seconds(config, training),
        litert_accuracy(run.litert["tflite"], testing),
        run.config.precision,
    )
    return measured, run


def spread(values: list[float], fmt: str) -> str:
    """'median (min-max)' of several seeds, or the one value."""
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def summarise(results: list[Measured]) -> list[dict]:
    """One row per contender: medians over the seeds, with the spread."""
    rows = []
    for name in dict.fromkeys(r.name for r in results):
        mine = [r for r in results if r.name == name]
        as_read = [r.accuracy_as_read for r in mine]
        row = {
            "name": name,
            "seeds": len(mine),
            "accuracy": spread([r.accuracy for r in mine], ".2%"),
            "accuracy_median": statistics.median(r.accuracy for r in mine),
            "as_read": spread(as_read, ".2%") if None not in as_read else "—",
            "wall_median": statistics.median(r.wall_s for r in mine),
            "wall": spread([r.wall_s for r in mine], ".0f") + " s",
            "epoch": spread([r.epoch_s for r in mine], ".1f") + " s",
            "precision": ", ".join(sorted({PRECISION_NAMES.get(r.precision, r.precision) for r in mine})),
            "pipeline": spread([r.pipeline_s for r in mine], ".1f") + " s" if mine[0].pipeline_s is not None else "—",
        }
        for target in TARGETS:
            times = [r.reached_s[target] for r in mine if target in r.reached_s]
            row[target] = (
                f"{statistics.median(times):.0f} s"
                + (f" ({len(times)} of {len(mine)} seeds)" if len(times) < len(mine) else "")
                if times
                else "not reached"
            )
            row[f"{target}_median"] = statistics.median(times) if len(times) == len(mine) else None
        rows.append(row)
    return rows


TABLE_COLUMNS = (
    ("contender", "name"),
    ("seeds", "seeds"),
    ("test accuracy, read once", "accuracy"),
    ("as the CLI reads it", "as_read"),
    ("wall time", "wall"),
    ("s per epoch", "epoch"),
    ("trained in", "precision"),
    ("pipeline alone, s per epoch", "pipeline"),
    ("99.0% after", 0.99),
    ("99.5% after", 0.995),
)
"""The comparison table's columns, (header, key in a ``summarise`` row): one list for the Markdown and the page."""


def table_cells(rows: list[dict]) -> tuple[list[str], list[list]]:
    """The comparison table's header and body, in ``TABLE_COLUMNS`` order."""
    return [header for header, _ in TABLE_COLUMNS], [[row[key] for _, key in TABLE_COLUMNS] for row in rows]


def markdown(rows: list[dict]) -> str:
    header, body = table_cells(rows)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in cells) + " |" for cells in body]
    return "\n".join(lines)


def ratios(rows: list[dict]) -> list[str]:
    """The headline comparisons, as ratios of times measured in this run."""
    by_name = {r["name"]: r for r in rows}
    original = by_name.get("original recipe")
    lines = []
    if original is None:
        return lines
    for name in ("fast recipe", "default recipe"):
        other = by_name.get(name)
        if other is None:
            continue
        lines.append(
            f"{name}: {other['accuracy_median']:.2%} in {other['wall_median'] / original['wall_median']:.2f}x the wall "
            f"time of the original recipe's 10 epochs ({original['accuracy_median']:.2%})"
        )
        if other["0.995_median"] is not None:
            lines.append(
                f"{name} reaches 99.5% in {other['0.995_median'] / original['wall_median']:.2f}x the wall time of the "
                "original recipe's 10 epochs (the fast recipe's goal: at most 1x)"
            )
        if other["0.995_median"] is not None and original["0.99_median"] is not None:
            lines.append(
                f"{name} reaches 99.5% in {other['0.995_median'] / original['0.99_median']:.2f}x the time the original "
                "recipe needs to reach 99.0%"
            )
    return lines


def comparison_plot(results: list[Measured], path: Path) -> Path:
    from digits.report import _pyplot, _save_figure

    plt = _pyplot()
    fig, axis = plt.subplots(figsize=(8, 5))
    for name in dict.fromkeys(r.name for r in results):
        mine = [r for r in results if r.name == name]
        axis.scatter([r.wall_s for r in mine], [r.accuracy * 100 for r in mine], label=name, s=50)
    axis.set(xlabel="training wall time (s), same machine, same run", ylabel="MNIST test accuracy (%)")
    axis.set_title("Accuracy against training time")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    return _save_figure(fig, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="*",
        default=[42, 43, 44],
        help="seeds, each trains every contender (none: only summarise --include)",
    )
    contenders = [*RECIPES, "keras-example", "dense"]
    parser.add_argument("--only", nargs="+", choices=contenders, default=contenders, help="which contenders to train")
    parser.add_argument("--output-dir", type=Path, default=ROOT / "runs" / "benchmark", help="where the page goes")
    parser.add_argument(
        "--save-default", type=Path, help="save the first seed's default run here, as CNN_model.py does"
    )
    parser.add_argument(
        "--set",
        metavar="NAME=VALUE",
        nargs="+",
        default=[],
        help="train the recipes with these settings changed (a candidate recipe), e.g. --set elastic_pixels=2",
    )
    parser.add_argument("--verbose", type=int, default=0, help="Keras progress output (0, 1 or 2)")
    parser.add_argument(
        "--include",
        type=Path,
        nargs="+",
        default=[],
        help="measured.jsonl files of earlier runs (other seeds) to summarise together with this one's",
    )
    args = parser.parse_args()

    settings = parse_settings(args.set)
    results = [measured for path in args.include for measured in load_measured(path)]
    records = args.output_dir / "measured.jsonl"
    training, testing = prepare_data(None) if args.seeds else (None, None)
    for seed in args.seeds:
        for recipe in RECIPES:
            if recipe not in args.only:
                continue
            measured, run = train_recipe(recipe, training, testing, seed, args.verbose, settings)
            results.append(measured)
            save_measured(measured, records)
            print(f"  {measured}", file=sys.stderr, flush=True)
            if recipe == "default" and args.save_default and seed == args.seeds[0]:
                inside = args.save_default.resolve() == (ROOT / "models").resolve()
                results_file = EXAMPLE_RESULTS_FILE if inside else args.save_default / EXAMPLE_RESULTS_FILE.name
                files = save_run(run, training, testing, args.save_default, results_file)
                print(f"  saved: {', '.join(str(p) for p in files.values())}", file=sys.stderr)
        for key, name in (("keras-example", list(BASELINES)[0]), ("dense", list(BASELINES)[1])):
            if key in args.only:
                results.append(train_baseline(name, training, testing, seed))
                save_measured(results[-1], records)
                print(f"  {results[-1]}", file=sys.stderr, flush=True)

    rows = summarise(results)
    machine = (
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} CPU cores, TensorFlow {tf.__version__}"
    )
    seeds = sorted({r.seed for r in results})
    print(
        f"Measured {machine}; each seed's contenders in one run; seeds {', '.join(map(str, seeds))}; medians (min–max).\n"
    )
    print(markdown(rows))
    for line in ratios(rows):
        print(f"\n- {line}")
    args.output_dir.mkdir(parents=True, exist_ok=True)
    plot = comparison_plot(results, args.output_dir / "comparison.png")
    header, body = table_cells(rows)
    sections = [
        ("Same data, same machine, same run", table(header, body)),
        ("Ratios", "<ul>" + "".join(f"<li>{line}</li>" for line in ratios(rows)) + "</ul>"),
        ("Accuracy against wall time", figure(plot, "each point is one training (one seed)")),
    ]
    html_path = args.output_dir / "comparison.html"
    html_path.write_text(page("Training recipes and baselines", sections, f"Measured {machine}."), encoding="utf-8")
    print(f"\ncomparison page: {html_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

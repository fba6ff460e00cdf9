"""The network trained on a GPU and on CPUs, in one run on one machine: seconds per epoch and test accuracy.

Why this and not ``CNN_model.py`` itself: the GPU machines lent to this project have no TensorFlow, and none can
be brought (TensorFlow's wheel is about 600 MB; a lent machine takes 64 MiB of files and reaches no network). The
network (``digits.training.model``) and the way the recipe trains it (``digits.training.optimisation``: the
validation split, Adam warmed up then decaying along a cosine, label smoothing, the moving average of the
weights) are plain Keras 3, so this benchmark trains exactly them, on whichever Keras backend is there (JAX and
PyTorch on the GPU machines, TensorFlow here). What it leaves out is what needs TensorFlow: the ``tf.data``
augmentation, the drawn style samples and the other writers' digits. It trains on MNIST's training digits alone
(the recipe's 90%, the other 10% for validation, as the recipe splits them), decoded from the same JPG folders,
so its accuracy is the network's on MNIST, not the committed model's.

Every configuration (backend x device x precision x batch) runs in a child process of its own (a backend and its
devices are fixed when Keras is imported), one after another in rounds, so a run's repeats are spread over the
whole run and its ratios compare configurations measured side by side. A larger batch scales the learning rate
with it (the linear scaling rule, as ``--distribute`` does). Per run: the first epoch (with compiling), the median
of the other epochs, the whole training's wall time, and the test accuracy (read once, as Keras reads it).

    python -m benchmarks.gpu_training --export-arrays .gpu/mnist.npz          # here: the decoded MNIST folders
    python -m benchmarks.gpu_training --arrays .gpu/mnist.npz --backends jax --devices gpu cpu --repeats 3
    python -m benchmarks.gpu_training --arrays .gpu/mnist.npz --backends tensorflow --devices cpu --epochs 3

Results: README, "Training on many devices"; records in ``benchmarks/results/gpu-training-*.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

BACKENDS = ("jax", "torch", "tensorflow")
DEVICES = ("gpu", "cpu")
PRECISIONS = ("float32", "mixed_bfloat16")
RECIPE_BATCH = 256
"""The default recipe's batch; larger batches scale its learning rate by their ratio to it."""


@dataclass(frozen=True)
class Setup:
    """One configuration a child process trains."""

    backend: str
    device: str
    precision: str
    batch_size: int

    def name(self) -> str:
        precision = "bfloat16" if self.precision == "mixed_bfloat16" else self.precision
        return f"{self.backend} {self.device} {precision} batch {self.batch_size}"


@dataclass(frozen=True)
class Measured:
    """One training run of one setup."""

    setup: Setup
    repeat: int
    epochs: int
    first_epoch_s: float
    epoch_s: float
    """Median of the epochs after the first (the first compiles)."""
    wall_s: float
    test_accuracy: float
    device_name: str
    cpu_count: int
    date: str
    libraries: str = ""
    """Keras and its backend, as the child imported them (absent in the first records)."""


def device_environment(backend: str, device: str) -> dict[str, str]:
    """The environment a child needs to train with ``backend`` on ``device`` and nothing else."""
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
        if backend == "jax":
            env["JAX_PLATFORMS"] = "cpu"
    elif backend == "jax":
        env["JAX_PLATFORMS"] = "cuda"
    return env


def device_name(backend: str, device: str) -> str:
    """What the child really trains on; fails if a GPU was asked for and there is none (no silent CPU run)."""
    if device == "cpu":
        return f"{platform.machine()} CPU, {os.cpu_count()} cores"
    if backend == "jax":
        import jax

        gpus = jax.devices("gpu")
        return gpus[0].device_kind
    if backend == "torch":
        import torch

        if not torch.cuda.is_available():
            raise RuntimeError("PyTorch sees no GPU")
        return torch.cuda.get_device_name(0)
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        raise RuntimeError("TensorFlow sees no GPU")
    return tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")


def library_versions(backend: str) -> str:
    """``keras 3.x, jax 0.y``: what trained, for the record."""
    from importlib.metadata import version

    package = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}[backend]
    return f"keras {version('keras')}, {package} {version(package)}"


def train_once(setup: Setup, arrays: Path, epochs: int, limit: int | None, seed: int) -> dict:
    """Train the network once with the default recipe's optimisation; the child process's whole job."""
    from digits.training.config import TrainingConfig
    from digits.training.kerasimport import keras
    from digits.training.model import build_model
    from digits.training.optimisation import loss_function, recipe_optimizer, split_validation

    name = device_name(setup.backend, setup.device)
    with np.load(arrays) as data:
        images, labels = data["train_images"], data["train_labels"]
        test_images, test_labels = data["test_images"], data["test_labels"]
    if limit:  # a random draw: the folders' digits come sorted by class
        rng = np.random.default_rng(seed)
        keep, keep_test = rng.permutation(len(labels))[:limit], rng.permutation(len(test_labels))[:limit]
        images, labels, test_images, test_labels = (
            images[keep],
            labels[keep],
            test_images[keep_test],
            test_labels[keep_test],
        )
    config = TrainingConfig(seed=seed, epochs=epochs, batch_size=setup.batch_size)
    config = replace(config, learning_rate=config.learning_rate * setup.batch_size / RECIPE_BATCH)
    train_index, val_index = split_validation(labels, config.validation_fraction, config.seed)

    def inputs(x):
        return (x[..., np.newaxis] / np.float32(255)).astype(np.float32)

    def targets(y):
        return np.eye(10, dtype=np.float32)[y]

    keras.utils.set_random_seed(seed)
    steps_per_epoch = int(np.ceil(len(train_index) / config.batch_size))
    model = build_model(config.dropout, setup.precision)
    model.compile(optimizer=recipe_optimizer(config, steps_per_epoch), loss=loss_function(config), metrics=["accuracy"])
    epoch_times: list[float] = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            epoch_times.append(time.perf_counter() - self.started)

    started = time.perf_counter()
    model.fit(
        inputs(images[train_index]),
        targets(labels[train_index]),
        validation_data=(inputs(images[val_index]), targets(labels[val_index])),
        batch_size=config.batch_size,
        epochs=epochs,
        shuffle=True,
        verbose=0,
        callbacks=[EpochTimer()],
    )
    wall = time.perf_counter() - started
    _, accuracy = model.evaluate(inputs(test_images), targets(test_labels), batch_size=1024, verbose=0)
    later = epoch_times[1:] or epoch_times
    return {
        "epochs": epochs,
        "first_epoch_s": epoch_times[0],
        "epoch_s": statistics.median(later),
        "wall_s": wall,
        "test_accuracy": float(accuracy),
        "device_name": name,
        "cpu_count": os.cpu_count() or 0,
        "libraries": library_versions(setup.backend),
    }


def export_arrays(destination: Path) -> None:
    """Decode the MNIST JPG folders as ``CNN_model.py`` does and write them as one compressed ``.npz``."""
    from digits.atomic import atomic_path
    from digits.training.cli import prepare_data

    training, testing = prepare_data(None)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(destination) as temporary, temporary.open("wb") as file:
        np.savez_compressed(
            file,
            train_images=training.images,
            train_labels=training.labels,
            test_images=testing.images,
            test_labels=testing.labels,
        )
    print(f"{destination}: {len(training.labels):,} training and {len(testing.labels):,} test digits")


def run_child(setup: Setup, args: argparse.Namespace, deadline: float) -> dict:
    """Train ``setup`` in a child process; its result, or ``{"error": ...}`` in one line."""
    epochs = args.epochs if setup.device == "gpu" else args.cpu_epochs
    command = [
        sys.executable,
        "-m",
        "benchmarks.gpu_training",
        "--child",
        json.dumps(asdict(setup)),
        "--arrays",
        str(args.arrays),
        "--epochs",
        str(epochs),
        "--seed",
        str(args.seed),
        *(["--limit", str(args.limit)] if args.limit else []),
    ]
    env = device_environment(setup.backend, setup.device)
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=max(1.0, deadline - time.monotonic())
        )
    except subprocess.TimeoutExpired:
        return {"error": "ran past the run's time budget"}
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {done.returncode}: {last[:200]}"}
    return json.loads(lines[-1])


def load_records(paths: list[Path]) -> list[Measured]:
    """The runs ``--records`` wrote, in order."""
    measured = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                measured.append(Measured(**{**record, "setup": Setup(**record["setup"])}))
    return measured


def summarise(measured: list[Measured]) -> str:
    """A Markdown table: medians over the repeats (min–max where there are several), and each setup's epoch time
    against the first setup's of the same backend, from the same run."""
    by_setup: dict[Setup, list[Measured]] = {}
    for record in measured:
        by_setup.setdefault(record.setup, []).append(record)
    baseline: dict[str, float] = {}
    for setup, records in by_setup.items():
        if setup.device == "cpu" and setup.batch_size == RECIPE_BATCH and setup.precision == "float32":
            baseline.setdefault(setup.backend, statistics.median(r.epoch_s for r in records))

    def spread(values, fmt):
        middle = fmt(statistics.median(values))
        return middle if len(values) == 1 else f"{middle} ({fmt(min(values))}–{fmt(max(values))})"

    rows = [
        "| backend | device | precision | batch | runs | epochs | first epoch | each later epoch | whole training |"
        " test accuracy | epoch against the CPU's (float32, batch 256) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for setup, records in by_setup.items():
        epoch = statistics.median(r.epoch_s for r in records)
        ratio = f"{baseline[setup.backend] / epoch:.1f}x as fast" if setup.backend in baseline else "—"
        precision = "bfloat16" if setup.precision == "mixed_bfloat16" else setup.precision
        rows.append(
            f"| {setup.backend} | {records[0].device_name} | {precision} | {setup.batch_size} | {len(records)} |"
            f" {records[0].epochs} | {spread([r.first_epoch_s for r in records], '{:.2f} s'.format)} |"
            f" {spread([r.epoch_s for r in records], '{:.2f} s'.format)} |"
            f" {spread([r.wall_s for r in records], '{:.1f} s'.format)} |"
            f" {spread([r.test_accuracy * 100 for r in records], '{:.2f}%'.format)} | {ratio} |"
        )
    return "\n".join(rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.gpu_training",
        description="Train the network with the default recipe's optimisation on a GPU and on CPUs, in one run.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--export-arrays", type=Path, help="decode the MNIST folders into this .npz and stop")
    parser.add_argument("--arrays", type=Path, help="the .npz that --export-arrays wrote")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=["jax"], help="Keras backends to train on")
    parser.add_argument("--devices", nargs="+", choices=DEVICES, default=["gpu", "cpu"], help="devices to train on")
    parser.add_argument("--precisions", nargs="+", choices=PRECISIONS, default=["float32"])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[RECIPE_BATCH], help="global batch sizes")
    parser.add_argument("--epochs", type=int, default=24, help="epochs of a GPU run (the default recipe's 24)")
    parser.add_argument("--cpu-epochs", type=int, default=3, help="epochs of a CPU run (for its epoch time)")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each setup, in rounds")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--limit", type=int, help="train and test on the first N digits only (smoke runs)")
    parser.add_argument("--budget-s", type=float, default=480.0, help="stop starting runs after this many seconds")
    parser.add_argument("--records", type=Path, help="append each run as a JSON line to this file")
    parser.add_argument(
        "--include", nargs="+", type=Path, default=[], help="records of earlier runs (--records) to summarise, alone"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not (args.export_arrays or args.arrays or args.include):
        parser.error("give --arrays (made once with --export-arrays), or --include to summarise records")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.export_arrays:
        export_arrays(args.export_arrays)
        return 0
    if args.include:
        print(summarise(load_records(args.include)))
        return 0
    if args.child:
        setup = Setup(**json.loads(args.child))
        print(json.dumps(train_once(setup, args.arrays, args.epochs, args.limit, args.seed)))
        return 0
    deadline = time.monotonic() + args.budget_s
    setups = [
        Setup(backend, device, precision, batch)
        for backend in args.backends
        for device in args.devices
        for precision in args.precisions
        for batch in args.batch_sizes
        # CPUs train the recipe's batch in float32 only: the ratios' baseline (CNN_model.py's own benchmark,
        # benchmarks/training.py, has bfloat16 on CPUs)
        if device == "gpu" or (precision == "float32" and batch == RECIPE_BATCH)
    ]
    measured: list[Measured] = []
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for repeat in range(args.repeats):
        for setup in setups:
            if time.monotonic() > deadline:
                print(f"time budget spent: {setup.name()}, repeat {repeat + 1}, not run", file=sys.stderr)
                continue
            result = run_child(setup, args, deadline)
            if "error" in result:
                print(f"{setup.name()}, repeat {repeat + 1}: failed: {result['error']}", file=sys.stderr)
                continue
            record = Measured(setup, repeat + 1, date=date, **result)
            measured.append(record)
            print(
                f"{setup.name()}, repeat {repeat + 1}: {record.epochs} epochs in {record.wall_s:.1f} s"
                f" ({record.epoch_s:.2f} s each after the first), test {record.test_accuracy:.2%}",
                file=sys.stderr,
                flush=True,
            )
            if args.records:
                with args.records.open("a", encoding="utf-8") as lines:
                    lines.write(json.dumps(asdict(record)) + "\n")
    if not measured:
        print("no run finished", file=sys.stderr)
        return 1
    print(summarise(measured))
    return 0


if __name__ == "__main__":
    sys.exit(main())

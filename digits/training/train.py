"""The training recipe and the export of everything a trained model is saved with.

Recipe: seeded validation split, ``tf.data`` pipeline over uint8 arrays held in memory (scaled to [0, 1] on the
fly), Adam with a cosine-decaying learning rate, categorical cross-entropy, accuracy. Export: ``.keras``,
``.tflite`` (LiteRT), metadata JSON, history CSV and training curves, each written atomically.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from digits import __version__
from digits.atomic import atomic_path, replaced_folder, write_text
from digits.constants import (
    CLASS_NAMES,
    CONFUSION_FILE,
    CURVES_FILE,
    HISTORY_FILE,
    INPUT_SHAPE,
    KERAS_MODEL_FILE,
    METADATA_FILE,
    MISCLASSIFIED_FILE,
    NUM_CLASSES,
    PREPROCESSING,
    REPORT_FILE,
    TFLITE_INT8_MODEL_FILE,
    TFLITE_MODEL_FILE,
)
from digits.errors import DigitsError
from digits.folders import LabelledImages
from digits.html_report import training_report
from digits.images import to_model_input
from digits.predict import load_predictor, predict_arrays
from digits.report import (
    classification_metrics,
    format_report,
    plot_confusion_matrix,
    plot_misclassified,
    plot_training_curves,
)
from digits.training.calibration import choose_min_confidence
from digits.training.config import TrainingConfig
from digits.training.distribute import strategy_for
from digits.training.model import build_model
from digits.training.optimisation import loss_function, recipe_optimizer, split_validation
from digits.training.other_writers import other_writer_checksums, other_writer_samples
from digits.training.photographed import photographed_checksums, photographed_samples
from digits.training.precision import resolve_precision
from digits.training.styles import style_checksums, style_samples
from digits.training.tfimport import keras, native_stderr_silenced, tf

QUICK_TRAIN_IMAGES = 2000
QUICK_TEST_IMAGES = 500
CALIBRATION_IMAGES = 500


@dataclass
class TrainingRun:
    """What one training run produced: the model, its history, its metrics and the predictions on the test set."""

    model: keras.Model
    config: TrainingConfig
    history: dict[str, list[float]]
    metrics: dict[str, float]
    test_metrics: dict
    test_probabilities: np.ndarray
    wall_time_s: float
    uncertainty: dict
    """``min_confidence`` chosen on the validation set, with the shares of wrong and right answers it flags."""
    litert: dict[str, bytes]
    """The LiteRT exports, float32 (``tflite``) and int8 (``tflite_int8``), as saved beside the model."""
    speed: dict[str, float]
    """How fast the LiteRT model reads (``litert_speed``), measured on this machine at the end of the run."""
    provenance: dict | None = None
    """Where a fine-tuned model comes from (base model, samples and their checksum), saved in its metadata."""
    replicas: int = 1
    """Devices the run trained on in sync (``tf.distribute``)."""
    style_checksums: dict[str, str] = field(default_factory=dict)
    """SHA-256 of the drawn style samples it trained on (``styles.style_checksums``): they go through the product's
    preprocessing, so a change there changes them, and the recipe no longer trains this model
    (``tests/test_committed_model.py``); and of the other writers' digits added (``other_writers``)."""


def subsample(data: LabelledImages, count: int, seed: int) -> LabelledImages:
    """At most ``count`` images of ``data``, drawn at random (for quick smoke runs)."""
    if len(data.labels) <= count:
        return data
    keep = np.sort(np.random.default_rng(seed).choice(len(data.labels), count, replace=False))
    return LabelledImages(data.images[keep], data.labels[keep], [data.paths[i] for i in keep], data.failures)


def quick_subset(training: LabelledImages, testing: LabelledImages, seed: int) -> tuple[LabelledImages, LabelledImages]:
    """The few thousand images a ``--quick`` smoke run trains and tests on."""
    return subsample(training, QUICK_TRAIN_IMAGES, seed), subsample(testing, QUICK_TEST_IMAGES, seed)


def with_style_samples(images: np.ndarray, labels: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The training images plus ``count`` digits drawn in styles MNIST lacks (``digits.training.styles``), seeded."""
    if count <= 0:
        return images, labels
    extra_images, extra_labels = style_samples(count, seed)
    return np.concatenate([images, extra_images]), np.concatenate([labels, extra_labels])


@dataclass(frozen=True)
class TrainingSplit:
    """What the network trains on: the split's own images, then the drawn styles, then the other writers' digits,
    with the checksums of what was added (saved in the model's metadata)."""

    images: np.ndarray
    labels: np.ndarray
    added_checksums: dict[str, str]


def training_split(training: LabelledImages, train_index: np.ndarray, config: TrainingConfig) -> TrainingSplit:
    """The training split of ``training`` plus what ``config`` adds to it: ``style_samples`` drawn digits and, with
    ``other_writers``, optdigits' and pendigits' training writers (``digits.training.other_writers``)."""
    own = len(train_index)
    images, labels = with_style_samples(
        training.images[train_index], training.labels[train_index], config.style_samples, config.seed
    )
    checksums = style_checksums(images[own:], labels[own:])
    if config.photographed_samples:
        photo_images, photo_labels = photographed_samples(
            training.images[train_index], training.labels[train_index], config.photographed_samples, config.seed
        )
        images, labels = np.concatenate([images, photo_images]), np.concatenate([labels, photo_labels])
        checksums |= photographed_checksums(photo_images, photo_labels)
    if config.other_writers:
        try:
            real_images, real_labels = other_writer_samples(config.seed)
        except DigitsError as error:
            raise DigitsError(f"{error} (--no-other-writers trains without them)") from None
        images, labels = np.concatenate([images, real_images]), np.concatenate([labels, real_labels])
        checksums |= other_writer_checksums(real_images, real_labels)
    return TrainingSplit(images, labels, checksums)


def make_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    shuffle_seed: int | None = None,
    augment: bool = False,
    sparse_labels: bool = False,
    elastic_pixels: float = 0.0,
    max_aspect: float = 1.0,
) -> tf.data.Dataset:
    """uint8 images + int labels -> batches of (float32 (B, 28, 28, 1) in [0, 1], one-hot (B, 10)), prefetched;
    with ``sparse_labels`` the labels stay integers (B,).

    With ``shuffle_seed`` the order changes every epoch; with ``augment`` every batch is randomly transformed
    (``digits.training.augment``, with ``elastic_pixels`` and ``max_aspect`` as it takes them), seeded so that a
    run can be repeated.
    """
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(images), seed=shuffle_seed, reshuffle_each_iteration=True)

    def to_inputs(batch_images, batch_labels):
        inputs = tf.cast(batch_images, tf.float32)[..., tf.newaxis] / 255.0
        return inputs, batch_labels if sparse_labels else tf.one_hot(batch_labels, NUM_CLASSES)

    dataset = dataset.batch(batch_size).map(to_inputs, num_parallel_calls=tf.data.AUTOTUNE)
    if augment:
        from digits.training.augment import augment_batch

        seeds = tf.data.Dataset.random(seed=shuffle_seed or 0).batch(2)
        dataset = tf.data.Dataset.zip(dataset, seeds).map(
            lambda batch, seed: (augment_batch(batch[0], seed, elastic_pixels, max_aspect), batch[1]),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return dataset.prefetch(tf.data.AUTOTUNE)


def training_dataset(
    images: np.ndarray, labels: np.ndarray, config: TrainingConfig, batch_size: int | None = None
) -> tf.data.Dataset:
    """The batches a recipe trains on: shuffled every epoch, augmented as ``config`` says, its labels' form."""
    return make_dataset(
        images,
        labels,
        batch_size or config.batch_size,
        config.seed,
        config.augment,
        config.sparse_labels,
        config.elastic_pixels,
        config.max_aspect,
    )


@dataclass
class FittedNetwork:
    """The network after ``fit_network``, before anything is measured: its history, the split, its devices."""

    model: keras.Model
    history: dict[str, list[float]]
    train_index: np.ndarray
    val_index: np.ndarray
    replicas: int
    style_checksums: dict[str, str] = field(default_factory=dict)
    """SHA-256 of the drawn style samples and other writers' digits it trained on (``TrainingSplit``)."""


def train(
    config: TrainingConfig, training: LabelledImages, testing: LabelledImages, verbose: int = 2, extra_callbacks=()
) -> TrainingRun:
    """Train the network on ``training`` (minus a validation split), evaluate it on ``testing``, export it.

    ``extra_callbacks`` are Keras callbacks added to ``fit`` (the benchmark uses one to time accuracy milestones).
    """
    started = time.perf_counter()
    config = replace(config, precision=resolve_precision(config.precision))  # saved as it really trained
    fitted = fit_network(config, training, verbose, extra_callbacks)
    splits = {"train": (training.images[fitted.train_index], training.labels[fitted.train_index])}
    if len(fitted.val_index):
        splits["validation"] = (training.images[fitted.val_index], training.labels[fitted.val_index])
    calibration = np.random.default_rng(config.seed).permutation(len(training.labels))[:CALIBRATION_IMAGES]
    run = measure_run(fitted.model, config, fitted.history, splits, testing, training.images[calibration], started)
    return replace(run, replicas=fitted.replicas, style_checksums=fitted.style_checksums)


def fit_network(
    config: TrainingConfig, training: LabelledImages, verbose: int = 2, extra_callbacks=()
) -> FittedNetwork:
    """Build the network and fit it with ``config``'s recipe, seeded and deterministic; nothing is measured. The
    network returned is float32, whatever precision it trained in."""
    precision = resolve_precision(config.precision)
    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()  # same seed, same weights, whatever the thread timing
    epochs = config.epochs
    train_index, val_index = split_validation(training.labels, config.validation_fraction, config.seed)
    split = training_split(training, train_index, config)
    train_images, train_labels = split.images, split.labels
    strategy = strategy_for(config.distribute)
    replicas = strategy.num_replicas_in_sync
    global_batch = config.batch_size * replicas  # batch size and learning rate are per replica
    sparse = config.sparse_labels
    train_ds = training_dataset(train_images, train_labels, config, global_batch)
    val_ds = (
        make_dataset(training.images[val_index], training.labels[val_index], global_batch, sparse_labels=sparse)
        if len(val_index)
        else None
    )
    if replicas > 1 or config.distribute == "multi-worker":
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        train_ds = train_ds.with_options(options)
        val_ds = val_ds.with_options(options) if val_ds is not None else None

    steps_per_epoch = int(np.ceil(len(train_labels) / global_batch))
    with strategy.scope():
        model = build_model(config.dropout, precision)
        model.compile(
            optimizer=recipe_optimizer(config, steps_per_epoch, replicas),
            loss=loss_function(config),
            metrics=["accuracy"],
        )
    callbacks = []
    if val_ds is not None and config.patience:
        # Restoring the best epoch's weights would throw the moving average away: Keras swaps the average in
        # before the callbacks end, and the best epoch's weights are the raw ones. With an average, stop early
        # but end with the average.
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=config.patience, restore_best_weights=not config.ema_momentum
            )
        )
    if config.distribute == "multi-worker":
        # Keras 3's fit cannot feed MultiWorkerMirroredStrategy (keras-team/keras#20585): a plain distributed loop.
        history_lists = fit_across_workers(model, strategy, train_ds, epochs, global_batch, verbose)
    else:
        history = model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=epochs,
            shuffle=False,
            verbose=verbose,
            callbacks=[*callbacks, *extra_callbacks],
        )
        history_lists = {
            key: [float(v) for v in values] for key, values in history.history.items() if key != "learning_rate"
        }
    # The same weights in a fresh float32 network, outside any strategy, measured and saved as such: without the
    # optimizer's state (Adam's moments, the moving average), the .keras file is a quarter of the size.
    model = local_copy(model, config)
    return FittedNetwork(model, history_lists, train_index, val_index, replicas, split.added_checksums)


def measure_run(
    model: keras.Model,
    config: TrainingConfig,
    history: dict[str, list[float]],
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
    testing: LabelledImages,
    calibration_images: np.ndarray,
    started: float,
    provenance: dict | None = None,
) -> TrainingRun:
    """Everything measured about a trained model, for ``save_run``: loss and accuracy on each split and the test
    set, the uncertainty threshold (chosen on the ``validation`` split), the LiteRT exports with the int8 model's
    accuracy, and the reading speed. ``started`` is when training began (the wall time ends before the exports)."""
    metrics = {}
    sparse = config.sparse_labels
    for name, (images, labels) in [*splits.items(), ("test", (testing.images, testing.labels))]:
        loss, accuracy = model.evaluate(make_dataset(images, labels, 512, sparse_labels=sparse), verbose=0)
        metrics[f"{name}_loss"], metrics[f"{name}_accuracy"] = float(loss), float(accuracy)
    uncertainty = {"min_confidence": None}
    if "validation" in splits:
        images, labels = splits["validation"]
        uncertainty = choose_min_confidence(model.predict(to_model_input(images), batch_size=512, verbose=0), labels)
    probabilities = model.predict(to_model_input(testing.images), batch_size=512, verbose=0)
    test_metrics = classification_metrics(testing.labels, probabilities.argmax(axis=1))
    wall_time = time.perf_counter() - started  # training and evaluating; the exports below are not timed
    litert = export_litert(model, calibration_images)
    metrics["test_accuracy_int8"] = litert_accuracy(litert["tflite_int8"], testing)
    speed = litert_speed(litert["tflite"], testing.images)
    return TrainingRun(
        model, config, history, metrics, test_metrics, probabilities, wall_time, uncertainty, litert, speed, provenance
    )


def fit_across_workers(model, strategy, dataset, epochs: int, global_batch: int, verbose: int) -> dict:
    """Train ``model`` (built and compiled in ``strategy``'s scope) with one synchronous step per global batch:
    each worker computes the gradients of its shard, the optimizer all-reduces them. Returns loss and accuracy
    per epoch, as ``fit``'s history would."""
    per_example_loss = keras.losses.get(model.loss).__class__.from_config(
        {**keras.losses.get(model.loss).get_config(), "reduction": None}
    )
    distributed = strategy.experimental_distribute_dataset(dataset)

    def step(inputs):
        images, targets = inputs
        with tf.GradientTape() as tape:
            predictions = model(images, training=True)
            loss = tf.nn.compute_average_loss(per_example_loss(targets, predictions), global_batch_size=global_batch)
        gradients = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        labels = targets if targets.shape.rank == 1 else tf.argmax(targets, axis=-1)
        right = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(predictions, axis=-1), tf.cast(labels, tf.int64)), tf.float32))
        return loss, right, tf.cast(tf.shape(images)[0], tf.float32)

    @tf.function
    def distributed_step(inputs):
        loss, right, seen = strategy.run(step, args=(inputs,))
        total = tf.distribute.ReduceOp.SUM
        return (
            strategy.reduce(total, loss, axis=None),
            strategy.reduce(total, right, None),
            strategy.reduce(total, seen, None),
        )

    history = {"accuracy": [], "loss": []}
    for epoch in range(epochs):
        losses, right, seen = [], 0.0, 0.0
        for inputs in distributed:
            loss, batch_right, batch_seen = distributed_step(inputs)
            losses.append(float(loss))
            right, seen = right + float(batch_right), seen + float(batch_seen)
        history["loss"].append(float(np.mean(losses)))
        history["accuracy"].append(right / max(1.0, seen))
        if verbose:
            print(f"epoch {epoch + 1}/{epochs}: loss {history['loss'][-1]:.4f}, accuracy {history['accuracy'][-1]:.4f}")
    model.optimizer.finalize_variable_values(model.trainable_variables)  # as fit ends: the averaged weights, if any
    return history


def local_copy(model, config: TrainingConfig):
    """The same network and weights, outside any strategy, compiled as the recipe compiles it."""
    copy = build_model(config.dropout)
    copy.set_weights(model.get_weights())
    copy.compile(optimizer=keras.optimizers.Adam(), loss=loss_function(config), metrics=["accuracy"])
    return copy


def export_keras(model: keras.Model, path: Path) -> Path:
    """Save the model as a ``.keras`` file, atomically."""
    with atomic_path(path) as temp:
        model.save(temp)
    return Path(path)


def export_tflite(model: keras.Model, path: Path) -> Path:
    """Convert the model to a LiteRT flatbuffer (float32, dynamic batch size), atomically."""
    with atomic_path(path) as temp, native_stderr_silenced():
        model.export(str(temp), format="litert", verbose=False)
    return Path(path)


def export_tflite_int8(model: keras.Model, path: Path, calibration_images: np.ndarray) -> Path:
    """Convert to a LiteRT flatbuffer with int8 weights and activations, atomically.

    Input and output stay float32, so it is a drop-in replacement for the float model, about a quarter of its
    size and faster; ``calibration_images`` (uint8 (N, 28, 28), a few hundred training images) set the ranges.
    """
    inputs = to_model_input(calibration_images)

    def representative_dataset():
        for image in inputs:
            yield [image[np.newaxis]]

    with atomic_path(path) as temp, native_stderr_silenced():
        model.export(
            str(temp),
            format="litert",
            verbose=False,
            optimizations=[tf.lite.Optimize.DEFAULT],
            representative_dataset=representative_dataset,
        )
    return Path(path)


def export_litert(model: keras.Model, calibration_images: np.ndarray) -> dict[str, bytes]:
    """Both LiteRT conversions of the model, as bytes: float32 (``tflite``) and int8 (``tflite_int8``)."""
    with tempfile.TemporaryDirectory() as scratch:
        return {
            "tflite": export_tflite(model, Path(scratch) / TFLITE_MODEL_FILE).read_bytes(),
            "tflite_int8": export_tflite_int8(
                model, Path(scratch) / TFLITE_INT8_MODEL_FILE, calibration_images
            ).read_bytes(),
        }


def litert_accuracy(model_bytes: bytes, testing: LabelledImages) -> float:
    """Test accuracy of a LiteRT model as the command line reads it (through LiteRT, shifts averaged)."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / TFLITE_MODEL_FILE
        path.write_bytes(model_bytes)
        predictions = predict_arrays(load_predictor(path), testing.images).argmax(axis=1)
    return float((predictions == testing.labels).mean())


SPEED_REPEATS = 50


def litert_speed(model_bytes: bytes, images: np.ndarray) -> dict[str, float]:
    """Milliseconds to read one 28x28 digit as the CLI does (five shifted readings; median of ``SPEED_REPEATS``)
    and digits per second read in batches, for the float LiteRT model on this machine."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / TFLITE_MODEL_FILE
        path.write_bytes(model_bytes)
        predictor = load_predictor(path)
        single = []
        for image in images[:SPEED_REPEATS]:
            started = time.perf_counter()
            predict_arrays(predictor, image[np.newaxis])
            single.append(time.perf_counter() - started)
        batch = images[:2000]
        started = time.perf_counter()
        predict_arrays(predictor, batch)
        batched = time.perf_counter() - started
    return {"ms_per_digit": float(np.median(single) * 1000), "digits_per_s": float(len(batch) / batched)}


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model depends on, for the metadata."""
    import PIL
    import sklearn

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "pillow": PIL.__version__,
        "scikit-learn": sklearn.__version__,
        "digits": __version__,
    }


def history_csv(history: dict[str, list[float]]) -> str:
    """The per-epoch history as CSV text, one row per epoch."""
    columns = list(history)
    rows = [",".join(["epoch", *columns])]
    for epoch in range(len(history[columns[0]])):
        rows.append(",".join([str(epoch + 1), *(f"{history[c][epoch]:.6f}" for c in columns)]))
    return "\n".join(rows) + "\n"


def summary_lines(run: TrainingRun, files: dict[str, Path]) -> list[str]:
    """The headline numbers of a run, one per line (printed by the CLI and written to the results file)."""
    m = run.metrics
    lines = []
    for split in ("train", "validation", "test"):
        if f"{split}_accuracy" in m:
            lines.append(f"{split + ' accuracy:':<21}{m[f'{split}_accuracy']:.4%}   loss {m[f'{split}_loss']:.4f}")
    if "test_accuracy_int8" in m:
        lines.append(f"{'int8 test accuracy:':<21}{m['test_accuracy_int8']:.4%}   (quantised LiteRT model)")
    sizes = ", ".join(
        f"{files[key].stat().st_size / 1024:.1f} KB {label}" for key, label in FILE_LABELS.items() if key in files
    )
    lines += [
        f"{'parameters:':<21}{run.model.count_params():,}",
        f"{'model size:':<21}{sizes}",
        f"{'epochs:':<21}{len(run.history['loss'])} of {run.config.epochs}",
        f"{'wall time:':<21}{run.wall_time_s:.1f} s (training and evaluation)",
    ]
    return lines


def report_page(run: TrainingRun, staged: dict[str, Path]) -> str:
    """The run's self-contained ``report.html``: settings, curves, confusion matrix, misclassified digits,
    per-class table, uncertainty threshold, model size and speed."""
    m = run.metrics
    summary = {
        "test accuracy (Keras, read once)": f"{m['test_accuracy']:.2%}",
        "test accuracy, int8 LiteRT model (as the CLI reads it)": f"{m['test_accuracy_int8']:.2%}",
        "test loss": f"{m['test_loss']:.4f}",
    }
    if "validation_accuracy" in m:
        summary["validation accuracy"] = f"{m['validation_accuracy']:.2%}"
    summary.update(
        {
            "epochs run": f"{len(run.history['loss'])} of {run.config.epochs}",
            "wall time (training and evaluation)": f"{run.wall_time_s:.0f} s",
            "parameters": f"{run.model.count_params():,}",
            "one digit, as the CLI reads it (LiteRT, this machine)": f"{run.speed['ms_per_digit']:.2f} ms",
            "digits per second in batches (LiteRT, this machine)": f"{run.speed['digits_per_s']:,.0f}",
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, TensorFlow {tf.__version__}",
        }
    )
    images = {
        "Training curves: accuracy and loss per epoch": staged["curves"],
        "Confusion matrix of the test set (rows: true digit, columns: predicted)": staged["confusion"],
        "Misclassified test digits: true → predicted (confidence)": staged["misclassified"],
    }
    files = {path.name: path.stat().st_size for key, path in staged.items() if key in FILE_LABELS}
    return training_report(summary, asdict(run.config), run.test_metrics, run.uncertainty, images, files)


FILE_LABELS = {"tflite": ".tflite", "tflite_int8": "int8 .tflite", "keras": ".keras"}


def save_run(
    run: TrainingRun, training: LabelledImages, testing: LabelledImages, output_dir: Path, results_file: Path
) -> dict[str, Path]:
    """Write the model, its LiteRT exports, metadata, history, curves, confusion matrix and the results file.
    Only saves: everything written was made and measured by ``train``.

    The whole run, the results file included, is written into a new folder that replaces ``output_dir`` in one
    atomic switch (``digits.atomic.replaced_folder``): killed or failing at any point, ``output_dir`` holds
    either the whole previous run or the whole new one. Other entries of ``output_dir`` (a sub-folder with
    another run) are kept. A ``results_file`` outside ``output_dir`` is a copy written after the
    switch. Returns the final path of each file.
    """
    output_dir = Path(output_dir)
    results_file = Path(results_file)
    inside = results_file.resolve().parent == output_dir.resolve()
    with replaced_folder(output_dir) as stage:
        staged = {"keras": export_keras(run.model, stage / KERAS_MODEL_FILE)}
        for key, name in (("tflite", TFLITE_MODEL_FILE), ("tflite_int8", TFLITE_INT8_MODEL_FILE)):
            staged[key] = stage / name
            staged[key].write_bytes(run.litert[key])
        metadata = {
            "class_names": list(CLASS_NAMES),
            "input_shape": list(INPUT_SHAPE),
            "preprocessing": PREPROCESSING,
            "parameters": run.model.count_params(),
            "min_confidence": run.uncertainty["min_confidence"],
            "min_confidence_choice": run.uncertainty,
            "metrics": run.metrics,
            "speed": run.speed,
            **({"fine_tuned_from": run.provenance} if run.provenance else {}),
            "training": asdict(run.config),
            "epochs_run": len(run.history["loss"]),
            "replicas": run.replicas,
            "wall_time_s": round(run.wall_time_s, 1),
            "data": {
                "training_images": len(training.labels),
                "testing_images": len(testing.labels),
                "sha256": {
                    "training": training.checksum(),
                    "testing": testing.checksum(),
                    **run.style_checksums,
                },
            },
            "files": {key: path.stat().st_size for key, path in staged.items()},
            "versions": library_versions(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        staged["metadata"] = write_text(stage / METADATA_FILE, json.dumps(metadata, indent=2) + "\n")
        staged["history"] = write_text(stage / HISTORY_FILE, history_csv(run.history))
        staged["curves"] = plot_training_curves(run.history, stage / CURVES_FILE)
        staged["confusion"] = plot_confusion_matrix(
            run.test_metrics["confusion_matrix"], stage / CONFUSION_FILE, "Confusion matrix, test set"
        )
        predicted = run.test_probabilities.argmax(axis=1)
        staged["misclassified"] = plot_misclassified(
            testing.images, testing.labels, predicted, run.test_probabilities.max(axis=1), stage / MISCLASSIFIED_FILE
        )
        staged["report"] = write_text(stage / REPORT_FILE, report_page(run, staged))
        paths = {key: output_dir / path.name for key, path in staged.items()}
        extra = [
            *summary_lines(run, staged),
            f"{'settings:':<21}" + ", ".join(f"{k}={v}" for k, v in asdict(run.config).items()),
            f"{'machine:':<21}{platform.machine()}, {platform.system()}, {os.cpu_count()} CPU cores, TensorFlow {tf.__version__}",
            "",
            "On the test set:",
        ]
        report = format_report("Digit CNN: results of `python CNN_model.py`", run.test_metrics, extra)
        (stage / (results_file.name if inside else RUN_RESULTS_FILE)).write_text(report, encoding="utf-8")
    paths["results"] = results_file if inside else write_text(results_file, report)
    return paths


RUN_RESULTS_FILE = "results.txt"
"""The run's text report, kept inside the run's folder (a copy goes to the results file asked for)."""

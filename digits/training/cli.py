"""Train the digit CNN on the MNIST JPG folders (or your own) and save it under models/.

Four steps, as in Keras' MNIST example: prepare the data -> build the model and train -> evaluate -> save.
The MNIST folders are created from a checksum-verified copy of MNIST the first time they are needed.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path

from digits.constants import CACHE_DIR_NAME, DATA_DIR, EXAMPLE_RESULTS_FILE, MODELS_DIR
from digits.entry import run_command
from digits.training.config import TrainingConfig, quick_config

QUICK_OUTPUT_DIR = Path("runs/quick")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = TrainingConfig()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help="passes over the training images")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="images per training step")
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=defaults.learning_rate,
        help="Adam's peak learning rate, reached after the warm-up, then decaying along a cosine",
    )
    parser.add_argument(
        "--warmup-epochs",
        type=int,
        default=defaults.warmup_epochs,
        help="epochs over which the learning rate ramps up from 0",
    )
    parser.add_argument(
        "--patience",
        type=int,
        default=defaults.patience,
        help="stop when the validation loss has not improved for this many epochs, keeping the best weights (0: never)",
    )
    parser.add_argument(
        "--no-augment",
        dest="augment",
        default=argparse.SUPPRESS,
        action="store_false",
        help="train on the images as they are (default: random rotation, scale, shear, shift and stroke width)",
    )
    parser.add_argument(
        "--style-samples",
        type=int,
        default=defaults.style_samples,
        metavar="N",
        help="add N digits drawn in styles MNIST lacks (a 1 with flag and base, crossed 7, open 4, marker and "
        "hollow strokes, tiny crops) to the training split; 0 for none",
    )
    parser.add_argument("--dropout", type=float, default=defaults.dropout, help="dropout rate before the last layer")
    parser.add_argument(
        "--validation-fraction",
        type=float,
        default=defaults.validation_fraction,
        help="share of the training images held out for validation",
    )
    parser.add_argument(
        "--seed", type=int, default=defaults.seed, help="random seed for the split, the shuffling and the weights"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"folder with training/<0-9>/ and testing/<0-9>/ (or the two MNIST names), any common image format; default: {DATA_DIR}, where MNIST is created if missing",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        help=f"where to save the model and its reports; default: {MODELS_DIR} ({QUICK_OUTPUT_DIR} with --quick)",
    )
    parser.add_argument(
        "--results-file",
        type=Path,
        default=None,
        help=f"text report of the run; default: {EXAMPLE_RESULTS_FILE.name} at the top level, or inside --output-dir when that is given",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: a few thousand images, at most 2 epochs, saved to {QUICK_OUTPUT_DIR} unless --output-dir is given",
    )
    parser.add_argument(
        "--prepare-data-only",
        action="store_true",
        help="create the MNIST JPG folders under data/ if they are missing, then exit",
    )
    args = parser.parse_args(argv)
    args.augment = getattr(args, "augment", True)
    if args.style_samples < 0:
        parser.error("--style-samples must be 0 or more")
    if args.epochs < 1 or args.batch_size < 1:
        parser.error("--epochs and --batch-size must be at least 1")
    if not 0 <= args.validation_fraction < 1:
        parser.error("--validation-fraction must be in [0, 1)")
    if not 0 <= args.dropout < 1:
        parser.error("--dropout must be in [0, 1)")
    return args


def output_paths(args: argparse.Namespace) -> tuple[Path, Path]:
    """Where the model files and the results file go, following the defaults described in --help."""
    if args.output_dir is not None:
        output_dir = args.output_dir
    else:
        output_dir = QUICK_OUTPUT_DIR if args.quick else MODELS_DIR
    if args.results_file is not None:
        results = args.results_file
    elif args.output_dir is None and not args.quick:
        results = EXAMPLE_RESULTS_FILE
    else:
        results = output_dir / EXAMPLE_RESULTS_FILE.name
    return output_dir, results


def prepare_data(data_dir: Path | None):
    """Step 1: find (or create) the training and testing folders and decode them, once, into arrays."""
    from digits.folders import find_split_folders, load_labelled_folder
    from digits.training.mnist import prepare_mnist_folders

    if data_dir is None:
        prepare_mnist_folders(DATA_DIR)
        data_dir = DATA_DIR
    training_dir, testing_dir = find_split_folders(data_dir)
    cache_dir = data_dir / CACHE_DIR_NAME
    splits = []
    for folder in (training_dir, testing_dir):
        data = load_labelled_folder(folder, cache_dir=cache_dir)
        for failure in data.failures:
            print(f"skipped: {failure.message}", file=sys.stderr)
        skipped = f", {len(data.failures)} unreadable files skipped" if data.failures else ""
        print(f"{folder}: {len(data.labels):,} images{skipped}")
        splits.append(data)
    return splits


def raw_main(argv: list[str]) -> int:
    """Prepare the data, train, evaluate and save; errors are mapped to exit codes by ``main``."""
    args = parse_args(argv)
    if args.prepare_data_only:
        from digits.training.mnist import prepare_mnist_folders

        for folder in prepare_mnist_folders(args.data_dir or DATA_DIR):
            print(folder)
        return 0
    training, testing = prepare_data(args.data_dir)

    from digits.training.train import quick_subset, save_run, summary_lines, train

    config = TrainingConfig(**{f.name: getattr(args, f.name) for f in fields(TrainingConfig)})
    if args.quick:
        config = quick_config(config)
        training, testing = quick_subset(training, testing, config.seed)
    run = train(config, training, testing)
    output_dir, results_file = output_paths(args)
    paths = save_run(run, training, testing, output_dir, results_file)
    print()
    print("\n".join(summary_lines(run, paths)))
    print("saved: " + ", ".join(str(path) for path in paths.values()))
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_command(raw_main, argv, "nothing was saved, the previous model (if any) is untouched")


if __name__ == "__main__":
    sys.exit(main())

"""Read handwritten digits with the trained model: photos, scans, single images, several files, whole folders,
whole numbers (--number), or a labelled folder to evaluate (accuracy, per-class table, confusion matrix, plots).

Any image works: dark ink on light paper or light on dark, any size, colour, transparency, EXIF rotation; each is
turned into an MNIST-style 28x28 image first (see --save-preprocessed). Runs the LiteRT (.tflite) model when it
is there, so TensorFlow is not even imported.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from digits.constants import REPORTS_DIR
from digits.entry import run_command
from digits.errors import DigitsError

EPILOG = """examples:
  python CNN_usage.py digit.jpg
  python CNN_usage.py scans/ photo.png --top-k 3
  python CNN_usage.py scans/ --json --save-preprocessed seen/
  python CNN_usage.py --number postcode.jpg
  python CNN_usage.py --evaluate "data/MNIST - JPG - testing"
  python CNN_usage.py --collect my_hand --label 7 sevens/   (then: python CNN_model.py --fine-tune my_hand)
  python CNN_usage.py serve --port 8000      (HTTP service; serve --help for its options)

A blank image prints "no digit found". A prediction less confident than --min-confidence (by default the
threshold chosen on the model's validation set, stored in its metadata) is marked "uncertain"; so is, with
--number, a digit cut from a mark that reads nearly as well cut into another number of digits.
exit status: 0 when every input was read, 1 when any failed, 2 for bad arguments, 130 when interrupted."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="*", type=Path, help="image files and folders (searched recursively)")
    parser.add_argument(
        "--model", type=Path, default=None, help="a .tflite or .keras model (default: the one in models/)"
    )
    parser.add_argument(
        "--quantized",
        action="store_true",
        help="use the int8 LiteRT model (a quarter of the size, faster, accuracy within 0.1 points) beside the model",
    )
    parser.add_argument(
        "--top-k", type=int, default=1, metavar="K", help="also show the K most probable digits (default: 1)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line (path, digit, confidence, probabilities, uncertain); "
        "with --evaluate one JSON summary",
    )
    parser.add_argument(
        "--number",
        action="store_true",
        help="each image holds a number written in one line (up to 10 digits): read all its digits, left to right",
    )
    parser.add_argument(
        "--min-confidence",
        type=float,
        default=None,
        metavar="P",
        help="mark predictions below this probability (0-1) as uncertain (default: the model's own threshold)",
    )
    parser.add_argument(
        "--save-preprocessed",
        type=Path,
        metavar="DIR",
        help="write the 28x28 image the network saw for each input into DIR, to see why it answered what it did",
    )
    parser.add_argument(
        "--collect",
        type=Path,
        metavar="DIR",
        help="with --label D: store each image as a sample of your own handwriting (the 28x28 the network sees, "
        "and the original) under DIR/D/, for python CNN_model.py --fine-tune DIR",
    )
    parser.add_argument("--label", metavar="D", help="with --collect: the digit these images show (0-9)")
    parser.add_argument(
        "--evaluate",
        type=Path,
        metavar="FOLDER",
        help="FOLDER has sub-folders 0-9: print accuracy, per-class precision/recall/F1 and the confusion matrix, "
        "and write a report with plots",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=REPORTS_DIR,
        help="where --evaluate writes its report and plots (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.top_k <= 10:
        parser.error("--top-k must be between 1 and 10")
    if args.min_confidence is not None and not 0 <= args.min_confidence <= 1:
        parser.error("--min-confidence must be between 0 and 1")
    if args.evaluate is None and not args.paths:
        parser.error("give at least one image or folder, or --evaluate FOLDER")
    if (args.collect is None) != (args.label is None):
        parser.error("--collect DIR and --label D go together")
    if args.label is not None and (len(args.label.strip()) != 1 or args.label.strip() not in "0123456789"):
        parser.error("--label must be one digit, 0 to 9")
    if args.evaluate is not None and args.paths:
        parser.error("--evaluate takes one folder; predict other paths in a separate call")
    return args


def save_preprocessed(folder: Path, source: Path, frames, used: set[str]) -> None:
    """Write each 28x28 network input as DIR/<source name>[-<n>].png (numbered when one image gave several)."""
    from PIL import Image

    from digits.atomic import atomic_path

    folder.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(frames):
        stem = source.stem + (f"-{index + 1}" if len(frames) > 1 else "")
        name, copy = f"{stem}.png", 2
        while name in used:
            name, copy = f"{stem}_{copy}.png", copy + 1
        used.add(name)
        with atomic_path(folder / name) as temp:
            Image.fromarray(frame).save(temp, format="PNG")


def predict_command(args: argparse.Namespace) -> int:
    from digits.images import collect_image_paths
    from digits.predict import load_predictor, min_confidence_or_default, read_files
    from digits.results import Failure, network_inputs, output_line

    files, problems = collect_image_paths(args.paths)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr, flush=True)
    failed = len(problems)
    if not files:
        return 1
    predictor = load_predictor(args.model, args.quantized)
    threshold = min_confidence_or_default(args.min_confidence, predictor.path)
    saved_names: set[str] = set()
    for result in read_files(predictor, files, threshold, number=args.number):
        if isinstance(result, Failure):
            print(result.to_text(), file=sys.stderr, flush=True)
            failed += 1
            continue
        frames = network_inputs(result)
        if args.save_preprocessed and frames:
            save_preprocessed(args.save_preprocessed, result.path, frames, saved_names)
        print(output_line(result, args.json, args.top_k), flush=True)
    if failed and not args.json:
        print(f"{failed} of {len(files) + len(problems)} inputs could not be read", file=sys.stderr)
    return 1 if failed else 0


def collect_command(args: argparse.Namespace) -> int:
    """``--collect DIR --label D``: store each image as a sample of the user's handwriting, one line each."""
    from digits.corrections import parse_label, store_sample
    from digits.images import collect_image_paths, decode_side, read_gray
    from digits.preprocess import NoDigitFound, preprocess_digit

    label = parse_label(args.label)
    files, problems = collect_image_paths(args.paths)
    failed = len(problems)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr, flush=True)
    for path in files:
        try:
            gray, _ = read_gray(path, decode_side(number=False))
            stored = store_sample(args.collect, label, preprocess_digit(gray), gray)
        except NoDigitFound:
            print(f"error: {path}: no digit found, nothing stored", file=sys.stderr, flush=True)
            failed += 1
            continue
        except DigitsError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            failed += 1
            continue
        print(f"{path}: stored as {stored.network_input} ({stored.count} samples of {label})", flush=True)
    return 1 if failed else 0


def evaluate_command(args: argparse.Namespace) -> int:
    from digits.evaluate import evaluate_folder

    result = evaluate_folder(args.evaluate, args.report_dir, args.model, args.quantized)
    for failure in result.failures:
        print(failure.to_text(), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(result.text, end="")
        plots = ", ".join(str(plot) for plot in result.plots) or "none: matplotlib and seaborn are not installed"
        print(f"report written to {result.report} (plots: {plots})")
    return 1 if result.failures else 0


def serve_command(argv: list[str]) -> int:
    """``python CNN_usage.py serve``: run the HTTP service (see digits/service.py) until SIGTERM or Ctrl-C.

    Settings come from the flags, else the ``DIGITS_*`` environment, else the defaults (``digits.settings``).
    """
    from digits.settings import ServiceSettings, env_name, load_settings

    defaults = load_settings()  # the environment, validated: a bad DIGITS_* value stops here with one line
    fields = ServiceSettings.model_fields
    parser = argparse.ArgumentParser(
        prog=f"{Path(sys.argv[0]).name} serve",
        description="Serve the digit reader over HTTP: POST /predict, GET /health, GET / (draw a digit), /docs.",
        epilog="Each flag overrides its environment variable, which overrides the default.",
    )

    def option(name: str, **kwargs) -> None:
        field = fields[name]
        shown = defaults.model_dump()[name]
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            default=None,
            help=f"{field.description} (env {env_name(name)}; now: {shown if shown is not None else 'default'})",
            **kwargs,
        )

    option("host")
    option("port", type=int)
    option("workers", type=int)
    option("model", type=Path)
    option("quantized", action=argparse.BooleanOptionalAction)
    option("max_body_bytes", type=int)
    option("max_in_flight", type=int)
    option("collect", type=Path)
    option("collect_limit", type=int)
    args = parser.parse_args(argv)
    settings = load_settings(**vars(args))
    settings.to_environment()
    import uvicorn

    from digits.predict import load_predictor

    load_predictor(settings.model, settings.quantized)  # fail fast, with one line, on a bad model before binding
    uvicorn.run(
        "digits.service:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        timeout_graceful_shutdown=10,
        log_level="warning",
    )
    return 0


def raw_main(argv: list[str]) -> int:
    """Predict, evaluate or serve; errors are mapped to exit codes by ``main``."""
    if argv[:1] == ["serve"]:
        return serve_command(argv[1:])
    args = parse_args(argv)
    if args.collect is not None:
        return collect_command(args)
    return evaluate_command(args) if args.evaluate is not None else predict_command(args)


def main(argv: list[str] | None = None) -> int:
    return run_command(raw_main, argv, "stopped before every input was read")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
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

from digits.cli import run_command
from digits.constants import REPORTS_DIR
from digits.errors import DigitsError

EPILOG = """examples:
  python CNN_usage.py digit.jpg
  python CNN_usage.py scans/ photo.png --top-k 3
  python CNN_usage.py scans/ --json --save-preprocessed seen/
  python CNN_usage.py --number postcode.jpg
  python CNN_usage.py --evaluate "data/MNIST - JPG - testing"
  python CNN_usage.py serve --port 8000      (HTTP service; serve --help for its options)

A blank image prints "no digit found". A prediction less confident than --min-confidence (by default the
threshold chosen on the model's validation set, stored in its metadata) is marked "uncertain".
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
    if args.evaluate is not None and args.paths:
        parser.error("--evaluate takes one folder; predict other paths in a separate call")
    return args


def error_line(error: DigitsError) -> None:
    print(f"error: {error}", file=sys.stderr, flush=True)


def digit_record(prediction, top_k: int) -> dict:
    """JSON-ready fields of one digit's prediction."""
    record = {
        "digit": prediction.digit,
        "confidence": round(prediction.confidence, 6),
        "probabilities": [round(p, 6) for p in prediction.probabilities],
        "uncertain": prediction.uncertain,
    }
    if top_k > 1:
        record["top_k"] = [{"digit": d, "probability": round(p, 6)} for d, p in prediction.top_k(top_k)]
    return record


def digit_text(prediction, top_k: int) -> str:
    """'7 (99.12%)', with a mark when uncertain and the top-k list when asked."""
    text = f"{prediction.digit} ({prediction.confidence:.2%})"
    if prediction.uncertain:
        text += " uncertain"
    if top_k > 1:
        text += f"   top {top_k}: " + ", ".join(f"{d} {p:.2%}" for d, p in prediction.top_k(top_k))
    return text


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
    from digits.predict import default_min_confidence, load_predictor, predict_files, read_number

    files, problems = collect_image_paths(args.paths)
    for problem in problems:
        error_line(problem)
    failed = len(problems)
    if not files:
        return 1
    predictor = load_predictor(args.model, args.quantized)
    threshold = args.min_confidence if args.min_confidence is not None else default_min_confidence(predictor.path)
    saved_names: set[str] = set()

    def numbers():
        for path in files:
            try:
                yield read_number(predictor, path, threshold)
            except DigitsError as error:
                yield error

    results = numbers() if args.number else predict_files(predictor, files, threshold)
    for result in results:
        if isinstance(result, DigitsError):
            error_line(result)
            failed += 1
            continue
        if args.number:
            frames = [p.network_input for p in result.digits]
        else:
            frames = [] if result.digit is None else [result.network_input]
        if args.save_preprocessed and frames:
            save_preprocessed(args.save_preprocessed, result.path, frames, saved_names)
        print(format_result(result, args), flush=True)
    if failed and not args.json:
        print(f"{failed} of {len(files) + len(problems)} inputs could not be read", file=sys.stderr)
    return 1 if failed else 0


def format_result(result, args: argparse.Namespace) -> str:
    """One output line for a Prediction or a NumberReading, as text or JSON."""
    if args.number:
        if args.json:
            digits = [{**digit_record(p, args.top_k), "box": list(box)} for p, box in zip(result.digits, result.boxes)]
            number = result.text if result.digits else None
            return json.dumps(
                {"path": str(result.path), "number": number, "uncertain": result.uncertain, "digits": digits}
            )
        if not result.digits:
            return f"{result.path}: no digit found"
        details = ", ".join(f"{p.digit} {p.confidence:.1%}{' uncertain' if p.uncertain else ''}" for p in result.digits)
        return f"{result.path}: {result.text}{' (uncertain)' if result.uncertain else ''}   [{details}]"
    if result.digit is None:
        if args.json:
            return json.dumps({"path": str(result.path), "digit": None, "no_digit": True})
        return f"{result.path}: no digit found"
    if args.json:
        return json.dumps({"path": str(result.path), **digit_record(result, args.top_k)})
    return f"{result.path}: {digit_text(result, args.top_k)}"


def evaluate_command(args: argparse.Namespace) -> int:
    from digits.evaluate import evaluate_folder

    result = evaluate_folder(args.evaluate, args.report_dir, args.model, args.quantized)
    for failure in result["failures"]:
        error_line(failure)
    if args.json:
        summary = {key: value for key, value in result.items() if key not in ("failures", "text")}
        summary["unreadable"] = [str(failure) for failure in result["failures"]]
        print(json.dumps(summary))
    else:
        print(result["text"], end="")
        plots = ", ".join(result["plots"]) or "none: matplotlib and seaborn are not installed"
        print(f"report written to {result['report']} (plots: {plots})")
    return 1 if result["failures"] else 0


def serve_command(argv: list[str]) -> int:
    """``python CNN_usage.py serve``: run the HTTP service (see digits/service.py) until SIGTERM or Ctrl-C."""
    import os

    from digits.service import env_int, export_settings, settings_from_environment

    settings = settings_from_environment()
    port, workers = env_int("DIGITS_PORT", 8000, minimum=0), env_int("DIGITS_WORKERS", 1)
    parser = argparse.ArgumentParser(
        prog="CNN_usage.py serve",
        description="Serve the digit reader over HTTP: POST /predict, GET /health, GET / (draw a digit), /docs.",
    )
    env = os.environ.get
    parser.add_argument(
        "--host",
        default=env("DIGITS_HOST", "127.0.0.1"),
        help="address to listen on (env DIGITS_HOST; default: %(default)s)",
    )
    parser.add_argument("--port", type=int, default=port, help="port (env DIGITS_PORT; default: %(default)s)")
    parser.add_argument(
        "--workers",
        type=int,
        default=workers,
        help="worker processes (env DIGITS_WORKERS; default: %(default)s)",
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=settings["model_path"],
        help="a .tflite or .keras model (env DIGITS_MODEL; default: the one in models/)",
    )
    parser.add_argument(
        "--quantized",
        action=argparse.BooleanOptionalAction,
        default=settings["quantized"],
        help="use the int8 model (env DIGITS_QUANTIZED=1; --no-quantized overrides the environment)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=settings["max_body_bytes"],
        help="larger request bodies get 413 (env DIGITS_MAX_BODY_BYTES; default: %(default)s)",
    )
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=settings["max_in_flight"],
        help="images read at once per worker, bounding its memory; more requests wait, then get 503 "
        "(env DIGITS_MAX_IN_FLIGHT; default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.max_body_bytes < 1 or args.max_in_flight < 1 or args.workers < 1:
        parser.error("--max-body-bytes, --max-in-flight and --workers must be at least 1")
    export_settings(args.model, args.quantized, args.max_body_bytes, args.max_in_flight)
    import uvicorn

    from digits.predict import load_predictor

    load_predictor(args.model, args.quantized)  # fail fast, with one line, on a bad model before binding the port
    uvicorn.run(
        "digits.service:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        timeout_graceful_shutdown=10,
        log_level="warning",
    )
    return 0


def raw_main(argv: list[str]) -> int:
    """Predict, evaluate or serve; errors are mapped to exit codes by ``main``."""
    if argv[:1] == ["serve"]:
        return serve_command(argv[1:])
    args = parse_args(argv)
    return evaluate_command(args) if args.evaluate is not None else predict_command(args)


def main(argv: list[str] | None = None) -> int:
    return run_command(raw_main, argv, "stopped before every input was read")


if __name__ == "__main__":
    sys.exit(main())

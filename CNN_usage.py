#!/usr/bin/env python
"""Read handwritten digits with the trained model: single images, several files, whole folders, or a labelled
folder to evaluate (accuracy, per-class table, confusion matrix, plots).

Runs the LiteRT (.tflite) model when it is there, so TensorFlow is not even imported.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from digits.constants import REPORTS_DIR
from digits.errors import DigitsError

EPILOG = """examples:
  python CNN_usage.py digit.jpg
  python CNN_usage.py scans/ photo.png --top-k 3
  python CNN_usage.py scans/ --json
  python CNN_usage.py --evaluate "data/MNIST - JPG - testing"
exit status: 0 when every file was read, 1 when any failed, 2 for bad arguments."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="*", type=Path, help="image files and folders (searched recursively)")
    parser.add_argument(
        "--model", type=Path, default=None, help="a .tflite or .keras model (default: the one in models/)"
    )
    parser.add_argument(
        "--top-k",
        type=int,
        default=1,
        metavar="K",
        help="also show the K most probable digits (default: 1, just the answer)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line (path, digit, confidence, probabilities); with --evaluate one JSON summary",
    )
    parser.add_argument(
        "--evaluate",
        type=Path,
        metavar="FOLDER",
        help="FOLDER has sub-folders 0-9: print accuracy, per-class precision/recall/F1 and the confusion matrix, and write a report with plots",
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
    if args.evaluate is None and not args.paths:
        parser.error("give at least one image or folder, or --evaluate FOLDER")
    if args.evaluate is not None and args.paths:
        parser.error("--evaluate takes one folder; predict other paths in a separate call")
    return args


def error_line(error: DigitsError) -> None:
    print(f"error: {error}", file=sys.stderr, flush=True)


def predict_command(args: argparse.Namespace) -> int:
    from digits.images import collect_image_paths
    from digits.predict import load_predictor, predict_files

    files, problems = collect_image_paths(args.paths)
    for problem in problems:
        error_line(problem)
    failed = len(problems)
    if not files:
        return 1
    predictor = load_predictor(args.model)
    for result in predict_files(predictor, files):
        if isinstance(result, DigitsError):
            error_line(result)
            failed += 1
        elif args.json:
            record = {
                "path": str(result.path),
                "digit": result.digit,
                "confidence": round(result.confidence, 6),
                "probabilities": [round(p, 6) for p in result.probabilities],
            }
            if args.top_k > 1:
                record["top_k"] = [{"digit": d, "probability": round(p, 6)} for d, p in result.top_k(args.top_k)]
            print(json.dumps(record), flush=True)
        else:
            line = f"{result.path}: {result.digit} ({result.confidence:.2%})"
            if args.top_k > 1:
                line += (
                    "   top " + str(args.top_k) + ": " + ", ".join(f"{d} {p:.2%}" for d, p in result.top_k(args.top_k))
                )
            print(line, flush=True)
    if failed and not args.json:
        print(f"{failed} of {len(files) + len(problems)} inputs could not be read", file=sys.stderr)
    return 1 if failed else 0


def evaluate_command(args: argparse.Namespace) -> int:
    from digits.evaluate import evaluate_folder

    result = evaluate_folder(args.evaluate, args.report_dir, args.model)
    for failure in result["failures"]:
        error_line(failure)
    if args.json:
        summary = {key: value for key, value in result.items() if key not in ("failures", "text")}
        summary["unreadable"] = [str(failure) for failure in result["failures"]]
        print(json.dumps(summary))
    else:
        print(result["text"], end="")
        print(f"report written to {result['report']} (plots: {', '.join(result['plots'])})")
    return 1 if result["failures"] else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return evaluate_command(args) if args.evaluate is not None else predict_command(args)
    except DigitsError as error:
        error_line(error)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

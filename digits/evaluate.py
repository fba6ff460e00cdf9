"""Evaluating a model on a labelled folder (``<folder>/<0-9>/*``): metrics, text report, heatmap, error grid."""

from __future__ import annotations

from pathlib import Path

from digits.atomic import write_text
from digits.folders import load_labelled_folder
from digits.predict import load_predictor, predict_arrays
from digits.report import classification_metrics, format_report, plot_confusion_matrix, plot_misclassified


def evaluate_folder(folder: Path, report_dir: Path, model_path: Path | None = None, quantized: bool = False) -> dict:
    """Predict every image of a labelled folder and write ``<report_dir>/<name>_report.txt`` with two PNGs.

    Returns a JSON-ready summary (``accuracy``, ``per_class``, ``confusion_matrix``, ``images``, file paths)
    plus ``text`` (the report) and ``failures`` (DigitsErrors of unreadable files, which were skipped).
    Raises DigitsError when the folder is not labelled or holds no usable image.
    """
    folder = Path(folder)
    predictor = load_predictor(model_path, quantized)
    data = load_labelled_folder(folder)
    probabilities = predict_arrays(predictor, data.images)
    predicted = probabilities.argmax(axis=1)
    metrics = classification_metrics(data.labels, predicted)

    stem = folder.resolve().name.replace(" ", "_") or "folder"
    report_path = Path(report_dir) / f"{stem}_report.txt"
    try:
        plots = [
            str(
                plot_confusion_matrix(
                    metrics["confusion_matrix"],
                    report_path.with_name(f"{stem}_confusion_matrix.png"),
                    f"Confusion matrix: {folder.name}",
                )
            ),
            str(
                plot_misclassified(
                    data.images,
                    data.labels,
                    predicted,
                    probabilities.max(axis=1),
                    report_path.with_name(f"{stem}_misclassified.png"),
                )
            ),
        ]
    except ImportError:  # the inference-only container has no matplotlib/seaborn: the text report still stands
        plots = []
    header = [f"folder: {folder}", f"model: {predictor.path}"]
    if data.failures:
        header.append(f"unreadable files skipped: {len(data.failures)}")
    text = format_report(f"Evaluation of {folder.name}", metrics, header)
    write_text(report_path, text)
    return {
        "folder": str(folder),
        "model": str(predictor.path),
        "images": int(len(data.labels)),
        **metrics,
        "report": str(report_path),
        "plots": plots,
        "text": text,
        "failures": data.failures,
    }

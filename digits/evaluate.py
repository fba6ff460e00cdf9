"""Evaluating a model on a labelled folder (``<folder>/<0-9>/*``): metrics, text report, heatmap, error grid."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digits.atomic import write_text
from digits.folders import load_labelled_folder
from digits.predict import load_predictor, predict_arrays
from digits.report import classification_metrics, format_report, plot_confusion_matrix, plot_misclassified
from digits.results import Failure


@dataclass(frozen=True)
class Evaluation:
    """What evaluating a labelled folder gave: the metrics, the report written, and the files skipped."""

    folder: Path
    model: Path
    images: int
    metrics: dict
    """``accuracy``, ``per_class`` and ``confusion_matrix``, as ``digits.report.classification_metrics`` gives them."""
    report: Path
    plots: tuple[Path, ...]
    text: str
    failures: tuple[Failure, ...]

    def to_json(self) -> dict:
        """The summary ``--evaluate --json`` prints."""
        return {
            "folder": str(self.folder),
            "model": str(self.model),
            "images": self.images,
            **self.metrics,
            "report": str(self.report),
            "plots": [str(plot) for plot in self.plots],
            "unreadable": [failure.message for failure in self.failures],
        }


def evaluate_folder(
    folder: Path, report_dir: Path, model_path: Path | None = None, quantized: bool = False
) -> Evaluation:
    """Predict every image of a labelled folder and write ``<report_dir>/<name>_report.txt`` with two PNGs.

    Unreadable files are skipped and listed in the result's ``failures``.
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
        plots = (
            plot_confusion_matrix(
                metrics["confusion_matrix"],
                report_path.with_name(f"{stem}_confusion_matrix.png"),
                f"Confusion matrix: {folder.name}",
            ),
            plot_misclassified(
                data.images,
                data.labels,
                predicted,
                probabilities.max(axis=1),
                report_path.with_name(f"{stem}_misclassified.png"),
            ),
        )
    except ImportError:  # the inference-only container has no matplotlib/seaborn: the text report still stands
        plots = ()
    header = [f"folder: {folder}", f"model: {predictor.path}"]
    if data.failures:
        header.append(f"unreadable files skipped: {len(data.failures)}")
    text = format_report(f"Evaluation of {folder.name}", metrics, header)
    write_text(report_path, text)
    return Evaluation(
        folder, predictor.path, int(len(data.labels)), metrics, report_path, plots, text, tuple(data.failures)
    )

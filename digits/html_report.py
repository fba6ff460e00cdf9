"""Self-contained report pages: one HTML file with its images embedded, that opens offline in any browser.

Used for a training run's ``report.html`` (``training_report``) and for the comparison of recipes that
``benchmarks/training.py`` writes (``page``, ``table``, ``figure``). Plain HTML and a little CSS; no scripts,
nothing fetched, so the page is the same on every machine and safe to open from anywhere.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from pathlib import Path

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5rem 0; } td, th { padding: 0.2rem 0.7rem; border: 1px solid #ddd; }
th { background: #f4f4f4; text-align: left; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9rem; } .note { color: #555; }
"""


def escape(value) -> str:
    return html.escape(str(value), quote=True)


def table(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """An HTML table; numbers are right-aligned, every cell escaped."""

    def cell(value) -> str:
        kind = ' class="number"' if isinstance(value, int | float) and not isinstance(value, bool) else ""
        return f"<td{kind}>{escape(value)}</td>"

    head = "".join(f"<th>{escape(name)}</th>" for name in header)
    body = "".join("<tr>" + "".join(cell(value) for value in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure(png: Path, caption: str) -> str:
    """A PNG embedded as a data URI (the page stays one file), with its caption."""
    data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(caption)}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def page(title: str, sections: Sequence[tuple[str, str]], note: str = "") -> str:
    """A whole page: the title, an optional note, then each (heading, HTML body) section."""
    parts = [f"<h2>{escape(heading)}</h2>{body}" for heading, body in sections]
    intro = f'<p class="note">{escape(note)}</p>' if note else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{intro}{''.join(parts)}</body></html>\n"
    )


def percent(value: float, places: int = 2) -> str:
    return f"{value:.{places}%}"


def training_report(
    summary: dict,
    settings: dict,
    test_metrics: dict,
    uncertainty: dict,
    images: dict[str, Path],
    files: dict[str, int],
) -> str:
    """The page of one training run.

    ``summary``: headline numbers (label -> value, already formatted); ``settings``: the recipe's settings;
    ``test_metrics``: ``digits.report.classification_metrics`` of the test set; ``uncertainty``: the threshold
    chosen on the validation set with the shares it flags; ``images``: caption -> PNG (curves, confusion
    matrix, misclassified digits); ``files``: model file name -> size in bytes.
    """
    per_class = [
        (name, round(row["precision"], 4), round(row["recall"], 4), round(row["f1"], 4), row["support"])
        for name, row in test_metrics["per_class"].items()
    ]
    threshold = uncertainty.get("min_confidence")
    if threshold is None:
        flags = "<p>No validation split, so no threshold was chosen; the reader uses its default.</p>"
    else:
        flags = (
            f"<p>Predictions less confident than <b>{threshold:.2f}</b> are marked <i>uncertain</i>. Chosen on the "
            "validation set as the threshold that best separates wrong answers from right ones; there it flags:</p>"
            + table(
                ["answers", "share flagged uncertain"],
                [
                    ("wrong answers", percent(uncertainty.get("wrong_flagged", 0.0), 1)),
                    ("right answers", percent(uncertainty.get("right_flagged", 0.0), 1)),
                ],
            )
        )
    sections = [
        ("Results", table(["measure", "value"], summary.items())),
        ("Settings", table(["setting", "value"], settings.items())),
        *((caption, figure(path, caption)) for caption, path in images.items()),
        (
            "Per-class precision, recall and F1 (test set)",
            table(["digit", "precision", "recall", "F1", "support"], per_class),
        ),
        ("Uncertainty threshold", flags),
        ("Model files", table(["file", "size (KB)"], [(name, round(size / 1024, 1)) for name, size in files.items()])),
    ]
    return page("Digit CNN: training report", sections, "Written by python CNN_model.py; opens offline.")

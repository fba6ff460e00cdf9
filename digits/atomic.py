"""Write files and folders so that an interrupted or failed run never leaves a half-written result.

Everything is written under a temporary name in the destination's own folder (same file system), then
renamed into place with ``os.replace``, which is atomic on POSIX and Windows.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

TEMP_PREFIX = ".tmp-"


@contextlib.contextmanager
def atomic_path(destination: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``destination``; on success rename it over ``destination``.

    The caller writes a file (or creates a folder) at the yielded path. If the block raises, the temporary
    file or folder is removed and ``destination`` is left exactly as it was.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    temp_dir = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{destination.name}-", dir=destination.parent))
    temp_path = temp_dir / destination.name
    try:
        yield temp_path
        if destination.is_dir() and not destination.is_symlink():
            # os.replace cannot replace a non-empty folder: move the old one aside first.
            old = temp_dir / (destination.name + ".old")
            os.replace(destination, old)
        os.replace(temp_path, destination)
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)


@contextlib.contextmanager
def staged_files(destination_dir: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder; when the block succeeds, move each file in it into ``destination_dir``.

    For a set of files that belong together (a model and its exports): if anything fails while they are
    written, none of the files already in ``destination_dir`` is replaced.
    """
    destination_dir = Path(destination_dir)
    destination_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}stage-", dir=destination_dir))
    try:
        yield stage
        for path in sorted(stage.iterdir()):
            os.replace(path, destination_dir / path.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_text(destination: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``destination`` atomically and return the destination path."""
    with atomic_path(destination) as temp:
        temp.write_text(text, encoding="utf-8")
    return Path(destination)


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Delete temporary folders that an interrupted run (killed, power lost) left in ``folder``."""
    folder = Path(folder)
    removed = []
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.name.startswith(TEMP_PREFIX) and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed

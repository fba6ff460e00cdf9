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


FAULT_ENV = "DIGITS_FAULT_AT"
"""Fault injection for the tests: when set to a step's name, the process dies (exit 137) at that step."""


def fault_point(step: str) -> None:
    """Die here, as a kill or power loss would, when ``DIGITS_FAULT_AT`` names this step (tests only)."""
    if os.environ.get(FAULT_ENV) == step:
        os._exit(137)


def fsync_tree(folder: Path) -> None:
    """Flush every file under ``folder``, then the folders themselves, to the disk."""
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        _fsync(path)
    _fsync(folder)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return result == 0


@contextlib.contextmanager
def replaced_folder(destination: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty folder beside ``destination``; when the block succeeds, it becomes ``destination`` whole.

    For a set of files that must never be seen mixed (a model, its exports, its metadata and reports): they are
    written into the new folder, flushed to disk (files, then the folder), and the new folder and the old one
    swap places in one atomic step (``renameat2`` exchange on Linux; elsewhere the old folder is renamed away
    first, and ``recover_folder`` puts it back if the process died in between). Entries of the old folder that
    the block did not write are kept (hard links). Killed at any step, the destination holds either the whole
    previous set or the whole new one. If the block raises, nothing changes.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    recover_folder(destination)
    temp_dir = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{destination.name}-", dir=destination.parent))
    new = temp_dir / destination.name
    new.mkdir()
    try:
        yield new
        carry_over(destination, new)
        fault_point("written")
        fsync_tree(new)
        fault_point("flushed")
        if destination.exists():
            if not exchange(new, destination):
                aside = _aside(destination)
                os.replace(destination, aside)
                fault_point("moved-aside")
                os.replace(new, destination)
        else:
            os.replace(new, destination)
        fault_point("switched")
        _fsync(destination.parent)
        fault_point("parent-flushed")
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)


def carry_over(old_dir: Path, new_dir: Path) -> None:
    """Hard-link (or copy) into ``new_dir`` what ``old_dir`` holds that the new set does not: nothing is lost
    when a run replaces the folder (another run saved in a sub-folder, a user's notes)."""
    if not old_dir.is_dir():
        return
    for entry in old_dir.iterdir():
        target = new_dir / entry.name
        if target.exists() or entry.name.startswith(TEMP_PREFIX):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, copy_function=_link_or_copy, symlinks=True)
        else:
            _link_or_copy(entry, target)


def _link_or_copy(source, target) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def _aside(destination: Path) -> Path:
    return destination.with_name(f"{TEMP_PREFIX}{destination.name}.previous")


def recover_folder(destination: str | os.PathLike) -> None:
    """Undo a switch that died between moving the old folder aside and moving the new one in."""
    destination = Path(destination)
    aside = _aside(destination)
    if aside.is_dir() and not destination.exists():
        os.replace(aside, destination)
    elif aside.is_dir():
        shutil.rmtree(aside, ignore_errors=True)


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

"""Writes that fail half-way never replace a good file or folder."""

import os
import subprocess
import sys

import pytest

from digits.atomic import atomic_path, recover_folder, remove_stale_temporaries, write_text


def test_failed_write_leaves_previous_file_untouched(tmp_path):
    target = write_text(tmp_path / "model.json", "good")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temp:
            temp.write_text("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_folder_is_replaced_whole(tmp_path):
    target = tmp_path / "reports"
    (target / "old").mkdir(parents=True)
    with atomic_path(target) as temp:
        (temp / "new").mkdir(parents=True)
    assert [p.name for p in target.iterdir()] == ["new"]


def test_stale_temporaries_are_removed(tmp_path):
    (tmp_path / ".tmp-x-123").mkdir()
    (tmp_path / "keep").mkdir()
    remove_stale_temporaries(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep"]


SWITCH_SCRIPT = """
import sys
from pathlib import Path
import digits.atomic as atomic
target, version, how = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
if how == "rename":  # the fallback where the platform cannot exchange two folders in one step
    atomic.exchange = lambda first, second: False
with atomic.replaced_folder(target) as new:
    for name in ("digits_cnn.tflite", "digits_cnn.json", "results.txt"):
        (new / name).write_text(version)
"""


def switch(target, version, how, fault=None):
    env = dict(os.environ)
    if fault:
        env["DIGITS_FAULT_AT"] = fault
    return subprocess.run(
        [sys.executable, "-c", SWITCH_SCRIPT, str(target), version, how], env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize("how", ["exchange", "rename"])
@pytest.mark.parametrize("step", ["written", "flushed", "moved-aside", "switched", "parent-flushed", None])
def test_a_run_killed_at_any_step_leaves_one_whole_run(tmp_path, how, step):
    target = tmp_path / "models"
    assert switch(target, "old", how).returncode == 0
    (target / "mine").mkdir()  # something of the user's that a run must not lose
    result = switch(target, "new", how, step)
    dies = step is not None and not (step == "moved-aside" and how == "exchange")  # no such step when exchanging
    assert result.returncode == (137 if dies else 0), result.stderr
    recover_folder(target)  # what the next run does first
    versions = {path.read_text() for path in target.iterdir() if path.is_file()}
    assert len(versions) == 1, versions  # never a new metadata file beside an old model
    assert sorted(p.name for p in target.iterdir() if p.is_file()) == [
        "digits_cnn.json",
        "digits_cnn.tflite",
        "results.txt",
    ]
    if step in (None, "switched", "parent-flushed"):
        assert versions == {"new"}
    if step in ("written", "flushed"):
        assert versions == {"old"}
    assert (target / "mine").is_dir()

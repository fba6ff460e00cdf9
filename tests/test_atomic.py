"""Writes that fail half-way never replace a good file or folder."""

import pytest

from digits.atomic import atomic_path, remove_stale_temporaries, write_text


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

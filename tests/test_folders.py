"""Loading labelled folders: any format, unreadable files skipped by name, a cache that notices changes."""

import os

import numpy as np
import pytest
from PIL import Image

from digits.errors import DigitsError
from digits.folders import find_split_folders, load_labelled_folder
from tests.conftest import write_labelled_folder
from tests.synthetic import synthetic_mnist


@pytest.fixture
def small_folder(tmp_path):
    images, labels = synthetic_mnist(per_class=3, seed=5)
    return write_labelled_folder(tmp_path / "digits", images, labels, ".png"), images, labels


def test_loads_images_with_labels_from_class_folders(small_folder):
    root, images, labels = small_folder
    data = load_labelled_folder(root, progress=False)
    assert data.images.shape == (30, 28, 28) and data.images.dtype == np.uint8
    assert np.array_equal(np.sort(data.labels), np.sort(labels))
    for path, label, image in zip(data.paths, data.labels, data.images):
        assert path.parent.name == str(label)
        assert np.array_equal(image, np.asarray(Image.open(path)))


def test_unreadable_files_are_named_skipped_and_counted(small_folder):
    root = small_folder[0]
    (root / "4" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0garbage")
    (root / "7" / "empty.png").write_bytes(b"")
    data = load_labelled_folder(root, progress=False)
    assert len(data.labels) == 30
    assert sorted(os.path.basename(str(f.path)) for f in data.failures) == ["broken.jpg", "empty.png"]


def test_blank_images_are_skipped_as_holding_no_digit(small_folder):
    root = small_folder[0]
    Image.new("L", (40, 40), 255).save(root / "2" / "blank.png")
    data = load_labelled_folder(root, progress=False)
    assert len(data.labels) == 30
    assert [f.message for f in data.failures] == [f"{root / '2' / 'blank.png'}: no digit found (blank image)"]


def test_zero_usable_images_is_an_error(tmp_path):
    (tmp_path / "set" / "3").mkdir(parents=True)
    (tmp_path / "set" / "3" / "bad.png").write_bytes(b"not a png")
    with pytest.raises(DigitsError, match="no usable images"):
        load_labelled_folder(tmp_path / "set", progress=False)


def test_folder_without_class_subfolders_is_an_error(tmp_path):
    (tmp_path / "cats").mkdir()
    with pytest.raises(DigitsError, match="sub-folders named 0, 1"):
        load_labelled_folder(tmp_path, progress=False)


def test_cache_is_reused_and_refreshed_when_the_folder_changes(small_folder, tmp_path, monkeypatch):
    root = small_folder[0]
    cache = tmp_path / "cache"
    first = load_labelled_folder(root, cache_dir=cache, progress=False)
    assert len(list(cache.glob("*.npz"))) == 1

    import digits.folders

    monkeypatch.setattr(digits.folders, "load_digit_array", lambda path: pytest.fail("decoded again"))
    second = load_labelled_folder(root, cache_dir=cache, progress=False)
    assert np.array_equal(first.images, second.images) and second.paths == first.paths
    monkeypatch.undo()

    Image.fromarray(synthetic_mnist(per_class=1, seed=9)[0][1]).save(root / "1" / "new.png")
    third = load_labelled_folder(root, cache_dir=cache, progress=False)
    assert len(third.labels) == 31 and not third.failures


def test_split_folders_accept_plain_and_mnist_names(tmp_path):
    for name in ("training", "MNIST - JPG - testing"):
        (tmp_path / name).mkdir()
    assert [p.name for p in find_split_folders(tmp_path)] == ["training", "MNIST - JPG - testing"]
    with pytest.raises(DigitsError, match="no 'MNIST - JPG - training' or 'training' folder"):
        find_split_folders(tmp_path / "elsewhere")

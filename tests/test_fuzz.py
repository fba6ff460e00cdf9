"""Fuzzing: mutated bytes of valid images of every format give a reading, "no digit found" or one named error.

Seeded, a few hundred cases here; many thousands in ``benchmarks/fuzz.py``. The CLI answers each file with a
line and exits 0 or 1, never a traceback; the service answers 200, 400 or 413, never 500.
"""

import asyncio

import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digits.errors import DigitsError
from digits.images import read_gray_bytes
from digits.predict import load_predictor, predict_gray
from tests.conftest import run_script
from tests.fuzz_support import huge_png, mutate, seed_images

SEEDS = seed_images()


@pytest.fixture(scope="module")
def predictor():
    return load_predictor()


def test_the_seeds_cover_every_format():
    formats = {name.rsplit(".", 1)[1] for name, _ in SEEDS}
    assert formats == {"png", "jpeg", "tiff", "gif", "bmp", "webp"}


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, len(SEEDS) - 1), mutation=st.integers(0, 2**32 - 1))
def test_mutated_image_is_read_or_refused_with_one_named_error(predictor, seed, mutation):
    name, data = SEEDS[seed]
    body = mutate(data, np.random.default_rng(mutation))
    try:
        gray, _ = read_gray_bytes(body, name)
        predict_gray(predictor, gray, name)
    except DigitsError as error:
        message = str(error)
        assert message.startswith(f"{name}: ") and "\n" not in message


def test_service_never_answers_500_to_mutated_images():
    from digits.service import create_app

    app = create_app(max_body_bytes=200_000)
    rng = np.random.default_rng(7)
    bodies = [mutate(data, rng) for _, data in SEEDS for _ in range(3)] + [huge_png(), b"", b"\x00" * 300_000]

    async def send_all():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            statuses = []
            for index, body in enumerate(bodies):
                url = "/predict?number=1" if index % 2 else "/predict"
                statuses.append((await client.post(url, content=body)).status_code)
            return statuses

    statuses = asyncio.run(send_all())
    assert set(statuses) <= {200, 400, 413}, sorted(set(statuses))
    assert 400 in statuses and 200 in statuses


def test_cli_reads_a_folder_of_mutated_images_without_a_traceback(tmp_path):
    rng = np.random.default_rng(11)
    names = []
    for index, (name, data) in enumerate(SEEDS[:40]):
        path = tmp_path / f"{index:02d}-{name}"
        path.write_bytes(mutate(data, rng))
        names.append(path)
    (tmp_path / "huge.png").write_bytes(huge_png())
    result = run_script("CNN_usage.py", str(tmp_path))
    assert result.returncode in (0, 1)
    assert "Traceback" not in result.stderr
    others = [line for line in result.stderr.splitlines() if not line.startswith("error: ")]
    assert all(line.endswith("inputs could not be read") for line in others), others
    answered = [line.split(": ", 1)[0] for line in result.stdout.splitlines()]
    refused = [line.split(": ", 2)[1] for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert sorted(answered + refused) == sorted(str(p) for p in [*names, tmp_path / "huge.png"])

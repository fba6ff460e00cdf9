"""Hostile files and settings found in review: each gets one named error, bounded work, never a traceback or 500."""

import asyncio
import io
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest
from PIL import Image

from digits.arrays import label_components
from digits.errors import DigitsError
from digits.folders import load_labelled_folder
from digits.images import read_gray, read_gray_bytes
from digits.numbers import TooManyDigits, segment_number
from tests.conftest import ROOT, run_script

SAMPLES = ROOT / "data" / "samples"


def lab_tiff(path):
    """A valid CIELab TIFF: Pillow opens it but cannot convert it to grey."""
    Image.new("LAB", (40, 40), (50, 0, 0)).save(path, format="TIFF")
    return path


def dot_grid(spacing=20, dot=3, size=(600, 800)) -> np.ndarray:
    grid = np.full(size, 255, np.uint8)
    for y in range(10, size[0], spacing):
        for x in range(10, size[1], spacing):
            grid[y : y + dot, x : x + dot] = 0
    return grid


def test_unconvertible_image_mode_is_one_named_error(tmp_path):
    path = lab_tiff(tmp_path / "lab.tif")
    with pytest.raises(DigitsError, match=r"lab\.tif: .*convert"):
        read_gray(path)


def test_cli_batch_goes_on_past_an_unconvertible_image(tmp_path):
    path = lab_tiff(tmp_path / "lab.tif")
    result = run_script("CNN_usage.py", str(path), str(SAMPLES / "7.jpg"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        line for line in result.stderr.splitlines() if "lab.tif" in line
    ]
    assert f"{SAMPLES / '7.jpg'}: 7 " in result.stdout


def test_folder_loading_skips_an_unconvertible_image(tmp_path):
    (tmp_path / "3").mkdir()
    Image.open(SAMPLES / "3.jpg").save(tmp_path / "3" / "good.png")
    lab_tiff(tmp_path / "3" / "lab.tif")
    data = load_labelled_folder(tmp_path)
    assert len(data.labels) == 1 and len(data.failures) == 1 and "lab.tif" in data.failures[0].message


def test_dot_grid_is_refused_as_too_many_digits():
    with pytest.raises(TooManyDigits, match="more than 10 digits"):
        segment_number(dot_grid())


def test_cli_number_on_a_dot_grid_is_one_error_line(tmp_path):
    Image.fromarray(dot_grid(spacing=40, dot=8)).save(tmp_path / "grid.png")
    result = run_script("CNN_usage.py", "--number", str(tmp_path / "grid.png"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (
        result.stderr.splitlines()[0]
        == f"error: {tmp_path / 'grid.png'}: more than 10 digits (300 separate marks); not one number"
    )


def test_components_match_a_reference_on_random_masks():
    # The vectorised labelling against a plain flood fill, on masks with many small parts and long snakes.
    rng = np.random.default_rng(1)
    for density in (0.1, 0.4, 0.6):
        mask = rng.random((40, 50)) < density
        labels, count = label_components(mask)
        assert count == flood_fill_count(mask)
        assert (labels > 0).sum() == mask.sum()
        for a, b in zip(*np.nonzero(mask[:-1, :-1] & mask[1:, 1:])):  # diagonal neighbours share a label
            assert labels[a, b] == labels[a + 1, b + 1]


def flood_fill_count(mask: np.ndarray) -> int:
    seen = np.zeros_like(mask)
    count = 0
    for start in zip(*np.nonzero(mask)):
        if seen[start]:
            continue
        count += 1
        stack = [start]
        seen[start] = True
        while stack:
            y, x = stack.pop()
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < mask.shape[0] and 0 <= nx < mask.shape[1] and mask[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        stack.append((ny, nx))
    return count


def test_huge_image_is_read_at_reduced_size_with_boxes_in_its_own_pixels(tmp_path):
    # A 7900x7900 RGBA PNG (a few hundred KB): decoded at reduced size, boxes reported in the image's pixels.
    canvas = Image.new("RGBA", (7900, 7900), (0, 0, 0, 0))
    digit = Image.open(SAMPLES / "4.jpg").convert("L").resize((2800, 2800))
    ink = Image.new("RGBA", digit.size, (0, 0, 0, 255))
    canvas.paste(ink, (2000, 2500), digit)
    canvas.save(tmp_path / "big.png")
    gray, scale = read_gray(tmp_path / "big.png")
    assert max(gray.shape) <= 2048 and scale > 3.8
    result = run_script("CNN_usage.py", "--number", "--json", str(tmp_path / "big.png"))
    assert result.returncode == 0, result.stderr
    box = __import__("json").loads(result.stdout)["digits"][0]["box"]
    assert 1900 < box[0] < 3500 and 2400 < box[1] < 4000 and box[2] > 3500


@pytest.mark.parametrize("value", ["abc", "-5", "0"])
def test_bad_service_setting_is_one_line_naming_the_variable(value):
    env = {**__import__("os").environ, "DIGITS_MAX_BODY_BYTES": value}
    result = subprocess.run(
        [sys.executable, str(ROOT / "CNN_usage.py"), "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: DIGITS_MAX_BODY_BYTES={value!r}: " + result.stderr.split(": ", 2)[2].strip()
    ]
    assert "Traceback" not in result.stderr


def test_service_answers_400_for_an_unconvertible_image(tmp_path):
    from digits.service import create_app

    body = lab_tiff(tmp_path / "lab.tif").read_bytes()
    response = asyncio.run(post(create_app(), body))
    assert response.status_code == 400 and "convert" in response.json()["error"]


def test_service_number_on_a_dot_grid_is_400():
    from digits.service import create_app

    buffer = io.BytesIO()
    Image.fromarray(dot_grid()).save(buffer, format="PNG")
    response = asyncio.run(post(create_app(), buffer.getvalue(), "/predict?number=1"))
    assert response.status_code == 400 and "more than 10 digits" in response.json()["error"]


def test_service_keeps_a_bounded_number_of_images_in_flight(monkeypatch):
    import digits.service as service

    real = service.read_gray_bytes

    def slow(data, name, max_side):
        time.sleep(0.5)
        return real(data, name, max_side)

    monkeypatch.setattr(service, "read_gray_bytes", slow)
    monkeypatch.setattr(service, "QUEUE_WAIT_SECONDS", 0.1)
    app = service.create_app(max_in_flight=1)
    body = (SAMPLES / "7.jpg").read_bytes()

    async def burst():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(*(client.post("/predict", content=body) for _ in range(3)))

    responses = asyncio.run(burst())
    assert sorted(response.status_code for response in responses) == [200, 503, 503]
    busy = [response for response in responses if response.status_code == 503]
    assert all(response.headers["retry-after"] == "1" and "busy" in response.json()["error"] for response in busy)


async def post(app, body: bytes, url: str = "/predict") -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(url, content=body)


def test_read_gray_bytes_names_the_upload():
    with pytest.raises(DigitsError, match="^body: "):
        read_gray_bytes(b"GIF89a" + b"\x00" * 20, "body")


def test_a_huge_image_in_flight_does_not_hold_up_small_ones(monkeypatch):
    import digits.service as service

    real = service.read_gray_bytes
    finished = []

    def tracked(data, name, max_side):
        huge = service.declared_pixels(data) > service.HEAVY_PIXELS
        if huge:  # decoding a really huge image takes a while
            time.sleep(1.5)
        result = real(data, name, max_side)
        finished.append("huge" if huge else "small")
        return result

    monkeypatch.setattr(service, "read_gray_bytes", tracked)
    app = service.create_app(max_in_flight=1)
    buffer = io.BytesIO()
    Image.new("L", (3000, 2000), 255).save(buffer, format="PNG")  # 6 megapixels (a few KB), over HEAVY_PIXELS
    huge, small = buffer.getvalue(), (SAMPLES / "7.jpg").read_bytes()

    async def mixed():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30) as client:
            first = asyncio.create_task(client.post("/predict", content=huge))
            await asyncio.sleep(0.2)
            rest = await asyncio.gather(*(client.post("/predict", content=small) for _ in range(3)))
            return [await first, *rest]

    responses = asyncio.run(mixed())
    assert [response.status_code for response in responses] == [200, 200, 200, 200]
    assert finished == ["small", "small", "small", "huge"]  # the small ones did not wait for the huge one

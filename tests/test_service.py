"""The HTTP service, over loopback, in a real server process (python CNN_usage.py serve)."""

import io
import json
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.conftest import ROOT, png_header_only
from tests.synthetic import PhotoSettings, photo_of_digits, save_photo, tight_glyph

LIMIT = 200_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, *args: str) -> subprocess.Popen:
    command = [sys.executable, str(ROOT / "CNN_usage.py"), "serve", "--port", str(port), *args]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read())
    process.kill()
    raise RuntimeError("the server did not start within 30 s")


@pytest.fixture(scope="module")
def server():
    port = free_port()
    process = start_server(port, "--max-body-bytes", str(LIMIT), "--workers", "1")
    yield f"http://127.0.0.1:{port}"
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=15)


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def digit_png():
    glyph = np.pad(tight_glyph(3, np.random.default_rng(5)), 20)
    return png_bytes(255 - glyph)  # dark ink on white paper


def test_health(server):
    answer = httpx.get(f"{server}/health").json()
    assert answer["status"] == "ok" and answer["model"].endswith(".tflite")


def test_predict_raw_body_and_multipart_agree(server, digit_png):
    raw = httpx.post(f"{server}/predict", content=digit_png, headers={"Content-Type": "image/png"})
    form = httpx.post(f"{server}/predict", files={"file": ("three.png", digit_png, "image/png")})
    assert raw.status_code == form.status_code == 200
    assert raw.json() == form.json()
    answer = raw.json()
    assert set(answer) == {"digit", "confidence", "probabilities", "uncertain"}
    assert answer["digit"] == int(np.argmax(answer["probabilities"])) and len(answer["probabilities"]) == 10


def test_predict_number(server, tmp_path):
    rng = np.random.default_rng(7)
    settings = PhotoSettings(canvas=(900, 260), digit_height=0.4, mode="RGB")
    image, boxes = photo_of_digits([tight_glyph(int(d), rng) for d in "2041"], settings, rng)
    save_photo(image, tmp_path / "n.jpg", settings)
    answer = httpx.post(f"{server}/predict?number=1", content=(tmp_path / "n.jpg").read_bytes()).json()
    assert len(answer["number"]) == 4 and len(answer["digits"]) == 4
    assert all(len(digit["box"]) == 4 for digit in answer["digits"])


def test_blank_image_is_no_digit_not_an_error(server):
    answer = httpx.post(f"{server}/predict", content=png_bytes(np.full((100, 100), 240, np.uint8)))
    assert answer.status_code == 200 and answer.json() == {"digit": None, "no_digit": True}


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"hello, this is text", "not an image"),
        (b"", "empty file"),
        (b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, "body: "),
        (png_header_only(12_000, 12_000), "decompression bomb"),
    ],
    ids=["text", "empty", "corrupt-jpeg", "bomb"],
)
def test_bad_input_is_400_with_a_json_error(server, body, problem):
    answer = httpx.post(f"{server}/predict", content=body)
    assert answer.status_code == 400 and problem in answer.json()["error"]


def test_truncated_image_is_400(server, digit_png):
    answer = httpx.post(f"{server}/predict", files={"file": ("cut.png", digit_png[: len(digit_png) // 2], "image/png")})
    assert answer.status_code == 400 and answer.json()["error"].startswith("cut.png: ")


def test_multipart_without_file_field_is_400(server):
    answer = httpx.post(f"{server}/predict", files={"picture": ("x.png", b"123", "image/png")})
    assert answer.status_code == 400 and "no file field" in answer.json()["error"]


def test_body_over_the_limit_is_413(server):
    declared = httpx.post(f"{server}/predict", content=b"\0" * (LIMIT + 1))
    assert declared.status_code == 413 and "limit" in declared.json()["error"]

    def chunks():  # no Content-Length: the server must count as it reads
        for _ in range(40):
            yield b"\0" * 10_000

    streamed = httpx.post(f"{server}/predict", content=chunks())
    assert streamed.status_code == 413


def test_200_concurrent_requests_are_all_answered(server, digit_png):
    expected = httpx.post(f"{server}/predict", content=digit_png).json()
    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=16)) as client:

        def call(_):
            return client.post(f"{server}/predict", content=digit_png)

        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(call, range(200)))
    assert [a.status_code for a in answers] == [200] * 200
    assert all(a.json() == expected for a in answers)


def test_page_and_openapi_are_served(server):
    page = httpx.get(f"{server}/")
    assert page.status_code == 200 and "<canvas" in page.text and "predict" in page.text
    spec = httpx.get(f"{server}/openapi.json").json()
    assert {"/predict", "/health", "/"} <= set(spec["paths"])
    assert "multipart/form-data" in json.dumps(spec["paths"]["/predict"])
    # /docs describes every answer: the three shapes of a reading and the error of a bad request.
    assert {"DigitAnswer", "NoDigitAnswer", "NumberAnswer", "BoxedDigit", "ErrorAnswer"} <= set(
        spec["components"]["schemas"]
    )
    responses = spec["paths"]["/predict"]["post"]["responses"]
    assert {"200", "400", "413", "503"} <= set(responses)
    assert "ErrorAnswer" in json.dumps(responses["400"])


@pytest.mark.parametrize("number", [False, True])
def test_service_and_command_line_give_the_same_json(server, tmp_path, number):
    """One result type for both: the CLI's --json line is the service's answer with the path in front."""
    rng = np.random.default_rng(11)
    settings = PhotoSettings(canvas=(700, 260), digit_height=0.45, mode="RGB")
    image, _ = photo_of_digits([tight_glyph(int(d), rng) for d in ("907" if number else "4")], settings, rng)
    save_photo(image, tmp_path / "in.png", settings)
    query = "?number=1" if number else ""
    served = httpx.post(f"{server}/predict{query}", content=(tmp_path / "in.png").read_bytes()).json()
    flags = ["--json", "--number"] if number else ["--json"]
    command = [sys.executable, str(ROOT / "CNN_usage.py"), *flags, str(tmp_path / "in.png")]
    printed = json.loads(subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout)
    assert printed == {"path": str(tmp_path / "in.png"), **served}


def test_sigterm_shuts_down_gracefully():
    port = free_port()
    process = start_server(port)
    process.send_signal(signal.SIGTERM)
    # uvicorn finishes open requests, shuts down, then re-raises SIGTERM so the exit status reports it.
    assert process.wait(timeout=15) in (0, -signal.SIGTERM)
    assert "Traceback" not in process.stderr.read()


def test_bad_model_fails_fast_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "CNN_usage.py"), "serve", "--model", str(tmp_path / "missing.tflite")],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert result.returncode == 1 and result.stderr.startswith("error: ") and "model file not found" in result.stderr

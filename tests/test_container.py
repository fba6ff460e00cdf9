"""The Docker image, built and run for real: the CLI over mounted files, and the HTTP service.

Uses whatever ``docker`` is on PATH (``.ci/run`` puts the drop-in of ../shared/container first when it exists).
Where no container engine can run, the tests are skipped with the reason, never passed silently.
"""

import json
import os
import shutil
import subprocess
import time

import httpx
import pytest

from tests.conftest import ROOT, run_script, skip_or_fail
from tests.test_service import free_port

IMAGE = "digits-test:latest"


def docker(*args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    # BUILDAH_FORMAT: podman-based engines keep HEALTHCHECK only in Docker's image format; Docker ignores it.
    env = {**os.environ, "BUILDAH_FORMAT": "docker"}
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=check, cwd=ROOT, env=env
    )


@pytest.fixture(scope="module")
def image():
    if shutil.which("docker") is None:
        skip_or_fail("no docker command on PATH: container not tested")
    try:
        built = docker("build", "-t", IMAGE, ".", check=False)
    except subprocess.TimeoutExpired:
        skip_or_fail("docker build took over 10 minutes: container not tested")
    if built.returncode != 0:
        if "Cannot connect" in built.stderr or "daemon" in built.stderr or "not supported" in built.stderr:
            skip_or_fail(f"no container engine can run here: {built.stderr.strip().splitlines()[-1]}")
        pytest.fail(f"docker build failed:\n{built.stderr[-3000:]}")
    return IMAGE


def test_cli_in_the_container_prints_what_cnn_usage_prints(image):
    samples = ROOT / "data" / "samples"
    inside = docker("run", "--rm", "-v", f"{samples}:/in:ro", image, "/in/7.jpg", "/in/3.jpg", "--top-k", "2")
    outside = run_script("CNN_usage.py", str(samples / "7.jpg"), str(samples / "3.jpg"), "--top-k", "2")
    assert inside.stdout.replace("/in/", "") == outside.stdout.replace(f"{samples}/", "")
    assert inside.stdout.startswith("/in/7.jpg: 7 (")


def test_json_folder_number_and_evaluate_in_the_container(image, tmp_path):
    samples = ROOT / "data" / "samples"
    folder = docker("run", "--rm", "-v", f"{samples}:/in:ro", image, "/in", "--json")
    records = [json.loads(line) for line in folder.stdout.splitlines()]
    assert [r["digit"] for r in records] == list(range(10))

    labelled = tmp_path / "labelled"
    for digit in range(10):
        (labelled / str(digit)).mkdir(parents=True)
        shutil.copy(samples / f"{digit}.jpg", labelled / str(digit) / "a.jpg")
    evaluation = docker(
        "run", "--rm", "-v", f"{labelled}:/in:ro", image, "--evaluate", "/in", "--json", "--report-dir", "/tmp/reports"
    )
    assert json.loads(evaluation.stdout)["accuracy"] == 1.0

    number = docker("run", "--rm", "-v", f"{samples}:/in:ro", image, "--number", "/in/5.jpg")
    assert number.stdout.startswith("/in/5.jpg: 5")


def test_bad_input_in_the_container_is_one_line_and_exit_1(image, tmp_path):
    (tmp_path / "notes.jpg").write_text("not a picture")
    tmp_path.chmod(0o755)  # readable by the image's non-root user
    (tmp_path / "notes.jpg").chmod(0o644)
    result = docker("run", "--rm", "-v", f"{tmp_path}:/in:ro", image, "/in/notes.jpg", check=False)
    assert result.returncode == 1
    # Only our own lines: an engine may add its own notices to stderr (podman's about systemd healthchecks).
    ours = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert ours == ["error: /in/notes.jpg: not an image, or an image format that cannot be read"], result.stderr


def test_unreadable_file_in_the_container_is_one_line(image, tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)  # owned by this user: the container's user 10001 may not read it
    shutil.copy(ROOT / "data/samples/1.jpg", private / "1.jpg")
    tmp_path.chmod(0o755)
    result = docker("run", "--rm", "-v", f"{tmp_path}:/in:ro", image, "/in/private/1.jpg", "/in/private", check=False)
    ours = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert ours == [
        "error: /in/private/1.jpg: cannot be read (permission denied)",
        "error: /in/private: cannot be read (permission denied)",
    ]


def test_service_in_the_container(image):
    port = free_port()
    started = docker("run", "-d", "--rm", "-p", f"{port}:{port}", "-e", f"DIGITS_PORT={port}", image, "serve")
    container = started.stdout.strip()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, docker("logs", container, check=False).stderr
                time.sleep(0.3)
        assert health.json()["status"] == "ok"
        answer = httpx.post(f"http://127.0.0.1:{port}/predict", content=(ROOT / "data/samples/4.jpg").read_bytes())
        assert answer.status_code == 200 and answer.json()["digit"] == 4
        assert httpx.post(f"http://127.0.0.1:{port}/predict", content=b"nope").status_code == 400
        inspected = json.loads(docker("image", "inspect", image).stdout)[0]
        check = (inspected["Config"].get("Healthcheck") or inspected.get("Healthcheck"))["Test"]  # Docker, podman
        assert check[0] == "CMD"
        probe = docker(
            "run", "--rm", "-e", f"DIGITS_PORT={port}", "--entrypoint", check[1], image, *check[2:], check=False
        )
        assert probe.returncode == 0, probe.stderr  # the image's own HEALTHCHECK passes against the running service
    finally:
        docker("stop", "-t", "10", container, check=False)


def test_image_runs_as_a_non_root_user_without_tensorflow(image):
    config = json.loads(docker("image", "inspect", image).stdout)[0]["Config"]
    assert config["User"] not in ("", "root", "0")
    assert config["Labels"]["org.opencontainers.image.version"]
    whoami = docker(
        "run",
        "--rm",
        "--entrypoint",
        "python",
        image,
        "-c",
        "import os, pathlib, importlib.util as u; package = pathlib.Path('/app/digits'); "
        "print(os.getuid(), u.find_spec('tensorflow'), (package / 'predict.py').exists(), (package / 'training').exists(), "
        "any((package / '__pycache__').glob('preprocess.cpython-*.pyc')))",
    )
    # No TensorFlow, no training code, and the code's bytecode compiled at build time: each run is a cold start.
    assert whoami.stdout.split() == ["10001", "None", "True", "False", "True"]

"""The drawing page in a real browser: headless Chromium draws a digit and reads the prediction shown."""

import shutil
import signal

import pytest

from tests.conftest import skip_or_fail
from tests.test_service import free_port, start_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    import playwright.sync_api as playwright
except ImportError:
    skip_or_fail("playwright is not installed (requirements-dev.txt)", allow_module_level=True)
if CHROMIUM is None:
    skip_or_fail(
        "no Chromium on this machine (Debian package 'chromium'); browser test not run", allow_module_level=True
    )

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def page():
    port = free_port()
    server = start_server(port)
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        tab = browser.new_page()
        tab.goto(f"http://127.0.0.1:{port}/")
        yield tab
        browser.close()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=15)


FINAL_ANSWER = "!drawing && !pending && !again && !timer && document.getElementById('answer').textContent !== '?'"
"""The page reads the pad while it is drawn on (every 150 ms) and once more when the pen lifts: wait for that last
answer, not the first one, which on a busy machine can be of half a digit."""


def draw(tab, points):
    box = tab.locator("#pad").bounding_box()
    tab.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    tab.mouse.down()
    for x, y in points[1:]:
        tab.mouse.move(box["x"] + x, box["y"] + y, steps=8)
    tab.mouse.up()


def test_drawing_a_one_shows_1_with_ten_bars(page):
    draw(page, [(140, 40), (140, 240)])
    page.wait_for_function(FINAL_ANSWER, timeout=10_000)
    assert page.inner_text("#answer") == "1"
    assert page.locator("#bars .bar").count() == 10
    assert "sure" in page.inner_text("#detail")
    assert page.locator("#correct").is_hidden()  # no --collect: no correction buttons


def test_drawing_a_seven_and_clearing(page):
    page.click("#clear")
    assert page.inner_text("#answer") == "?"
    draw(page, [(70, 60), (210, 60), (120, 240)])
    page.wait_for_function(FINAL_ANSWER, timeout=10_000)
    assert page.inner_text("#answer") == "7"


def test_training_report_renders_offline_with_its_images(page, trained_model_dir):
    """report.html of a real training run, opened from disk: its three images decode and are drawn."""
    report = trained_model_dir / "report.html"
    context = page.context.browser.new_context()
    tab = context.new_page()
    tab.goto(report.as_uri())
    assert tab.inner_text("h1") == "Digit CNN: training report"
    widths = tab.eval_on_selector_all("img", "images => images.map(i => i.complete ? i.naturalWidth : 0)")
    assert len(widths) == 3 and all(width > 100 for width in widths)
    assert tab.locator("table").count() >= 4 and "93,322" in tab.inner_text("body")
    context.close()


def test_photo_of_a_number_shows_boxes_inputs_and_takes_a_correction(page, tmp_path):
    """Upload a photo: a box around each digit, the digits with the 28x28 the network saw; a correction clicked
    under one of them is stored in the --collect folder."""
    import numpy as np

    from tests.synthetic import PhotoSettings, photo_of_digits, save_photo, tight_glyph

    rng = np.random.default_rng(12)
    settings = PhotoSettings(canvas=(900, 300), digit_height=0.45, mode="RGB")
    image, _ = photo_of_digits([tight_glyph(int(d), rng) for d in "381"], settings, rng)
    save_photo(image, tmp_path / "number.jpg", settings)
    collected = tmp_path / "mine"
    port = free_port()
    server = start_server(port, "--collect", str(collected))
    try:
        context = page.context.browser.new_context()  # the module's browser, a fresh context for this server
        tab = context.new_page()
        tab.goto(f"http://127.0.0.1:{port}/")
        tab.wait_for_function("collecting === true", timeout=10_000)
        tab.set_input_files("#file", str(tmp_path / "number.jpg"))
        tab.wait_for_function("document.querySelectorAll('#photo-digits .read').length === 3", timeout=15_000)
        assert tab.locator("#photo-view .box").count() == 3
        assert tab.inner_text("#photo-answer").startswith("number: ")
        seen = tab.eval_on_selector_all("#photo-digits .read img", "images => images.map(i => i.naturalWidth)")
        assert seen == [28, 28, 28]
        tab.locator("#photo-digits .read").nth(2).locator("button[data-digit='7']").click()
        tab.wait_for_function(
            "document.querySelectorAll('#photo-digits .read')[2].textContent.includes('stored as')", timeout=10_000
        )
        context.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)
    assert len([p for p in (collected / "7").glob("*.png") if ".original" not in p.name]) == 1

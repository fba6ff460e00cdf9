"""The HTTP service: ``POST /predict`` (an image -> JSON), ``GET /health``, ``GET /`` (a page to draw a digit on).

FastAPI on uvicorn. One model is loaded per worker process and shared by all requests (``Predictor`` is
thread-safe); decoding and inference run in the thread pool, so the event loop stays free. Request bodies
over ``MAX_BODY_BYTES`` are refused with 413 before they are read whole; bad images get 400 with a JSON error
naming the problem; a blank image is not an error (``"digit": null``). OpenAPI at ``/docs`` and ``/openapi.json``.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from PIL import Image
from starlette.requests import ClientDisconnect

from digits import __version__
from digits.errors import DigitsError
from digits.images import read_gray_bytes
from digits.predict import Prediction, default_min_confidence, load_predictor, predict_gray, read_number_gray

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_IN_FLIGHT = 4
"""Images up to ``HEAVY_PIXELS`` read at once by one worker: enough to keep its threads busy, few enough to bound
its memory (about 30 MB each at most)."""
HEAVY_PIXELS = 4_000_000
"""Images over this many pixels are decoded one at a time per worker, at background priority (``nice``)."""
HEAVY_NICENESS = 10
"""How much lower the heavy-image thread runs: the kernel then gives small requests about ten times its share."""
QUEUE_WAIT_SECONDS = 10.0
"""How long a request waits for a turn before the answer is 503 (busy) with Retry-After."""
PAGE = Path(__file__).with_name("static") / "index.html"
ENVIRONMENT = {
    "model": "DIGITS_MODEL",
    "quantized": "DIGITS_QUANTIZED",
    "max_body": "DIGITS_MAX_BODY_BYTES",
    "max_in_flight": "DIGITS_MAX_IN_FLIGHT",
}


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Answer 413 to a request body over ``max_bytes``: at once from Content-Length, or as soon as a chunked
    body goes past the limit, without reading the rest."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send)
        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send):
        body = json.dumps({"error": f"request body over the limit of {self.max_bytes:,} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


def prediction_json(prediction: Prediction) -> dict:
    if prediction.digit is None:
        return {"digit": None, "no_digit": True}
    return {
        "digit": prediction.digit,
        "confidence": round(prediction.confidence, 6),
        "probabilities": [round(p, 6) for p in prediction.probabilities],
        "uncertain": prediction.uncertain,
    }


IMAGE_BODY = {"schema": {"type": "string", "format": "binary"}}
PREDICT_DOCS = {
    "requestBody": {
        "required": True,
        "description": "An image (PNG, JPEG, ...): as a multipart upload in a field named `file`, or as the raw body.",
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            },
            "image/*": IMAGE_BODY,
            "application/octet-stream": IMAGE_BODY,
        },
    }
}


def create_app(
    model_path: Path | None = None,
    quantized: bool = False,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_in_flight: int = MAX_IN_FLIGHT,
) -> FastAPI:
    """The service, with its model loaded (the committed one by default).

    At most ``max_in_flight`` images, and one image over ``HEAVY_PIXELS`` besides, are read at once per worker
    (bounding its memory, see README); further requests wait up to ``QUEUE_WAIT_SECONDS`` for a turn, then get
    503 with ``Retry-After``. Heavy images are decoded at background priority, so small ones keep their latency.
    """
    predictor = load_predictor(model_path, quantized, threads=1)
    in_flight = asyncio.Semaphore(max_in_flight)
    heavy_slots = asyncio.Semaphore(1)  # images over HEAVY_PIXELS: one at a time, the memory hogs
    heavy_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="heavy-image", initializer=lower_priority)
    threshold = default_min_confidence(predictor.path)
    app = FastAPI(
        title="Handwritten digit reader",
        version=__version__,
        description="Reads handwritten digits and numbers from images with a compact CNN trained on MNIST.",
    )

    @app.exception_handler(DigitsError)
    async def bad_input(request: Request, error: DigitsError):
        return JSONResponse({"error": str(error)}, status_code=400)

    @app.get("/health", summary="Liveness and the model in use")
    async def health() -> dict:
        return {"status": "ok", "model": predictor.path.name, "version": __version__, "min_confidence": threshold}

    @app.get("/", response_class=HTMLResponse, summary="A page to draw a digit on and see the prediction live")
    async def page() -> str:
        return PAGE.read_text(encoding="utf-8")

    @app.post(
        "/predict",
        summary="Read the digit (or, with number=1, the whole number) in an image",
        openapi_extra=PREDICT_DOCS,
    )
    async def predict(
        request: Request, number: bool = Query(False, description="read all the digits of a number written in one line")
    ) -> dict:
        data, name = await image_from_request(request)
        heavy = declared_pixels(data) > HEAVY_PIXELS
        slots = heavy_slots if heavy else in_flight
        try:
            await asyncio.wait_for(slots.acquire(), timeout=QUEUE_WAIT_SECONDS)
        except TimeoutError:
            what = "a very large image is" if heavy else f"{max_in_flight} images are"
            return JSONResponse(
                {"error": f"busy: {what} already being read by this worker; try again shortly"},
                status_code=503,
                headers={"Retry-After": "1"},
            )
        try:
            if heavy:  # decoded and read entirely by the background-priority thread
                return await asyncio.wrap_future(heavy_pool.submit(answer, data, name, number))
            return await run_in_threadpool(answer, data, name, number)
        finally:
            slots.release()

    def answer(data: bytes, name: str, number: bool) -> dict:
        """Decode, preprocess and predict in one worker thread (one hop off the event loop per request)."""
        try:
            return _answer(data, name, number)
        except DigitsError:
            raise
        except Exception as error:  # whatever a hostile image trips on is still a bad image: 400, never 500
            raise DigitsError(f"{name}: this image cannot be processed ({type(error).__name__})") from None

    def _answer(data: bytes, name: str, number: bool) -> dict:
        gray, scale = read_gray_bytes(data, name)
        if number:
            reading = read_number_gray(predictor, gray, Path(name), threshold, scale)
            digits = [{**prediction_json(p), "box": list(box)} for p, box in zip(reading.digits, reading.boxes)]
            return {"number": reading.text or None, "uncertain": reading.uncertain, "digits": digits}
        return prediction_json(predict_gray(predictor, gray, Path(name), threshold))

    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    return app


def declared_pixels(data: bytes) -> int:
    """Width x height an image declares in its header (0 when it has none): read without decoding pixels."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                return image.width * image.height
    except Exception:  # not an image, or a header Pillow refuses: the decoder will name the problem
        return 0


def lower_priority() -> None:
    """Run this thread at background priority (Linux: threads have their own nice value); ignored elsewhere."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HEAVY_NICENESS)
    except (AttributeError, OSError):
        pass


async def image_from_request(request: Request) -> tuple[bytes, str]:
    """The uploaded image's bytes and a name for errors: the multipart ``file`` field, or the raw body."""
    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise DigitsError("upload: the multipart form has no file field named 'file'")
            return await upload.read(), upload.filename or "upload"
        return await request.body(), "body"
    except ClientDisconnect:  # the client left before sending its whole body: nothing to answer, nothing to log
        raise DigitsError("body: the client disconnected before sending the whole image") from None


def env_int(name: str, default: int, minimum: int = 1) -> int:
    """A whole-number setting from the environment; a bad value is a one-line DigitsError naming the variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise DigitsError(f"{name}={raw!r}: not a whole number") from None
    if value < minimum:
        raise DigitsError(f"{name}={raw!r}: must be at least {minimum}")
    return value


def env_flag(name: str) -> bool:
    """A yes/no setting: 1, true, yes, on (any case) switch it on; empty, 0, false, no, off switch it off."""
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise DigitsError(f"{name}={raw!r}: not a yes/no value (use 1 or 0)")


def settings_from_environment() -> dict:
    """The service's settings from DIGITS_MODEL, DIGITS_QUANTIZED, DIGITS_MAX_BODY_BYTES and
    DIGITS_MAX_IN_FLIGHT, with defaults; a bad value raises DigitsError naming the variable."""
    model = os.environ.get(ENVIRONMENT["model"]) or None
    return {
        "model_path": Path(model) if model else None,
        "quantized": env_flag(ENVIRONMENT["quantized"]),
        "max_body_bytes": env_int(ENVIRONMENT["max_body"], MAX_BODY_BYTES),
        "max_in_flight": env_int(ENVIRONMENT["max_in_flight"], MAX_IN_FLIGHT),
    }


def export_settings(model_path: Path | None, quantized: bool, max_body_bytes: int, max_in_flight: int) -> None:
    """Put the settings where each uvicorn worker's ``app_from_environment`` finds them."""
    os.environ[ENVIRONMENT["model"]] = str(model_path or "")
    os.environ[ENVIRONMENT["quantized"]] = "1" if quantized else ""
    os.environ[ENVIRONMENT["max_body"]] = str(max_body_bytes)
    os.environ[ENVIRONMENT["max_in_flight"]] = str(max_in_flight)


def app_from_environment() -> FastAPI:
    """Factory for uvicorn (one call per worker), configured by ``settings_from_environment``."""
    return create_app(**settings_from_environment())

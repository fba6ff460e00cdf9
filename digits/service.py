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
from typing import Literal

from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from PIL import Image
from pydantic import BaseModel, Field
from starlette.requests import ClientDisconnect

from digits import __version__
from digits.corrections import MAX_SAMPLES_PER_DIGIT, FolderFull, parse_label, store_sample
from digits.errors import DigitsError
from digits.images import decode_side, read_gray_bytes
from digits.predict import default_min_confidence, load_predictor, predict_gray, read_number_gray
from digits.preprocess import NoDigitFound, preprocess_digit
from digits.results import Failure
from digits.settings import MAX_BODY_BYTES, MAX_IN_FLIGHT, load_settings

HEAVY_PIXELS = 4_000_000
"""Images over this many pixels are decoded one at a time per worker, at background priority (``nice``)."""
HEAVY_NICENESS = 10
"""How much lower the heavy-image thread runs: the kernel then gives small requests about ten times its share."""
QUEUE_WAIT_SECONDS = 10.0
"""How long a request waits for a turn before the answer is 503 (busy) with Retry-After."""
PAGE = Path(__file__).with_name("static") / "index.html"


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
        message = f"request body over the limit of {self.max_bytes:,} bytes"
        body = json.dumps(Failure(Path("body"), message).to_json()).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


class DigitAnswer(BaseModel):
    """A digit was read."""

    digit: int = Field(ge=0, le=9)
    confidence: float = Field(ge=0, le=1, description="probability of the digit")
    probabilities: list[float] = Field(min_length=10, max_length=10, description="probability of each digit 0-9")
    uncertain: bool = Field(description="the confidence is under the model's uncertainty threshold")
    network_input: list[list[int]] | None = Field(
        None, description="with inputs=1: the 28x28 grey levels the network saw, row by row"
    )


class NoDigitAnswer(BaseModel):
    """The image holds no digit (blank, noise, paper texture): an answer, not an error."""

    digit: None
    no_digit: Literal[True]


class BoxedDigit(DigitAnswer):
    box: list[int] = Field(min_length=4, max_length=4, description="left, top, right, bottom in the image's pixels")


class NumberAnswer(BaseModel):
    """With ``number=1``: the digits of a number written in one line, left to right (none: a blank image)."""

    number: str | None
    uncertain: bool
    digits: list[BoxedDigit]


class ErrorAnswer(BaseModel):
    """The request could not be answered: one line naming the input and the problem."""

    error: str


class HealthAnswer(BaseModel):
    status: Literal["ok"]
    model: str
    version: str
    min_confidence: float
    collect: bool = Field(description="corrections are stored (serve --collect DIR)")


class StoredPaths(BaseModel):
    label: int = Field(ge=0, le=9)
    network_input: str = Field(description="the 28x28 sample, relative to the --collect folder")
    original: str = Field(description="the image it came from, in grey, relative to the --collect folder")


class StoredAnswer(BaseModel):
    """A correction was stored as a sample of the user's handwriting."""

    stored: StoredPaths
    count: int = Field(description="samples of this digit in the folder now")


ERROR_RESPONSES = {
    400: {"model": ErrorAnswer, "description": "not an image, or one that cannot be read"},
    413: {"model": ErrorAnswer, "description": "request body over the limit"},
    503: {"model": ErrorAnswer, "description": "busy: try again after Retry-After seconds"},
}
PREDICT_ANSWER = DigitAnswer | NoDigitAnswer | NumberAnswer


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
    collect_dir: Path | None = None,
    collect_limit: int = MAX_SAMPLES_PER_DIGIT,
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
        status = 409 if isinstance(error, FolderFull) else 400
        return JSONResponse(Failure(Path("upload"), str(error)).to_json(), status_code=status)

    @app.get("/health", summary="Liveness and the model in use", response_model=HealthAnswer)
    async def health() -> dict:
        return {
            "status": "ok",
            "model": predictor.path.name,
            "version": __version__,
            "min_confidence": threshold,
            "collect": collect_dir is not None,
        }

    @app.get("/", response_class=HTMLResponse, summary="A page to draw a digit on and see the prediction live")
    async def page() -> str:
        return PAGE.read_text(encoding="utf-8")

    @app.post(
        "/predict",
        summary="Read the digit (or, with number=1, the whole number) in an image",
        openapi_extra=PREDICT_DOCS,
        response_model=PREDICT_ANSWER,
        response_model_exclude_unset=True,
        responses=ERROR_RESPONSES,
    )
    async def predict(
        request: Request,
        number: bool = Query(False, description="read all the digits of a number written in one line"),
        inputs: bool = Query(False, description="add each digit's 28x28 network input to the answer"),
    ) -> dict:
        data, name = await image_from_request(request)
        return await in_turn(data, name, answer, (number, inputs))

    @app.post(
        "/correct",
        summary="Store a correction: the image and the digit it really shows (only with serve --collect DIR)",
        openapi_extra=PREDICT_DOCS,
        response_model=StoredAnswer,
        responses={
            **ERROR_RESPONSES,
            404: {"model": ErrorAnswer, "description": "corrections are not collected"},
            409: {"model": ErrorAnswer, "description": "this digit's folder is full"},
        },
    )
    async def correct(
        request: Request, label: str = Query(description="the digit the image really shows, 0-9")
    ) -> dict:
        if collect_dir is None:
            message = "corrections are not collected here: start the service with --collect DIR"
            return JSONResponse(Failure(Path("correct"), message).to_json(), status_code=404)
        digit = parse_label(label)
        data, name = await image_from_request(request)
        return await in_turn(data, name, store_correction, digit)

    async def in_turn(data: bytes, name: str, work, argument):
        """Run ``work(data, name, argument)`` off the event loop once a slot is free (503 after the wait)."""
        heavy = declared_pixels(data) > HEAVY_PIXELS
        slots = heavy_slots if heavy else in_flight
        try:
            await asyncio.wait_for(slots.acquire(), timeout=QUEUE_WAIT_SECONDS)
        except TimeoutError:
            what = "a very large image is" if heavy else f"{max_in_flight} images are"
            return JSONResponse(
                Failure(Path(name), f"busy: {what} already being read by this worker; try again shortly").to_json(),
                status_code=503,
                headers={"Retry-After": "1"},
            )
        try:
            if heavy:  # decoded and read entirely by the background-priority thread
                return await asyncio.wrap_future(heavy_pool.submit(guarded, work, data, name, argument))
            return await run_in_threadpool(guarded, work, data, name, argument)
        finally:
            slots.release()

    def guarded(work, data: bytes, name: str, argument) -> dict:
        """Whatever a hostile image trips on is still a bad image: 400, never 500."""
        try:
            return work(data, name, argument)
        except DigitsError:
            raise
        except Exception as error:
            raise DigitsError(f"{name}: this image cannot be processed ({type(error).__name__})") from None

    def store_correction(data: bytes, name: str, digit: int) -> dict:
        gray, _ = read_gray_bytes(data, name, decode_side(number=False))
        try:
            frame = preprocess_digit(gray)
        except NoDigitFound:
            raise DigitsError(f"{name}: no digit found, nothing stored") from None
        return store_sample(collect_dir, digit, frame, gray, collect_limit).to_json(collect_dir)

    def answer(data: bytes, name: str, options: tuple[bool, bool]) -> dict:
        """Decode, preprocess and predict in one worker thread (one hop off the event loop per request)."""
        number, inputs = options
        gray, scale = read_gray_bytes(data, name, decode_side(number))
        if number:
            return read_number_gray(predictor, gray, Path(name), threshold, scale).to_json(inputs=inputs)
        return predict_gray(predictor, gray, Path(name), threshold).to_json(inputs=inputs)

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


def app_from_environment() -> FastAPI:
    """Factory for uvicorn (one call per worker), configured by the settings ``serve`` put in the environment."""
    settings = load_settings()
    return create_app(
        settings.model,
        settings.quantized,
        settings.max_body_bytes,
        settings.max_in_flight,
        settings.collect,
        settings.collect_limit,
    )

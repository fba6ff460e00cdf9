"""The HTTP service's settings, parsed and validated in one place (pydantic-settings, as FastAPI users know it).

Each setting comes from, in order of precedence: a ``serve`` flag, a ``DIGITS_*`` environment variable, the
default here. A bad value is one ``DigitsError`` line naming the variable or flag and what is wrong with it.
``serve`` hands the final settings to each uvicorn worker through the same environment variables.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from digits.corrections import MAX_SAMPLES_PER_DIGIT
from digits.errors import DigitsError

ENV_PREFIX = "DIGITS_"
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_IN_FLIGHT = 4
"""Images up to ``digits.service.HEAVY_PIXELS`` read at once by one worker: enough to keep its threads busy, few
enough to bound its memory (about 30 MB each at most)."""


class ServiceSettings(BaseSettings):
    """Every setting of ``CNN_usage.py serve``; the field ``max_in_flight`` is read from ``DIGITS_MAX_IN_FLIGHT``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True)

    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(8000, ge=0, le=65535, description="port (0: any free one)")
    workers: int = Field(1, ge=1, description="worker processes")
    model: Path | None = Field(None, description="a .tflite or .keras model (default: the one in models/)")
    quantized: bool = Field(False, description="use the int8 LiteRT model beside the model")
    max_body_bytes: int = Field(MAX_BODY_BYTES, ge=1, description="larger request bodies get 413")
    collect: Path | None = Field(
        None, description="store corrections sent from the drawing page under this folder (off when not given)"
    )
    collect_limit: int = Field(
        MAX_SAMPLES_PER_DIGIT, ge=1, description="with --collect: samples kept per digit at most; more get 409"
    )
    max_in_flight: int = Field(
        MAX_IN_FLIGHT, ge=1, description="images read at once per worker; more requests wait, then get 503"
    )

    def to_environment(self) -> None:
        """Put these settings where each uvicorn worker's ``ServiceSettings()`` finds them."""
        for name, value in self.model_dump().items():
            os.environ[env_name(name)] = "" if value is None else str(int(value) if isinstance(value, bool) else value)


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def load_settings(**overrides) -> ServiceSettings:
    """The settings from the environment, with ``overrides`` (flags given, not None) on top; validated."""
    given = {name: value for name, value in overrides.items() if value is not None}
    try:
        return ServiceSettings(**given)
    except ValidationError as error:
        problem = error.errors()[0]
        name = str(problem["loc"][0]) if problem["loc"] else "settings"
        source = f"--{name.replace('_', '-')}" if name in given else env_name(name)
        value = given.get(name, os.environ.get(env_name(name)))
        raise DigitsError(f"{source}={value!r}: {problem['msg']}") from None

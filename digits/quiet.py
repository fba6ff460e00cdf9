"""Silencing what native libraries (TensorFlow, LiteRT) print straight to file descriptor 2.

Their start-up notices (CUDA probing, CPU features, "Created TensorFlow Lite XNNPACK delegate") bypass Python's
logging, so they can only be hidden at the file-descriptor level, and only around the calls that print them.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send what native code writes to stderr to /dev/null for the duration of the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)

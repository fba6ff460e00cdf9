"""One entry-point wrapper for every command, so all of them map failures to the same exit codes.

As httpie's ``main``/``raw_main``: the command itself returns its exit status; this wrapper turns a DigitsError
into one ``error:`` line and status 1, Ctrl-C into one ``interrupted:`` line and status 130; argparse's own
``SystemExit(2)`` for bad flags passes through. No traceback reaches the user for anything the project expects.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from digits.errors import DigitsError

EXIT_FAILED, EXIT_INTERRUPTED = 1, 130


def run_command(raw_main: Callable[[list[str]], int], argv: list[str] | None, interrupted: str) -> int:
    """Run ``raw_main(argv)`` (argv: the command line without the program name, by default ``sys.argv[1:]``)
    and return its exit status; ``interrupted`` says what Ctrl-C left behind."""
    try:
        return raw_main(sys.argv[1:] if argv is None else argv)
    except DigitsError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"interrupted: {interrupted}", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED

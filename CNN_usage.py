#!/usr/bin/env python
"""Read handwritten digits with the trained model (the installed command ``digits`` is the same thing).

A thin wrapper, kept as the documented entry point: the command lives in ``digits/cli.py``.
Run ``python CNN_usage.py --help`` for its options.
"""

import sys

from digits.cli import main

if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Train the digit CNN on the MNIST JPG folders (the installed command ``digits-train`` is the same thing).

A thin wrapper, kept as the documented entry point: the command lives in ``digits/training/cli.py``.
Run ``python CNN_model.py --help`` for its options.
"""

import sys

from digits.training.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""``python -m dabai.filter analyse -``: the filter CLI without the top-level ``dabai`` command."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))

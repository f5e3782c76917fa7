"""``python -m mips``: the command line (:mod:`mips.cli.main`)."""

import sys

from mips.cli.main import main

if __name__ == "__main__":
    sys.exit(main())

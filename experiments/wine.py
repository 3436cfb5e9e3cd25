"""``python -m experiments.wine [qvc run flags]``: ``qvc run wine``."""

import sys

from experiments import main

if __name__ == "__main__":
    raise SystemExit(main(["wine", *sys.argv[1:]]))

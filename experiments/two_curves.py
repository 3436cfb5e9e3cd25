"""``python -m experiments.two_curves [qvc run flags]``: ``qvc run two_curves``."""

import sys

from experiments import main

if __name__ == "__main__":
    raise SystemExit(main(["two_curves", *sys.argv[1:]]))

"""``python -m experiments.linearly_separable [qvc run flags]``: ``qvc run linearly_separable``."""

import sys

from experiments import main

if __name__ == "__main__":
    raise SystemExit(main(["linearly_separable", *sys.argv[1:]]))

"""``python -m experiments.moons [qvc run flags]``: ``qvc run moons``."""

import sys

from experiments import main

if __name__ == "__main__":
    raise SystemExit(main(["moons", *sys.argv[1:]]))

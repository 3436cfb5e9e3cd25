"""``python -m experiments.circles [qvc run flags]``: ``qvc run circles``."""

import sys

from experiments import main

if __name__ == "__main__":
    raise SystemExit(main(["circles", *sys.argv[1:]]))

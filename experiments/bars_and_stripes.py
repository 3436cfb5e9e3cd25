"""``python -m experiments.bars_and_stripes [qvc run flags]``: ``qvc run bars_and_stripes``."""

import sys

from experiments import main

if __name__ == "__main__":
    raise SystemExit(main(["bars_and_stripes", *sys.argv[1:]]))

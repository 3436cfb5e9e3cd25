"""``python -m experiments.iris [qvc run flags]``: ``qvc run iris``."""

import sys

from experiments import main

if __name__ == "__main__":
    raise SystemExit(main(["iris", *sys.argv[1:]]))

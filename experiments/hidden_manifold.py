"""``python -m experiments.hidden_manifold [qvc run flags]``: ``qvc run hidden_manifold``."""

import sys

from experiments import main

if __name__ == "__main__":
    raise SystemExit(main(["hidden_manifold", *sys.argv[1:]]))

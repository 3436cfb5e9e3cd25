"""``python -m experiments.breast_cancer [qvc run flags]``: ``qvc run breast_cancer``."""

import sys

from experiments import main

if __name__ == "__main__":
    raise SystemExit(main(["breast_cancer", *sys.argv[1:]]))

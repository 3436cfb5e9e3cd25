"""``python -m experiments.ad_hoc [qvc run flags]``: ``qvc run ad_hoc``."""

import sys

from experiments import main

if __name__ == "__main__":
    raise SystemExit(main(["ad_hoc", *sys.argv[1:]]))

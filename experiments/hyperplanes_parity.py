"""``python -m experiments.hyperplanes_parity [qvc run flags]``: ``qvc run hyperplanes_parity``."""

import sys

from experiments import main

if __name__ == "__main__":
    raise SystemExit(main(["hyperplanes_parity", *sys.argv[1:]]))

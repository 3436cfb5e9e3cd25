"""``python -m experiments <dataset> [qvc run flags]``: ``qvc run <dataset>``."""

from experiments import main

raise SystemExit(main())

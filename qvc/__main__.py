"""``python -m qvc`` is the ``qvc`` command."""

from qvc.cli import main

raise SystemExit(main())

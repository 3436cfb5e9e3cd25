"""Runnable experiments.

``python -m experiments.<dataset> [qvc run flags]`` runs ``qvc run <dataset>`` for
any bundled dataset (``iris``, ``wine``, ``breast_cancer``, ``moons``, ``circles``,
``ad_hoc``, ...); so does ``python -m experiments <dataset> [flags]``. Each
``experiments/<dataset>.py`` is four lines calling :func:`main` (a test checks there is
one per bundled dataset). ``python -m experiments.scaling`` runs the sweep
``experiments/scaling.toml``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """``qvc run`` with ``argv`` (default: the command line); the dataset is the first argument.

    Examples
    --------
    >>> import tempfile
    >>> main(["iris", "--models", "svm", "--quiet", "--out", tempfile.mkdtemp()])  # doctest: +ELLIPSIS
    | model ...
    0
    """
    from qvc.cli import main as qvc_main

    args = list(sys.argv[1:] if argv is None else argv)
    return qvc_main(["run", *args])

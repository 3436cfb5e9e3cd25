"""Runnable experiments.

``python -m experiments.<dataset> [qvc run flags]`` runs ``qvc run <dataset>`` for
any bundled dataset (``iris``, ``wine``, ``breast_cancer``, ``moons``, ``circles``,
``ad_hoc``, ...); so does ``python -m experiments <dataset> [flags]``. There is no
file per dataset: the modules ``experiments.<dataset>`` are made by the finder
below, all running :func:`main`. ``python -m experiments.scaling`` runs the sweep
``experiments/scaling.toml``.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
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


class _DatasetModules(importlib.abc.MetaPathFinder, importlib.abc.InspectLoader):
    """Finds ``experiments.<bundled dataset>``: a module that runs :func:`main` for it as ``__main__``."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.rpartition(".")
        if package != __name__:
            return None
        from qvc.data import DATASETS

        if name not in DATASETS:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, origin=f"qvc run {name}")

    def get_source(self, fullname: str) -> str:
        name = fullname.rpartition(".")[2]
        return (f'"""``python -m {fullname} [qvc run flags]``: ``qvc run {name}``."""\n'
                "import sys\n"
                f"from {__name__} import main\n"
                "if __name__ == '__main__':\n"
                f"    raise SystemExit(main([{name!r}, *sys.argv[1:]]))\n")


if not any(isinstance(f, _DatasetModules) for f in sys.meta_path):
    sys.meta_path.append(_DatasetModules())

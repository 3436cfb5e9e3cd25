"""Provenance written next to every result table."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata as importlib_metadata
from pathlib import Path

from qvc._io import utc_now as utc_now  # re-exported: md.utc_now
from qvc._io import write_json as write_json  # re-exported: md.write_json

_PACKAGES = (
    "qvc", "qiskit", "qiskit-machine-learning", "qiskit-aer", "qiskit-ibm-runtime",
    "scikit-learn", "numpy", "scipy", "pandas",
)


def versions() -> dict[str, str]:
    """Installed versions of Python and the packages a result depends on."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def machine() -> dict:
    """What machine ran the local work."""
    import psutil

    from qvc.energy.meters.estimate import cpu_model_name

    cpu = cpu_model_name()

    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": cpu,
        "logical_cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1e9, 2),
    }


def git_revision() -> str | None:
    """The git revision of the qvc source tree, when it is a checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def command_line() -> list[str]:
    """The command that started this process."""
    return list(sys.argv)

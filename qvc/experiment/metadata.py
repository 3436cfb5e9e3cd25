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


def process_identity() -> dict:
    """``pid``, ``host`` and ``process_started`` (epoch seconds) of this process, so that a
    reader can tell a run that is still going from one whose process died (see :func:`run_state`).

    Examples
    --------
    >>> sorted(process_identity())
    ['host', 'pid', 'process_started']
    """
    import socket

    import psutil

    try:
        started = round(psutil.Process().create_time(), 2)
    except Exception:  # pragma: no cover - restricted /proc
        started = None
    return {"pid": os.getpid(), "host": socket.gethostname(), "process_started": started}


#: Statuses written while a process is working on the folder.
LIVE_STATUSES = ("running",)


def run_state(meta: dict) -> str:
    """The status to show for a run: ``interrupted (...)`` when it says ``running`` but the
    process that wrote it is gone (same host, pid not alive or reused by another process).

    Runs on other hosts, and runs written before pid/host were recorded, keep their status.

    Examples
    --------
    >>> run_state({"status": "running", "pid": 2**30, "host": __import__("socket").gethostname()})[:11]
    'interrupted'
    >>> run_state({"status": "complete"})
    'complete'
    """
    status = meta.get("status")
    status = "-" if status is None else str(status)
    pid, host = meta.get("pid"), meta.get("host")
    if status not in LIVE_STATUSES or isinstance(pid, bool) or not isinstance(pid, int) \
            or not isinstance(host, str):
        return status
    import socket

    if host != socket.gethostname():
        return f"{status} (on host {host}; cannot check from here)"
    import psutil

    alive = False
    try:
        proc = psutil.Process(pid)
        started = meta.get("process_started")
        alive = proc.status() != psutil.STATUS_ZOMBIE and (
            not isinstance(started, (int, float)) or abs(proc.create_time() - float(started)) < 2.0)
    except (psutil.Error, ValueError, OverflowError):
        alive = False
    if alive:
        return status
    return f"interrupted (process {pid} on {host} ended while the run was {status})"


def command_line() -> list[str]:
    """The command that started this process."""
    return list(sys.argv)

"""Provenance written next to every result table."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

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


def run_metadata(run_id: str, spec: Any, *, meter: dict, carbon: Any, device: Any, device_note: str,
                 host: Any, datasets: dict) -> dict:
    """The provenance of a run as it starts (``status`` running, no finish time).

    ``spec`` is the run's :class:`~qvc.experiment.spec.ExperimentSpec`, ``meter`` the meter's
    description, ``carbon`` / ``device`` / ``host`` the resolved intensity, device and host
    presets, ``datasets`` the prepared data per seed (its preprocessing is recorded).
    """
    from qvc import __version__
    from qvc.energy.hardware import DEFAULT_DRAWS, DEFAULT_SEED
    from qvc.energy.mitigation import SOURCES as MITIGATION_SOURCES
    from qvc.record.results import SCHEMA_VERSION

    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "qvc_version": __version__,
        "started_utc": utc_now(),
        "finished_utc": None,
        "status": "running",
        **process_identity(),
        "command": command_line(),
        "config": spec.to_dict(),
        "seeds": list(spec.seeds),
        "versions": versions(),
        "machine": machine(),
        "git_revision": git_revision(),
        "meter": meter,
        "carbon": {"g_per_kwh": carbon.g_per_kwh, "label": carbon.label, "source": carbon.source,
                   "applies_to": "local energy and modelled hardware energy alike"},
        "device": device.to_dict(),
        "device_note": device_note,
        "hardware_model": {
            "method": "modelled", "attribution": spec.attribution,
            "mitigation": spec.mitigation,
            "mitigation_source": (MITIGATION_SOURCES[spec.mitigation] if spec.mitigation in MITIGATION_SOURCES
                                  else "auto: per row, the cheapest of none, zne and pec whose on-device "
                                       "accuracy reaches the target (qvc.experiment.deviceaccuracy)"),
            "noise_model": getattr(spec, "noise_model", ""),
            "mitigation_practical_rule": MITIGATION_SOURCES["practical"],
            "mitigation_factor": spec.mitigation_factor, "draws": DEFAULT_DRAWS,
            "seed": DEFAULT_SEED, "interval": "5th-95th percentile (90 %)",
            "shots": spec.shots, "shots_tolerance": spec.shots_tolerance, "shots_cap": spec.shots_cap,
            "methodology": "docs/methodology.md",
        },
        "local_attribution": {
            "mode": spec.attribution,
            "pue": device.pue.typical if spec.attribution == "attributional" else 1.0,
            "pue_source": (f"the quantum device's typical PUE ({device.pue.source})"
                           if spec.attribution == "attributional" else "marginal: no facility overhead"),
            "host": host.to_dict() if host is not None else None,
            "formula": "attributional: PUE x (meter J + max(cpu_s, wall_s) x host idle W / host threads); "
                       "marginal: meter J",
        },
        "preprocessing": {str(s): d.preprocessing for s, d in datasets.items()},
    }

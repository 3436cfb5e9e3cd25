"""Choose the meter backends once per process, and record why each better one was not used."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from qvc.energy.meters.estimate import EstimateBackend
from qvc.energy.meters.nvml import probe_nvml
from qvc.energy.meters.rapl import DEFAULT_ROOT, probe_rapl


@dataclass
class Detection:
    """The backends a meter will read and the reasons for those it will not.

    Attributes
    ----------
    backends : list
        CPU side first (RAPL, else the estimate), then GPUs (NVML) if any.
    not_used : list of dict
        ``{"backend": name, "reason": text}`` for every better backend that was not used.
    """

    backends: list = field(default_factory=list)
    not_used: list[dict] = field(default_factory=list)


def detect_backends(
    *,
    rapl_root: str = DEFAULT_ROOT,
    rapl_reader: Callable[[Path], str] | None = None,
    gpu: bool = True,
    nvml_module: Any = None,
    cpu_tdp_table: dict | None = None,
    estimate_kwargs: dict | None = None,
) -> Detection:
    """Probe RAPL and NVML (each once) and return the backends to use.

    ``rapl_reader`` replaces the file reader (tests inject unreadable files with it).
    Never silent: when RAPL is unusable the estimate's ``reason`` and
    ``not_used`` both say why (missing powercap, unreadable ``energy_uj`` ...).

    Examples
    --------
    >>> d = detect_backends(rapl_root="/nonexistent", gpu=False)
    >>> d.backends[0].method, d.not_used[0]["backend"]
    ('estimated', 'rapl-powercap')
    """
    det = Detection()
    rapl, why = probe_rapl(rapl_root) if rapl_reader is None else probe_rapl(rapl_root, rapl_reader)
    if rapl is not None:
        det.backends.append(rapl)
        if why:
            det.not_used.append({"backend": "rapl-powercap (some zones)", "reason": why})
    else:
        det.not_used.append({"backend": "rapl-powercap", "reason": why})
        det.backends.append(
            EstimateBackend(reason=f"RAPL: {why}", cpu_tdp_table=cpu_tdp_table, **(estimate_kwargs or {}))
        )
    if gpu:
        nvml, why = probe_nvml(nvml_module)
        if nvml is not None:
            det.backends.append(nvml)
        else:
            det.not_used.append({"backend": "nvml", "reason": why})
    else:
        det.not_used.append({"backend": "nvml", "reason": "GPU metering switched off"})
    return det


@cache
def default_detection() -> Detection:
    """:func:`detect_backends` with default settings, probed once per process."""
    return detect_backends()

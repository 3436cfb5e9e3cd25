"""NVIDIA GPU energy through NVML (the ``nvidia-ml-py`` package, import name ``pynvml``).

Volta and newer GPUs keep a total-energy counter
(``nvmlDeviceGetTotalEnergyConsumption``, millijoules since the driver loaded);
qvc reads it at the window boundaries. GPUs without it are sampled: a daemon
thread started once reads ``nvmlDeviceGetPowerUsage`` (milliwatts) every
``sample_interval_s`` and integrates it (trapezoid rule); a window reads the
running integral. Install with ``pip install 'qvc[nvml]'``.
"""

from __future__ import annotations

import threading
import time
from typing import Any


class _PowerSampler:
    """Integrates sampled power of some GPUs into joules on a daemon thread."""

    def __init__(self, nvml: Any, handles: list, interval_s: float) -> None:
        self._nvml, self._handles, self.interval_s = nvml, handles, interval_s
        self._lock = threading.Lock()
        self._joules = [0.0] * len(handles)
        self._last_t = time.perf_counter()
        self._last_w = [self._power_w(h) for h in handles]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qvc-nvml-sampler", daemon=True)
        self._thread.start()

    def _power_w(self, handle) -> float:
        return self._nvml.nvmlDeviceGetPowerUsage(handle) / 1000.0

    def _step(self) -> None:
        now = time.perf_counter()
        watts = [self._power_w(h) for h in self._handles]
        with self._lock:
            dt = now - self._last_t
            for i, w in enumerate(watts):
                self._joules[i] += 0.5 * (w + self._last_w[i]) * dt
            self._last_t, self._last_w = now, watts

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._step()
            except Exception:  # noqa: BLE001 - a driver hiccup must not kill the process
                continue

    def read(self) -> list[float]:
        """Joules integrated so far, extended to now with the last power sample."""
        with self._lock:
            extra = time.perf_counter() - self._last_t
            return [j + w * extra for j, w in zip(self._joules, self._last_w)]

    def stop(self) -> None:
        self._stop.set()


class NvmlBackend:
    """Energy of NVIDIA GPUs found once by :func:`probe_nvml`.

    Domains are ``gpu-<index>``; every GPU is in the total (boards do not overlap).
    """

    name = "nvml"
    method = "measured"
    #: The energy counter and power readings refresh every ~20-100 ms depending on the
    #: board; a 0.5 s window keeps that below a few percent.
    min_window_s = 0.5

    def __init__(
        self, nvml: Any, devices: list[tuple[int, Any, str, bool]], sample_interval_s: float = 0.05
    ) -> None:
        self._nvml = nvml
        self.devices = devices  # (index, handle, name, has_energy_counter)
        sampled = [h for _, h, _, counter in devices if not counter]
        self._sampler = _PowerSampler(nvml, sampled, sample_interval_s) if sampled else None

    def read(self) -> list[float]:
        """Joules so far per GPU (counter, or the sampler's running integral)."""
        sampled = self._sampler.read() if self._sampler else []
        out, k = [], 0
        for _, handle, _, counter in self.devices:
            if counter:
                out.append(self._nvml.nvmlDeviceGetTotalEnergyConsumption(handle) / 1000.0)
            else:
                out.append(sampled[k])
                k += 1
        return out

    def delta(self, start: list, end: list, wall_s: float, cpu_s: float) -> tuple[dict, dict]:
        """Joules per GPU between two readings."""
        energy = {f"gpu-{idx}": max(0.0, b - a) for (idx, *_), a, b in zip(self.devices, start, end)}
        return energy, {"gpu_modes": self._modes()}

    def _modes(self) -> dict:
        return {f"gpu-{i}": ("energy counter" if c else "power sampling") for i, _, _, c in self.devices}

    def describe(self) -> dict:
        """GPUs and how each is read."""
        return {
            "backend": self.name,
            "method": self.method,
            "gpus": {f"gpu-{i}": name for i, _, name, _ in self.devices},
            "modes": self._modes(),
        }

    def close(self) -> None:
        """Stop the sampling thread, if any."""
        if self._sampler:
            self._sampler.stop()


def probe_nvml(module: Any = None, sample_interval_s: float = 0.05) -> tuple[NvmlBackend | None, str]:
    """Start NVML and list the GPUs, or say why not.

    Parameters
    ----------
    module : module, optional
        The ``pynvml`` module (tests pass a fake); imported when omitted.

    Returns
    -------
    (backend or None, reason)

    Examples
    --------
    >>> backend, reason = probe_nvml()
    >>> backend is not None or reason != ""
    True
    """
    if module is None:
        try:
            import pynvml as module  # type: ignore[no-redef]
        except ImportError:
            return None, "nvidia-ml-py is not installed (pip install 'qvc[nvml]' to meter NVIDIA GPUs)"
    nvml = module
    try:
        nvml.nvmlInit()
    except Exception as exc:  # noqa: BLE001 - pynvml raises NVMLError subclasses
        return None, f"NVML did not start ({exc}): no NVIDIA driver on this machine"
    try:
        count = int(nvml.nvmlDeviceGetCount())
    except Exception as exc:  # noqa: BLE001
        return None, f"NVML could not count GPUs ({exc})"
    if count == 0:
        return None, "NVML found no NVIDIA GPU"
    devices = []
    for i in range(count):
        handle = nvml.nvmlDeviceGetHandleByIndex(i)
        name = nvml.nvmlDeviceGetName(handle)
        name = name.decode() if isinstance(name, bytes) else str(name)
        try:
            nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
            counter = True
        except Exception:  # noqa: BLE001 - NVMLError_NotSupported on pre-Volta boards
            counter = False
        devices.append((i, handle, name, counter))
    return NvmlBackend(nvml, devices, sample_interval_s), ""

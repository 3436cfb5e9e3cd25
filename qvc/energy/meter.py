"""Measurement windows around local work (fit, predict).

A window is opened and closed by name and returns one :class:`Measurement`
with wall time, CPU time, joules per domain and a method label, in the spirit
of Zeus' ``begin_window`` / ``end_window``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from qvc.energy.constants import ESTIMATE_CONSTANTS


@dataclass(frozen=True)
class Measurement:
    """What one window measured or estimated.

    Attributes
    ----------
    name : str
        Window name.
    wall_s, cpu_s : float
        Wall-clock and process CPU seconds (user + system, all threads).
    energy_j : dict of str to float
        Joules per domain (``cpu``, ``memory``, ``package-0`` ...).
    method : str
        ``"measured"`` (hardware counter) or ``"estimated"`` (model of CPU time and memory).
    meter : str
        Backend that produced the numbers.
    details : dict
        Constants and reasons (e.g. why a better meter was not used).
    """

    name: str
    wall_s: float
    cpu_s: float
    energy_j: dict[str, float]
    method: str
    meter: str
    details: dict = field(default_factory=dict)

    @property
    def total_j(self) -> float:
        """Joules summed over domains."""
        return float(sum(self.energy_j.values()))


class EstimateBackend:
    """Energy from process CPU time and resident memory (Green Algorithms form).

    ``E = (cpu_seconds * P_core + mean_RSS_GB * wall_seconds * P_mem) * PUE``.
    Labelled ``estimated``: nothing here reads an energy counter.
    """

    name = "green-algorithms-estimate"
    method = "estimated"

    def __init__(
        self,
        cpu_power_per_core_w: float | None = None,
        memory_power_w_per_gb: float | None = None,
        pue: float | None = None,
        reason: str = "no hardware energy counter was found",
    ) -> None:
        import psutil

        c = ESTIMATE_CONSTANTS
        self.cpu_power_per_core_w = (
            c["cpu_power_per_core_w"].value if cpu_power_per_core_w is None
            else cpu_power_per_core_w
        )
        self.memory_power_w_per_gb = (
            c["memory_power_w_per_gb"].value if memory_power_w_per_gb is None
            else memory_power_w_per_gb
        )
        self.pue = c["pue"].value if pue is None else pue
        self.reason = reason
        self._process = psutil.Process()

    def read(self) -> tuple[float, float, float]:
        """Return (wall seconds, process CPU seconds, RSS bytes) now."""
        # process_time() reads CLOCK_PROCESS_CPUTIME_ID (ns resolution, all threads);
        # psutil's cpu_times() only has clock-tick (10 ms) resolution.
        return time.perf_counter(), time.process_time(), float(self._process.memory_info().rss)

    def measure(self, name: str, start: tuple, end: tuple) -> Measurement:
        """Turn two readings into a :class:`Measurement`."""
        wall = end[0] - start[0]
        cpu_s = max(0.0, end[1] - start[1])
        mem_gb = 0.5 * (start[2] + end[2]) / 1e9
        energy = {
            "cpu": cpu_s * self.cpu_power_per_core_w * self.pue,
            "memory": mem_gb * wall * self.memory_power_w_per_gb * self.pue,
        }
        details = {
            "formula": "(cpu_s * P_core + mean_rss_GB * wall_s * P_mem) * PUE",
            "cpu_power_per_core_w": self.cpu_power_per_core_w,
            "memory_power_w_per_gb": self.memory_power_w_per_gb,
            "pue": self.pue,
            "mean_rss_gb": mem_gb,
            "why_not_measured": self.reason,
        }
        return Measurement(name, wall, cpu_s, energy, self.method, self.name, details)


class EnergyMeter:
    """Open and close named measurement windows.

    Parameters
    ----------
    backend : object, optional
        A meter backend; defaults to :class:`EstimateBackend`.

    Examples
    --------
    >>> from qvc.energy import EnergyMeter
    >>> meter = EnergyMeter()
    >>> with meter.window("sum") as w:
    ...     _ = sum(range(1000))
    >>> w.result.method
    'estimated'
    """

    def __init__(self, backend: object | None = None) -> None:
        self.backend = backend if backend is not None else EstimateBackend()
        self._open: dict[str, tuple] = {}

    def begin_window(self, name: str) -> None:
        """Start the window ``name``."""
        if name in self._open:
            raise ValueError(f"measurement window {name!r} is already open")
        self._open[name] = self.backend.read()

    def end_window(self, name: str) -> Measurement:
        """Stop the window ``name`` and return its measurement."""
        end = self.backend.read()
        try:
            start = self._open.pop(name)
        except KeyError:
            raise ValueError(f"measurement window {name!r} was never opened") from None
        return self.backend.measure(name, start, end)

    @contextmanager
    def window(self, name: str) -> Iterator[_WindowHandle]:
        """Context manager form; the handle's ``result`` is set on exit."""
        handle = _WindowHandle(name)
        self.begin_window(name)
        try:
            yield handle
        finally:
            handle.result = self.end_window(name)

    def describe(self) -> dict:
        """Backend name, method label and constants, for the run metadata."""
        b = self.backend
        return {
            "meter": getattr(b, "name", type(b).__name__),
            "method": getattr(b, "method", "unknown"),
            "reason": getattr(b, "reason", ""),
        }


@dataclass
class _WindowHandle:
    name: str
    result: Measurement | None = None

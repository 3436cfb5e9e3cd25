"""Named measurement windows over one or more backends, in the spirit of Zeus.

``begin_window(name)`` / ``end_window(name)``, the ``window(name)`` context
manager and the ``measure(name)`` decorator all return one
:class:`~qvc.energy.meters.base.Measurement`. Backends are probed once (at
construction); a window boundary only reads counters.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from qvc.energy.meters.base import Measurement, weakest_label


@dataclass
class WindowHandle:
    """What ``EnergyMeter.window`` yields; ``result`` is set when the block exits."""

    name: str
    result: Measurement | None = None


class EnergyMeter:
    """Open and close named measurement windows.

    Parameters
    ----------
    backend : object, optional
        A single backend. Without ``backend`` or ``backends`` the meter uses the
        backends detected once per process (:func:`~qvc.energy.meters.detect.default_detection`).
    backends : list, optional
        Several backends read together (e.g. RAPL for the CPU and NVML for GPUs).
    not_used : list of dict, optional
        Better backends that were not used, with reasons (copied into every result).

    Examples
    --------
    >>> from qvc.energy import EnergyMeter
    >>> meter = EnergyMeter()
    >>> with meter.window("sum") as w:
    ...     _ = sum(range(1000))
    >>> w.result.method in ("estimated", "measured")
    True
    """

    def __init__(
        self,
        backend: Any | None = None,
        *,
        backends: list | None = None,
        not_used: list[dict] | None = None,
    ) -> None:
        if backends is None and backend is not None:
            backends = [backend]
        if backends is None:
            from qvc.energy.meters.detect import default_detection

            det = default_detection()
            backends, not_used = det.backends, det.not_used
        if not backends:
            raise ValueError("EnergyMeter needs at least one backend")
        self.backends = list(backends)
        self.not_used = list(not_used or [])
        self.idle_power_w: float | None = None
        self.idle_note = "no idle baseline taken"
        self._open: dict[str, tuple] = {}

    @property
    def backend(self) -> Any:
        """The first (CPU-side) backend."""
        return self.backends[0]

    @property
    def name(self) -> str:
        """Backend names joined by ``+``."""
        return "+".join(getattr(b, "name", type(b).__name__) for b in self.backends)

    @property
    def method(self) -> str:
        """The weakest method label of the backends."""
        return weakest_label(getattr(b, "method", "estimated") for b in self.backends)

    @property
    def min_window_s(self) -> float:
        """Shortest window every backend resolves well (the largest of their minimums)."""
        return max(float(getattr(b, "min_window_s", 0.05)) for b in self.backends)

    def _read(self) -> tuple:
        return time.perf_counter(), time.process_time(), [b.read() for b in self.backends]

    def begin_window(self, name: str) -> None:
        """Start the window ``name``."""
        if name in self._open:
            raise ValueError(f"measurement window {name!r} is already open")
        self._open[name] = self._read()

    def end_window(self, name: str) -> Measurement:
        """Stop the window ``name`` and return its measurement."""
        end = self._read()
        try:
            start = self._open.pop(name)
        except KeyError:
            raise ValueError(f"measurement window {name!r} was never opened") from None
        return self._measurement(name, start, end)

    def _measurement(self, name: str, start: tuple, end: tuple) -> Measurement:
        wall = end[0] - start[0]
        cpu_s = max(0.0, end[1] - start[1])
        energy: dict[str, float] = {}
        methods: dict[str, str] = {}
        totals: list[str] = []
        details: dict = {}
        for b, a, z in zip(self.backends, start[2], end[2]):
            e, d = b.delta(a, z, wall, cpu_s)
            d = dict(d)
            totals.extend(d.pop("total_domains", tuple(e)))
            energy.update(e)
            methods.update(dict.fromkeys(e, b.method))
            details.update(d)
            if getattr(b, "reason", ""):
                details["why_not_measured"] = b.reason
        if self.not_used:
            details["not_used"] = self.not_used
        if self.idle_power_w is None:
            details["idle"] = self.idle_note
        return Measurement(
            name, wall, cpu_s, energy, weakest_label(methods.values()), self.name, details,
            methods, tuple(totals), self.idle_power_w,
        )

    @contextmanager
    def window(self, name: str) -> Iterator[WindowHandle]:
        """Context manager form; the handle's ``result`` is set on exit."""
        handle = WindowHandle(name)
        self.begin_window(name)
        try:
            yield handle
        finally:
            handle.result = self.end_window(name)

    def measure(self, name: str | None = None) -> Callable:
        """Decorator: every call runs in a window; the last result is ``wrapper.last_measurement``.

        Examples
        --------
        >>> meter = EnergyMeter()
        >>> @meter.measure("square")
        ... def square(x):
        ...     return x * x
        >>> square(3), square.last_measurement.name
        (9, 'square')
        """

        def decorate(fn: Callable) -> Callable:
            label = name or fn.__name__

            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                with self.window(label) as w:
                    out = fn(*args, **kwargs)
                wrapper.last_measurement = w.result  # type: ignore[attr-defined]  # function attribute
                return out

            wrapper.last_measurement = None  # type: ignore[attr-defined]  # function attribute
            return wrapper

        return decorate

    def measure_idle(self, seconds: float = 1.0) -> float | None:
        """Measure idle power over ``seconds`` of sleep; later results carry it.

        Only meaningful for hardware counters (RAPL, NVML): an estimate from
        process CPU time is already zero when the process idles, so with an
        ``estimated`` meter this records why and returns ``None``.

        Returns
        -------
        float or None
            Idle watts of the total domains.
        """
        if self.method != "measured":
            self.idle_note = (
                "idle baseline not taken: the estimate counts this process's CPU time and memory "
                "only, so it has no idle share to remove"
            )
            return None
        if not seconds > 0:
            raise ValueError(f"idle baseline seconds must be > 0 (got {seconds})")
        saved, self.idle_power_w = self.idle_power_w, None
        self.begin_window("__idle__")
        time.sleep(seconds)
        m = self.end_window("__idle__")
        self.idle_power_w = m.total_j / m.wall_s if m.wall_s > 0 else saved
        self.idle_note = f"idle baseline {self.idle_power_w:.3f} W over {m.wall_s:.2f} s of sleep"
        return self.idle_power_w

    def describe(self) -> dict:
        """Backends, method label, constants and reasons, for the run metadata."""
        reason = "; ".join(getattr(b, "reason", "") for b in self.backends if getattr(b, "reason", ""))
        return {
            "meter": self.name,
            "method": self.method,
            "reason": reason,
            "backends": [b.describe() if hasattr(b, "describe") else {"backend": b.name}
                         for b in self.backends],
            "not_used": self.not_used,
            "min_window_s": self.min_window_s,
            "idle_power_w": self.idle_power_w,
            "idle": self.idle_note,
        }

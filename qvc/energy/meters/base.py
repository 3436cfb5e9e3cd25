"""The result object of a measurement window and the contract every meter backend follows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

#: Order of honesty: a window that mixes labels gets the weakest one.
_LABEL_RANK = {"measured": 0, "hardware-reported": 0, "estimated": 1, "modelled": 2, "projected": 3}


def weakest_label(labels) -> str:
    """The least direct of several method labels (``measured`` < ``estimated`` < ``modelled``)."""
    labels = list(labels)
    if not labels:
        return "estimated"
    return max(labels, key=lambda lab: _LABEL_RANK.get(lab, 3))


@dataclass(frozen=True)
class Measurement:
    """What one window measured or estimated.

    Attributes
    ----------
    name : str
        Window name.
    wall_s, cpu_s : float
        Wall-clock and process CPU seconds (user + system, all threads). Per call
        when ``repeats > 1``.
    energy_j : dict of str to float
        Joules per domain (``cpu``, ``memory``, ``package-0``, ``package-0/core``,
        ``gpu-0`` ...). Per call when ``repeats > 1``.
    method : str
        ``"measured"`` (hardware counter) or ``"estimated"`` (model of CPU time and
        memory); the weakest label when domains mix.
    meter : str
        Backend(s) that produced the numbers, joined by ``+``.
    details : dict
        Constants and formula of each backend (merged), why better meters were not used
        (``why_not_measured``, ``not_used``), and ``repeat`` information.
    methods : dict of str to str
        Label of each domain.
    total_domains : tuple of str or None
        Domains that do not overlap and are summed into :attr:`total_j` (a RAPL
        ``core`` zone is inside its ``package`` zone, so it is reported but not added).
        ``None`` sums every domain.
    idle_power_w : float or None
        Idle power of the total domains measured by an idle baseline, if one was taken.
    repeats : int
        Calls averaged into this result (1 = measured once).
    spread : float
        Relative standard deviation of per-call energy across repeat batches
        (``nan`` when measured once).
    """

    name: str
    wall_s: float
    cpu_s: float
    energy_j: dict[str, float]
    method: str
    meter: str
    details: dict = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    total_domains: tuple[str, ...] | None = None
    idle_power_w: float | None = None
    repeats: int = 1
    spread: float = math.nan

    @property
    def total_j(self) -> float:
        """Joules summed over the non-overlapping domains."""
        keys = self.energy_j if self.total_domains is None else self.total_domains
        return float(sum(self.energy_j[k] for k in keys if k in self.energy_j))

    @property
    def above_idle_j(self) -> float | None:
        """Total joules minus idle power x wall time (``None`` without an idle baseline).

        Clipped at zero: a window quieter than the baseline reports 0, not a negative energy.
        """
        if self.idle_power_w is None:
            return None
        return max(0.0, self.total_j - self.idle_power_w * self.wall_s)

    def scaled(self, factor: float, **changes: Any) -> Measurement:
        """A copy with times and energies multiplied by ``factor`` (e.g. 1/calls)."""
        return replace(
            self,
            wall_s=self.wall_s * factor,
            cpu_s=self.cpu_s * factor,
            energy_j={k: v * factor for k, v in self.energy_j.items()},
            **changes,
        )


class Backend(Protocol):
    """What a meter backend provides.

    ``read`` must be cheap (it runs at every window boundary; no hardware probing);
    ``delta`` turns two readings into joules per domain.
    """

    name: str
    method: str
    #: Shortest window (seconds) the backend resolves well; shorter work should be repeated.
    min_window_s: float

    def read(self) -> Any:  # pragma: no cover - protocol
        ...

    def delta(self, start: Any, end: Any, wall_s: float, cpu_s: float) -> tuple[dict, dict]:
        """Return ``(energy_j per domain, details)``; details may hold ``total_domains``."""
        ...  # pragma: no cover - protocol

    def describe(self) -> dict:  # pragma: no cover - protocol
        ...

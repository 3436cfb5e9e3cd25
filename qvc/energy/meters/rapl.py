"""Intel/AMD RAPL energy counters through Linux powercap (``/sys/class/powercap``).

The kernel exposes one directory per zone, named as in the kernel's
``intel_rapl_common`` driver (used for AMD too)::

    /sys/class/powercap/intel-rapl:0/name                  "package-0"
    /sys/class/powercap/intel-rapl:0/energy_uj             cumulative microjoules
    /sys/class/powercap/intel-rapl:0/max_energy_range_uj   the value at which it wraps to 0
    /sys/class/powercap/intel-rapl:0:0/name                "core"   (inside package-0)
    /sys/class/powercap/intel-rapl:0:1/name                "dram"   (not inside package-0)
    /sys/class/powercap/intel-rapl:1/name                  "package-1" (second socket) or "psys"
    /sys/class/powercap/intel-rapl-mmio:0/...              the same package through MMIO

Totals add the ``package-N`` zones and their ``dram`` subzones (DRAM is not part
of the package counter); ``core``/``uncore`` are inside the package and ``psys``
covers the whole platform including the packages, so they are reported but not added.
``intel-rapl-mmio`` zones duplicate the MSR package zones and are skipped.

Since Linux 5.10 (CVE-2020-8694, "Platypus") ``energy_uj`` is readable by root
only; the probe then records that reason and qvc falls back to the estimate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = "/sys/class/powercap"

_ZONE_RE = re.compile(r"intel-rapl:(\d+)(?::(\d+))?$")

_PERMISSION_HINT = (
    "energy_uj is readable by root only since Linux 5.10 (CVE-2020-8694); run as root or grant "
    "read access, e.g. 'sudo chmod a+r /sys/class/powercap/intel-rapl:*/energy_uj'"
)


def _read_text(path: Path) -> str:
    with open(path) as fh:
        return fh.read()


@dataclass(frozen=True)
class RaplZone:
    """One readable powercap zone."""

    domain: str  # "package-0", "package-0/core", "package-0/dram", "psys"
    energy_path: Path
    max_range_uj: int
    in_total: bool


class RaplBackend:
    """Read RAPL zones found once by :func:`probe_rapl`.

    Parameters
    ----------
    zones : list of RaplZone
    root : str
        The powercap root the zones came from.
    skipped : list of str
        Zones left out and why (unreadable subzone, MMIO duplicate).
    reader : callable, optional
        Reads a file's text (tests inject failures here).
    """

    name = "rapl-powercap"
    method = "measured"
    #: The counters update about every millisecond (RAPL update interval ~1 ms; energy unit
    #: 2^-16 J ~ 15 uJ on Intel): 100 ms keeps quantisation near 1 %.
    min_window_s = 0.1

    def __init__(
        self,
        zones: list[RaplZone],
        root: str = DEFAULT_ROOT,
        skipped: list[str] | None = None,
        reader: Callable[[Path], str] = _read_text,
    ) -> None:
        self.zones = list(zones)
        self.root = str(root)
        self.skipped = list(skipped or [])
        self._reader = reader
        self._total = tuple(z.domain for z in self.zones if z.in_total)

    def read(self) -> tuple[int, ...]:
        """Current ``energy_uj`` of every zone (one small file read each)."""
        return tuple(int(self._reader(z.energy_path)) for z in self.zones)

    def delta(self, start: tuple, end: tuple, wall_s: float, cpu_s: float) -> tuple[dict, dict]:
        """Joules per zone, unwrapping a counter that passed ``max_energy_range_uj``."""
        energy: dict[str, float] = {}
        wrapped: list[str] = []
        ambiguous: list[str] = []
        for zone, a, b in zip(self.zones, start, end):
            d = b - a
            if d < 0:
                d += zone.max_range_uj
                wrapped.append(zone.domain)
            energy[zone.domain] = d / 1e6
            # More than one wrap inside a window cannot be seen from two readings. A zone
            # that used over half its range in one window is close to that limit.
            if d > zone.max_range_uj / 2:
                ambiguous.append(zone.domain)
        details: dict = {"total_domains": self._total, "wrapped": wrapped}
        if ambiguous:
            details["warning"] = (
                f"zones {ambiguous} used over half their counter range in one window; a second "
                "wrap would be invisible, so these figures may be low: use shorter windows"
            )
        return energy, details

    def describe(self) -> dict:
        """Zones, which of them are summed, and what was skipped."""
        return {
            "backend": self.name,
            "method": self.method,
            "root": self.root,
            "zones": [z.domain for z in self.zones],
            "total_domains": list(self._total),
            "skipped": self.skipped,
            "total_rule": "sum of package-N and dram zones; core/uncore (inside package) and psys "
                          "(whole platform) reported but not added",
        }


def probe_rapl(
    root: str | Path = DEFAULT_ROOT, reader: Callable[[Path], str] = _read_text
) -> tuple[RaplBackend | None, str]:
    """Find readable RAPL zones under ``root``.

    Returns
    -------
    (backend, reason)
        ``backend`` is ``None`` when RAPL cannot be used, and ``reason`` says why
        (never empty in that case). With a backend, ``reason`` notes skipped zones.

    Examples
    --------
    >>> backend, reason = probe_rapl("/nonexistent")
    >>> backend is None, "does not exist" in reason
    (True, True)
    """
    root = Path(root)
    if not root.is_dir():
        return None, (
            f"{root} does not exist (no Linux powercap: not Linux, a VM or container without "
            "RAPL, or the intel_rapl driver is not loaded)"
        )
    try:
        entries = sorted(p for p in root.iterdir())
    except OSError as exc:
        return None, f"cannot list {root}: {exc}"
    skipped = [f"{p.name}: MMIO duplicate of the MSR package zone" for p in entries
               if p.name.startswith("intel-rapl-mmio:")]
    found = []
    for p in entries:
        m = _ZONE_RE.match(p.name)
        if m:
            found.append((int(m.group(1)), None if m.group(2) is None else int(m.group(2)), p))
    if not found:
        return None, f"{root} has no intel-rapl:N zones (no RAPL driver for this CPU)"
    found.sort(key=lambda t: (t[0], -1 if t[1] is None else t[1]))

    names: dict[int, str] = {}
    zones: list[RaplZone] = []
    problems: list[str] = []
    for top, sub, path in found:
        try:
            name = reader(path / "name").strip()
            max_range = int(reader(path / "max_energy_range_uj"))
            int(reader(path / "energy_uj"))
        except PermissionError:
            problems.append(f"cannot read {path / 'energy_uj'}: permission denied ({_PERMISSION_HINT})")
            continue
        except (OSError, ValueError) as exc:
            problems.append(f"cannot read zone {path}: {type(exc).__name__}: {exc}")
            continue
        if max_range <= 0:
            problems.append(f"{path / 'max_energy_range_uj'} is {max_range}; cannot unwrap its counter")
            continue
        if sub is None:
            names[top] = name
            domain, in_total = name, name.startswith("package")
        else:
            parent = names.get(top, f"intel-rapl:{top}")
            domain, in_total = f"{parent}/{name}", name == "dram"
        zones.append(RaplZone(domain, path / "energy_uj", max_range, in_total))

    if not any(z.in_total for z in zones):
        psys = [z for z in zones if z.domain == "psys"]
        if psys:  # a platform zone alone still measures the machine
            zones = [RaplZone(z.domain, z.energy_path, z.max_range_uj, z.domain == "psys") for z in zones]
        else:
            why = "; ".join(problems) if problems else "no package zone found"
            return None, f"RAPL zones under {root} are not usable: {why}"
    return RaplBackend(zones, str(root), skipped + problems, reader), "; ".join(problems)

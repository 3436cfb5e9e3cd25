"""Estimated energy from process CPU time and resident memory (Green Algorithms form).

``E = (cpu_s * P_core + mean_RSS_GB * wall_s * P_mem) * PUE``

* ``cpu_s`` is the process CPU time (user + system, all threads) from
  :func:`time.process_time` (``CLOCK_PROCESS_CPUTIME_ID`` on Linux). Its nominal
  resolution is 1 ns and the kernel accounts it in nanoseconds, so a window
  resolves CPU time to well under a microsecond (``benchmarks/bench_meter.py``
  saw steps of ~0.2 us, the cost of the call itself). ``psutil``'s
  ``cpu_times`` would only give clock ticks (10 ms). What limits a short window
  is not the clock but noise (scheduling, caches, other processes): hence the
  100 ms minimum window and the repeat helper.
* ``P_core`` is the power of one *hardware thread* (logical CPU), because
  process CPU time counts logical-CPU seconds: TDP / threads of the CPU model
  when it is in :data:`qvc.energy.constants.CPU_TDP` (or in a user table), else
  the median TDP per thread of the table's models of the same vendor family
  (``AMD EPYC``, ``Intel Xeon`` ...), else the Green Algorithms default of 12 W
  per core divided by this machine's threads per core. ``qvc meters`` says
  which rule was used.
* ``mean_RSS_GB`` is the memory the process actually holds (mean of the RSS at
  the window's start and end), not the machine's installed RAM: a 2 ms fit in a
  300 MB process is not charged for 64 GB of DIMMs.

Labelled ``estimated``: nothing here reads an energy counter.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

from qvc.energy.constants import CPU_FAMILIES, CPU_TDP, ESTIMATE_CONSTANTS, GREEN_ALGORITHMS
from qvc.errors import QvcUsageError


def cpu_model_name() -> str:
    """The CPU model string of this machine (``/proc/cpuinfo`` or :mod:`platform`)."""
    return _cpu_model_name()


@cache
def _cpu_model_name() -> str:
    import platform

    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or ""


def _normalise(model: str) -> str:
    text = re.sub(r"\((r|tm)\)", " ", model.lower())
    return re.sub(r"\s+", " ", text).strip()


def load_cpu_tdp_table(path: str | Path) -> dict[str, tuple[float, int, int, str]]:
    """Read a user CPU TDP table: CSV with columns ``model,tdp_w,cores[,threads],source``.

    ``model`` is a fragment of the CPU model string (case-insensitive), ``tdp_w`` the
    TDP in watts (> 0), ``cores`` the physical core count and ``threads`` the hardware
    threads (integers >= 1; without a ``threads`` column, threads = cores), ``source``
    where the numbers come from (non-empty). Values are ``(tdp_w, cores, threads, source)``.

    Raises
    ------
    QvcUsageError
        If the file is missing or any row is malformed (the message names the line).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tdp.csv"
    >>> _ = p.write_text("model,tdp_w,cores,source\\nMy CPU 9000,100,10,vendor sheet\\n")
    >>> load_cpu_tdp_table(p)["my cpu 9000"]
    (100.0, 10, 10, 'vendor sheet')
    """
    path = Path(path)
    if not path.is_file():
        raise QvcUsageError(f"CPU TDP table {str(path)!r} does not exist; give a CSV file")
    need = ["model", "tdp_w", "cores", "source"]
    need_threads = ["model", "tdp_w", "cores", "threads", "source"]
    try:
        with path.open(newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise QvcUsageError(f"cannot read CPU TDP table {str(path)!r}: {exc}") from None
    header = [c.strip().lower() for c in rows[0]] if rows else []
    if header not in (need, need_threads):
        raise QvcUsageError(
            f"CPU TDP table {str(path)!r} must start with the header 'model,tdp_w,cores,source' "
            "or 'model,tdp_w,cores,threads,source'"
        )
    width = len(header)
    table: dict[str, tuple[float, int, int, str]] = {}
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        where = f"CPU TDP table {str(path)!r} line {lineno}"
        if len(row) != width:
            raise QvcUsageError(f"{where}: expected {width} fields ({','.join(header)}), got {len(row)}")
        cells = [c.strip() for c in row]
        threads_text = cells.pop(3) if width == 5 else None
        model, tdp_text, cores_text, source = cells
        try:
            tdp = float(tdp_text)
        except ValueError:
            raise QvcUsageError(f"{where}: tdp_w must be a number of watts (got {tdp_text!r})") from None
        if not tdp > 0 or tdp == float("inf"):
            raise QvcUsageError(f"{where}: tdp_w must be > 0 (got {tdp_text})")
        try:
            cores = int(cores_text)
        except ValueError:
            raise QvcUsageError(f"{where}: cores must be an integer (got {cores_text!r})") from None
        if cores < 1:
            raise QvcUsageError(f"{where}: cores must be >= 1 (got {cores})")
        threads = cores
        if threads_text is not None:
            try:
                threads = int(threads_text)
            except ValueError:
                raise QvcUsageError(f"{where}: threads must be an integer (got {threads_text!r})") from None
            if threads < 1:
                raise QvcUsageError(f"{where}: threads must be >= 1 (got {threads})")
        if not model or not source:
            raise QvcUsageError(f"{where}: model and source must not be empty")
        table[_normalise(model)] = (tdp, cores, threads, source)
    if not table:
        raise QvcUsageError(f"CPU TDP table {str(path)!r} has no rows")
    return table


def _threads_per_core() -> int:
    """Hardware threads per core of this machine (``siblings / cpu cores`` in /proc/cpuinfo; 1 if unknown)."""
    siblings = cores = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("siblings") and siblings is None:
                siblings = int(line.split(":", 1)[1])
            elif line.startswith("cpu cores") and cores is None:
                cores = int(line.split(":", 1)[1])
    except (OSError, ValueError):
        return 1
    if siblings and cores and siblings >= cores:
        return max(1, siblings // cores)
    return 1


def cpu_power_detail(
    model: str | None = None, table: dict[str, tuple[float, int, int, str]] | None = None,
    threads_per_core: int | None = None,
) -> dict:
    """Power per hardware thread (W), the rule that gave it and its source.

    Rules, first match wins: ``model`` (a user table, then the built-in table:
    TDP / threads of the longest matching model fragment), ``family`` (the median
    TDP per thread of the built-in models of the same vendor family), ``default``
    (Green Algorithms' 12 W per core / ``threads_per_core``).

    Examples
    --------
    >>> d = cpu_power_detail("AMD EPYC")
    >>> d["rule"], round(d["watts_per_thread"], 3)
    ('family', 2.031)
    """
    model = cpu_model_name() if model is None else model
    norm = _normalise(model)
    for source_table, origin in ((table or {}, "user CPU TDP table"), (CPU_TDP, "built-in CPU TDP table")):
        hits = [
            key for key in source_table
            if re.search(rf"(?<![a-z0-9]){re.escape(key)}(?![a-z0-9])", norm)
        ]
        if hits:
            key = max(hits, key=len)
            tdp, cores, threads, src = source_table[key]
            return {"watts_per_thread": tdp / threads, "rule": "model",
                    "source": f"{origin}: {key!r} TDP {tdp:g} W / {threads} threads "
                              f"({cores} cores) ({src})"}
    for family in CPU_FAMILIES:
        if re.search(rf"(?<![a-z0-9]){re.escape(family)}(?![a-z0-9])", norm):
            members = sorted(
                (tdp / threads, key) for key, (tdp, _, threads, _) in CPU_TDP.items()
                if re.search(rf"(?<![a-z0-9]){re.escape(family)}(?![a-z0-9])", key)
            )
            if members:
                import statistics

                watts = float(statistics.median(w for w, _ in members))
                return {"watts_per_thread": watts, "rule": "family",
                        "source": f"CPU model {model!r} not in the TDP table: vendor-family fallback "
                                  f"{family!r}, median TDP per thread of {len(members)} table models "
                                  f"({', '.join(k for _, k in members)}): {watts:.4g} W"}
    per_core = ESTIMATE_CONSTANTS["cpu_power_per_core_w"].value
    tpc = _threads_per_core() if threads_per_core is None else int(threads_per_core)
    return {"watts_per_thread": per_core / tpc, "rule": "default",
            "source": f"CPU model {model!r} not in the TDP table and no known vendor family: Green "
                      f"Algorithms default {per_core:g} W per core / {tpc} thread(s) per core "
                      f"({GREEN_ALGORITHMS})"}


def lookup_cpu_power(
    model: str | None = None, table: dict[str, tuple[float, int, int, str]] | None = None
) -> tuple[float, str]:
    """Power per hardware thread (W) for a CPU model string and where the number comes from.

    A user ``table`` is searched before the built-in one; the longest matching
    fragment wins; then the vendor family, then the Green Algorithms default (see
    :func:`cpu_power_detail`).

    Examples
    --------
    >>> lookup_cpu_power("AMD EPYC 7763 64-Core Processor")[0]
    2.1875
    """
    d = cpu_power_detail(model, table)
    return d["watts_per_thread"], d["source"]


class EstimateBackend:
    """Energy from process CPU time and resident memory (Green Algorithms form).

    Parameters
    ----------
    cpu_power_per_core_w : float, optional
        Power per hardware thread (logical CPU) in W; overrides the CPU TDP lookup.
        (The name is kept for compatibility: process CPU time counts thread-seconds.)
    memory_power_w_per_gb, pue : float, optional
        Override the constants of :data:`qvc.energy.constants.ESTIMATE_CONSTANTS`.
    reason : str
        Why no hardware counter was used (recorded in every measurement).
    cpu_model : str, optional
        CPU model string for the TDP lookup (default: this machine's).
    cpu_tdp_table : dict, optional
        A user TDP table (see :func:`load_cpu_tdp_table`), searched first.

    Examples
    --------
    >>> b = EstimateBackend(cpu_model="AMD EPYC 7763 64-Core Processor")
    >>> b.cpu_power_per_core_w, b.cpu_power_rule, b.method
    (2.1875, 'model', 'estimated')
    """

    name = "green-algorithms-estimate"
    method = "estimated"
    #: process_time resolves < 1 us, but noise on a shared machine (scheduling, caches,
    #: other processes) is ~ms: 100 ms windows kept the spread of repeated 1 ms SVC fits
    #: at 1-5 % on a 2-core machine at load average 8.
    min_window_s = 0.1

    def __init__(
        self,
        cpu_power_per_core_w: float | None = None,
        memory_power_w_per_gb: float | None = None,
        pue: float | None = None,
        reason: str = "no hardware energy counter was found",
        cpu_model: str | None = None,
        cpu_tdp_table: dict[str, tuple[float, int, int, str]] | None = None,
    ) -> None:
        import psutil

        c = ESTIMATE_CONSTANTS
        if cpu_power_per_core_w is None:
            d = cpu_power_detail(cpu_model, cpu_tdp_table)
            self.cpu_power_per_core_w, self.cpu_power_source = d["watts_per_thread"], d["source"]
            self.cpu_power_rule = d["rule"]
        else:
            self.cpu_power_per_core_w, self.cpu_power_source = float(cpu_power_per_core_w), "user value"
            self.cpu_power_rule = "user"
        self.memory_power_w_per_gb = (
            c["memory_power_w_per_gb"].value if memory_power_w_per_gb is None else memory_power_w_per_gb
        )
        self.pue = c["pue"].value if pue is None else pue
        self.reason = reason
        self._process = psutil.Process()

    def read(self) -> float:
        """Resident set size of this process in bytes."""
        return float(self._process.memory_info().rss)

    def delta(self, start: float, end: float, wall_s: float, cpu_s: float) -> tuple[dict, dict]:
        """Joules of ``cpu`` and ``memory`` between two readings."""
        mem_gb = 0.5 * (start + end) / 1e9
        energy = {
            "cpu": cpu_s * self.cpu_power_per_core_w * self.pue,
            "memory": mem_gb * wall_s * self.memory_power_w_per_gb * self.pue,
        }
        details = {
            "formula": "(cpu_s * P_thread + mean_rss_GB * wall_s * P_mem) * PUE",
            "cpu_power_per_thread_w": self.cpu_power_per_core_w,
            "cpu_power_source": self.cpu_power_source,
            "memory_power_w_per_gb": self.memory_power_w_per_gb,
            "pue": self.pue,
            "mean_rss_gb": mem_gb,
        }
        return energy, details

    def describe(self) -> dict:
        """Constants and sources, for the run metadata."""
        return {
            "backend": self.name,
            "method": self.method,
            "cpu_power_per_thread_w": self.cpu_power_per_core_w,
            "cpu_power_rule": self.cpu_power_rule,
            "cpu_power_source": self.cpu_power_source,
            "memory_power_w_per_gb": self.memory_power_w_per_gb,
            "memory_power_source": ESTIMATE_CONSTANTS["memory_power_w_per_gb"].source,
            "pue": self.pue,
            "resolution": "CPU time from time.process_time (CLOCK_PROCESS_CPUTIME_ID, ns units, "
                          "sub-microsecond in practice); memory from RSS at window start and end",
        }

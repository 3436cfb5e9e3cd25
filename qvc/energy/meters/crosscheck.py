"""Cross-check a window against CodeCarbon's offline tracker (optional extra ``qvc[codecarbon]``).

The same workload runs once with both meters running: CodeCarbon's
``OfflineEmissionsTracker`` (started first, stopped last, so its window holds
ours) and a qvc window. The figures are printed side by side with the reasons
they differ. No network: the offline tracker takes the country code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from qvc.energy.carbon import carbon_intensity
from qvc.energy.meters.window import EnergyMeter
from qvc.errors import QvcUsageError


def codecarbon_available() -> bool:
    """Whether the ``codecarbon`` package can be imported."""
    try:
        import codecarbon  # noqa: F401
    except ImportError:
        return False
    return True


def crosscheck(
    workload: Callable[[], Any],
    *,
    seconds: float = 5.0,
    country: str | None = None,
    meter: EnergyMeter | None = None,
) -> dict:
    """Run ``workload`` repeatedly for ``seconds`` under qvc's meter and CodeCarbon's.

    Returns
    -------
    dict
        ``qvc`` and ``codecarbon`` sub-dicts (seconds, joules per part, gCO2e, method)
        and ``notes`` on why they differ.

    Raises
    ------
    QvcUsageError
        If codecarbon is not installed.
    """
    try:
        from codecarbon import OfflineEmissionsTracker
    except ImportError:
        raise QvcUsageError(
            "codecarbon is not installed; pip install 'qvc[codecarbon]' to cross-check"
        ) from None
    ci = carbon_intensity(country)
    a3 = _alpha3(country)
    meter = meter or EnergyMeter()
    # CodeCarbon logs INFO/WARNING lines while it initialises, before its log_level applies: quiet
    # its logger first (errors still show) so that only qvc's table reaches the console
    import logging

    logging.getLogger("codecarbon").setLevel(logging.ERROR)
    tracker = OfflineEmissionsTracker(
        country_iso_code=a3, measure_power_secs=1, save_to_file=False, log_level="error",
    )
    calls = 0
    tracker.start()
    try:
        meter.begin_window("crosscheck")
        t0 = time.perf_counter()
        while calls == 0 or time.perf_counter() - t0 < seconds:
            workload()
            calls += 1
        ours = meter.end_window("crosscheck")
    finally:
        kg = tracker.stop()
    data = getattr(tracker, "final_emissions_data", None)
    kwh_to_j = 3.6e6

    def part(name: str) -> float:
        return float(getattr(data, name, float("nan")) or 0.0) * kwh_to_j

    cc = {
        "seconds": float(getattr(data, "duration", float("nan"))),
        "energy_j": part("energy_consumed"),
        "parts_j": {"cpu": part("cpu_energy"), "ram": part("ram_energy"), "gpu": part("gpu_energy")},
        "gco2e": float(kg or 0.0) * 1000.0,
        "method": f"codecarbon {getattr(data, 'codecarbon_version', '?')}, tracking_mode="
                  f"{getattr(data, 'tracking_mode', '?')}, cpu_power={getattr(data, 'cpu_power', '?')} W, "
                  f"ram_power={getattr(data, 'ram_power', '?')} W",
    }
    mine = {
        "seconds": ours.wall_s,
        "energy_j": ours.total_j,
        "parts_j": dict(ours.energy_j),
        "gco2e": ci.grams(ours.total_j),
        "method": f"{ours.method} by {ours.meter}",
    }
    notes = [
        "CodeCarbon's window also holds its own start and stop; qvc's holds only the workload.",
        "Without RAPL, CodeCarbon 3.x charges the CPU's TDP scaled by the CPU load psutil sees "
        "(machine-wide in its default tracking_mode='machine'), or 50 % of the TDP in constant mode; "
        "qvc charges this process's CPU seconds x power per hardware thread.",
        "CodeCarbon 3.x charges RAM at 5 W per DIMM guessed from the installed size (10 W at least; "
        "2.x: 3 W per 8 GB); qvc charges this process's resident memory.",
        f"gCO2e: qvc uses {ci.g_per_kwh:g} g/kWh ({ci.label}); CodeCarbon uses its own table for {a3}.",
    ]
    return {"calls": calls, "qvc": mine, "codecarbon": cc, "notes": notes}


def _alpha3(country: str | None) -> str:
    from qvc.energy.carbon import _ALPHA3, COUNTRIES

    if country is None:
        return "USA"  # CodeCarbon needs a country; the world default has no ISO code
    code = country.strip().upper()
    return code if code in _ALPHA3 else COUNTRIES[code][0]


def format_crosscheck(result: dict) -> str:
    """Side-by-side text of :func:`crosscheck`'s result."""
    q, c = result["qvc"], result["codecarbon"]
    lines = [
        f"workload calls: {result['calls']}",
        f"{'':18s} {'qvc':>14s} {'codecarbon':>14s}",
        f"{'seconds':18s} {q['seconds']:14.3f} {c['seconds']:14.3f}",
        f"{'energy J':18s} {q['energy_j']:14.4g} {c['energy_j']:14.4g}",
        f"{'gCO2e':18s} {q['gco2e']:14.4g} {c['gco2e']:14.4g}",
        "qvc parts J: " + ", ".join(f"{k}={v:.4g}" for k, v in q["parts_j"].items()),
        "codecarbon parts J: " + ", ".join(f"{k}={v:.4g}" for k, v in c["parts_j"].items()),
        f"qvc: {q['method']}",
        f"codecarbon: {c['method']}",
        "why they differ:",
        *[f"  - {n}" for n in result["notes"]],
    ]
    return "\n".join(lines)

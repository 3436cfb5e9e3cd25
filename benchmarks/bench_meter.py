"""Meter overhead and energy per short fit.

Prints:

1. start/stop overhead of one window (begin + end, nothing inside) for the
   estimate backend (target < 1 ms) and for RAPL on a synthetic powercap tree
   of two packages (reads of real sysfs files cost about the same as these
   tmpfs reads; the kernel's RAPL MSR read adds ~1 us per zone);
2. the smallest step of time.process_time this machine shows (the estimate's
   CPU-time resolution);
3. energy per SVC.fit on iris from the repeat helper (per call, spread), next to
   a single-window measurement of one fit, as a ratio in the same process.

Run: ``python benchmarks/bench_meter.py``
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.svm import SVC

from qvc.energy.meters import EnergyMeter, EstimateBackend, measure_repeated, probe_rapl


def _overhead(meter: EnergyMeter, n: int = 2000) -> tuple[float, float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        meter.begin_window("w")
        meter.end_window("w")
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6, sorted(times)[int(0.95 * n)] * 1e6


def _synthetic_rapl(root: Path) -> None:
    zones = {"intel-rapl:0": "package-0", "intel-rapl:0:0": "core", "intel-rapl:0:1": "dram",
             "intel-rapl:1": "package-1", "intel-rapl:1:0": "core", "intel-rapl:1:1": "dram"}
    for d, name in zones.items():
        (root / d).mkdir()
        (root / d / "name").write_text(name + "\n")
        (root / d / "energy_uj").write_text("123456789\n")
        (root / d / "max_energy_range_uj").write_text("262143328850\n")


def _process_time_step(n: int = 200000) -> float:
    steps, last = [], time.process_time()
    for _ in range(n):
        now = time.process_time()
        if now != last:
            steps.append(now - last)
            last = now
    return min(steps) if steps else float("nan")


def main() -> None:
    est_meter = EnergyMeter(EstimateBackend())
    med, p95 = _overhead(est_meter)
    print(f"estimate window start+stop: median {med:.1f} us, p95 {p95:.1f} us (target < 1000 us)")
    with tempfile.TemporaryDirectory() as tmp:
        _synthetic_rapl(Path(tmp))
        rapl, _ = probe_rapl(tmp)
        med_r, p95_r = _overhead(EnergyMeter(rapl))
        print(f"RAPL (6 zones, synthetic tree) window start+stop: median {med_r:.1f} us, p95 {p95_r:.1f} us")
    print(f"time.process_time smallest observed step: {_process_time_step() * 1e9:.0f} ns "
          f"(clock_getres reports {time.get_clock_info('process_time').resolution * 1e9:.0f} ns)")

    X, y = load_iris(return_X_y=True)
    template = SVC(random_state=0)
    clone(template).fit(X, y)  # warm-up outside any window
    single = []
    for _ in range(5):
        est = clone(template)
        with est_meter.window("one-fit") as w:
            est.fit(X, y)
        single.append(w.result)
    _, rep = measure_repeated(est_meter, "svc-fit", lambda e: e.fit(X, y), setup=lambda: clone(template))
    one_j = statistics.median(m.total_j for m in single)
    one_s = statistics.median(m.wall_s for m in single)
    print(f"SVC.fit on iris (150 x 4), {rep.method}: single windows median {one_s * 1e3:.2f} ms, "
          f"{one_j * 1e3:.2f} mJ (spread of 5 singles "
          f"{statistics.pstdev(m.total_j for m in single) / one_j:.0%})")
    print(f"  repeat helper: {rep.repeats} calls in {rep.details['repeat']['batches']} batches of "
          f"{rep.details['repeat']['calls_per_batch']}, {rep.wall_s * 1e3:.3f} ms and "
          f"{rep.total_j * 1e3:.3f} mJ per call, spread {rep.spread:.1%}")
    print(f"  ratio single/repeated energy per fit: {one_j / rep.total_j:.2f} "
          "(single windows include per-window overhead and cold caches)")


if __name__ == "__main__":
    main()

"""Energy of workloads too short to measure once: repeat them until the window is long enough.

The first call is measured alone and its return value is what the caller
keeps (for a fit: the model of the result row). Only when that call is shorter
than the meter's minimum window does the helper run ``batches`` further windows
of ``k`` calls each, ``k`` chosen so that a batch lasts at least the minimum
window (within ``max_repeats`` calls in all). Per-call figures are the batch
totals divided by the calls; the spread is the relative standard deviation of
per-call energy across batches. The warm-up first call is not averaged in.

For fits, pass ``setup`` (e.g. ``lambda: sklearn.base.clone(est)``): each repeat
then fits a fresh clone built *outside* the window, so repeats never touch the
kept model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from qvc.energy.meters.base import Measurement
from qvc.energy.meters.window import EnergyMeter, WindowHandle


def _measured(handle: WindowHandle) -> Measurement:
    """The measurement of a closed window (the meter sets it when the ``with`` block ends)."""
    if handle.result is None:  # pragma: no cover - the meter always sets it
        raise RuntimeError(f"meter window {handle.name!r} closed without a measurement")
    return handle.result


def _check_takes_state(fn: Callable[..., Any]) -> None:
    """Refuse, in one line, a ``fn`` that cannot be called as ``fn(state)`` (a ``lambda: ...``)."""
    import inspect

    try:
        inspect.signature(fn).bind(None)
    except TypeError:
        raise TypeError("measure_repeated calls fn(state) with state = setup() (None without setup): give a "
                        "function of one argument, e.g. lambda _: ...") from None
    except ValueError:  # no signature (some builtins): let the call decide
        return


def measure_repeated(
    meter: EnergyMeter,
    name: str,
    fn: Callable[[Any], Any],
    *,
    setup: Callable[[], Any] | None = None,
    min_duration_s: float | None = None,
    max_repeats: int = 5000,
    batches: int = 5,
) -> tuple[Any, Measurement]:
    """Measure ``fn`` per call, repeating it when one call is shorter than the meter resolves.

    Parameters
    ----------
    meter : EnergyMeter
    name : str
        Window name.
    fn : callable
        Called as ``fn(state)`` with ``state = setup()`` (``None`` without ``setup``).
    setup : callable, optional
        Builds a fresh state for every call, outside the measured window.
    min_duration_s : float, optional
        Shortest window to trust; default ``meter.min_window_s``.
    max_repeats : int, default 5000
        Cap on calls in all (first call included). 1 never repeats.
    batches : int, default 5
        Repeat windows used to compute the spread.

    Returns
    -------
    value, Measurement
        The first call's return value, and per-call figures with ``repeats`` and ``spread``.

    Examples
    --------
    >>> from qvc.energy import EnergyMeter
    >>> value, m = measure_repeated(EnergyMeter(), "tiny", lambda _: sum(range(100)),
    ...                             min_duration_s=0.01, batches=3)
    >>> value, m.repeats > 1, m.spread >= 0
    (4950, True, True)
    """
    min_duration_s = meter.min_window_s if min_duration_s is None else float(min_duration_s)
    if not min_duration_s >= 0:
        raise ValueError(f"min_duration_s must be >= 0 (got {min_duration_s})")
    if max_repeats < 1 or batches < 1:
        raise ValueError("max_repeats and batches must be >= 1")
    _check_takes_state(fn)
    state = setup() if setup else None
    with meter.window(name) as w:
        value = fn(state)
    first = _measured(w)
    if first.wall_s >= min_duration_s or max_repeats <= 2:
        note = "single call long enough" if first.wall_s >= min_duration_s else "repeat cap of 1-2 calls"
        return value, _with_repeat(first, 1, math.nan, {"note": note, "min_duration_s": min_duration_s})

    available = max_repeats - 1
    n_batches = min(batches, available)
    per_call_guess = max(first.wall_s, 1e-7)
    k = max(1, min(math.ceil(1.2 * min_duration_s / per_call_guess), available // n_batches))
    results: list[Measurement] = []

    def batch(k: int) -> Measurement:
        # Setup (e.g. fresh clones) happens before the window opens: only the calls are metered.
        states = [setup() for _ in range(k)] if setup else [None] * k
        with meter.window(name) as bw:
            for s in states:
                fn(s)
        return _measured(bw)

    for _ in range(n_batches):
        results.append(batch(k))
        # The first call was a warm-up guess: re-aim k at the measured per-call time.
        if len(results) == 1 and results[0].wall_s < min_duration_s:
            per_call = max(results[0].wall_s / k, 1e-7)
            k_new = max(k, min(math.ceil(1.2 * min_duration_s / per_call), available // n_batches))
            if k_new != k:
                k = k_new
                results[0] = batch(k)
    calls = k * len(results)
    per_batch = np.array([r.total_j / k for r in results])
    mean = float(per_batch.mean())
    spread = float(per_batch.std(ddof=1) / mean) if len(per_batch) > 1 and mean > 0 else math.nan
    short = [r.wall_s for r in results if r.wall_s < min_duration_s]
    info = {
        "first_call_s": first.wall_s,
        "first_call_j": first.total_j,
        "calls_per_batch": k,
        "batches": len(results),
        "min_duration_s": min_duration_s,
        "per_call_j_by_batch": per_batch.tolist(),
        "spread_definition": "std(ddof=1) / mean of per-call total energy across batches",
    }
    if short:
        info["warning"] = (
            f"repeat cap {max_repeats} reached: {len(short)} batch(es) shorter than "
            f"{min_duration_s:g} s; raise --max-repeats for a steadier figure"
        )
    summed = Measurement(
        name,
        sum(r.wall_s for r in results),
        sum(r.cpu_s for r in results),
        {d: sum(r.energy_j.get(d, 0.0) for r in results) for d in results[0].energy_j},
        first.method,
        first.meter,
        dict(results[-1].details),
        first.methods,
        first.total_domains,
        first.idle_power_w,
    )
    return value, _with_repeat(summed.scaled(1.0 / calls), calls, spread, info)


def _with_repeat(m: Measurement, repeats: int, spread: float, info: dict) -> Measurement:
    from dataclasses import replace

    details = dict(m.details)
    details["repeat"] = info
    return replace(m, repeats=repeats, spread=spread, details=details)

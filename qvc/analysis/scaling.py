"""Scaling analysis of a sweep: cost curves, their growth laws and the break-even table.

From a sweep's result table this module builds cost curves (energy vs qubits
at a fixed sample count, and vs samples at a fixed qubit count), fits growth
laws to each, and extrapolates where the *modelled* hardware energy of the
quantum model falls below (a) the *measured or estimated* local energy of the
classical simulation of the same quantum model, and (b) the local energy of
the matched classical model.

The laws and their fits are :mod:`qvc.analysis.laws`; where a hardware curve falls
below a classical one is :func:`qvc.analysis.breakeven.find_break_even`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qvc.analysis.breakeven import (
    GPU,
    HARDWARE_LAWS,
    POLY_LAWS,
    WALLS,
    Series,
    _precise,
    chi_function,
    clear_draw_cache,
    find_break_even,
    gpu_statevector_energy,
    learns,
    local_wall,
    majority_rates,
    mps_laws,
    simulator_name,
    statevector_laws,
)
from qvc.analysis.hwseries import HardwarePricer, evaluate_qubits, pricer_for
from qvc.analysis.laws import LAWS

#: Pairs: name -> (classical model, quantum model), from the model registry.
from qvc.models.registry import PAIRS as _PAIRS

#: The curve series of a pair (``simulation:<simulator>`` per simulator the sweep measured).
SERIES = {
    "classical": "local energy of the classical model (fit + predict), measured or estimated",
    "simulation:statevector": "local energy of simulating the quantum model with qvc's statevector engine "
                              "on this machine (fit + predict), measured or estimated",
    "simulation:mps": "local energy of simulating the kernel model with Aer matrix-product states "
                      "(fit + predict), measured or estimated; mps:<options> = truncated / fidelity-matched",
    "simulation:gpu (modelled)": "modelled energy of the kernel model on GPU statevectors (H200 board power x "
                                 "memory-bound passes; qvc.analysis.breakeven.GPU), labelled modelled",
    "hardware": "modelled energy of running the quantum model's circuits on the device (fit + predict)",
}


def pair_name(pair: str, ent: str = "full") -> str:
    """The pair as the report names it: both models, and the kernel map's entanglement.

    Examples
    --------
    >>> pair_name("svm", "linear"), pair_name("nn")
    ('svm vs qsvc (linear)', 'mlp vs vqc')
    """
    cm, qm = _PAIRS[pair]
    return f"{cm} vs {qm}" + ("" if pair == "nn" else f" ({ent or 'full'})")


def _is_nn(label: str) -> bool:
    """True for the variational pair's label (:func:`pair_name`)."""
    return label == pair_name("nn") if "nn" in _PAIRS else False


def _pair_keys(frame: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """``(pair label, classical model, quantum model, entanglement)`` per matched pair in ``frame``."""
    out = []
    for pair, (cm, qm) in _PAIRS.items():
        q = frame[frame["model"] == qm]
        ents = sorted(set(q["entanglement"].dropna().astype(str))) if "entanglement" in q.columns else []
        if not ents or (q["entanglement"].isna().any() if "entanglement" in q.columns else False):
            ents = sorted(set(ents) | {"full"})
        if q.empty and not (frame["model"] == cm).any():
            continue
        for ent in ents if not q.empty else ["full"]:
            label = pair_name(pair, ent)
            out.append((label, cm, qm, ent))
    return out


#: Equivalence margin of the quality gate when none is given (the statistics' default, absolute accuracy).
DEFAULT_MARGIN = 0.05


def search_declined(rows: pd.DataFrame) -> pd.Series:
    """Rows whose device-accuracy search was declined (a non-empty ``device_declined``)."""
    if "device_declined" not in rows:
        return pd.Series(False, index=rows.index)
    return rows["device_declined"].fillna("").astype(str).str.strip() != ""


def quality_gate(q: pd.DataFrame, c: pd.DataFrame, *, margin: float = DEFAULT_MARGIN,
                 on_device: bool = True) -> dict:
    """Matched quality per size: ``(qubits, n_total) -> (passes, reason)``.

    A size passes when the quantum model's test accuracy (its on-device accuracy, ``device_accuracy``,
    where the device-accuracy search gave one) is within ``margin`` of the classical model's or
    better, paired by seed (``on_device=False``: the exact accuracy, which a classical simulator of
    the quantum model delivers): the upper one-sided test of the TOST
    (:func:`qvc.analysis.stats.compare_accuracy`, :func:`~qvc.analysis.stats.non_inferiority_p`,
    corrected resampled t-test) rejects ``classical - quantum >= margin`` at ``ALPHA``. Fewer than
    ``MIN_SEEDS_FOR_TEST`` paired seeds cannot pass (the reason says so).
    """
    from qvc.analysis.stats import ALPHA, MIN_SEEDS_FOR_TEST, compare_accuracy, non_inferiority_p

    out: dict = {}
    if "accuracy_test" not in q or "seed" not in q:
        return out
    for (n, tot), g in q.groupby(["qubits", "n_total"]):
        cg = c[(c["qubits"] == n) & (c["n_total"] == tot)] if not c.empty else c
        if cg.empty:
            out[(float(n), float(tot))] = (False, "no classical rows at this size to compare with")
            continue
        # deliverable quality: the on-device accuracy where the device-accuracy search gave one; a
        # seed whose search was declined delivers no accuracy at all (it is left out of the pairs)
        declined = search_declined(g) if on_device else pd.Series(False, index=g.index)
        device = on_device and "device_accuracy" in g and bool((g["device_accuracy"].astype(float).notna()
                                                                | declined).any())
        qcol = g["device_accuracy"].astype(float).fillna(g["accuracy_test"].astype(float)) if device \
            else g["accuracy_test"].astype(float)
        qcol = qcol[~declined]
        if qcol.empty:
            out[(float(n), float(tot))] = (False, f"the device-accuracy search declined all {len(g)} rows: "
                                                  "no on-device accuracy to compare")
            continue
        qa = qcol.groupby(g.loc[qcol.index, "seed"]).mean()
        ca = cg.groupby("seed")["accuracy_test"].mean()
        seeds = sorted(set(qa.index) & set(ca.index))
        if len(seeds) < MIN_SEEDS_FOR_TEST:
            out[(float(n), float(tot))] = (False, f"{len(seeds)} paired seeds (the equivalence test needs "
                                                  f"{MIN_SEEDS_FOR_TEST})")
            continue
        cmp = compare_accuracy([qa[s] for s in seeds], [ca[s] for s in seeds], n_test=float(g["n_test"].mean()),
                               n_train=float(g["n_train"].mean()), margin=margin)
        p = non_inferiority_p(cmp)
        ok = bool(np.isfinite(p) and p < ALPHA)
        out[(float(n), float(tot))] = (ok, "" if ok else (
            f"{'on-device ' if device else ''}quantum accuracy not shown within {margin:g} of the "
            f"classical model's (mean gap "
            f"classical-quantum {cmp.diff:+.3f}, p = {p:.2g} >= {ALPHA:g})"))
    return out


def cost_curves(frame: pd.DataFrame, *, margin: float = DEFAULT_MARGIN) -> pd.DataFrame:
    """Aggregate result rows into cost curves (mean over seeds).

    Returns one row per (pair, series, axis, fixed, x) with ``y`` (mean J),
    ``y_std``, ``n_seeds``, ``y_low``/``y_high`` (hardware rows, when the cost model
    provides ``hw_energy_j_low/high``), ``accuracy`` (mean test accuracy),
    ``majority`` (mean majority-class rate of the test splits), ``learns`` (most
    seeds beat the majority rate, :func:`~qvc.analysis.breakeven.learns`, and the quantum model's
    accuracy is within ``margin`` of the classical model's, :func:`quality_gate`; ``quality`` gives
    the reason when not), ``chi`` (MPS bond dimension reached)
    and the energy label. ``axis`` is ``qubits`` (``fixed`` = total samples) or
    ``samples`` (``fixed`` = qubits); a curve needs three or more distinct ``x``.
    Quantum series are split by simulator (``simulation:statevector``,
    ``simulation:mps`` ...) and kernel pairs by the feature map's entanglement.
    """

    df = frame.copy()
    df["n_total"] = df["n_train"].astype(float) + df["n_test"].astype(float)
    df["local_j"] = df["fit_energy_j"].astype(float) + df["predict_energy_j"].astype(float)
    df["_mode"] = "marginal (meter)"
    if {"fit_energy_attributed_j", "predict_energy_attributed_j"} <= set(df.columns):
        # one mode per comparison: the local side in the hardware's attribution (results.py)
        att = df["fit_energy_attributed_j"].astype(float) + df["predict_energy_attributed_j"].astype(float)
        has = att.notna()
        df.loc[has, "local_j"] = att[has]
        mode = df["local_attribution"].astype(str) if "local_attribution" in df else pd.Series("", index=df.index)
        df.loc[has, "_mode"] = mode[has]
    if "accuracy_test" in df.columns:
        df["_majority"] = majority_rates(df)
        df["_learns"] = learns(df.assign(majority_rate=df["_majority"]))
        if "shots_infeasible" in df.columns:  # no shot budget reproduces the kernel: the hardware side is not priced
            df["_learns"] &= ~df["shots_infeasible"].astype(str).str.lower().isin(("true", "1", "yes"))
    else:
        df["accuracy_test"], df["_majority"], df["_learns"] = np.nan, np.nan, True
    df["_declined"] = search_declined(df).astype(float)
    df["_sim"] = [simulator_name(r) for _, r in df.iterrows()]
    df["_chi"] = df["mps_bond_dimension_reached"].astype(float) if "mps_bond_dimension_reached" in df else np.nan
    has_int = {"hw_energy_j_low", "hw_energy_j_high"} <= set(df.columns)
    out = []
    for label, cm, qm, ent in _pair_keys(df):
        qrows = df[df["model"] == qm]
        if "entanglement" in qrows.columns and not _is_nn(label):
            qrows = qrows[qrows["entanglement"].fillna("full").astype(str) == ent]
        parts = {"classical": (df[df["model"] == cm], "local_j", "fit_energy_method")}
        for sim in sorted(set(qrows["_sim"])):
            parts[f"simulation:{sim}"] = (qrows[qrows["_sim"] == sim], "local_j", "fit_energy_method")
        parts["hardware"] = (qrows, "hw_energy_j", "hw_energy_method")
        if "ft_energy_j" in qrows.columns and qrows["ft_energy_j"].astype(float).notna().any():
            parts["ftqc"] = (qrows, "ft_energy_j", "ft_energy_method")  # the fault-tolerant projection
        # the hardware delivers the on-device accuracy; a simulator of the quantum model the exact one
        gate = quality_gate(qrows, df[df["model"] == cm], margin=margin) if cm != qm else {}
        gate_exact = quality_gate(qrows, df[df["model"] == cm], margin=margin, on_device=False) \
            if cm != qm and "device_accuracy" in qrows else gate
        for series, (sub, col, label_col) in parts.items():
            if sub.empty:
                continue
            for axis, xcol, fcol in (("qubits", "qubits", "n_total"), ("samples", "n_total", "qubits")):
                for fixed, g in sub.groupby(fcol):
                    if g[xcol].nunique() < 3:
                        continue
                    agg = g.groupby(xcol).agg(
                        y=(col, "mean"), y_std=(col, "std"), n_seeds=(col, "size"),
                        accuracy=("accuracy_test", "mean"), majority=("_majority", "mean"),
                        learns_share=("_learns", "mean"), chi=("_chi", "max"),
                        declined_share=("_declined", "mean"),
                        n_train=("n_train", "mean"), n_test=("n_test", "mean"),
                        circuits_predict=("circuits_predict" if "circuits_predict" in g else "n_test", "mean"),
                        **({"y_low": ("hw_energy_j_low", "mean"), "y_high": ("hw_energy_j_high", "mean")}
                           if (has_int and series == "hardware") else {}),
                        **({"y_low": ("ft_energy_j_low", "mean"), "y_high": ("ft_energy_j_high", "mean")}
                           if (series == "ftqc" and {"ft_energy_j_low", "ft_energy_j_high"} <= set(g.columns))
                           else {}),
                    ).reset_index().rename(columns={xcol: "x"})
                    # a size learns when most of its seeds beat the majority rate (rows' above_majority
                    # when they have it, else accuracy_test > the test split's majority rate)
                    agg["learns"] = agg["learns_share"] > 0.5
                    agg = agg.drop(columns=["learns_share"])
                    agg["quality"] = ""
                    if series != "classical":
                        keys = [(float(x), float(fixed)) if axis == "qubits" else (float(fixed), float(x))
                                for x in agg["x"]]
                        verdict = [(gate if series in ("hardware", "ftqc") else gate_exact).get(
                            k, (False, "no quality verdict")) for k in keys]
                        agg["quality"] = ["" if ok and lr else (r if lr else "quantum model at or below the "
                                                                "majority rate")
                                          for (ok, r), lr in zip(verdict, agg["learns"])]
                        agg["learns"] = agg["learns"] & np.array([ok for ok, _ in verdict], dtype=bool)
                    agg.insert(0, "fixed", float(fixed))
                    agg.insert(0, "axis", axis)
                    agg.insert(0, "series", series)
                    agg.insert(0, "pair", label)
                    agg["entanglement"] = ent if not _is_nn(label) else ""
                    agg["label"] = ",".join(sorted(set(map(str, g[label_col].dropna()))))
                    agg["mode"] = ",".join(sorted(set(map(str, g["_mode"].dropna())))) if series != "hardware" \
                        else ",".join(sorted(set(map(str, g["hw_attribution"].dropna())))) \
                        if "hw_attribution" in g else ""
                    out.append(agg)
    if not out:
        return pd.DataFrame(columns=["pair", "series", "axis", "fixed", "x", "y", "y_std", "n_seeds", "label"])
    return pd.concat(out, ignore_index=True)


@dataclass
class ScalingAnalysis:
    """Curves, fits and the break-even table of one sweep.

    Attributes
    ----------
    curves : DataFrame
        From :func:`cost_curves` (plus the modelled GPU series).
    fits : DataFrame
        Every law fitted to every measured curve, with fit quality and ``best``.
    breakeven : DataFrame
        One row per (pair, comparison, axis, fixed value, simulator).
    fit_objects : dict
        ``(pair, series, axis, fixed) -> [GrowthFit, ...]`` best first.
    walls : DataFrame
        Statevector walls (qubits) with their sources.
    hardware : DataFrame
        The cost model evaluated along qubits per kernel pair (:data:`HARDWARE_COLUMNS`).
    settings : dict
        ``max_qubits``, ``max_samples``, ``max_extrapolation``, ``draws``.
    """

    curves: pd.DataFrame
    fits: pd.DataFrame
    breakeven: pd.DataFrame
    fit_objects: dict
    walls: pd.DataFrame = field(default_factory=pd.DataFrame)
    hardware: pd.DataFrame = field(default_factory=pd.DataFrame)
    settings: dict = field(default_factory=dict)


def _laws_for(series: str, axis: str, curve: pd.DataFrame, cap: float | None = None) -> list:

    if axis == "samples":
        return POLY_LAWS
    if series == "hardware":
        return HARDWARE_LAWS
    if series == "simulation:statevector":
        ent = str(curve["entanglement"].iloc[0]) if "entanglement" in curve and len(curve) else "full"
        return statevector_laws(ent or "full")
    if series.startswith("simulation:mps"):
        chi, text = chi_function(curve["x"].to_numpy(float), curve["chi"].to_numpy(float), cap)
        return mps_laws(chi, text)
    if series.startswith("simulation:"):  # other samplers: generic
        return [LAWS[k] for k in LAWS]
    return POLY_LAWS


def _series_of(c: pd.DataFrame, name: str, laws: list, learned_only: bool):

    use = c[c["learns"]] if learned_only and "learns" in c else c
    lo = use["y_low"].to_numpy(float) if "y_low" in use and use["y_low"].notna().all() else None
    hi = use["y_high"].to_numpy(float) if "y_high" in use and use["y_high"].notna().all() else None
    return Series(name, use["x"].to_numpy(float), use["y"].to_numpy(float), lo, hi, laws=laws)


def _mps_wall(curve: pd.DataFrame, chi_fn, n_states: float) -> float:
    from qvc._validation import available_memory_bytes

    have = 0.5 * available_memory_bytes()
    for n in range(2, 2000):
        chi = float(chi_fn(np.array([n], dtype=float))[0])
        if n_states * n * 2 * chi * chi * 16 > have:
            return float(n - 1)
    return math.inf


#: Columns of ``hardware.csv``: the cost model evaluated along qubits (one row per size).
HARDWARE_COLUMNS = ["pair", "axis", "fixed", "qubits", "n_train", "n_test", "shots", "shots_low", "shots_high",
                    "mitigation", "esp", "pec_overhead", "circuits_fit", "circuits_predict", "energy_j",
                    "energy_low", "energy_high", "declined"]


def _gpu_mode(frame: pd.DataFrame, hw_c: pd.DataFrame) -> tuple[dict, str]:
    """The modelled GPU series in the hardware's attribution: board + host share x PUE, or the board alone."""
    modes = set(hw_c["mode"].dropna().astype(str)) if "mode" in hw_c else set()
    if "attributional" in modes:
        pue = float(frame["local_pue"].dropna().mean()) if "local_pue" in frame and frame["local_pue"].notna().any() \
            else 1.0
        return ({"pue": pue, "host": True},
                f"attributional: (board + host share {GPU['host_w'][0][1]:g} W) x PUE {pue:.3g}")
    return {}, "board power only (marginal)"


def _gate_reasons(curve: pd.DataFrame) -> str:
    """The quality gate's reasons for the sizes it left out, grouped (``n = 4, 6: reason``)."""
    if "quality" not in curve:
        return "the quantum model does not beat the majority rate"
    by: dict[str, list[str]] = {}
    for x, r in zip(curve["x"], curve["quality"]):
        if r:
            gap = re.search(r"\(mean gap (.*?)\)", str(r))
            by.setdefault(re.sub(r"\(mean gap .*?\)", "", str(r)).strip(), []).append(
                f"{float(x):g}" + (f" (gap {gap.group(1)})" if gap else ""))
    return "; ".join(f"n = {', '.join(xs)}: {r}" for r, xs in by.items()) or "-"


def _priceable_sizes(hw_c: pd.DataFrame) -> set[float]:
    """Sizes whose rows the pricer reads: those passing the quality gate, and those where the
    device-accuracy search declined most rows (so that the pricer declines from there on)."""
    keep = hw_c["learns"]
    if "declined_share" in hw_c:
        keep = keep | (hw_c["declined_share"].astype(float) > 0.5)
    return set(hw_c.loc[keep, "x"].astype(float))


def _evaluated_hardware(frame: pd.DataFrame, hw_c: pd.DataFrame, fixed: float, max_qubits: int,
                        factory) -> tuple[Series, pd.DataFrame] | None:
    """The hardware series of a kernel pair along qubits: the cost model evaluated at every size.

    ``None`` when the rows cannot be re-priced (no device preset / cost model): the caller then
    falls back to a fitted law and says so.
    """
    ent = str(hw_c["entanglement"].iloc[0] or "full") if "entanglement" in hw_c else "full"
    q = frame[frame["model"] == _PAIRS["svm"][1]]
    if "entanglement" in q:
        q = q[q["entanglement"].fillna("full").astype(str) == ent]
    q = q[(q["n_train"].astype(float) + q["n_test"].astype(float)) == fixed]
    q = q[q["qubits"].astype(float).isin(_priceable_sizes(hw_c))]
    if q.empty:
        return None
    pricer = (factory or pricer_for)(q)
    if pricer is None:
        return None
    n_tr, n_te = int(round(float(q["n_train"].mean()))), int(round(float(q["n_test"].mean())))
    device_q = int(getattr(getattr(pricer, "device", None), "num_qubits", max_qubits))
    ev = evaluate_qubits(pricer, int(hw_c["x"].min()), min(int(max_qubits), device_q + 1), n_tr, n_te)
    configs = pd.DataFrame([{k: getattr(c, k) for k in HARDWARE_COLUMNS if hasattr(c, k)}
                            for c in ev.configs])
    x, y, lo, hi = ev.x, ev.column("energy_j"), ev.column("energy_low"), ev.column("energy_high")
    if len(x) < 1:
        return None
    ly, llo, lhi = np.log(y), np.log(lo), np.log(hi)
    last = float(x.max())

    def model(grid, u, x=x, ly=ly, llo=llo, lhi=lhi, last=last):
        grid = np.asarray(grid, dtype=float)
        base = ly if u is None else llo + float(u) * (lhi - llo)
        out = np.exp(np.interp(grid, x, base))
        return np.where(grid <= last + 1e-9, out, np.inf)

    rule = getattr(pricer, "describe", None) or getattr(getattr(pricer, "law", None), "describe", None)
    label = (f"cost model evaluated at n = {x.min():g}..{last:g}"
             + (f" (declined from {ev.declined_from:g}: {ev.reason})" if np.isfinite(ev.declined_from) else "")
             + (f"; shots {rule()}" if callable(rule) else ""))
    meas = hw_c[hw_c["learns"]]
    s = Series("hardware", x, y, lo, hi, laws=[], label=label, model=model,
               extra={"measured_x": meas["x"].to_numpy(float), "measured_y": meas["y"].to_numpy(float),
                      "declined_from": ev.declined_from, "declined_reason": ev.reason})
    return s, configs


def _evaluated_hardware_samples(frame: pd.DataFrame, hw_c: pd.DataFrame, qubits: float, max_samples: int,
                                factory) -> tuple[Series, pd.DataFrame] | None:
    """The kernel pair's hardware along samples at fixed qubits: the cost model at 40 sample counts.

    Sample counts are log-spaced from the smallest measured to ``max_samples`` with the measured
    train/test share; the returned series lives in ``log10(samples)`` (as the samples comparison).
    """
    ent = str(hw_c["entanglement"].iloc[0] or "full") if "entanglement" in hw_c else "full"
    q = frame[(frame["model"] == _PAIRS["svm"][1]) & (frame["qubits"].astype(float) == float(qubits))]
    if "entanglement" in q:
        q = q[q["entanglement"].fillna("full").astype(str) == ent]
    q = q[(q["n_train"].astype(float) + q["n_test"].astype(float)).isin(_priceable_sizes(hw_c))]
    if q.empty:
        return None
    pricer = (factory or pricer_for)(q)
    if pricer is None:
        return None
    share = float((q["n_train"] / (q["n_train"] + q["n_test"])).mean())
    totals = np.unique(np.round(np.geomspace(float(hw_c["x"].min()), float(max_samples), 40)).astype(int))
    configs = [pricer(int(qubits), max(2, int(round(share * t))), max(1, t - int(round(share * t))))
               for t in totals]
    table = pd.DataFrame([{k: getattr(c, k) for k in HARDWARE_COLUMNS if hasattr(c, k)} for c in configs])
    ok = [(t, c) for t, c in zip(totals, configs) if c.priced]
    if not ok:
        return None
    x = np.log10(np.array([t for t, _ in ok], dtype=float))
    ly = np.log([c.energy_j for _, c in ok])
    llo, lhi = np.log([c.energy_low for _, c in ok]), np.log([c.energy_high for _, c in ok])
    last = float(x.max())

    def model(grid, u, x=x, ly=ly, llo=llo, lhi=lhi, last=last):
        grid = np.asarray(grid, dtype=float)
        base = ly if u is None else llo + float(u) * (lhi - llo)
        return np.where(grid <= last + 1e-9, np.exp(np.interp(grid, x, base)), np.inf)

    meas = hw_c[hw_c["learns"]]
    declined = [c for c in configs if not c.priced]
    s = Series("hardware", x, np.exp(ly), np.exp(llo), np.exp(lhi), laws=[], model=model,
               label=f"cost model evaluated at {len(ok)} sample counts {10 ** x.min():.3g}..{10 ** last:.3g}",
               extra={"measured_x": np.log10(meas["x"].to_numpy(float)), "measured_y": meas["y"].to_numpy(float),
                      "log_x": True, "declined_from": (math.log10(declined[0].n_train + declined[0].n_test)
                                                       if declined else math.inf),
                      "declined_reason": declined[0].declined if declined else "",
                      "declined_at": (f"N ≥ {declined[0].n_train + declined[0].n_test} samples" if declined
                                      else "")})
    return s, table


#: Default extrapolation limit (qubits beyond the measured range) when the spec gives none.
DEFAULT_MAX_EXTRAPOLATION = 10.0


def analyse(frame: pd.DataFrame, *, max_qubits: int = 200, max_samples: int = 1_000_000,
            max_extrapolation: float = DEFAULT_MAX_EXTRAPOLATION, draws: int = 200,
            margin: float = DEFAULT_MARGIN,
            pricer_factory: Callable[[pd.DataFrame], HardwarePricer | None] | None = None) -> ScalingAnalysis:
    """Fit growth laws to every cost curve of ``frame`` and find the break-even points.

    Along qubits, the kernel pair's hardware curve is compared with each simulator the
    sweep measured, with the modelled GPU statevector series, and with the cheapest of
    them at each size (the envelope; :func:`qvc.analysis.breakeven.find_break_even`).
    Only points whose quantum model learns (test accuracy above the majority rate)
    enter a break-even. Along samples (and for hardware vs the classical model) the
    laws are polynomial.

    Parameters
    ----------
    frame : DataFrame
        Result rows of a sweep (:func:`~qvc.record.results.load_results`).
    max_qubits, max_samples : int
        How far the break-even search extrapolates along each axis.
    max_extrapolation : float
        Crossings further than this many qubits beyond the measured range (along
        samples: this factor x 1 decade) are declined.
    draws : int
        Draws of the break-even interval.
    margin : float
        Equivalence margin of the quality gate (:func:`quality_gate`): only sizes where the quantum
        model is within it of the classical model enter a break-even.
    pricer_factory : callable, optional
        ``rows -> HardwarePricer`` for a kernel pair's quantum rows at one sample count
        (default :func:`qvc.analysis.hwseries.pricer_for`): along qubits the hardware series is
        that pricer evaluated at every size up to ``max_qubits`` (:mod:`qvc.analysis.hwseries`).

    Returns
    -------
    ScalingAnalysis

    Examples
    --------
    >>> rows = [{"model": m, "qubits": q, "n_train": 30, "n_test": 10, "fit_energy_j": e, "predict_energy_j": 0.0,
    ...          "fit_energy_method": "estimated", "hw_energy_j": h, "hw_energy_method": "modelled",
    ...          "accuracy_test": 0.9, "execution": "exact", "seed": seed}
    ...         for q in range(2, 13) for seed in (1, 2, 3)
    ...         for m, e, h in (("svm", 0.01, np.nan), ("qsvc", 1e-3 * q * 2.0 ** q, 3e3 + 10 * q))]
    >>> a = analyse(pd.DataFrame(rows), draws=40)
    >>> row = a.breakeven.query("simulator_compared == 'statevector'").iloc[0]
    >>> bool(15 < row["x"] < 25), row["status"]
    (True, 'crossing')
    """

    clear_draw_cache()
    curves = cost_curves(frame, margin=margin)
    fit_rows, fit_objects, be_rows, hw_rows = [], {}, [], []
    rules: dict[str, str] = {}  # shot-rule text -> R1, R2 ... (the report's legend)
    used: dict = {}  # (pair, series, axis, fixed) -> Series a break-even used: fits.csv lists exactly these

    def use(s: Series, pair: str, series: str, axis: str, fixed: float) -> Series:
        used.setdefault((pair, series, axis, fixed), s)
        return s

    lw, lw_note = local_wall()
    walls = pd.DataFrame([{"wall": lw_note, "qubits": lw, "source": "available memory / 16 B per amplitude"}]
                         + [{"wall": k, "qubits": v[0], "source": v[1]} for k, v in WALLS.items()])
    gpu_rows = []
    for (pair, axis, fixed), block in curves.groupby(["pair", "axis", "fixed"], sort=False):
        hw_c = block[block.series == "hardware"]
        if hw_c.empty:
            continue
        other = "samples" if axis == "qubits" else "qubits"
        base = {"pair": pair, "axis": axis, "fixed": f"{other} = {fixed:g}"}
        n_learn_out = int((~hw_c["learns"]).sum())
        base["points_excluded"] = n_learn_out
        def _modes(rows: pd.DataFrame) -> str:
            vals = rows["mode"].dropna().astype(str) if "mode" in rows else pd.Series(dtype=str)
            return ",".join(sorted({m for v in vals for m in v.split(",") if m})) or "-"

        local_rows = block[(block.series != "hardware") & ~block.series.str.contains("modelled")]
        base["mode"] = f"hardware {_modes(hw_c)}; local {_modes(local_rows)}"
        pricing = _pricing_note(frame, pair, rules)
        gpu_kw, gpu_text = _gpu_mode(frame, hw_c)
        if axis == "qubits" and not _is_nn(pair):  # the modelled GPU series, drawn at the measured sizes
            xs = hw_c["x"].to_numpy(float)
            n_sv_c = (hw_c["circuits_predict"] / hw_c["n_test"]).mean() if "circuits_predict" in hw_c else 1.0
            t, lo, hi = gpu_statevector_energy(xs, float(hw_c["n_train"].mean()), float(hw_c["n_test"].mean()),
                                               float(n_sv_c), str(hw_c["entanglement"].iloc[0] or "full"),
                                               **gpu_kw)
            gpu_rows.append(pd.DataFrame({"pair": pair, "series": "simulation:gpu (modelled)", "axis": axis,
                                          "fixed": fixed, "x": xs, "y": t, "y_low": lo, "y_high": hi,
                                          "label": "modelled", "entanglement": hw_c["entanglement"].iloc[0],
                                          "mode": gpu_text, "gpu_pue": gpu_kw.get("pue", 1.0),
                                          "gpu_host": bool(gpu_kw.get("host", False))}))
        n_pass = int(hw_c["learns"].sum())
        evaluated = None
        if not _is_nn(pair) and n_pass:  # the hardware from the cost model at every size of the axis
            evaluate, limit = ((_evaluated_hardware, max_qubits) if axis == "qubits"
                               else (_evaluated_hardware_samples, max_samples))
            evaluated = evaluate(frame, hw_c, fixed, limit, pricer_factory)
        # an evaluated series needs one size of matched quality; a fitted law four
        if evaluated is None and n_pass < 4:
            be_rows.append({**base, "comparison": "hardware < simulation", "simulator": "",
                            "simulator_compared": "", "status": (
                                f"excluded: only {n_pass} sizes pass the quality gate "
                                f"(need {1 if not _is_nn(pair) else 4}): {_gate_reasons(hw_c)}"),
                            "hardware_pricing": pricing})
            continue
        if evaluated is not None:
            hw, configs = evaluated
            hw_rows.append(configs.assign(pair=pair, fixed=fixed, axis=axis))
        else:
            hw = use(_series_of(hw_c, "hardware", _laws_for("hardware", axis, hw_c), True), pair, "hardware",
                     axis, fixed)
            if not _is_nn(pair) and axis == "qubits":
                hw.label = "fitted law (the rows carry no device preset and cost model to re-price)"
        if axis == "qubits" and not _is_nn(pair):
            ent = str(hw_c["entanglement"].iloc[0] or "full")
            sims = []
            for series, c in block.groupby("series", sort=False):
                if not series.startswith("simulation:"):
                    continue
                sim = series.split(":", 1)[1]
                if not _precise(sim):
                    continue
                s = _series_of(c, sim, _laws_for(series, axis, c), True)
                if len(np.unique(s.x)) < 3:
                    continue
                use(s, pair, series, axis, fixed)
                if sim == "statevector":
                    s.wall, s.wall_note = float(lw), lw_note
                else:
                    chi_fn, _ = chi_function(c["x"].to_numpy(float), c["chi"].to_numpy(float))
                    s.wall = _mps_wall(c, chi_fn, float(c["n_train"].mean() + c["n_test"].mean()))
                    s.wall_note = "MPS of all samples at chi(n) exceed half this machine's memory"
                sims.append(s)
            n_tr, n_te = float(hw_c["n_train"].mean()), float(hw_c["n_test"].mean())
            n_sv = float((hw_c["circuits_predict"] / hw_c["n_test"]).mean()) if "circuits_predict" in hw_c else n_tr

            def gpu_model(x, u, n_tr=n_tr, n_te=n_te, n_sv=n_sv, ent=ent, gpu_kw=gpu_kw):
                t, lo, hi = gpu_statevector_energy(x, n_tr, n_te, n_sv, ent, **gpu_kw)
                if u is None:
                    return t
                with np.errstate(invalid="ignore"):
                    return np.where(np.isfinite(hi), np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo))), np.inf)

            gpu = Series("gpu (modelled)", np.array([]), np.array([]), model=gpu_model,
                         wall=float(list(WALLS.values())[-1][0]), label=f"{GPU['name']} model, {gpu_text}")
            sims_all = [*sims, gpu]
            for sim_list, compared in [([s], s.name) for s in sims_all] + [(sims_all, "cheapest available")]:
                cr = find_break_even(hw, sim_list, x_to=max_qubits, max_extrapolation=max_extrapolation,
                                     n_draws=draws)
                be_rows.append(_be_row(base, "hardware < simulation", compared, cr, hw, sim_list, pricing,
                                       max_extrapolation, walls))
            ft_c = block[block.series == "ftqc"]
            if len(ft_c) and int(ft_c["learns"].sum()) >= 4:
                # the projected FT energies at the measured sizes (each evaluated from the FT model), fitted
                # with the hardware laws and compared like the NISQ series; label projected
                ft = use(_series_of(ft_c, "ftqc (projected)", _laws_for("hardware", axis, ft_c), True), pair, "ftqc",
                         axis, fixed)
                cr = find_break_even(ft, sims_all, x_to=max_qubits, max_extrapolation=max_extrapolation,
                                     n_draws=draws)
                row = _be_row(base, "ftqc < simulation", "cheapest available", cr, ft, sims_all,
                              _ftqc_pricing_note(frame), max_extrapolation, walls)
                row["notes"] = "; ".join(filter(None, [row["notes"], "fault-tolerant projection (projected): "
                                                       "fitted to the projected energies of the measured sizes"]))
                be_rows.append(row)
        else:
            for series, c in block.groupby("series", sort=False):
                if not series.startswith("simulation:"):
                    continue
                s = _series_of(c, series.split(":", 1)[1], _laws_for(series, axis, c), True)
                if len(np.unique(s.x)) < 3:
                    continue
                use(s, pair, series, axis, fixed)
                cr = _poly_break_even(hw, s, axis, max_qubits, max_samples, max_extrapolation, draws)
                be_rows.append(_be_row(base, "hardware < simulation", s.name, cr, hw, [s], pricing,
                                       max_extrapolation, walls))
        cl = block[block.series == "classical"]
        if len(cl) >= 3:
            s = use(_series_of(cl, "classical", _laws_for("classical", axis, cl), False), pair, "classical",
                    axis, fixed)
            cr = _poly_break_even(hw, s, axis, max_qubits, max_samples, max_extrapolation, draws)
            be_rows.append(_be_row(base, "hardware < classical", "classical model", cr, hw, [s], pricing,
                                   max_extrapolation, walls))
    seen = {r["pair"] for r in be_rows}
    for label, cm, qm, ent in _pair_keys(frame):  # a pair with too few sizes is listed, not dropped
        if label in seen:
            continue
        q = frame[frame["model"] == qm]
        if "entanglement" in q and not _is_nn(label):
            q = q[q["entanglement"].fillna("full").astype(str) == ent]
        n_sizes = int(q["qubits"].nunique()) if not q.empty else 0
        why = (f"excluded: {n_sizes} qubit sizes of {qm} at any sample count (a curve needs 3 sizes, a "
               "break-even 4 that pass the quality gate)" if q.empty or n_sizes < 3 else
               f"excluded: no sample count with 3 or more sizes of both {cm} and {qm}")
        be_rows.append({"pair": label, "axis": "qubits", "fixed": "-", "comparison": "hardware < simulation",
                        "simulator": "", "simulator_compared": "", "status": why, "hardware_pricing": ""})
    if gpu_rows:
        curves = pd.concat([curves, *gpu_rows], ignore_index=True)
    for key, s in used.items():
        x_all = s.x
        fits = s.fits()
        fit_objects[key] = fits
        for rank, f in enumerate(fits):
            fit_rows.append({
                "pair": key[0], "series": key[1], "axis": key[2], "fixed": key[3], "law": f.law,
                "formula": f.law_spec.formula, "params": [float(v) for v in f.params], "fitted": f.describe(),
                "n": f.n, "r2_log": f.r2_log, "rmse_log10": f.rmse_log10, "aicc": f.aicc, "best": rank == 0,
                "points": ("sizes where the quantum model passes the quality gate" if key[1] != "classical"
                           else "every measured size"), "x_range": f"{np.min(x_all):g}-{np.max(x_all):g}",
                "rejected_laws": "; ".join(s.extra.get("rejected", [])),
            })
    be_df = pd.DataFrame(be_rows, columns=BREAKEVEN_COLUMNS)
    hw_df = (pd.concat(hw_rows, ignore_index=True)[HARDWARE_COLUMNS] if hw_rows
             else pd.DataFrame(columns=HARDWARE_COLUMNS))
    return ScalingAnalysis(curves, pd.DataFrame(fit_rows), be_df, fit_objects, walls, hw_df,
                           {"max_qubits": max_qubits, "max_samples": max_samples,
                            "max_extrapolation": max_extrapolation, "draws": draws, "margin": margin,
                            "rules": {v: k for k, v in rules.items()}})


#: Columns of ``breakeven.csv``, in order.
BREAKEVEN_COLUMNS = [
    "pair", "axis", "fixed", "comparison", "simulator_compared", "simulator", "x", "low", "high", "status",
    "extrapolation", "max_extrapolation", "measured_range", "points_excluded", "never_share", "draws",
    "interval_sources", "laws", "walls", "hardware_pricing", "notes", "mode", "hardware_series",
]


def _poly_break_even(hw, s, axis, max_qubits, max_samples, max_extrapolation, draws):
    """Polynomial comparison (samples axis, or vs the classical model): same draws, in log x along samples."""

    if axis == "samples":
        lx = np.log10
        hw_l = hw if hw.extra.get("log_x") else Series(hw.name, lx(hw.x), hw.y, hw.y_low, hw.y_high, laws=hw.laws)
        s_l = Series(s.name, lx(s.x), s.y, laws=s.laws)
        cr = find_break_even(hw_l, [s_l], x_to=math.log10(max_samples), max_extrapolation=1.0,
                             n_draws=draws)
        for k in ("x", "low", "high"):
            v = getattr(cr, k)
            setattr(cr, k, 10**v if np.isfinite(v) else v)
        cr.extrapolation = (10**cr.extrapolation if np.isfinite(cr.extrapolation) else cr.extrapolation)
        cr.status = cr.status.replace("qubits beyond", "decades beyond").replace("limit 1)", "limit 1 decade)")
        cr.status = re.sub(r"no crossing up to [-+0-9.e]+ qubits", f"no crossing up to {max_samples:g} samples",
                           cr.status)
        cr.notes.append("along samples the laws are fitted in log10(samples); extrapolation is a factor")
        return cr
    return find_break_even(hw, [s], x_to=max_qubits, max_extrapolation=max_extrapolation, n_draws=draws)


def _ftqc_pricing_note(frame: pd.DataFrame) -> str:
    """The FT preset and shot range of a sweep's projected rows."""
    q = frame[frame["ft_energy_method"].astype(str) == "projected"] if "ft_energy_method" in frame else frame.iloc[:0]
    if q.empty:
        return ""
    shots = q["ft_shots"].astype(float).dropna()
    return (f"{', '.join(sorted(set(map(str, q['ft_device']))))}; ft shots {shots.min():g}-{shots.max():g} "
            "(shot noise alone); physical qubits "
            f"{q['ft_physical_qubits'].astype(float).min():g}-{q['ft_physical_qubits'].astype(float).max():g}")


def _pricing_note(frame: pd.DataFrame, pair: str, rules: dict[str, str]) -> str:
    """The hardware's priced shots and mitigation, short; each shot-rule text once in ``rules`` (text -> id)."""
    qm = _PAIRS["nn" if _is_nn(pair) else "svm"][1]
    q = frame[frame["model"] == qm]
    m = re.search(r"\((\w+)\)$", pair)
    if m and "entanglement" in q:
        q = q[q["entanglement"].fillna("full").astype(str) == m.group(1)]
    if q.empty:
        return ""
    shots = sorted({int(v) for v in q["shots"].dropna()}) if "shots" in q else []
    mit = sorted({float(v) for v in q["hw_mitigation_factor"].dropna()}) if "hw_mitigation_factor" in q else []
    shots_text = (f"{shots[0]}-{shots[-1]} ({len(shots)} values)" if len(shots) > 3
                  else ",".join(map(str, shots)) or "-")
    text = f"measured shots {shots_text}, mitigation factor {','.join(f'{m:g}' for m in mit) or '-'}"
    if "shots_rule" in q.columns and q["shots_rule"].notna().any():
        forms = sorted({re.sub(r"(?<![<>])= [-+0-9.e]+", "= ...", t) for t in map(str, q["shots_rule"].dropna())})
        ids = []
        for t in forms:
            rules.setdefault(t, f"R{len(rules) + 1}")
            ids.append(rules[t])
        text += f"; shot rule {', '.join(ids)}"
    for col in ("hw_mitigation", "hw_esp"):
        if col in q.columns and q[col].notna().any():
            vals = q[col].dropna()
            if pd.api.types.is_numeric_dtype(vals):
                text += f"; {col} {float(vals.min()):.3g}-{float(vals.max()):.3g}"
            else:
                text += f"; {col} {', '.join(sorted(set(map(str, vals))))}"
    if not any(c in q.columns for c in ("shots_rule", "hw_mitigation")):
        text += ("; the shots were fixed, not checked to reproduce the accuracy (no shots_rule column in "
                 "these rows)")
    return text


def _be_row(base, comparison, compared, cr, hw, sims, pricing, max_extrapolation, walls) -> dict:
    mx = np.asarray(hw.extra.get("measured_x", hw.x), dtype=float)
    meas = f"{np.min(mx):g}-{np.max(mx):g}" if len(mx) else "-"
    if hw.model is not None and len(hw.x):
        meas += f" (cost model evaluated {np.min(hw.x):g}-{np.max(hw.x):g})"
    sim_meas = ", ".join(f"{s.name} {np.min(s.x):g}-{np.max(s.x):g}" for s in sims if s.model is None and len(s.x))
    return {
        **base, "comparison": comparison, "simulator_compared": compared,
        "simulator": cr.simulator or (compared if len(sims) == 1 else ""),
        "x": cr.x, "low": cr.low, "high": cr.high, "status": cr.status,
        "extrapolation": cr.extrapolation, "max_extrapolation": max_extrapolation,
        "measured_range": f"hardware {meas}" + (f"; {sim_meas}" if sim_meas else ""),
        "never_share": cr.never_share, "draws": cr.draws,
        "interval_sources": cr.sources, "laws": cr.laws,
        "walls": "; ".join(f"{s.name} <= {s.wall:g}" for s in sims if np.isfinite(s.wall)),
        "hardware_pricing": pricing, "notes": "; ".join(cr.notes),
        "hardware_series": "evaluated" if hw.model is not None else "fitted",
    }

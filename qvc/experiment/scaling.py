"""Growth laws of cost curves and the break-even point of hardware vs classical computation.

From a sweep's result table this module builds cost curves (energy vs qubits
at a fixed sample count, and vs samples at a fixed qubit count), fits growth
laws to each, and extrapolates where the *modelled* hardware energy of the
quantum model falls below (a) the *measured or estimated* local energy of the
classical simulation of the same quantum model, and (b) the local energy of
the matched classical model.

All laws are fitted by least squares on ``ln(energy)`` (energies span orders
of magnitude; a relative error is what matters), so the fit quality numbers
are in log space: ``r2_log`` and ``rmse_log10`` (``10**rmse_log10`` is the
typical factor by which a point misses the curve). Laws are ranked by AICc.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Pairs: name -> (classical model, quantum model), from the model registry.
from qvc.models.registry import PAIRS as _PAIRS

_LN2 = math.log(2.0)


@dataclass(frozen=True)
class Law:
    """A growth law ``y = f(x; params)`` with a formula for the report."""

    name: str
    formula: str
    n_params: int
    func: Callable[..., np.ndarray]
    p0: Callable[[np.ndarray, np.ndarray], list[float]]
    bounds: tuple[list[float], list[float]]


def _p0_linear(x, y):
    b = max((y[-1] - y[0]) / max(x[-1] - x[0], 1e-12), 1e-12)
    return [max(y[0] - b * x[0], 1e-12), b]


def _p0_quad(x, y):
    a, b = _p0_linear(x, y)
    return [a, b, 1e-12]


def _p0_exp(x, y):
    slope, icpt = np.polyfit(x, np.log(y), 1)
    return [math.exp(icpt), max(slope / _LN2, 1e-6)]


def _p0_expfloor(x, y):
    a, b = _p0_exp(x, y)
    return [max(y.min() * 0.5, 1e-12), a * 0.5, b]


def _p0_power(x, y):
    slope, icpt = np.polyfit(np.log(x), np.log(y), 1)
    return [math.exp(icpt), slope]


_INF = np.inf
#: The candidate laws. ``x`` is qubits or samples; all parameters but exponents are >= 0.
LAWS: dict[str, Law] = {
    "linear": Law("linear", "a + b*x", 2, lambda x, a, b: a + b * x, _p0_linear, ([0, 0], [_INF, _INF])),
    "quadratic": Law("quadratic", "a + b*x + c*x^2", 3, lambda x, a, b, c: a + b * x + c * x * x,
                     _p0_quad, ([0, 0, 0], [_INF, _INF, _INF])),
    "power": Law("power", "a * x^b", 2, lambda x, a, b: a * np.power(x, b), _p0_power,
                 ([0, -_INF], [_INF, _INF])),
    "exponential": Law("exponential", "a * 2^(b*x)", 2, lambda x, a, b: a * np.exp(_LN2 * b * x), _p0_exp,
                       ([0, -_INF], [_INF, _INF])),
    "exp+floor": Law("exp+floor", "c + a * 2^(b*x)", 3,
                     lambda x, c, a, b: c + a * np.exp(_LN2 * b * x), _p0_expfloor,
                     ([0, 0, 0], [_INF, _INF, _INF])),
}

#: Laws whose growth is exponential (statevector simulation is exponential in qubits).
EXPONENTIAL_LAWS = ("exponential", "exp+floor")

#: Candidate laws per axis. Along samples every model here is polynomial (kernel matrices
#: are N^2 entries, SVM training N^2..N^3, networks linear in N), so an exponential
#: fitted to a few noisy points would only produce a spurious extrapolation.
AXIS_LAWS = {
    "qubits": tuple(LAWS),
    "samples": ("linear", "quadratic", "power"),
}


@dataclass
class GrowthFit:
    """A law fitted to one curve.

    Attributes
    ----------
    law : str
    params : ndarray
    cov : ndarray
        Parameter covariance (``inf`` where the data cannot constrain it).
    n : int
        Points fitted.
    r2_log : float
        R-squared of ``ln(y)``.
    rmse_log10 : float
        Root-mean-square residual of ``log10(y)``.
    aicc : float
        Corrected Akaike information criterion (lower is better; ``inf`` when n <= k + 1).
    x_min, x_max : float
        Range of the fitted data.
    """

    law: str
    params: np.ndarray
    cov: np.ndarray
    n: int
    r2_log: float
    rmse_log10: float
    aicc: float
    x_min: float
    x_max: float

    def predict(self, x, params: np.ndarray | None = None) -> np.ndarray:
        """Evaluate the law at ``x`` (with ``params`` instead of the fitted ones if given)."""
        p = self.params if params is None else params
        with np.errstate(over="ignore", invalid="ignore"):
            return LAWS[self.law].func(np.asarray(x, dtype=float), *p)

    def describe(self) -> str:
        """Formula with the fitted numbers, e.g. ``'3.1 + 0.52*x'``."""
        p = [f"{v:.3g}" for v in self.params]
        templates = {
            "linear": "{0} + {1}*x", "quadratic": "{0} + {1}*x + {2}*x^2", "power": "{0} * x^{1}",
            "exponential": "{0} * 2^({1}*x)", "exp+floor": "{0} + {1} * 2^({2}*x)",
        }
        return templates[self.law].format(*p)


def fit_law(x, y, law: str) -> GrowthFit | None:
    """Fit one law to positive ``y``; ``None`` if it does not converge or has too few points.

    Examples
    --------
    >>> x = np.arange(2, 12); f = fit_law(x, 0.5 * 2.0 ** x, "exponential")
    >>> round(float(f.params[1]), 6), f.r2_log > 0.999
    (1.0, True)
    """
    from scipy.optimize import curve_fit

    spec = LAWS[law]
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & (y > 0)
    x, y = x[keep], y[keep]
    order = np.argsort(x)
    x, y = x[order], y[order]
    n, k = len(x), spec.n_params
    if n < k + 1 or len(np.unique(x)) < k:
        return None
    ly = np.log(y)

    def model(xx, *p):
        return np.log(np.maximum(spec.func(xx, *p), 1e-300))

    p0 = np.clip(spec.p0(x, y), [b + 1e-12 if np.isfinite(b) else -1e300 for b in spec.bounds[0]], None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            params, cov = curve_fit(model, x, ly, p0=p0, bounds=spec.bounds, maxfev=20000)
    except (RuntimeError, ValueError):
        return None
    resid = ly - model(x, *params)
    rss = float(np.sum(resid**2))
    tss = float(np.sum((ly - ly.mean()) ** 2))
    r2 = 1.0 - rss / tss if tss > 0 else (1.0 if rss < 1e-20 else 0.0)
    rss_eff = max(rss, 1e-300)
    aicc = n * math.log(rss_eff / n) + 2 * k + (2 * k * (k + 1) / (n - k - 1) if n > k + 1 else math.inf)
    return GrowthFit(law, np.asarray(params), np.asarray(cov), n, r2,
                     math.sqrt(rss / n) / math.log(10), aicc, float(x.min()), float(x.max()))


def fit_all(x, y, laws=None) -> list[GrowthFit]:
    """Fit every candidate law; return the fits ranked best first (AICc, then R^2)."""
    fits = [f for f in (fit_law(x, y, name) for name in (laws or LAWS)) if f is not None]
    return sorted(fits, key=lambda f: (f.aicc, -f.r2_log))


@dataclass
class BreakEven:
    """Where curve ``a`` (hardware) falls below curve ``b``.

    ``x`` is ``nan`` when it does not within ``[x_from, x_to]``; ``low``/``high``
    bound the crossing (``inf`` high: some of the uncertainty never crosses).
    """

    x: float
    low: float
    high: float
    interval_source: str
    already_below: bool = False
    notes: list[str] = field(default_factory=list)


def _first_below(grid: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """First grid x (per row) where a <= b after being above; nan if never; grid[0] if from the start."""
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    below = a <= b
    idx = np.argmax(below, axis=1)
    found = below[np.arange(below.shape[0]), idx]
    out = np.where(found, grid[idx], np.nan)
    # Interpolate in log space between the last point above and the first below.
    for r in np.nonzero(found & (idx > 0))[0]:
        i = idx[r]
        g0 = math.log(a[r, i - 1]) - math.log(b[r, i - 1])
        g1 = math.log(max(a[r, i], 1e-300)) - math.log(max(b[r, i], 1e-300))
        out[r] = grid[i - 1] + (grid[i] - grid[i - 1]) * g0 / (g0 - g1) if g0 != g1 else grid[i]
    return out


def _grid(x_from: float, x_to: float, axis: str) -> np.ndarray:
    if axis == "samples":
        return np.geomspace(x_from, x_to, 4000)
    return np.linspace(x_from, x_to, 4000)


def break_even(
    hw: GrowthFit,
    other: GrowthFit,
    x_to: float,
    *,
    axis: str = "qubits",
    hw_low: GrowthFit | None = None,
    hw_high: GrowthFit | None = None,
    n_draws: int = 2000,
    seed: int = 0,
) -> BreakEven:
    """Extrapolate where ``hw`` falls below ``other``, with an interval.

    The interval comes from the cost model's own uncertainty when ``hw_low``
    and ``hw_high`` (laws fitted to its low/high energy bounds) are given;
    otherwise from the fits' parameter uncertainty: a 90% interval over
    ``n_draws`` Monte Carlo draws of both fits' parameters from their
    covariance. The result says which.

    Examples
    --------
    >>> x = np.arange(2, 15)
    >>> sim = fit_law(x, 1e-3 * 2.0 ** x, "exponential"); hw = fit_law(x, 100 + 10 * x, "linear")
    >>> round(break_even(hw, sim, 100).x, 1)
    18.1
    """
    x_from = min(hw.x_min, other.x_min)
    grid = _grid(x_from, max(x_to, x_from * 1.0001), axis)
    x_star = float(_first_below(grid, hw.predict(grid), other.predict(grid))[0])
    res = BreakEven(x_star, math.nan, math.nan, "", already_below=bool(x_star == grid[0]))
    if hw_low is not None and hw_high is not None:
        lo = float(_first_below(grid, hw_low.predict(grid), other.predict(grid))[0])
        hi = float(_first_below(grid, hw_high.predict(grid), other.predict(grid))[0])
        res.low = lo
        res.high = hi if not math.isnan(hi) else math.inf
        res.interval_source = "cost-model interval (hw_energy_j_low/high, each fitted with the hardware law)"
        return res
    rng = np.random.default_rng(seed)
    draws = []
    for f in (hw, other):
        if not np.all(np.isfinite(f.cov)):
            res.interval_source = "none: a fit's parameters are unconstrained (too few points)"
            return res
        p = rng.multivariate_normal(f.params, f.cov, size=n_draws, check_valid="ignore")
        lo_b = np.asarray(LAWS[f.law].bounds[0], dtype=float)
        draws.append(np.maximum(p, lo_b))
    a = np.stack([hw.predict(grid, p) for p in draws[0]])
    b = np.stack([other.predict(grid, p) for p in draws[1]])
    xs = _first_below(grid, a, b)
    xs = np.where(np.isnan(xs), np.inf, xs)
    res.low = float(np.quantile(xs, 0.05, method="nearest"))
    res.high = float(np.quantile(xs, 0.95, method="nearest"))
    never = float(np.mean(np.isinf(xs)))
    res.interval_source = "fit parameter uncertainty (90% interval, Monte Carlo over both fits' covariance)"
    if never > 0:
        res.notes.append(f"{never:.0%} of draws never cross up to {x_to:g}")
    return res


#: The curve series of a pair.
SERIES = {
    "classical": "local energy of the classical model (fit + predict), measured or estimated",
    "simulation": "local energy of classically simulating the quantum model (fit + predict), measured or estimated",
    "hardware": "modelled energy of running the quantum model's circuits on the device (fit + predict)",
}


def cost_curves(frame: pd.DataFrame) -> pd.DataFrame:
    """Aggregate result rows into cost curves (mean over seeds).

    Returns one row per (pair, series, axis, fixed, x) with ``y`` (mean J),
    ``y_std``, ``n_seeds``, ``y_low``/``y_high`` (hardware rows only, when the
    cost model provides ``hw_energy_j_low/high``) and the energy label.
    ``axis`` is ``qubits`` (``fixed`` = total samples) or ``samples``
    (``fixed`` = qubits); a curve needs three or more distinct ``x``.
    """
    df = frame.copy()
    df["n_total"] = df["n_train"].astype(float) + df["n_test"].astype(float)
    df["local_j"] = df["fit_energy_j"].astype(float) + df["predict_energy_j"].astype(float)
    has_int = {"hw_energy_j_low", "hw_energy_j_high"} <= set(df.columns)
    out = []
    for pair, (cm, qm) in _PAIRS.items():
        parts = {
            "classical": (df[df["model"] == cm], "local_j", "fit_energy_method"),
            "simulation": (df[df["model"] == qm], "local_j", "fit_energy_method"),
            "hardware": (df[df["model"] == qm], "hw_energy_j", "hw_energy_method"),
        }
        for series, (sub, col, label_col) in parts.items():
            if sub.empty:
                continue
            for axis, xcol, fcol in (("qubits", "qubits", "n_total"), ("samples", "n_total", "qubits")):
                for fixed, g in sub.groupby(fcol):
                    if g[xcol].nunique() < 3:
                        continue
                    agg = g.groupby(xcol).agg(
                        y=(col, "mean"), y_std=(col, "std"), n_seeds=(col, "size"),
                        **({"y_low": ("hw_energy_j_low", "mean"), "y_high": ("hw_energy_j_high", "mean")}
                           if (has_int and series == "hardware") else {}),
                    ).reset_index().rename(columns={xcol: "x"})
                    agg.insert(0, "fixed", float(fixed))
                    agg.insert(0, "axis", axis)
                    agg.insert(0, "series", series)
                    agg.insert(0, "pair", pair)
                    agg["label"] = ",".join(sorted(set(map(str, g[label_col].dropna()))))
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
        From :func:`cost_curves`.
    fits : DataFrame
        Every law fitted to every curve, with fit quality and ``best``.
    breakeven : DataFrame
        One row per (pair, comparison, axis, fixed value[, assumed law]).
    fit_objects : dict
        ``(pair, series, axis, fixed) -> [GrowthFit, ...]`` best first.
    """

    curves: pd.DataFrame
    fits: pd.DataFrame
    breakeven: pd.DataFrame
    fit_objects: dict


def _interval_fits(curve: pd.DataFrame, law: str):
    if "y_low" not in curve or curve["y_low"].isna().all() or curve["y_high"].isna().all():
        return None, None
    return fit_law(curve["x"], curve["y_low"], law), fit_law(curve["x"], curve["y_high"], law)


def analyse(frame: pd.DataFrame, *, max_qubits: int = 200, max_samples: int = 1_000_000) -> ScalingAnalysis:
    """Fit growth laws to every cost curve of ``frame`` and extrapolate the break-even points.

    Parameters
    ----------
    frame : DataFrame
        Result rows of a sweep (:func:`~qvc.experiment.results.load_results`).
    max_qubits, max_samples : int
        How far the break-even search extrapolates along each axis.

    Returns
    -------
    ScalingAnalysis

    Examples
    --------
    >>> rows = [{"model": m, "qubits": q, "n_train": 30, "n_test": 10, "fit_energy_j": e, "predict_energy_j": 0.0,
    ...          "fit_energy_method": "estimated", "hw_energy_j": h, "hw_energy_method": "modelled"}
    ...         for q in range(2, 9) for m, e, h in (("svm", 0.01, np.nan), ("qsvc", 1e-3 * 4.0 ** q, 1e3 + 10 * q))]
    >>> a = analyse(pd.DataFrame(rows))
    >>> row = a.breakeven.query("comparison == 'hardware < simulation'").iloc[0]
    >>> row["law_other"], round(float(row["x"]), 1)
    ('exponential', 10.0)
    """
    curves = cost_curves(frame)
    fit_rows, fit_objects, be_rows = [], {}, []
    for key, c in curves.groupby(["pair", "series", "axis", "fixed"], sort=False):
        fits = fit_all(c["x"], c["y"], AXIS_LAWS.get(key[2]))
        fit_objects[key] = fits
        for rank, f in enumerate(fits):
            fit_rows.append({
                "pair": key[0], "series": key[1], "axis": key[2], "fixed": key[3], "law": f.law,
                "formula": LAWS[f.law].formula, "params": [float(v) for v in f.params], "fitted": f.describe(),
                "n": f.n, "r2_log": f.r2_log, "rmse_log10": f.rmse_log10, "aicc": f.aicc, "best": rank == 0,
            })
    for (pair, series, axis, fixed), fits in fit_objects.items():
        if series != "hardware" or not fits:
            continue
        hw = fits[0]
        x_to = max_qubits if axis == "qubits" else max_samples
        hw_curve = curves[(curves.pair == pair) & (curves.series == "hardware") & (curves.axis == axis)
                          & (curves.fixed == fixed)]
        hw_lo, hw_hi = _interval_fits(hw_curve, hw.law)
        comparisons = (("simulation", "hardware < simulation"), ("classical", "hardware < classical"))
        for other_series, comparison in comparisons:
            others = fit_objects.get((pair, other_series, axis, fixed), [])
            if not others:
                continue
            candidates = [(others[0], "best fit")]
            if other_series == "simulation" and axis == "qubits" and others[0].law not in EXPONENTIAL_LAWS:
                exp = [f for f in others if f.law in EXPONENTIAL_LAWS]
                if exp:
                    candidates.append((exp[0], "assumed exponential (asymptotic statevector cost)"))
            for other, basis in candidates:
                be = break_even(hw, other, x_to, axis=axis, hw_low=hw_lo, hw_high=hw_hi)
                for name, f in (("hardware", hw), (other_series, other)):
                    if f.r2_log < 0.9:
                        be.notes.append(f"{name} fit is poor (R2log {f.r2_log:.2f}): treat the crossing as indicative")
                if be.interval_source.startswith("cost-model"):
                    be.notes.append("interval excludes the fits' own uncertainty")
                be_rows.append({
                    "pair": pair, "comparison": comparison, "axis": axis,
                    "fixed": f"{'samples' if axis == 'qubits' else 'qubits'} = {fixed:g}",
                    "law_hw": f"{hw.law} (R2log {hw.r2_log:.3f})",
                    "law_other": other.law, "other_r2_log": other.r2_log, "basis": basis,
                    "x": be.x, "low": be.low, "high": be.high,
                    "already_below": be.already_below, "search_to": x_to,
                    "measured_range": f"{other.x_min:g}-{other.x_max:g}",
                    "interval_source": be.interval_source, "notes": "; ".join(be.notes),
                })
    fits_df = pd.DataFrame(fit_rows)
    be_df = pd.DataFrame(be_rows)
    return ScalingAnalysis(curves, fits_df, be_df, fit_objects)

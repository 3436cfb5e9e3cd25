"""Growth laws of cost curves: the candidate laws and their least-squares fits on ``ln(energy)``.

A leaf module (numpy and scipy only): :mod:`~qvc.analysis.breakeven` and
:mod:`~qvc.analysis.scaling` both fit with it.

All laws are fitted by least squares on ``ln(energy)`` (energies span orders
of magnitude; a relative error is what matters), so the fit quality numbers
are in log space: ``r2_log`` and ``rmse_log10`` (``10**rmse_log10`` is the
typical factor by which a point misses the curve). Laws are ranked by AICc.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

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
    spec: Law | None = None

    @property
    def law_spec(self) -> Law:
        """The :class:`Law` fitted (a built-in one by name, or the one passed to :func:`fit_law`)."""
        return self.spec if self.spec is not None else LAWS[self.law]

    def predict(self, x, params: np.ndarray | None = None) -> np.ndarray:
        """Evaluate the law at ``x`` (with ``params`` instead of the fitted ones if given)."""
        p = self.params if params is None else params
        with np.errstate(over="ignore", invalid="ignore"):
            return self.law_spec.func(np.asarray(x, dtype=float), *p)

    def describe(self) -> str:
        """Formula with the fitted numbers, e.g. ``'3.1 + 0.52*x'``."""
        p = [f"{v:.3g}" for v in self.params]
        templates = {
            "linear": "{0} + {1}*x", "quadratic": "{0} + {1}*x + {2}*x^2", "power": "{0} * x^{1}",
            "exponential": "{0} * 2^({1}*x)", "exp+floor": "{0} + {1} * 2^({2}*x)",
        }
        if self.law in templates:
            return templates[self.law].format(*p)
        text = self.law_spec.formula
        for name, value in zip(("c", "a", "b"), p):
            text = re.sub(rf"\b{name}\b", value, text)
        return text


def fit_law(x, y, law: str | Law, p0=None) -> GrowthFit | None:
    """Fit one law to positive ``y``; ``None`` if it does not converge or has too few points.

    Examples
    --------
    >>> x = np.arange(2, 12); f = fit_law(x, 0.5 * 2.0 ** x, "exponential")
    >>> round(float(f.params[1]), 6), f.r2_log > 0.999
    (1.0, True)
    """
    from scipy.optimize import curve_fit

    spec = law if isinstance(law, Law) else LAWS[law]
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

    lo = [b + 1e-12 if np.isfinite(b) else -1e300 for b in spec.bounds[0]]
    hi = [b - 1e-12 if np.isfinite(b) else 1e300 for b in spec.bounds[1]]
    p0 = np.clip(spec.p0(x, y) if p0 is None else p0, lo, hi)
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
    return GrowthFit(spec.name, np.asarray(params), np.asarray(cov), n, r2,
                     math.sqrt(rss / n) / math.log(10), aicc, float(x.min()), float(x.max()),
                     spec if isinstance(law, Law) else None)

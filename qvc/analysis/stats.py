"""Statistics across seeds: means with 95 % confidence intervals, paired differences.

Seeds are treated as independent repetitions of the whole pipeline (split,
initialisation, sampling). Intervals use Student's t distribution, the usual
choice for a handful of repetitions; with one seed no interval is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as _sps

#: Confidence level of every interval in the reports.
CONFIDENCE = 0.95
#: Significance level of the accuracy-difference test.
ALPHA = 0.05


@dataclass(frozen=True)
class Summary:
    """Mean of some values with its 95 % t interval.

    Attributes
    ----------
    n : int
        Number of finite values.
    mean, std : float
        Mean and sample standard deviation (``nan`` when undefined).
    low, high : float
        95 % confidence interval of the mean (``nan`` with fewer than two values).
    """

    n: int
    mean: float
    std: float
    low: float
    high: float

    @property
    def half_width(self) -> float:
        """Half the interval width (``nan`` without an interval)."""
        return (self.high - self.low) / 2 if self.n >= 2 else math.nan

    def clip(self, low: float = -math.inf, high: float = math.inf) -> Summary:
        """The same summary with its interval clipped to the possible range ``[low, high]``.

        Examples
        --------
        >>> mean_ci([0.9, 1.0]).clip(0, 1).high
        1.0
        """
        if self.n < 2 or math.isnan(self.low):
            return self
        return Summary(self.n, self.mean, self.std, float(max(self.low, low)), float(min(self.high, high)))

    def text(self, spec: str = ".3g") -> str:
        """``'mean'`` or ``'mean [low, high]'``; ``'-'`` when there is no value.

        Values identical on every seed show no interval.
        """
        if self.n == 0:
            return "-"
        if self.n < 2 or math.isnan(self.low) or self.std <= 1e-12 * abs(self.mean):
            return format(self.mean, spec)
        return f"{format(self.mean, spec)} [{format(self.low, spec)}, {format(self.high, spec)}]"


def mean_ci(
    values, confidence: float = CONFIDENCE, *, low: float = -math.inf, high: float = math.inf
) -> Summary:
    """Mean and t confidence interval of the finite ``values``.

    ``low`` and ``high`` clip the interval to the quantity's possible range
    (e.g. 0 and 1 for an accuracy, 0 for an energy): with few seeds the t
    interval can otherwise extend past what the quantity can be.

    Examples
    --------
    >>> s = mean_ci([0.9, 1.0, 0.95])
    >>> round(s.mean, 3), round(s.low, 3), round(s.high, 3)
    (0.95, 0.826, 1.074)
    >>> mean_ci([0.9]).text()
    '0.9'
    >>> mean_ci([0.9, 1.0], low=0, high=1).text()
    '0.95 [0.315, 1]'
    """
    x = np.asarray([float(v) for v in values if v is not None], dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n < 2:
        return Summary(1, mean, math.nan, math.nan, math.nan)
    std = float(x.std(ddof=1))
    half = float(_sps.t.ppf(0.5 + confidence / 2, n - 1)) * std / math.sqrt(n)
    return Summary(n, mean, std, float(max(mean - half, low)), float(min(mean + half, high)))


@dataclass(frozen=True)
class PairedDifference:
    """Difference ``b - a`` of paired values (same seeds) and whether it is significant.

    Attributes
    ----------
    n : int
        Number of pairs.
    diff : Summary
        Mean difference with its 95 % interval.
    p_value : float
        Two-sided paired t-test p-value (``nan`` when it cannot be computed).
    significant : bool or None
        ``None`` when significance cannot be judged (fewer than two pairs).
    note : str
        One sentence for the report.
    """

    n: int
    diff: Summary
    p_value: float
    significant: bool | None
    note: str


def paired_difference(a, b, *, what: str = "accuracy", alpha: float = ALPHA) -> PairedDifference:
    """Paired t-test of ``b - a`` over matched seeds.

    Parameters
    ----------
    a, b : sequence of float
        Values of the two models, element ``i`` from the same seed.
    what : str
        Name of the quantity, used in the note.
    alpha : float
        Significance level.

    Examples
    --------
    >>> d = paired_difference([0.9, 0.95, 0.92], [0.91, 0.93, 0.92])
    >>> d.significant, d.note.startswith("accuracy difference not significant")
    (False, True)
    >>> paired_difference([0.9], [0.8]).significant is None
    True
    """
    pairs = [
        (float(x), float(y)) for x, y in zip(a, b)
        if x is not None and y is not None and np.isfinite(float(x)) and np.isfinite(float(y))
    ]
    d = np.asarray([y - x for x, y in pairs], dtype=float)
    n = int(d.size)
    summary = mean_ci(d)
    if n < 2:
        note = (
            f"one seed only: whether the {what} difference is significant cannot be judged; "
            "run more seeds (--seeds 1,2,3,...)"
        ) if n == 1 else f"no paired {what} values"
        return PairedDifference(n, summary, math.nan, None, note)
    if np.allclose(d, d[0]):
        if d[0] == 0:
            note = f"{what} identical on all {n} seeds: no difference"
            return PairedDifference(n, summary, 1.0, False, note)
        note = (f"{what} difference {d[0]:+.3g} on every one of {n} seeds "
                "(no spread, t-test undefined)")
        return PairedDifference(n, summary, 0.0, True, note)
    p = float(_sps.ttest_rel([y for _, y in pairs], [x for x, _ in pairs]).pvalue)
    if p >= alpha:
        note = (f"{what} difference not significant (paired t-test over {n} seeds, "
                f"p = {p:.2g} >= {alpha})")
        return PairedDifference(n, summary, p, False, note)
    note = f"{what} difference significant (paired t-test over {n} seeds, p = {p:.2g} < {alpha})"
    return PairedDifference(n, summary, p, True, note)


def summarize(values, confidence: float = CONFIDENCE) -> Summary:
    """:func:`mean_ci` with the interval clipped to the quantity's possible range.

    A pandas Series named ``accuracy_*`` or ``f1_*`` is clipped to [0, 1]; anything
    else in a result table (energy, time, carbon, counts) to [0, inf).

    Examples
    --------
    >>> import pandas as pd
    >>> summarize(pd.Series([0.9, 1.0], name="accuracy_test")).high
    1.0
    >>> summarize([0.001, 0.04]).low
    0.0
    """
    name = str(getattr(values, "name", "") or "")
    high = 1.0 if name.startswith(("accuracy_", "f1_")) else math.inf
    return mean_ci(values, confidence, low=0.0, high=high)


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the (energy, accuracy) points no other point beats on both (lower energy, higher accuracy).

    Examples
    --------
    >>> pareto_front([(1.0, 0.8), (2.0, 0.9), (3.0, 0.85), (0.5, 0.5)])
    [3, 0, 1]
    """
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], -np.inf
    for i in order:
        e, a = points[i]
        if np.isfinite(e) and np.isfinite(a) and a > best:
            front.append(i)
            best = a
    return front

"""Statistics across seeds: intervals on the right scale, and comparisons that fit repeated splits.

Each seed is one repetition of the whole pipeline (a fresh random train/test split,
initialisation and sampling). Two consequences shape this module:

* **Accuracies** get arithmetic means with Student-t intervals (clipped to [0, 1]);
  **positive, skewed quantities** (energies, times, carbon, ratios) get geometric means
  with t intervals on the log scale (:func:`log_ci`), which never reach zero.
* Random re-splits share most of their test points, so the plain paired t-test is
  anti-conservative. :func:`compare_accuracy` uses Nadeau & Bengio's corrected resampled
  variance (Machine Learning 52, 2003: ``(1/J + n_test/n_train) s^2`` over ``J`` splits),
  tests equivalence within a declared margin by two one-sided tests (TOST) and difference
  by the two-sided test, both with that variance and ``J - 1`` degrees of freedom, and
  gives the Bayesian correlated t-test's probabilities (Benavoli et al., JMLR 18, 2017;
  ``baycomp.single.Posterior`` with the same corrected variance). :func:`judge_family`
  applies Holm's step-down correction (``statsmodels.stats.multitest.multipletests``)
  across the comparisons of one quantum model, then classifies each classical model as
  equivalent within the margin, better, worse, or inconclusive (with its minimum
  detectable difference).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as _sps

#: Confidence level of every interval in the reports.
CONFIDENCE = 0.95
#: Significance level of the accuracy tests (difference and equivalence).
ALPHA = 0.05
#: Power at which the minimum detectable difference is quoted.
POWER = 0.8
#: Fewest seeds (random splits) a comparison test is run on: two give the test one degree of freedom.
MIN_SEEDS_FOR_TEST = 3
#: Names recorded in metadata.json so a referee can recompute every comparison.
TEST_NAME = "corrected resampled paired t-test (Nadeau & Bengio 2003), TOST for equivalence"
CORRECTION_NAME = "holm"


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
    """The summary a report quotes for a column across seeds.

    A pandas Series named ``accuracy_*`` or ``f1_*`` gets its arithmetic mean with a t interval
    clipped to [0, 1]. Anything else in a result table (energy, time, carbon, counts) is a
    positive, skewed quantity: all values positive -> the geometric mean with its log-scale
    interval (:func:`log_ci`); with a zero or negative value among them the arithmetic mean
    alone (an interval would reach zero, which such a quantity cannot).

    Examples
    --------
    >>> import pandas as pd
    >>> summarize(pd.Series([0.9, 1.0], name="accuracy_test")).high
    1.0
    >>> round(summarize([0.001, 0.04]).mean, 6), summarize([0.001, 0.04]).low > 0
    (0.006325, True)
    >>> summarize([0.0, 2.0]).text()
    '1'
    """
    name = str(getattr(values, "name", "") or "")
    if name.startswith(("accuracy_", "f1_")):
        return mean_ci(values, confidence, low=0.0, high=1.0)
    x = np.asarray([float(v) for v in values if v is not None], dtype=float)
    x = x[np.isfinite(x)]
    if x.size and (x > 0).all():
        return log_ci(x, confidence)
    s = mean_ci(x, confidence)
    return Summary(s.n, s.mean, s.std, math.nan, math.nan) if s.n >= 2 else s


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


def log_ci(values, confidence: float = CONFIDENCE) -> Summary:
    """Geometric mean of the positive finite ``values`` with a t interval on the log scale.

    The right summary of a positive, skewed quantity across seeds (an energy, a time, a
    ratio): its interval is ``exp(mean(log x) +- t * sd(log x) / sqrt(n))``, always above
    zero. ``std`` is the standard deviation of ``log x``. Values <= 0 are left out.

    Examples
    --------
    >>> s = log_ci([2.08e8, 2.03e8, 1.61e9])
    >>> f"{s.mean:.2g} [{s.low:.2g}, {s.high:.2g}]"
    '4.1e+08 [2.1e+07, 7.8e+09]'
    >>> log_ci([5.0]).text()
    '5'
    """
    x = np.asarray([float(v) for v in values if v is not None], dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    n = int(x.size)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    logs = np.log(x)
    centre = float(np.exp(logs.mean()))
    if n < 2:
        return Summary(1, centre, math.nan, math.nan, math.nan)
    sd = float(logs.std(ddof=1))
    half = float(_sps.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return Summary(n, centre, sd, float(np.exp(logs.mean() - half)), float(np.exp(logs.mean() + half)))


@dataclass(frozen=True)
class Comparison:
    """One classical model's test accuracy against one quantum model's, over shared seeds.

    ``diff`` is classical minus quantum; positive: the classical model is more accurate.

    Attributes
    ----------
    n : int
        Shared seeds (random splits).
    diff, se : float
        Mean difference and its corrected standard error (Nadeau & Bengio).
    df : int
        Degrees of freedom (``n - 1``).
    margin : float
        Equivalence margin (absolute accuracy).
    p_difference, p_equivalence : float
        Two-sided p-value of "no difference" and the TOST p-value of "difference outside
        +-margin", both uncorrected (``nan`` with too few seeds).
    p_difference_adj, p_equivalence_adj : float
        The same after Holm's correction across the family (:func:`judge_family`).
    mdd : float
        Minimum detectable difference at ``ALPHA`` (two-sided) and ``POWER``.
    bayes : tuple of float
        Bayesian correlated t-test: P(classical worse by more than the margin), P(within
        the margin), P(classical better by more than the margin).
    verdict : str
        ``equivalent``, ``better``, ``worse``, ``inconclusive`` or ``not judged``.
    """

    n: int
    diff: float
    se: float
    df: int
    margin: float
    p_difference: float
    p_equivalence: float
    mdd: float
    bayes: tuple[float, float, float]
    p_difference_adj: float = math.nan
    p_equivalence_adj: float = math.nan
    verdict: str = "not judged"

    @property
    def interval(self) -> tuple[float, float]:
        """The ``1 - 2 * ALPHA`` (90 %) interval of the difference: TOST's equivalence interval."""
        if self.n < 2:
            return (math.nan, math.nan)
        q = float(_sps.t.ppf(1 - ALPHA, self.df)) if self.se > 0 else 0.0
        return (self.diff - q * self.se, self.diff + q * self.se)

    @property
    def shown_equal_or_better(self) -> bool:
        """Equivalent within the margin, or better: what "does as well" requires."""
        return self.verdict in ("equivalent", "better")

    def text(self) -> str:
        """The comparison in one clause, with the numbers that decide it."""
        if self.verdict == "not judged":
            return (f"not judged: {self.n} shared seed{'s' if self.n != 1 else ''} (a test needs at least "
                    f"{MIN_SEEDS_FOR_TEST})")
        lo, hi = self.interval
        what = {"equivalent": f"equivalent within ±{self.margin:.2g}",
                "better": "better", "worse": "worse",
                "inconclusive": f"inconclusive (detectable difference at this seed count: {self.mdd:.2g})",
                }[self.verdict]
        return (f"{what}: difference {self.diff:+.3f} (90 % CI [{lo:+.3f}, {hi:+.3f}], {self.n} seeds; Holm-adjusted "
                f"p = {self.p_equivalence_adj:.2g} equivalence, {self.p_difference_adj:.2g} difference)")


def corrected_se(diffs, n_test: float, n_train: float) -> float:
    """Nadeau & Bengio's corrected standard error of the mean of ``diffs`` over random splits.

    ``sqrt((1/J + n_test/n_train) * s^2)`` for ``J`` splits with ``n_test`` test and ``n_train``
    training samples each (the plain paired t-test's ``s^2 / J`` ignores that splits overlap).

    Examples
    --------
    >>> round(corrected_se([0.0, 0.02, -0.02], 38, 112), 4)
    0.0164
    """
    d = np.asarray(diffs, dtype=float)
    if d.size < 2:
        return math.nan
    return float(math.sqrt((1.0 / d.size + float(n_test) / float(n_train)) * d.var(ddof=1)))


def compare_accuracy(quantum, classical, *, n_test: float, n_train: float, margin: float,
                     alpha: float = ALPHA) -> Comparison:
    """Compare paired test accuracies (same seeds) of a classical and a quantum model.

    Parameters
    ----------
    quantum, classical : sequence of float
        Accuracies, element ``i`` from the same seed (split).
    n_test, n_train : float
        Test and training samples per split (for the correction).
    margin : float
        Equivalence margin (absolute accuracy, in (0, 1)).

    Examples
    --------
    >>> c = compare_accuracy([0.90, 0.92, 0.91, 0.93], [0.91, 0.92, 0.92, 0.93], n_test=38, n_train=112,
    ...                      margin=0.05)
    >>> round(c.diff, 4), c.p_equivalence < 0.05
    (0.005, True)
    """
    from baycomp.single import Posterior

    pairs = [(float(q), float(c)) for q, c in zip(quantum, classical)
             if q is not None and c is not None and np.isfinite(float(q)) and np.isfinite(float(c))]
    d = np.asarray([c - q for q, c in pairs], dtype=float)
    n = int(d.size)
    if n < MIN_SEEDS_FOR_TEST:
        mean = float(d.mean()) if n else math.nan
        return Comparison(n, mean, math.nan, max(n - 1, 0), margin, math.nan, math.nan, math.nan,
                          (math.nan, math.nan, math.nan))
    mean, se, df = float(d.mean()), corrected_se(d, n_test, n_train), n - 1
    post = Posterior(mean, se**2, df, rope=margin)
    p_left, p_rope, p_right = (float(p) for p in post.probs())
    if se > 0:
        t = _sps.t(df)
        p_diff = float(2 * t.sf(abs(mean) / se))
        # TOST: H0 diff <= -margin (p_low) and H0 diff >= +margin (p_high); equivalence when both reject
        p_equiv = float(max(t.sf((mean + margin) / se), t.cdf((mean - margin) / se)))
        mdd = float((t.ppf(1 - alpha / 2) + t.ppf(POWER)) * se)
    else:  # the same difference on every split: no spread
        p_diff = 0.0 if mean != 0 else 1.0
        p_equiv = 0.0 if abs(mean) < margin else 1.0
        mdd = 0.0
    return Comparison(n, mean, se, df, margin, p_diff, p_equiv, mdd, (p_left, p_rope, p_right))


def non_inferiority_p(c: Comparison) -> float:
    """p-value that the quantum model is worse than the classical by the margin or more.

    The upper one-sided test of the TOST in :func:`compare_accuracy` (``H0: classical -
    quantum >= margin``): small when the quantum model is within the margin of the classical
    model or better. ``nan`` with too few seeds; 0 or 1 when every split gives the same difference.

    Examples
    --------
    >>> c = compare_accuracy([0.90, 0.92, 0.91, 0.93], [0.91, 0.92, 0.92, 0.93], n_test=38, n_train=112,
    ...                      margin=0.05)
    >>> non_inferiority_p(c) < 0.05
    True
    """
    if c.n < MIN_SEEDS_FOR_TEST or not np.isfinite(c.diff):
        return math.nan
    if not c.se > 0:
        return 0.0 if c.diff < c.margin else 1.0
    return float(_sps.t(c.df).cdf((c.diff - c.margin) / c.se))


def _holm(pvalues: list[float], alpha: float) -> list[float]:
    """Holm-adjusted p-values (statsmodels); ``nan`` entries stay ``nan`` and are not counted."""
    from statsmodels.stats.multitest import multipletests

    finite = [i for i, p in enumerate(pvalues) if np.isfinite(p)]
    out = [math.nan] * len(pvalues)
    if finite:
        adj = multipletests([pvalues[i] for i in finite], alpha=alpha, method="holm")[1]
        for i, p in zip(finite, adj):
            out[i] = float(p)
    return out


def judge_family(comparisons: list[Comparison], alpha: float = ALPHA) -> list[Comparison]:
    """Holm-correct a quantum model's comparisons and classify each classical model.

    The equivalence and the difference p-values are each corrected across the family (all
    classical models judged against the same quantum model). A classical model is

    * ``equivalent`` when TOST rejects "outside +-margin" (adjusted p < ``alpha``);
    * else ``better`` / ``worse`` when the difference test rejects "no difference";
    * else ``inconclusive``: neither shown (:attr:`Comparison.mdd` says what the seeds could resolve);
    * ``not judged`` with fewer than :data:`MIN_SEEDS_FOR_TEST` shared seeds.

    Examples
    --------
    >>> same = compare_accuracy([0.9, 0.92, 0.91, 0.93], [0.9, 0.92, 0.915, 0.93], n_test=38, n_train=112,
    ...                         margin=0.05)
    >>> worse = compare_accuracy([0.9, 0.92, 0.91, 0.93], [0.7, 0.71, 0.69, 0.72], n_test=38, n_train=112,
    ...                          margin=0.05)
    >>> [c.verdict for c in judge_family([same, worse])]
    ['equivalent', 'worse']
    """
    from dataclasses import replace

    p_eq = _holm([c.p_equivalence for c in comparisons], alpha)
    p_df = _holm([c.p_difference for c in comparisons], alpha)
    out = []
    for c, pe, pd_ in zip(comparisons, p_eq, p_df):
        if c.n < MIN_SEEDS_FOR_TEST:
            out.append(c)
            continue
        if pe < alpha:
            verdict = "equivalent"
        elif pd_ < alpha:
            verdict = "better" if c.diff > 0 else "worse"
        else:
            verdict = "inconclusive"
        out.append(replace(c, p_equivalence_adj=pe, p_difference_adj=pd_, verdict=verdict))
    return out


def ratio_summary(numerators: dict, denominators: dict, confidence: float = CONFIDENCE) -> Summary:
    """Geometric mean of the per-seed ratios ``numerators[s] / denominators[s]`` with its log-scale interval.

    Seeds missing from either side, or with a non-positive value, are left out.

    Examples
    --------
    >>> s = ratio_summary({1: 10.0, 2: 40.0}, {1: 1.0, 2: 1.0})
    >>> round(s.mean, 6), s.n
    (20.0, 2)
    """
    ratios = [numerators[k] / denominators[k] for k in numerators
              if k in denominators and np.isfinite(numerators[k]) and np.isfinite(denominators[k])
              and numerators[k] > 0 and denominators[k] > 0]
    return log_ci(ratios, confidence)


def declaration(margin: float, target_accuracy: float | None = None) -> dict:
    """What metadata.json records of the comparisons, so a referee can recompute each from results.csv.

    Examples
    --------
    >>> declaration(0.05)["equivalence_margin"], declaration(0.05)["correction"]
    (0.05, 'holm')
    """
    return {
        "test": TEST_NAME,
        "variance": "Nadeau & Bengio (2003) corrected resampled: (1/J + n_test/n_train) * var(d, ddof=1), "
                    "d = classical - quantum test accuracy per seed (split), J seeds; n_test, n_train: the rows' "
                    "mean split sizes; Student t with J - 1 degrees of freedom",
        "equivalence": "TOST: equivalent when max(P(T > (mean + margin)/se), P(T < (mean - margin)/se)) < alpha "
                       "after the correction",
        "difference": "two-sided: 2 P(T > |mean|/se)",
        "bayesian": "baycomp.single.Posterior(mean, se^2, J - 1, rope=margin): P(left), P(rope), P(right)",
        "correction": CORRECTION_NAME,
        "family": "all classical models judged against one quantum model configuration (frontier); one pair alone "
                  "in the headline",
        "classification": "equivalent if the adjusted TOST p < alpha; else better/worse if the adjusted difference "
                          "p < alpha; else inconclusive; fewer than "
                          f"{MIN_SEEDS_FOR_TEST} shared seeds: not judged",
        "alpha": ALPHA,
        "power_for_mdd": POWER,
        "min_seeds": MIN_SEEDS_FOR_TEST,
        "equivalence_margin": float(margin),
        "target_accuracy": (float(target_accuracy) if target_accuracy is not None
                            else "best classical mean test accuracy minus the margin"),
        "energy_summary": "geometric mean over seeds with a t interval of the logs (95 %); ratios: geometric mean "
                          "of the per-seed ratios",
    }

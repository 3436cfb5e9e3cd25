"""Statistics across seeds, checked against scipy's own routines."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from qvc.analysis.stats import mean_ci, paired_difference, summarize
from qvc.report.plots import pareto_front


def test_mean_ci_matches_scipy_t_interval():
    x = [0.91, 0.95, 0.89, 0.97, 0.93]
    s = mean_ci(x)
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
    assert s.n == 5 and math.isclose(s.mean, np.mean(x))
    assert math.isclose(s.low, lo, rel_tol=1e-12) and math.isclose(s.high, hi, rel_tol=1e-12)
    assert s.text(".3g") == f"{np.mean(x):.3g} [{lo:.3g}, {hi:.3g}]"


def test_mean_ci_edge_cases():
    assert mean_ci([]).text() == "-"
    one = mean_ci([0.5, float("nan")])
    assert one.n == 1 and math.isnan(one.low) and one.text() == "0.5"
    assert mean_ci([2.0, 2.0, 2.0]).text() == "2"  # no spread: no interval shown


def test_summarize_clips_to_possible_range():
    acc = summarize(pd.Series([0.9, 1.0], name="accuracy_test"))
    raw = mean_ci([0.9, 1.0])
    assert raw.high > 1 and acc.high == 1.0 and acc.low == raw.low
    energy = summarize(pd.Series([0.001, 0.05], name="fit_energy_j"))
    # a positive quantity: geometric mean, log-scale interval, never a bound at or below zero
    assert mean_ci([0.001, 0.05]).low < 0 and energy.low > 0 and math.isclose(energy.mean, math.sqrt(0.001 * 0.05))


def test_paired_difference_matches_ttest_rel():
    a = [0.95, 0.97, 0.96, 0.94]
    b = [0.90, 0.93, 0.95, 0.91]
    d = paired_difference(a, b)
    p = stats.ttest_rel(b, a).pvalue
    assert math.isclose(d.p_value, p, rel_tol=1e-12)
    assert d.significant is bool(p < 0.05)
    assert math.isclose(d.diff.mean, np.mean(np.subtract(b, a)))


def test_not_significant_note():
    d = paired_difference([0.90, 0.95, 0.92], [0.91, 0.93, 0.93], what="test accuracy")
    assert d.significant is False
    assert d.note.startswith("test accuracy difference not significant (paired t-test over 3 seeds")


def test_degenerate_differences():
    assert paired_difference([0.9, 0.8], [0.9, 0.8]).note.endswith("no difference")
    same = paired_difference([0.9, 0.8], [0.8, 0.7])
    assert same.significant is True and "every one of 2 seeds" in same.note
    assert paired_difference([0.9], [0.8]).significant is None


def test_pareto_front():
    pts = [(1.0, 0.5), (2.0, 0.9), (3.0, 0.8), (10.0, 0.95), (0.5, 0.4)]
    assert pareto_front(pts) == [(0.5, 0.4), (1.0, 0.5), (2.0, 0.9), (10.0, 0.95)]


# -- comparisons that fit repeated random splits (issue 24) -----------------------------------------
from qvc.analysis.stats import (  # noqa: E402
    MIN_SEEDS_FOR_TEST,
    compare_accuracy,
    corrected_se,
    judge_family,
    log_ci,
    ratio_summary,
)


def test_log_ci_is_a_t_interval_of_the_logs_and_never_reaches_zero():
    x = [2.08e8, 2.03e8, 1.61e9]
    s = log_ci(x)
    lo, hi = stats.t.interval(0.95, 2, loc=np.mean(np.log(x)), scale=stats.sem(np.log(x)))
    assert math.isclose(s.mean, stats.gmean(x), rel_tol=1e-12)
    assert math.isclose(s.low, math.exp(lo), rel_tol=1e-12) and math.isclose(s.high, math.exp(hi), rel_tol=1e-12)
    assert s.low > 0 and mean_ci(x).low < 0  # the arithmetic interval would cross zero
    assert log_ci([0.0, -1.0]).n == 0 and log_ci([3.0, 0.0, 3.0]).n == 2


def test_corrected_test_matches_the_nadeau_bengio_formula_and_baycomp():
    """The corrected statistic by hand; baycomp's own correlated t-test where its runs/folds API can express
    the same correction (k-fold: n_test/n_train = 1/(k-1); here 4 folds x 2 runs)."""
    import baycomp

    rng = np.random.default_rng(0)
    q = rng.uniform(0.8, 0.95, 8)
    c = q + rng.normal(0.01, 0.02, 8)
    n_train, n_test = 90, 30  # n_test / n_train = 1/3 = 1/(4 - 1): four folds
    cmp = compare_accuracy(q, c, n_test=n_test, n_train=n_train, margin=0.05)
    d = c - q
    se = math.sqrt((1 / 8 + n_test / n_train) * d.var(ddof=1))
    assert math.isclose(cmp.se, se, rel_tol=1e-12) and math.isclose(corrected_se(d, n_test, n_train), se)
    assert math.isclose(cmp.p_difference, 2 * stats.t.sf(abs(d.mean()) / se, 7), rel_tol=1e-12)
    mean, var, df = baycomp.CorrelatedTTest.compute_statistics(q, c, runs=2)
    assert math.isclose(var, se**2, rel_tol=1e-12) and df == 7
    left, rope, right = baycomp.two_on_single(q, c, rope=0.05, runs=2)
    assert np.allclose(cmp.bayes, (left, rope, right), atol=1e-12)
    # TOST = the larger of the two one-sided p-values = the Bayesian tail mass beyond the margin
    assert math.isclose(cmp.p_equivalence, max(left, right), rel_tol=1e-9)


def test_holm_and_classification_against_statsmodels():
    from statsmodels.stats.multitest import multipletests

    q = [0.90, 0.92, 0.91, 0.93, 0.90]
    fam = [compare_accuracy(q, c, n_test=38, n_train=112, margin=0.05) for c in (
        [0.90, 0.92, 0.915, 0.93, 0.905],   # equivalent
        [0.70, 0.71, 0.69, 0.72, 0.70],     # worse
        [0.99, 0.995, 1.0, 1.0, 0.99],      # better by more than the margin
        [0.80, 1.0, 0.85, 0.99, 0.95])]     # noisy: inconclusive
    judged = judge_family(fam)
    assert [c.verdict for c in judged] == ["equivalent", "worse", "better", "inconclusive"]
    adj = multipletests([c.p_equivalence for c in fam], method="holm")[1]
    assert np.allclose([c.p_equivalence_adj for c in judged], adj)
    assert judged[3].mdd > abs(judged[3].diff) and "inconclusive" in judged[3].text()
    assert [c.shown_equal_or_better for c in judged] == [True, False, True, False]


def test_too_few_seeds_are_not_judged():
    c = judge_family([compare_accuracy([0.9, 0.8], [0.9, 0.85], n_test=38, n_train=112, margin=0.05)])[0]
    assert MIN_SEEDS_FOR_TEST == 3 and c.verdict == "not judged" and "at least 3" in c.text()


def test_ratio_summary_is_the_geometric_mean_of_per_seed_ratios():
    s = ratio_summary({1: 1.36e10, 2: 1.49e11, 3: 5e10, 4: 7.0}, {1: 1.0, 2: 1.0, 3: 1.0})
    assert s.n == 3 and math.isclose(s.mean, stats.gmean([1.36e10, 1.49e11, 5e10]), rel_tol=1e-12)

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
    assert mean_ci([0.001, 0.05]).low < 0 and energy.low == 0.0


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

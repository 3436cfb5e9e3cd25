"""Growth-law fits and break-even extrapolation on curves with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qvc.experiment.scaling import analyse, break_even, fit_all, fit_law


def test_fits_recover_known_laws_and_rank_them():
    x = np.arange(2.0, 15.0)
    exp_fit = fit_law(x, 0.02 * 2.0 ** (0.9 * x), "exponential")
    assert exp_fit.params == pytest.approx([0.02, 0.9], rel=1e-6) and exp_fit.r2_log > 0.999999
    lin = fit_law(x, 5.0 + 3.0 * x, "linear")
    assert lin.params == pytest.approx([5.0, 3.0], rel=1e-6)
    pw = fit_law(np.geomspace(40, 400, 6), 2.0 * np.geomspace(40, 400, 6) ** 1.7, "power")
    assert pw.params == pytest.approx([2.0, 1.7], rel=1e-6)
    rng = np.random.default_rng(0)
    noisy = 0.01 * 2.0 ** x * np.exp(rng.normal(0, 0.05, x.size))
    ranked = fit_all(x, noisy)
    assert ranked[0].law in ("exponential", "exp+floor")
    aicc = {f.law: f.aicc for f in ranked}
    assert aicc["linear"] - aicc["exponential"] > 10  # the data rule the wrong law out decisively
    best = ranked[0]
    assert best.rmse_log10 * math.log(10) == pytest.approx(0.05, rel=0.4)  # recovers the noise level
    assert fit_law([1.0, 2.0], [1.0, 2.0], "quadratic") is None  # too few points


def test_break_even_matches_the_analytic_crossing_and_has_an_interval():
    x = np.arange(2.0, 15.0)
    rng = np.random.default_rng(1)
    sim = fit_law(x, 1e-3 * 2.0 ** x * np.exp(rng.normal(0, 0.05, x.size)), "exponential")
    hw = fit_law(x, (1e4 + 100 * x) * np.exp(rng.normal(0, 0.01, x.size)), "linear")
    be = break_even(hw, sim, 200)
    # analytic: 1e-3 * 2^x = 1e4 + 100 x  ->  x ~ 23.3
    assert be.x == pytest.approx(23.3, abs=0.4)
    assert be.low < be.x < be.high < 200 and "parameter uncertainty" in be.interval_source
    # The cost model's own bounds take precedence and are named.
    lo = fit_law(x, 0.5 * (1e4 + 100 * x), "linear")
    hi = fit_law(x, 2.0 * (1e4 + 100 * x), "linear")
    be2 = break_even(hw, sim, 200, hw_low=lo, hw_high=hi)
    assert be2.low < be2.x < be2.high and "hw_energy_j_low/high" in be2.interval_source
    # A curve that never drops below: no break-even.
    flat = fit_law(x, 1e-3 * (1 + 0 * x) + 1e-6 * x, "linear")
    assert math.isnan(break_even(hw, flat, 200).x)


def test_analyse_uses_cost_model_interval_columns_when_present():
    rows = []
    for q in range(2, 12):
        rows.append({"model": "svm", "qubits": q, "n_train": 30, "n_test": 10, "fit_energy_j": 0.01 + 0.001 * q,
                     "predict_energy_j": 0.0, "fit_energy_method": "estimated", "hw_energy_j": np.nan,
                     "hw_energy_method": ""})
        hw = 1e3 + 50 * q
        rows.append({"model": "qsvc", "qubits": q, "n_train": 30, "n_test": 10, "fit_energy_j": 1e-2 * 3.0 ** q,
                     "predict_energy_j": 0.0, "fit_energy_method": "estimated", "hw_energy_j": hw,
                     "hw_energy_j_low": hw / 3, "hw_energy_j_high": hw * 3, "hw_energy_method": "modelled"})
    a = analyse(pd.DataFrame(rows))
    row = a.breakeven.query("comparison == 'hardware < simulation'").iloc[0]
    assert row["low"] < row["x"] < row["high"] and "hw_energy_j_low/high" in row["interval_source"]
    assert {"classical", "simulation", "hardware"} <= set(a.curves["series"])
    best = a.fits[a.fits.best & (a.fits.series == "simulation")].iloc[0]
    assert best["law"] in ("exponential", "exp+floor") and best["r2_log"] > 0.999

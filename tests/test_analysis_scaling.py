"""Growth-law fits and break-even extrapolation on curves with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qvc.analysis.laws import LAWS, fit_law
from qvc.analysis.scaling import analyse


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
    fits = [f for f in (fit_law(x, noisy, name) for name in LAWS) if f is not None]
    ranked = sorted(fits, key=lambda f: (f.aicc, -f.r2_log))
    assert ranked[0].law in ("exponential", "exp+floor")
    aicc = {f.law: f.aicc for f in ranked}
    assert aicc["linear"] - aicc["exponential"] > 10  # the data rule the wrong law out decisively
    best = ranked[0]
    assert best.rmse_log10 * math.log(10) == pytest.approx(0.05, rel=0.4)  # recovers the noise level
    assert fit_law([1.0, 2.0], [1.0, 2.0], "quadratic") is None  # too few points


def test_break_even_matches_the_analytic_crossing_and_has_an_interval():
    # The deleted scaling.break_even's case, on find_break_even (its successor).
    from qvc.analysis.breakeven import POLY_LAWS, Series, find_break_even

    x = np.arange(2.0, 15.0)
    rng = np.random.default_rng(1)
    sim = Series("statevector", x, 1e-3 * 2.0 ** x * np.exp(rng.normal(0, 0.05, x.size)),
                 laws=[LAWS["exponential"]])
    hw_y = (1e4 + 100 * x) * np.exp(rng.normal(0, 0.01, x.size))
    hw = Series("hardware", x, hw_y, 0.5 * hw_y, 2.0 * hw_y, laws=POLY_LAWS)
    c = find_break_even(hw, [sim], x_to=200, max_extrapolation=40, n_draws=100)
    # analytic: 1e-3 * 2^x = 1e4 + 100 x  ->  x ~ 23.3
    assert c.x == pytest.approx(23.3, abs=0.5)
    assert c.low < c.x < c.high < 200 and c.simulator == "statevector"
    # A curve that never drops below: no break-even.
    flat = Series("statevector", x, 1e-3 + 1e-6 * x, laws=POLY_LAWS)
    assert math.isnan(find_break_even(hw, [flat], x_to=200, max_extrapolation=40, n_draws=50).x)


def _rows(qubits, *, sim=lambda q: 0.2 + 2e-6 * (4 * q + 3 * q * (q - 1)) * 2.0**q,
          hw=lambda q: 2e4 + 50 * q * q, acc=0.9, seeds=(1, 2, 3), noise=0.15, execution="exact"):
    """Rows shaped like a sweep's: svm + qsvc per qubit count and seed, energies with seeded noise."""
    rng = np.random.default_rng(0)
    rows = []
    for q in qubits:
        for seed in seeds:
            rows.append({"model": "svm", "qubits": q, "n_train": 30, "n_test": 10, "seed": seed,
                         "fit_energy_j": 0.03 * np.exp(rng.normal(0, noise)), "predict_energy_j": 0.0,
                         "fit_energy_method": "estimated", "hw_energy_j": np.nan, "hw_energy_method": "",
                         "accuracy_test": 0.93, "execution": "classical"})
            h = hw(q) * np.exp(rng.normal(0, 0.02))
            rows.append({"model": "qsvc", "qubits": q, "n_train": 30, "n_test": 10, "seed": seed,
                         "fit_energy_j": sim(q) * np.exp(rng.normal(0, noise)), "predict_energy_j": 0.0,
                         "fit_energy_method": "estimated", "hw_energy_j": h, "hw_energy_j_low": h / 1.3,
                         "hw_energy_j_high": h * 1.3, "hw_energy_method": "modelled", "accuracy_test": acc,
                         "execution": execution, "circuits_predict": 100, "shots": 1024,
                         "hw_mitigation_factor": 1.0})
    return pd.DataFrame(rows)


def test_analyse_names_the_simulator_the_interval_sources_and_the_extrapolation():
    a = analyse(_rows(range(4, 19, 2)), draws=60)
    be = a.breakeven
    sv = be[be.simulator_compared == "statevector"].iloc[0]
    assert sv["simulator"] == "statevector" and sv["status"] == "crossing"
    assert sv["low"] <= sv["x"] <= sv["high"]
    assert sv["extrapolation"] == pytest.approx(sv["x"] - 18)
    for source in ("parameter covariance", "law choice", "bootstrap over points", "hw_energy_j_low/high"):
        assert source in sv["interval_sources"]
    # The statevector law respects the physics: the fitted exponent is never below 1.
    fits = a.fits[(a.fits.series == "simulation:statevector") & a.fits.law.str.contains("b>=1")]
    assert (fits["params"].map(lambda p: p[2]) >= 1.0 - 1e-9).all()
    # The cheapest-simulator row compares with the modelled GPU, which is far cheaper per state,
    # so its crossing lies beyond the extrapolation limit: declined, with the laws given instead.
    cheapest = be[be.simulator_compared == "cheapest available"].iloc[0]
    assert cheapest["status"].startswith("declined") and math.isnan(cheapest["x"])
    assert cheapest["extrapolation"] > cheapest["max_extrapolation"] and "hardware:" in cheapest["laws"]
    assert set(a.curves.series) >= {"classical", "simulation:statevector", "simulation:gpu (modelled)", "hardware"}


def test_interval_covers_what_two_more_sizes_change():
    """The acceptance property: a sweep to a larger maximum moves the crossing inside the earlier interval."""
    runs = {}
    for top in (12, 14, 16, 18):
        be = analyse(_rows(range(4, top + 1, 2)), draws=150, max_extrapolation=20).breakeven
        runs[top] = be[be.simulator_compared == "statevector"].iloc[0]
    for small, big in ((12, 14), (14, 16), (16, 18)):
        lo, hi, x_next = runs[small]["low"], runs[small]["high"], runs[big]["x"]
        assert lo <= x_next <= hi, (small, big, lo, hi, x_next)


def test_points_whose_model_does_not_learn_are_left_out():
    rows = _rows(range(4, 17, 2))
    rows["dataset"] = "breast_cancer"
    rows["majority_rate"] = 0.6
    rows.loc[(rows.model == "qsvc") & (rows.qubits >= 8), "accuracy_test"] = 0.6  # at the majority rate
    be = analyse(rows, draws=20).breakeven
    assert be.iloc[0]["status"].startswith("excluded") and be.iloc[0]["points_excluded"] == 5

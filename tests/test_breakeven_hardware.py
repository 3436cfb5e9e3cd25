"""The break-even's hardware series is the cost model evaluated per size; honest draws and crossings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qvc.analysis.breakeven import POLY_LAWS, Series, _draw_params, _first_below, find_break_even
from qvc.analysis.hwseries import evaluate_qubits, pricer_for
from qvc.analysis.laws import GrowthFit, fit_law
from qvc.energy.devices import get_device
from qvc.energy.hardware import Interval, draw_parameters, price_entries
from qvc.quantum.circuits import feature_map, kernel_template
from qvc.quantum.ledger import LedgerEntry


def _quantum_rows(qubits=(2, 3, 4), ent="full"):
    rows = []
    for q in qubits:
        for seed, shots in ((1, 256), (2, 1024), (3, 512)):
            k = 0.8 * 2.0 ** (-0.5 * q)
            rows.append({"model": "qsvc", "qubits": q, "n_train": 12, "n_test": 4, "seed": seed,
                         "shots": shots, "device": "ibm_heron", "entanglement": ent, "hw_attribution": "attributional",
                         "shots_rule": f"auto: fidelity K = {k:.3g} to 10%; ladder 16, 32, ... <= 1048576 whose",
                         "support_vector_share": 0.75, "kernel_offdiag_mean": k})
    return pd.DataFrame(rows)


def test_hardware_series_is_the_cost_model_repriced_and_rises_with_qubits():
    pricer = pricer_for(_quantum_rows(), n_draws=200)
    assert pricer is not None and pricer.entanglement == "full" and pricer.mode == "attributional"
    ev = evaluate_qubits(pricer, 2, 16, 12, 4)
    priced = [c for c in ev.configs if c.priced]
    assert len(priced) >= 4
    energies = [c.energy_j for c in priced]
    assert all(b > a for a, b in zip(energies, energies[1:]))  # rises with qubits at fixed samples
    assert all(c.energy_low <= c.energy_j <= c.energy_high for c in priced)
    # re-price one size ourselves: the planned ledger at that size, at the priced shots
    c = priced[2]
    dev = get_device("ibm_heron")
    template = kernel_template(feature_map(c.qubits, 2, "full"))
    n_sv = round(0.75 * 12)
    cost = price_entries([LedgerEntry("qsvc", "fit", template, 12 * 11 // 2, int(c.shots), "kernel"),
                          LedgerEntry("qsvc", "predict", template, 4 * n_sv, int(c.shots), "kernel")],
                         dev, mode="attributional", n_draws=200, seed=0)
    assert c.energy_j == pytest.approx(cost.energy_interval.median, rel=1e-12)
    assert c.energy_j == pytest.approx(Interval.of(c.cost_model.energy(draw_parameters(dev, 200, 0))).median,
                                       rel=1e-12)
    # the device noise raises the shots with the ESP (same signal-to-noise: ESP^-2)
    assert all(b.shots >= a.shots for a, b in zip(priced, priced[1:])) and priced[-1].shots > priced[0].shots
    # the full map is declined within the range, with the reason
    assert math.isfinite(ev.declined_from) and "exceed" in ev.reason
    assert all(not x.priced for x in ev.configs if x.qubits >= ev.declined_from)


def test_analyse_uses_the_evaluated_hardware_and_says_no_nisq_break_even():
    from qvc.analysis.scaling import analyse

    q = _quantum_rows(qubits=(2, 3, 4, 5))
    rows = []
    for _, r in q.iterrows():
        n = int(r["qubits"])
        rows.append({**r.to_dict(), "fit_energy_j": 1e-3 * n * 2.0**n, "predict_energy_j": 0.0,
                     "fit_energy_method": "estimated", "hw_energy_j": 1e6 * n, "hw_energy_method": "modelled",
                     "accuracy_test": 0.9, "execution": "exact"})
        rows.append({"model": "svm", "qubits": n, "n_train": 12, "n_test": 4, "seed": r["seed"],
                     "fit_energy_j": 1e-3, "predict_energy_j": 0.0, "fit_energy_method": "estimated",
                     "accuracy_test": 0.9, "execution": "classical", "hw_energy_j": np.nan})
    a = analyse(pd.DataFrame(rows), draws=20, max_qubits=40)
    hw = a.hardware[a.hardware.declined == ""]
    assert len(hw) >= 4 and (np.diff(hw["energy_j"].to_numpy()) > 0).all()
    be = a.breakeven
    assert (be["hardware_series"] == "evaluated").all()
    row = be[be.simulator_compared == "statevector"].iloc[0]
    assert row["status"].startswith("no NISQ break-even: at n ≥ ")
    assert "hardware" not in set(a.fits["series"])  # fits.csv: only what was fitted


def _fit_near_zero() -> GrowthFit:
    x = np.arange(4.0, 10.0)
    f = fit_law(x, 1e-6 + 1e-9 * x, "linear")
    assert f is not None
    return GrowthFit(f.law, np.array([1e-6, 1e-9]), np.array([[1e-11, 0.0], [0.0, 1e-16]]), f.n, f.r2_log,
                     f.rmse_log10, f.aicc, f.x_min, f.x_max)


def test_draws_are_log_space_and_never_identically_zero():
    f = _fit_near_zero()  # sd 3e-6 on a 1e-6 intercept: a normal draw clipped at 0 would often be 0
    rng = np.random.default_rng(0)
    grid = np.linspace(4, 40, 50)
    for _ in range(300):
        p = _draw_params(f, rng)
        assert np.all(p > 0)
        assert np.all(f.predict(grid, p) > 0)
    zero = np.zeros_like(grid)
    assert math.isnan(_first_below(grid, zero, np.ones_like(grid)))  # a 0 J hardware curve never crosses
    assert math.isnan(_first_below(grid, np.full_like(grid, np.nan), np.ones_like(grid)))


def test_no_interval_endpoint_from_zero_draws():
    x = np.arange(4.0, 13.0)
    sim = Series("statevector", x, 1e-3 * 2.0**x, laws=POLY_LAWS[2:])  # power law
    hw = Series("hardware", x, 1e6 + 0 * x, laws=POLY_LAWS[:1])
    c = find_break_even(hw, [sim], x_to=40, max_extrapolation=40, n_draws=100)
    assert not (np.isfinite(c.low) and c.low <= 4.0)  # no draw crosses at the first grid point


def test_no_crossing_where_every_measured_point_has_the_hardware_costlier():
    x = np.arange(4.0, 13.0)
    sim = Series("statevector", x, 1e-3 * 2.0**x, laws=POLY_LAWS)
    grid_x = np.arange(4.0, 31.0)

    def dip(g, u):  # a hardware model that dips below the simulator between the measured sizes
        g = np.asarray(g, dtype=float)
        return np.where(np.abs(g - 6.5) < 1.0, 1e-6, 1e3 + 0 * g)

    hw = Series("hardware", grid_x, dip(grid_x, None), model=dip,
                extra={"measured_x": x, "measured_y": np.full(x.size, 1e3)})
    c = find_break_even(hw, [sim], x_to=40, max_extrapolation=40, n_draws=30)
    assert not (np.isfinite(c.x) and c.x <= 12.0)
    assert np.isnan(c.low) or c.low > 12.0
    assert any("every measured size up to 12" in n for n in c.notes)


def test_laws_that_fall_with_size_are_rejected():
    x = np.arange(4.0, 13.0)
    s = Series("hardware", x, 1e9 * x**-2.0, laws=POLY_LAWS)
    fits = s.fits()
    assert all(f.law != "power" for f in fits)
    assert any(r.startswith("power") for r in s.extra["rejected"])


def test_quality_gate_needs_the_quantum_model_within_the_margin():
    from qvc.analysis.scaling import quality_gate

    def rows(model, accs):
        return pd.DataFrame([{"model": model, "qubits": 4, "n_total": 40.0, "n_train": 30, "n_test": 10,
                              "seed": s, "accuracy_test": a} for s, a in enumerate(accs)])

    svm = rows("svm", [0.95, 0.95, 0.9, 0.95, 1.0])
    close = quality_gate(rows("qsvc", [0.95, 0.95, 0.9, 0.95, 0.95]), svm)
    assert close[(4.0, 40.0)][0]
    far = quality_gate(rows("qsvc", [0.7, 0.7, 0.8, 0.7, 0.7]), svm)  # beats a 0.5 majority, not the svm
    ok, why = far[(4.0, 40.0)]
    assert not ok and "within 0.05" in why
    few = quality_gate(rows("qsvc", [0.95, 0.95]), svm)
    assert not few[(4.0, 40.0)][0] and "paired seeds" in few[(4.0, 40.0)][1]
    # deliverable quality: the on-device accuracy where the device-accuracy search gave one
    noisy = rows("qsvc", [0.95, 0.95, 0.9, 0.95, 0.95]).assign(device_accuracy=[0.7, 0.7, 0.8, 0.7, 0.7])
    ok, why = quality_gate(noisy, svm)[(4.0, 40.0)]
    assert not ok and "on-device quantum accuracy" in why
    # a seed whose search was declined delivers nothing: its exact accuracy does not stand in
    gone = noisy.assign(device_accuracy=np.nan, device_declined="no configuration reaches the target")
    ok, why = quality_gate(gone, svm)[(4.0, 40.0)]
    assert not ok and "declined all 5 rows" in why
    some = noisy.assign(device_accuracy=[0.95, 0.95, np.nan, np.nan, np.nan],
                        device_declined=["", "", "x", "x", "x"])
    ok, why = quality_gate(some, svm)[(4.0, 40.0)]
    assert not ok and "2 paired seeds" in why


def test_gpu_model_in_the_attributional_mode_adds_the_host_share_and_the_pue():
    from qvc.analysis.breakeven import GPU, gpu_statevector_energy

    board = gpu_statevector_energy(20, 30, 10, 10)
    node = gpu_statevector_energy(20, 30, 10, 10, pue=1.4, host=True)
    h_lo, h_typ, h_hi = GPU["host_w"][0]
    w = GPU["board_w"][0]
    for b, nd, h in zip(board, node, (h_typ, h_lo, h_hi)):
        assert float(nd) == pytest.approx(float(b) * 1.4 * (w + h) / w, rel=1e-12)


def test_sweep_report_lines_are_short_and_pairs_are_named_by_both_models():
    from qvc.analysis.scaling import analyse
    from qvc.report.markdown import render_markdown
    from qvc.report.sweep_report import build_sweep_report, wrap_markdown

    q = _quantum_rows(qubits=(2, 3, 4, 5))
    rows = []
    for _, r in q.iterrows():
        n = int(r["qubits"])
        rule = ("auto: at least (1 - K)/(K x 0.1^2) = 55.6 shots to resolve the median test-vs-support fidelity "
                f"K = {r['kernel_offdiag_mean']:.3g} to 10% relative standard error; then the smallest shots on "
                "the ladder 16, 32, ... <= 1048576 whose mean share of test predictions differing from the exact "
                "model over 5 seeded draws is <= 0.02 (SVM refitted on a shot-noisy Gram matrix, predicting from "
                "a shot-noisy test kernel)")
        rows.append({**r.to_dict(), "shots_rule": rule, "fit_energy_j": 1e-3 * n * 2.0**n, "predict_energy_j": 0.0,
                     "fit_energy_method": "estimated", "hw_energy_j": 1e6 * n, "hw_energy_method": "modelled",
                     "accuracy_test": 0.9, "execution": "exact"})
        rows.append({"model": "svm", "qubits": n, "n_train": 12, "n_test": 4, "seed": r["seed"],
                     "fit_energy_j": 1e-3, "predict_energy_j": 0.0, "fit_energy_method": "estimated",
                     "accuracy_test": 0.9, "execution": "classical", "hw_energy_j": np.nan})
    frame = pd.DataFrame(rows)
    a = analyse(frame, draws=10, max_qubits=30)
    md = wrap_markdown(render_markdown(build_sweep_report(frame, {}, a)))
    assert max(len(line) for line in md.splitlines()) < 400
    assert md.count("auto: at least (1 - K)") == 1  # the rule text once, in the legend
    assert "svm vs qsvc (full)" in md and "no NISQ break-even: at n ≥" in md
    assert set(a.breakeven["pair"]) == {"svm vs qsvc (full)"}


def test_samples_axis_hardware_is_evaluated_too():
    from qvc.analysis.scaling import analyse

    rows = []
    for tot in (16, 24, 32, 40):
        n_tr = tot * 3 // 4
        for seed in (1, 2, 3):
            base = {"qubits": 3, "n_train": n_tr, "n_test": tot - n_tr, "seed": seed, "predict_energy_j": 0.0,
                    "fit_energy_method": "estimated", "accuracy_test": 0.9}
            rows.append({**base, "model": "qsvc", "shots": 512, "device": "ibm_heron", "entanglement": "full",
                         "hw_attribution": "attributional", "kernel_offdiag_mean": 0.3, "support_vector_share": 0.7,
                         "fit_energy_j": 1e-4 * tot**2, "hw_energy_j": 1e5 * tot**2, "hw_energy_method": "modelled",
                         "execution": "exact"})
            rows.append({**base, "model": "svm", "fit_energy_j": 1e-3 * tot, "execution": "classical",
                         "hw_energy_j": np.nan})
    a = analyse(pd.DataFrame(rows), draws=10, max_samples=10_000)
    hw = a.hardware[(a.hardware["axis"] == "samples") & (a.hardware["declined"] == "")]
    assert len(hw) >= 10
    tot = (hw["n_train"] + hw["n_test"]).to_numpy()
    assert tot.min() == 16 and tot.max() == 10_000 and (np.diff(hw["energy_j"].to_numpy()) > 0).all()
    be = a.breakeven[a.breakeven["axis"] == "samples"]
    assert len(be) and (be["hardware_series"] == "evaluated").all()


def _pair_frame(qubits):
    rows = []
    for _, r in _quantum_rows(qubits=qubits).iterrows():
        n = int(r["qubits"])
        rows.append({**r.to_dict(), "fit_energy_j": 1e-3 * n * 2.0**n, "predict_energy_j": 0.0,
                     "fit_energy_method": "estimated", "hw_energy_j": 1e6 * n, "hw_energy_method": "modelled",
                     "accuracy_test": 0.9, "execution": "exact"})
        rows.append({"model": "svm", "qubits": n, "n_train": 12, "n_test": 4, "seed": r["seed"],
                     "fit_energy_j": 1e-3, "predict_energy_j": 0.0, "fit_energy_method": "estimated",
                     "accuracy_test": 0.9, "execution": "classical", "hw_energy_j": np.nan})
    return pd.DataFrame(rows)


def test_a_longer_sweep_declines_the_same_way():
    from qvc.analysis.scaling import analyse

    out = {}
    for top in (5, 7):
        be = analyse(_pair_frame(tuple(range(2, top + 1))), draws=10, max_qubits=30).breakeven
        out[top] = be[be.simulator_compared == "cheapest available"].iloc[0]["status"]
    assert all(s.startswith("no NISQ break-even: at n ≥ ") for s in out.values())
    at = {k: int(v.split("n ≥ ")[1].split()[0]) for k, v in out.items()}
    assert abs(at[5] - at[7]) <= 1, at


def test_pec_sizes_beyond_the_practical_overhead_are_declined_with_the_reason():
    from dataclasses import replace

    pricer = replace(pricer_for(_quantum_rows(), n_draws=50), mitigation="pec")
    ev = evaluate_qubits(pricer, 2, 12, 12, 4)
    declined = [c for c in ev.configs if not c.priced]
    assert declined and all(c.pec_overhead > 100 for c in declined)
    assert "PEC gamma^2" in ev.reason and "> 100" in ev.reason
    priced = [c for c in ev.configs if c.priced]
    assert priced and all(c.pec_overhead <= 100 for c in priced)
    assert all(c.cost_model is not None and c.cost_model.mitigation == "pec" for c in priced)


def _searched_rows(qubits=(3, 4, 5), declined_at=()):
    import json

    rows = _quantum_rows(qubits=qubits).copy()
    searches, reasons = [], []
    for _, r in rows.iterrows():
        n, seed = int(r["qubits"]), int(r["seed"])
        if n in declined_at:
            searches.append(json.dumps({"chosen": None, "curves": []}))
            reasons.append("no shot count up to the cap reaches the target 0.850")
        else:
            searches.append(json.dumps({"chosen": ["none" if seed != 3 else "zne", 64 * seed * n], "curves": []}))
            reasons.append("")
    return rows.assign(device_search=searches, device_declined=reasons)


def test_searched_configuration_is_priced_at_measured_sizes_and_extrapolated_beyond():
    from qvc.analysis.hwseries import SearchedPricer

    pricer = pricer_for(_searched_rows(), n_draws=200)
    assert isinstance(pricer, SearchedPricer)
    ev = evaluate_qubits(pricer, 3, 12, 12, 4)
    at3 = next(c for c in ev.configs if c.qubits == 3)
    # the smallest measured size: most seeds chose no mitigation, priced at the geometric mean of
    # those seeds' searched shots (64 x seed x 3), band their range
    assert at3.mitigation == "none"
    assert at3.shots == math.ceil(math.sqrt(192 * 384)) and (at3.shots_low, at3.shots_high) == (192, 384)
    # above it: the dearer of its own configuration and the smaller sizes' carried to it
    at4 = next(c for c in ev.configs if c.qubits == 4)
    own, carried = pricer.extrapolated(4, 4, 12, 4), pricer.extrapolated(3, 4, 12, 4)
    assert own.shots == math.ceil(math.sqrt(256 * 512)) and carried.shots > own.shots
    assert at4.energy_j == max(own.energy_j, carried.energy_j)
    dev = get_device("ibm_heron")
    template = kernel_template(feature_map(4, 2, "full"))
    cost = price_entries([LedgerEntry("qsvc", "fit", template, 66, int(at4.shots), "kernel"),
                          LedgerEntry("qsvc", "predict", template, 4 * 9, int(at4.shots), "kernel")],
                         dev, mode="attributional", n_draws=200, seed=0)
    assert at4.energy_j == pytest.approx(cost.energy_interval.median, rel=1e-12)  # re-priced by hand
    assert (at4.circuits_fit, at4.circuits_predict) == (66, 36)  # the ledger it priced, in hardware.csv
    priced = [c for c in ev.configs if c.priced]
    beyond = [c for c in priced if c.qubits > 5]
    assert beyond and all(b.shots >= a.shots for a, b in zip(priced[2:], priced[3:]))
    assert all(b.energy_j > a.energy_j for a, b in zip(priced, priced[1:]))  # rises with qubits
    assert "device-accuracy search" in pricer.describe()


def test_sizes_above_a_search_declined_size_are_declined_with_its_reason():
    pricer = pricer_for(_searched_rows(qubits=(3, 4, 5), declined_at=(5,)), n_draws=100)
    ev = evaluate_qubits(pricer, 3, 9, 12, 4)
    assert [c.qubits for c in ev.configs if c.priced] == [3, 4]
    assert ev.declined_from == 5 and "declined 3 of 3 searches" in ev.reason and "0.850" in ev.reason
    assert "at n = 5 <= 6" in pricer(6, 12, 4).declined


def test_search_declines_reach_the_verdict_and_simulators_keep_the_exact_accuracy_gate():
    # on-device accuracy lags the exact one; the search declines from 5 qubits
    from qvc.analysis.scaling import analyse, cost_curves

    q = _searched_rows(qubits=(3, 4, 5, 6), declined_at=(5, 6))
    rows = []
    for _, r in q.iterrows():
        n, declined = int(r["qubits"]), bool(r["device_declined"])
        rows.append({**r.to_dict(), "fit_energy_j": 1e-3 * n * 2.0**n, "predict_energy_j": 0.0,
                     "fit_energy_method": "estimated", "hw_energy_j": np.nan if declined else 1e6 * n,
                     "hw_energy_method": "modelled", "accuracy_test": 0.9, "execution": "exact",
                     "device_accuracy": np.nan if declined else 0.89})
        rows.append({"model": "svm", "qubits": n, "n_train": 12, "n_test": 4, "seed": r["seed"],
                     "fit_energy_j": 1e-3, "predict_energy_j": 0.0, "fit_energy_method": "estimated",
                     "accuracy_test": 0.9, "execution": "classical", "hw_energy_j": np.nan})
    frame = pd.DataFrame(rows)
    curves = cost_curves(frame)
    sim = curves[(curves.series == "simulation:statevector") & (curves.axis == "qubits")]
    hw = curves[(curves.series == "hardware") & (curves.axis == "qubits")]
    assert sim["learns"].all()  # a simulator delivers the exact accuracy at every size
    assert list(hw.loc[hw["learns"], "x"]) == [3.0, 4.0]
    assert "declined all 3 rows" in hw.loc[hw.x == 5.0, "quality"].iloc[0]
    a = analyse(frame, draws=20, max_qubits=40)
    row = a.breakeven[a.breakeven.simulator_compared == "statevector"].iloc[0]
    assert row["status"].startswith("no NISQ break-even: at n ≥ 5 the device-accuracy search declined")

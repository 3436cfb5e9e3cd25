"""Accuracy on the device and the cheapest configuration that reaches the target (issue 25 items 1-3).

The search (qvc.experiment.deviceaccuracy) on a small real kernel (RBF on 60 points, the fast
esp-depolarizing noise model with a heavy weight) and on rows of real runs: monotone in the
target, declines with a reason, the columns it writes, the priced energy equal to the search's,
and the bad-input cases (one line, exit 2).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from qvc.energy.noise import CircuitNoise
from qvc.experiment.deviceaccuracy import KernelDraws, ProbabilityDraws, lower_bound, search
from qvc.experiment.spec import ExperimentSpec


def _kernel_problem(n: int = 50, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.4 * rng.normal(size=n) > 0).astype(int)
    k = np.exp(-((X[:, None] - X[None]) ** 2).sum(-1) / 2.0)
    tr, te = np.arange(0, 30), np.arange(30, n)
    return k[np.ix_(tr, tr)], k[np.ix_(te, tr)], y[tr], y[te]


def _draws(weight: float = 0.3) -> KernelDraws:
    gram, test, y_tr, y_te = _kernel_problem()
    noise = CircuitNoise(weight, (0.02, 0.02))
    return KernelDraws(gram, test, y_tr, y_te, noise.fidelity, seed=1)


def _energy(overheads):
    return lambda cands: [float(s * overheads[m]) for m, s in cands]


@pytest.fixture(autouse=True)
def _one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # as every run does (qvc.experiment.runner.blas_policy)
        yield


MITS = {"none": (1.0, 9.0), "zne": (12.25, 9.0), "pec": (9.0, 9.0)}


def test_lower_bound_is_scipy_t():
    from scipy import stats

    a = np.array([0.8, 0.85, 0.9, 0.9, 0.95])
    expected = a.mean() - stats.t.ppf(0.95, 4) * a.std(ddof=1) / math.sqrt(5)
    assert lower_bound(a) == pytest.approx(expected, rel=1e-12)
    assert lower_bound([0.7] * 20) == pytest.approx(0.7, abs=1e-12)  # no spread: the mean


def test_search_is_monotone_in_the_target_and_credits_two_rungs():
    model = _draws()
    exact = model.limit("pec")  # PEC is unbiased: its shot-free limit is the exact model's accuracy
    energies = []
    for margin in (0.3, 0.2, 0.1, 0.05):  # harder and harder targets
        found = search(model, MITS, target=exact - margin, cap=2**10, energy=_energy({"none": 1, "zne": 26, "pec": 9}),
                       noise_model="esp-depolarizing", prune=False)
        if found.chosen is None:
            energies.append(math.inf)
            continue
        m, s = found.chosen
        curve = found.curves[m]
        i = [r[0] for r in curve.rungs].index(s)
        # credited: the lower bound at s and at the next rung, never above the shot-free limit
        nxt = curve.rungs[i + 1][2] if i + 1 < len(curve.rungs) else curve.rungs[i][2]
        assert curve.credited()[i] == min(curve.limit, curve.rungs[i][2], nxt)
        assert curve.credited()[i] >= exact - margin - 1e-12
        energies.append(found.energy[found.chosen])
    assert energies == sorted(energies) and math.isfinite(energies[0])  # a larger margin never costs more
    assert len(set(energies)) > 1  # and the targets did move the choice


def test_search_picks_the_least_energy_that_reaches():
    model = _draws()
    target = model.limit("pec") - 0.1
    found = search(model, MITS, target=target, cap=2**12, energy=_energy({"none": 1, "zne": 26, "pec": 9}),
                   noise_model="esp-depolarizing", prune=False)
    reaching = [(found.energy[(m, c.shots_for(target))], m) for m, c in found.curves.items()
                if c.shots_for(target) is not None]
    assert found.energy[found.chosen] == min(reaching)[0]
    pruned = search(model, MITS, target=target, cap=2**12, energy=_energy({"none": 1, "zne": 26, "pec": 9}),
                    noise_model="esp-depolarizing", prune=True)
    assert pruned.chosen == found.chosen  # pruning by energy never changes the choice


def test_decline_names_each_mitigation():
    model = _draws(weight=0.02)  # nearly fully depolarised: the unmitigated model guesses
    exact = model.limit("pec")
    found = search(model, {"none": (1.0, 400.0), "pec": (400.0, 400.0)}, target=exact - 0.01, cap=2**12,
                   energy=_energy({"none": 1, "pec": 400}), noise_model="esp-depolarizing")
    assert found.chosen is None
    assert "pec: PEC gamma^2 = 400 above the practical cap 100" in found.reason
    assert "none:" in found.reason and "target accuracy" in found.reason


def test_fixed_shots_only_that_rung():
    model = _draws()
    found = search(model, MITS, target=0.0, cap=2**20, fixed_shots=300,
                   energy=_energy({"none": 1, "zne": 26, "pec": 9}), noise_model="esp-depolarizing")
    assert found.chosen == ("none", 300)


def test_probability_draws_without_noise_reproduce_the_argmax():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), size=30)
    proj = np.array([[1, 0], [0, 1], [1, 0], [0, 1]], dtype=float)
    classes = np.array([3, 7])
    y = classes[np.argmax(p @ proj, axis=1)]
    draws = ProbabilityDraws(p, proj, classes, y, CircuitNoise(0.5, (0.05, 0.05)))
    assert draws.limit("pec") == 1.0
    assert draws.draw("pec", 2**20, 0) >= 0.9


@pytest.fixture(scope="module")
def rows():
    from qvc.experiment.runner import run_point

    spec = ExperimentSpec("iris", tune=False, models=("qsvc", "vqc"), qubits=2, samples=40, max_iter=8,
                          seeds=(0,)).validate()
    return {m: run_point(spec, m, 0) for m in ("qsvc", "vqc")}


@pytest.mark.parametrize("model", ["qsvc", "vqc"])
def test_rows_carry_the_device_accuracy_and_the_priced_choice(rows, model):
    r = rows[model]
    assert r["device_noise_model"] == "esp-depolarizing" and r["device_accuracy_draws"] == 20
    assert r["device_target_accuracy"] == pytest.approx(r["accuracy_test"] - 0.05)
    if r["device_declined"]:
        assert math.isnan(r["hw_energy_j"]) and r["hw_energy_method"].startswith("declined")
        return
    assert r["device_accuracy_low"] >= r["device_target_accuracy"] - 1e-12
    assert r["hw_mitigation"] in ("none", "zne", "pec")
    assert r["device_accuracy"] == r[f"device_accuracy_{r['hw_mitigation']}"]
    assert r["shots_rule"].startswith("auto: least modelled energy")
    search_json = json.loads(r["device_search"])
    curve = next(c for c in search_json["curves"] if c["mitigation"] == r["hw_mitigation"])
    energy = curve["energy_j"][curve["shots"].index(int(r["shots"]))]
    assert energy == pytest.approx(r["hw_energy_j"], rel=1e-9)  # the search's energy is the priced one
    assert r["shots_low"] <= r["shots"]
    if not math.isnan(r["shots_high"]):
        assert r["shots_high"] >= r["shots"]
        assert r["hw_energy_shots_low_j"] <= r["hw_energy_j"] <= r["hw_energy_shots_high_j"]


def test_declined_row_is_not_priced():
    from qvc.experiment.runner import run_point

    spec = ExperimentSpec("breast_cancer", tune=False, models=("qsvc",), qubits=8, samples=80, seeds=(42,),
                          mitigation="none", target_accuracy=1.0).validate()
    r = run_point(spec, "qsvc", 42)
    assert r["device_declined"].startswith("no configuration reaches the target accuracy 1.000")
    assert r["shots_infeasible"].startswith("declined:") and r["hw_energy_method"].startswith("declined")
    assert math.isnan(r["hw_energy_j"]) and math.isnan(r["shots"])
    assert r["device_accuracy_none_limit"] < 1.0


def test_noisy_execution_is_not_modelled_and_says_so():
    from qvc.experiment.deviceaccuracy import not_modelled_reason

    assert "already carries" in not_modelled_reason(None, [], None, "noisy", [0, 1])


@pytest.mark.parametrize("argv, needle", [
    (["--noise-model", "gaussian"], "--noise-model"),
    (["--noise-model", "aer", "--device", "ionq_forte"], "fake backend"),
    (["--noise-model", "aer", "--qubits", "6"], "up to 5 qubits"),
])
def test_bad_noise_model_input_is_one_line_exit_2(tmp_path, capsys, argv, needle):
    from qvc.cli import main

    argv = ["run", "breast_cancer", "--samples", "60", "--models", "qsvc", "--no-tune", "--seeds", "42",
            "--out", str(tmp_path), *argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]
    assert not any(tmp_path.iterdir())


def test_report_section_figure_and_console_lines(rows):
    import pandas as pd

    from qvc.experiment.runner import _device_lines
    from qvc.report.device_accuracy import device_accuracy_blocks

    frame = pd.DataFrame([rows["qsvc"], rows["vqc"]])
    blocks, summary = device_accuracy_blocks(frame)
    assert any(isinstance(b, str) and "on the device (esp-depolarizing noise)" in b for b in blocks)
    figures = [b for b in blocks if hasattr(b, "svg")]
    assert figures and all(f.svg.startswith("<svg") for f in figures)
    at_cap = dict(rows["qsvc"], shots_at_cap=True)
    blocks, sentences = device_accuracy_blocks(pd.DataFrame([at_cap]))
    assert any("at the shot cap" in s for s in sentences)
    spec = ExperimentSpec("iris", models=("qsvc",)).validate()
    lines = _device_lines(spec, at_cap)
    assert lines[0].startswith("on the device (esp-depolarizing)") and "at the shot cap" in lines[-1]

"""Training under shot noise (issue 25 item 6): the VQC re-trained at its priced shots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qvc.experiment.shottraining import ShotTraining, shot_trained
from qvc.models.quantum import QuantumKernelSVC, VQCClassifier
from qvc.record.results import COLUMNS, blank_columns, shot_training_columns

# a tiny two-class problem on 2 qubits
X = np.array([[0.1, 0.2], [0.3, 0.1], [0.2, 0.4], [2.9, 3.0], [3.0, 2.7], [2.6, 2.9]])
Y = np.array([0, 0, 0, 1, 1, 1])


def _vqc(**kw) -> VQCClassifier:
    return VQCClassifier(ansatz_reps=1, max_iter=12, seed=3, **kw)


def test_re_simulation_is_the_same_model_trained_in_shots_mode():
    exact = _vqc().fit(X, Y)
    out = shot_trained(exact, X, Y, X, Y, 64)
    assert out.status == "re-simulated" and out.shots == 64
    # the same estimator built by hand in the engine's shots mode: same seed, budget, draws
    by_hand = _vqc(execution="shots", shots=64).fit(X, Y)
    assert out.accuracy == float(np.mean(by_hand.predict(X) == Y))
    assert out.circuits_fit == by_hand.ledger_.circuits() == 12 * len(Y)
    assert "Multinomial(shots)" in out.note and "no gate or readout noise" in out.note
    # the weights differ from exact training: the shot-noisy loss is another optimisation
    assert not np.allclose(by_hand.weights_, exact.weights_)


def test_above_the_budget_or_without_shots_the_count_is_a_lower_bound():
    exact = _vqc().fit(X, Y)
    over = shot_trained(exact, X, Y, X, Y, 64, budget=10)
    assert over.status == "not re-simulated" and np.isnan(over.accuracy)
    assert "above the re-simulation budget" in over.note and "a lower bound" in over.note
    # (12 evaluations x 6 + 6 test circuits) x 2^2 = 312
    assert "= 312 above" in over.note
    assert shot_trained(exact, X, Y, X, Y, 64, budget=312).status == "re-simulated"
    declined = shot_trained(exact, X, Y, X, Y, None)
    assert declined.status == "not re-simulated" and "declined" in declined.note
    assert "lower bound" in shot_training_columns(declined)["shot_training"]


def test_a_run_that_sampled_already_reports_its_own_accuracy():
    sampled = _vqc(execution="shots", shots=128).fit(X, Y)
    out = shot_trained(sampled, X, Y, X, Y, 128, accuracy=0.5)
    assert out.status == "trained with sampling" and out.accuracy == 0.5 and out.shots == 128


def test_only_optimizer_trained_models_are_re_simulated():
    assert shot_trained(QuantumKernelSVC().fit(X, Y), X, Y, X, Y, 64) is None


def test_columns_are_declared_and_blank_for_other_rows():
    for name in ("accuracy_test_shot_trained", "shot_trained_shots", "shot_trained_circuits_fit", "shot_training"):
        assert name in COLUMNS and COLUMNS[name].group == "circuits"
    blank = blank_columns("circuits")
    assert np.isnan(blank["accuracy_test_shot_trained"]) and blank["shot_training"] == ""
    assert shot_training_columns(None) == {k: blank[k] for k in shot_training_columns(None)}
    row = shot_training_columns(ShotTraining("re-simulated", "x", 0.75, 256, 40))
    assert row == {"accuracy_test_shot_trained": 0.75, "shot_trained_shots": 256,
                   "shot_trained_circuits_fit": 40, "shot_training": "re-simulated: x"}


def test_runner_rows_and_report_carry_the_shot_trained_accuracy(out_dir):
    from qvc.experiment import ExperimentSpec, load_results, run_experiment

    spec = ExperimentSpec("iris", models=("mlp", "vqc"), seeds=(42,), max_iter=20, tune=False,
                          out_dir=str(out_dir))
    run = run_experiment(spec, progress=None).run_dir
    df = load_results(run)
    vqc = df[df.model == "vqc"].iloc[0]
    assert vqc["shot_training"].startswith("re-simulated")
    assert vqc["shot_trained_shots"] == vqc["shots"]  # the priced shots
    assert vqc["shot_trained_circuits_fit"] == vqc["circuits_fit"] == 20 * vqc["n_train"]
    # the row's figure is the hand-built shots-mode model's
    from qvc.data.datasets import prepare_dataset

    data = prepare_dataset("iris", seed=42)
    model = VQCClassifier(max_iter=20, seed=42, execution="shots", shots=int(vqc["shots"])).fit(
        data.X_train, data.y_train)
    assert vqc["accuracy_test_shot_trained"] == pytest.approx(float(np.mean(model.predict(data.X_test) == data.y_test)))
    mlp = df[df.model == "mlp"].iloc[0]
    assert pd.isna(mlp["accuracy_test_shot_trained"]) and pd.isna(mlp["shot_training"])
    md = (run / "report.md").read_text()
    section = md.split("## Training under shot noise")[1].split("\n## ")[0]
    assert "test accuracy, trained under shot noise" in section and "simulated: engine shots mode" in section
    assert f"{vqc['accuracy_test_shot_trained']:.3g}" in section

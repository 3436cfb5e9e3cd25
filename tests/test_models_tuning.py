"""Hyperparameters declared once, tuned by CV on the training split only; the quantum models learn."""

import functools

import numpy as np
import pytest
from qiskit.circuit.library import zz_feature_map
from qiskit.quantum_info import Statevector
from qiskit_machine_learning.kernels import FidelityStatevectorKernel

from qvc.analysis.stats import pareto_front
from qvc.cli import main
from qvc.data import prepare_dataset
from qvc.errors import QvcUsageError
from qvc.models import QuantumKernelSVC, VQCClassifier
from qvc.models.hyperparams import check_params, load_search_space, parse_param_assignments
from qvc.models.registry import DEFAULT_MODELS, MODELS, PAIR_MEMBERS, PAIRS, ModelConfig, build_model
from qvc.models.tuning import kernel_diagnostics, pair_budgets, tune_model
from qvc.quantum.circuits import feature_map
from qvc.quantum.kernels import StatevectorKernel
from qvc.quantum.statevector import CompiledCircuit


@pytest.fixture(scope="module")
def iris():
    return prepare_dataset("iris", seed=0)


@pytest.mark.parametrize("bandwidth,reps,ent", [(0.1, 2, "full"), (0.37, 1, "linear"), (1.0, 2, "circular")])
def test_bandwidth_scales_every_angle_and_engine_matches_qiskit(iris, bandwidth, reps, ent):
    X = iris.X_train[:12]
    fmap = feature_map(4, reps, ent, bandwidth)
    ref_map = zz_feature_map(4, reps=reps, entanglement=ent, alpha=2.0 * bandwidth)
    ours = CompiledCircuit(fmap).statevectors(X)
    ref = np.array([Statevector(ref_map.assign_parameters(x)).data for x in X])
    assert np.max(np.abs(ours - ref)) < 1e-10
    K = StatevectorKernel(feature_map=fmap).evaluate(X)
    K_ref = FidelityStatevectorKernel(feature_map=ref_map).evaluate(X)
    assert np.max(np.abs(K - K_ref)) < 1e-10
    # every angle is scaled: the pair phases too (not only the inputs)
    angles = [float(g.operation.params[-1].bind({p: 1.0 for p in g.operation.params[-1].parameters}))
              for g in fmap.decompose().data if g.operation.name in ("p", "u1", "u")
              and g.operation.params and hasattr(g.operation.params[-1], "parameters")
              and len(g.operation.params[-1].parameters) == 2]
    if angles:
        assert np.allclose(angles, 2.0 * bandwidth * (np.pi - 1.0) ** 2)


def test_bandwidth_one_is_qiskits_default_map(iris):
    X = iris.X_train[:8]
    a = StatevectorKernel(feature_map=feature_map(4)).evaluate(X)
    b = FidelityStatevectorKernel(feature_map=zz_feature_map(4)).evaluate(X)
    assert np.max(np.abs(a - b)) < 1e-10


def test_small_bandwidth_unconcentrates_the_kernel(iris):
    wide = kernel_diagnostics(StatevectorKernel(feature_map=feature_map(4, bandwidth=0.1)).evaluate(iris.X_train),
                              iris.y_train, 0)
    narrow = kernel_diagnostics(StatevectorKernel(feature_map=feature_map(4)).evaluate(iris.X_train),
                                iris.y_train, 0)
    assert wide["kernel_offdiag_mean"] > 0.3 > narrow["kernel_offdiag_mean"]
    assert wide["kernel_target_alignment"] > narrow["kernel_target_alignment"]


def test_registry_is_the_one_table():
    assert set(PAIRS) == {"svm", "nn"}
    for name, entry in MODELS.items():
        assert entry.name == name
        if entry.pair == "frontier":  # classical frontier models have no quantum partner
            assert entry.family == "classical" and name not in DEFAULT_MODELS
        else:
            # a pair has one classical model and one or more quantum partners (qsvc, iqp, pqk / vqc, reupload)
            assert entry.pair in PAIRS and name in PAIR_MEMBERS[entry.pair]
            assert PAIRS[entry.pair][0] == PAIR_MEMBERS[entry.pair][0]
        built = build_model(name, ModelConfig(4, 3))
        assert set(built.hyperparameters) == {hp.name for hp in entry.hyperparameters}
    space = load_search_space()
    assert set(space) == set(MODELS)


def test_fixed_params_reach_the_estimator_and_leave_the_search():
    cfg = ModelConfig(4, 3, params=check_params({"qsvc": {"bandwidth": 0.2, "C": "3"}}))
    est = build_model("qsvc", cfg).estimator
    assert (est.bandwidth, est.C) == (0.2, 3.0)
    # both searched values fixed: nothing left to search, so the pair's svm gets one candidate too
    assert pair_budgets(["svm", "qsvc"], load_search_space(), cfg.params, 8) == {"svm": 1, "qsvc": 1}
    only_c = check_params({"qsvc": {"C": 3}})
    assert pair_budgets(["svm", "qsvc"], load_search_space(), only_c, 8) == {"svm": 4, "qsvc": 4}


@pytest.mark.parametrize("items,fragment", [
    (["qsvc.colour=1"], "no hyperparameter 'colour'"),
    (["qsvc.bandwidth=abc"], "qsvc.bandwidth must be a number > 0"),
    (["qsvc.bandwidth=-1"], "qsvc.bandwidth must be a number > 0"),
    (["qsvc.feature_map_reps=1.5"], "an integer"),
    (["vqc.optimizer=adam"], "one of cobyla, spsa, lbfgs"),
    (["nosuch.C=1"], "unknown model 'nosuch'"),
    (["svm.C"], "MODEL.NAME=VALUE"),
])
def test_bad_params_are_usage_errors(items, fragment):
    with pytest.raises(QvcUsageError) as info:
        parse_param_assignments(items)
    assert fragment in str(info.value) and info.value.key == "params"


@pytest.mark.parametrize("argv,fragment", [
    (["--param", "qsvc.colour=1"], "no hyperparameter"),
    (["--param", "svm.C=-2"], "svm.C must be"),
    (["--tune-budget", "0"], "--tune-budget must be >= 1"),
    (["--search-space", "EMPTY"], "is empty"),
    (["--search-space", "EMPTYLIST"], "empty list"),
])
def test_bad_tuning_input_is_one_line_exit_2_nothing_written(tmp_path, capsys, argv, fragment):
    (tmp_path / "empty.toml").write_text("# nothing\n")
    (tmp_path / "emptylist.toml").write_text("[svm]\nC = []\n")
    argv = [a.replace("EMPTYLIST", str(tmp_path / "emptylist.toml")).replace("EMPTY", str(tmp_path / "empty.toml"))
            for a in argv]
    out = tmp_path / "out"
    assert main(["run", "iris", "--models", "svm", "--out", str(out), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err and "Traceback" not in err
    assert not out.exists()


def test_pair_gets_the_same_number_of_candidates():
    space = load_search_space()
    budgets = pair_budgets(list(MODELS), space, {}, 5)
    for a, b in PAIRS.values():
        assert budgets[a] == budgets[b] == 5
    assert pair_budgets(["svm", "qsvc"], space, {}, 1000) == {"svm": 12, "qsvc": 12}


def test_a_partner_outside_the_search_space_does_not_collapse_the_search(tmp_path, capsys):
    """Issue 30: a space with svm, qsvc and mlp tables cut mlp to 1 candidate (the missing vqc counted as 1)."""
    from qvc.models.tuning import budget_plan

    space = {"svm": {"C": [1.0, 10.0]}, "qsvc": {"C": [1.0]}, "mlp": {"alpha": [1e-4, 1e-2, 1.0]}}
    plan = budget_plan(["svm", "qsvc", "mlp", "vqc"], space, {}, 8)
    assert plan["mlp"] == (3, "its grid has 3 candidates")
    assert plan["svm"][0] == 1 and "pair rule" in plan["svm"][1] and "qsvc" in plan["svm"][1]
    assert budget_plan(["svm", "qsvc"], load_search_space(), {}, 8) == {"svm": (8, ""), "qsvc": (8, "")}
    # a run prints the cut and records it in its rows
    f = tmp_path / "space.toml"
    f.write_text('[svm]\nC = [1.0, 10.0]\n[qsvc]\nC = [1.0]\n[mlp]\nalpha = [0.0001, 0.01, 1.0]\n')
    out = tmp_path / "out"
    assert main(["run", "iris", "--models", "svm,mlp", "--seeds", "42", "--search-space", str(f),
                 "--out", str(out), "--quiet", "--json"]) == 0
    import json

    rows = {r["model"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert rows["mlp"]["tune_candidates"] == 3 and rows["mlp"]["tune_budget_note"] == "its grid has 3 candidates"
    assert rows["svm"]["tune_candidates"] == 1 and "pair rule" in rows["svm"]["tune_budget_note"]


def test_a_search_space_that_omits_a_model_being_run_is_refused(tmp_path, capsys):
    f = tmp_path / "space.toml"
    f.write_text("[svm]\nC = [1.0, 10.0]\n[qsvc]\nC = [1.0]\n")
    out = tmp_path / "out"
    assert main(["run", "iris", "--models", "svm,qsvc,mlp", "--search-space", str(f), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no table for mlp" in err and "--no-tune" in err
    assert not out.exists()
    assert main(["run", "iris", "--models", "svm,mlp", "--no-tune", "--seeds", "42", "--search-space", str(f),
                 "--out", str(out), "--quiet"]) == 0  # untuned: the space is not read


def test_svm_search_covers_the_near_linear_regime():
    """Issue 30: the default SVM grid reaches gamma <= 0.01 with C >= 100 (the study's winners on
    linearly separable data in 8-10 dimensions), and tuning finds it there."""
    svm = load_search_space()["svm"]
    assert min(g for g in svm["gamma"] if not isinstance(g, str)) <= 1e-3 and max(svm["C"]) >= 100
    data = prepare_dataset("linearly_separable", n_features=10, seed=42)
    cfg = ModelConfig(n_features=10, n_classes=2, seed=42)
    r = tune_model("svm", cfg, data.X_train, data.y_train, space=load_search_space(), n_candidates=8)
    # measured: 0.996 CV with gamma 0.01, C 1000 (the former grid, gamma >= 0.1: 0.960)
    assert r.best_params["gamma"] <= 0.01 and r.cv_accuracy >= 0.98


def test_qsvc_search_computes_one_gram_per_feature_map_setting(iris, monkeypatch):
    calls = []
    original = StatevectorKernel.evaluate

    def counting(self, x_vec, y_vec=None):
        calls.append(np.asarray(x_vec).shape)
        return original(self, x_vec, y_vec)

    monkeypatch.setattr(StatevectorKernel, "evaluate", counting)
    space = {"qsvc": {"bandwidth": [0.05, 0.1, 1.0], "C": [1.0, 10.0, 100.0]}}
    r = tune_model("qsvc", ModelConfig(4, 3, seed=0), iris.X_train, iris.y_train, space=space,
                   n_candidates=9, folds=3)
    assert len(r.candidates) == 9 and r.kernel_evaluations == 3
    assert calls == [iris.X_train.shape] * 3  # whole training split, once per bandwidth
    n = len(iris.y_train)
    assert r.circuits == 3 * n * (n - 1) // 2


def test_tuning_only_sees_the_training_split(iris, monkeypatch):
    """Every array any estimator is fitted or scored on during a search is made of training rows."""
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    train_rows = {r.tobytes() for r in iris.X_train}
    seen = []
    for cls in (SVC, MLPClassifier, VQCClassifier):
        for method in ("fit", "predict"):
            original = getattr(cls, method)

            @functools.wraps(original)
            def spy(self, X, *a, _orig=original, **k):
                seen.append(np.asarray(X))
                return _orig(self, X, *a, **k)

            monkeypatch.setattr(cls, method, spy)
    original_eval = StatevectorKernel.evaluate
    monkeypatch.setattr(StatevectorKernel, "evaluate",
                        lambda self, x, y=None: seen.append(np.asarray(x)) or original_eval(self, x, y))
    space = load_search_space()
    cfg = ModelConfig(4, 3, seed=0, max_iter=5)
    for name in ("svm", "mlp", "vqc"):
        tune_model(name, cfg, iris.X_train, iris.y_train, space=space, n_candidates=2, folds=2)
    tune_model("qsvc", cfg, iris.X_train, iris.y_train, space=space, n_candidates=2, folds=2)
    kernel_inputs = [a for a in seen if a.shape[1] == 4]
    assert kernel_inputs, "the spies saw nothing"
    for arr in kernel_inputs:
        assert {r.tobytes() for r in arr} <= train_rows


def test_tuned_qsvc_learns_iris_well_above_majority(iris):
    r = tune_model("qsvc", ModelConfig(4, 3, seed=0), iris.X_train, iris.y_train, space=load_search_space(),
                   n_candidates=12)
    est = build_model("qsvc", ModelConfig(4, 3, seed=0), r.best_params).estimator.fit(iris.X_train, iris.y_train)
    majority = np.bincount(iris.y_test).max() / len(iris.y_test)
    assert r.best_params["bandwidth"] < 1.0  # the untuned map is not what CV picks
    assert r.cv_accuracy > 0.9 and est.score(iris.X_test, iris.y_test) > majority + 0.5
    untuned = QuantumKernelSVC().fit(iris.X_train, iris.y_train).score(iris.X_test, iris.y_test)
    assert est.score(iris.X_test, iris.y_test) > untuned


def test_vqc_with_small_bandwidth_learns_iris(iris):
    majority = np.bincount(iris.y_test).max() / len(iris.y_test)
    tuned = VQCClassifier(bandwidth=0.1, readout="parity", seed=0, max_iter=100).fit(iris.X_train, iris.y_train)
    assert tuned.score(iris.X_test, iris.y_test) > majority + 0.3


def test_vqc_optimizers_and_readouts(iris):
    X, y = iris.X_train[:30], iris.y_train[:30]
    lb = VQCClassifier(ansatz_reps=1, optimizer="lbfgs", max_iter=3, seed=0, bandwidth=0.2).fit(X, y)
    assert lb.ledger_.circuits(phase="fit") > lb.n_evaluations_ * len(y)  # gradient circuits recorded
    a = VQCClassifier(ansatz_reps=1, optimizer="spsa", max_iter=3, seed=5).fit(X, y)
    b = VQCClassifier(ansatz_reps=1, optimizer="spsa", max_iter=3, seed=5).fit(X, y)
    assert np.array_equal(a.weights_, b.weights_)
    p = VQCClassifier(ansatz_reps=1, readout="parity", max_iter=3, seed=0).fit(X, y)
    m = VQCClassifier(ansatz_reps=1, readout="mod", max_iter=3, seed=0).fit(X, y)
    assert not np.allclose(p.predict_proba(X), m.predict_proba(X))


def test_pareto_front_and_diagnostics():
    assert pareto_front([(2.0, 0.9), (1.0, 0.95), (3.0, 0.99)]) == [1, 2]
    d = kernel_diagnostics(np.ones((4, 4)), np.array([0, 0, 1, 1]), 4)
    assert d["kernel_collapsed"] and d["support_vector_share"] == 1.0


def test_no_tune_reproduces_the_untuned_models(tmp_path):
    """--no-tune is the registry defaults: qsvc's concentrated kernel on iris seed 42 (0.711 vs svm 0.974)."""
    import json

    from qvc.experiment.runner import run_experiment
    from qvc.experiment.spec import ExperimentSpec

    res = run_experiment(ExperimentSpec("iris", models=("svm", "qsvc"), seeds=(42,), tune=False,
                                        out_dir=str(tmp_path)), progress=None)
    svm, qsvc = res.rows
    assert round(svm["accuracy_test"], 3) == 0.974 and round(qsvc["accuracy_test"], 3) == 0.711
    assert json.loads(qsvc["hyperparameters"]) == {"C": 1.0, "bandwidth": 1.0, "entanglement": "full",
                                                    "feature_map_reps": 2}
    assert not qsvc["tuned"] and qsvc["tune_candidates"] == 0 and np.isnan(qsvc["tune_energy_j"])
    assert not (tmp_path / res.run_dir.name / "tuning.json").exists()


def test_runner_tunes_on_the_training_split_and_records_the_search(tmp_path, monkeypatch):
    import json

    import qvc.models.tuning as tuning
    from qvc.experiment.runner import run_experiment
    from qvc.experiment.spec import ExperimentSpec
    from qvc.record.results import load_results

    seen = []
    original = tuning.tune_model

    def spy(name, cfg, X_train, y_train, **kw):
        seen.append((name, np.asarray(X_train).copy()))
        return original(name, cfg, X_train, y_train, **kw)

    monkeypatch.setattr(tuning, "tune_model", spy)
    spec = ExperimentSpec("iris", models=("svm", "qsvc"), seeds=(3,), tune_budget=4, out_dir=str(tmp_path))
    res = run_experiment(spec, progress=None)
    data = prepare_dataset("iris", seed=3)
    assert [n for n, _ in seen] == ["svm", "qsvc"]
    for _, X in seen:
        assert np.array_equal(X, data.X_train)  # the training split, never the test split
    frame = load_results(res.run_dir)
    q = frame[frame.model == "qsvc"].iloc[0]
    assert q["tuned"] and q["tune_candidates"] == 4 == frame[frame.model == "svm"].iloc[0]["tune_candidates"]
    assert q["tune_energy_method"] in ("measured", "estimated") and q["tune_energy_j"] > 0
    assert q["circuits_tune"] > 0 and q["hw_energy_tune_j"] > 0
    assert 0 < q["cv_accuracy"] <= 1 and bool(q["above_majority"]) and q["majority_rate"] < 0.4
    assert np.isfinite(q["kernel_offdiag_std"]) and np.isfinite(q["load_avg"])
    searches = json.loads((res.run_dir / "tuning.json").read_text())["searches"]
    assert {s["model"] for s in searches} == {"svm", "qsvc"}
    assert all(len(s["candidates"]) == 4 for s in searches)
    report = (res.run_dir / "report.md").read_text()
    assert "at the target accuracy" in report and "Pareto front" in report


def test_a_collapsed_kernel_candidate_is_skipped_and_recorded(iris, monkeypatch):
    import qvc.models.tuning as tuning

    # a floor between the two settings' off-diagonal means (bandwidth 1: concentrated; 0.05: near 1)
    monkeypatch.setattr(tuning, "KERNEL_OFFDIAG_FLOOR", 0.5)
    space = {"qsvc": {"bandwidth": [1.0, 0.05], "C": [1.0]}}
    r = tune_model("qsvc", ModelConfig(4, 3, seed=0), iris.X_train, iris.y_train, space=space,
                   n_candidates=2, folds=3)
    skipped = [c for c in r.candidates if c.skipped]
    assert len(skipped) == 1 and skipped[0].params["bandwidth"] == 1.0
    assert "collapsed kernel" in skipped[0].to_dict()["skipped"] and np.isnan(skipped[0].cv_accuracy)
    assert r.best_params["bandwidth"] == 0.05 and "1 candidates skipped" in r.method

"""The runner prices quantum rows with the hardware model (median + 90 % interval, components)."""

from __future__ import annotations

import pytest

from qvc.errors import QvcUsageError
from qvc.experiment.runner import run_experiment
from qvc.experiment.spec import ExperimentSpec
from qvc.record.results import COLUMNS, load_results


def _run(tmp_path, **kw):
    spec = ExperimentSpec("iris", models=("svm", "qsvc"), seeds=(42,), tune=False, qubits=2, samples=40,
                          out_dir=str(tmp_path), **kw)
    return run_experiment(spec, progress=None)


def test_quantum_rows_carry_hardware_columns(tmp_path):
    result = _run(tmp_path)
    svm, qsvc = result.rows
    hw = [c for c in COLUMNS if c.startswith("hw_")]
    assert all(c in qsvc for c in hw)
    assert qsvc["hw_energy_method"] == "modelled" and qsvc["hw_attribution"] == "attributional"
    assert qsvc["hw_qpu_seconds_low"] < qsvc["hw_qpu_seconds"] < qsvc["hw_qpu_seconds_high"]
    assert qsvc["hw_energy_j_low"] < qsvc["hw_energy_j"] < qsvc["hw_energy_j_high"]
    assert qsvc["hw_jobs"] == 2  # fit and predict are separate submissions
    comps = sum(qsvc[f"hw_energy_{c}_j"] for c in
                ("cryogenics", "vacuum", "lasers", "control", "readout", "servers", "facility"))
    assert comps == pytest.approx(qsvc["hw_energy_typical_j"], rel=1e-12)
    assert qsvc["hw_qpu_seconds_fit"] > 0 and qsvc["hw_qpu_seconds_predict"] > 0
    assert qsvc["hw_landauer_j"] > 0
    assert svm["hw_attribution"] == "" and svm["hw_jobs"] == 0
    frame = load_results(result.run_dir)
    assert frame.loc[frame.model == "qsvc", "hw_energy_j_high"].dtype.kind == "f"
    assert result.metadata["hardware_model"]["attribution"] == "attributional"
    assert result.metadata["device"]["power"]["cryogenics"]["static_w"]["source"]


def test_marginal_attribution_and_mitigation(tmp_path):
    base = run_experiment(ExperimentSpec("iris", models=("qsvc",), seeds=(42,), tune=False, qubits=2, samples=40,
                                         out_dir=str(tmp_path)), progress=None).rows[0]
    mar = run_experiment(ExperimentSpec("iris", models=("qsvc",), seeds=(42,), tune=False, qubits=2, samples=40,
                                        out_dir=str(tmp_path), attribution="marginal",
                                        mitigation_factor=2.0), progress=None).rows[0]
    assert mar["hw_attribution"] == "marginal" and mar["hw_mitigation_factor"] == 2.0
    assert mar["hw_energy_typical_j"] < base["hw_energy_typical_j"]
    assert mar["hw_qpu_seconds"] > base["hw_qpu_seconds"]  # twice the shots


def test_spec_rejects_bad_hardware_options():
    with pytest.raises(QvcUsageError, match="attribution"):
        ExperimentSpec("iris", tune=False, attribution="both").validate()
    with pytest.raises(QvcUsageError, match="mitigation_factor"):
        ExperimentSpec("iris", tune=False, mitigation_factor=0.0).validate()


def test_issue12_rows_auto_shots_esp_mitigation_sequential_and_attribution(tmp_path):
    from qvc.experiment.runner import run_point

    spec = ExperimentSpec("iris", tune=False, models=("svm", "qsvc", "vqc"), qubits=2, samples=40, max_iter=8,
                          mitigation="pec", out_dir=str(tmp_path)).validate()
    rows = {m: run_point(spec, m, 0) for m in ("svm", "qsvc", "vqc")}
    for m in ("qsvc", "vqc"):
        r = rows[m]
        assert 0 < r["hw_esp"] <= 1 and r["hw_mitigation_overhead"] >= 1 and r["hw_mitigation"] == "pec"
        assert r["hw_energy_j"] > r["hw_energy_unmitigated_j"] > 0
        # shots chosen by the on-device search (its target, not the old reproduce-exact tolerance)
        assert r["shots_rule"].startswith("auto:") and r["shots_tolerance"] != r["shots_tolerance"] and r["shots"] >= 16
        assert r["device_noise_model"] == "esp-depolarizing" and r["device_accuracy_low"] >= r["device_target_accuracy"]
    # VQC training: one job per optimizer evaluation, plus predict
    vqc = rows["vqc"]
    assert vqc["hw_jobs"] >= vqc["optimizer_steps"] + 1 and vqc["hw_sequential_jobs"] >= vqc["optimizer_steps"]
    assert vqc["hw_host_gap_seconds"] >= 0
    # both sides attributed alike: same PUE as the device, attributional above marginal
    svm = rows["svm"]
    from qvc.energy.devices import get_device

    assert svm["local_attribution"] == "attributional"
    assert svm["local_pue"] == get_device("ibm_heron").pue.typical
    assert svm["fit_energy_attributed_j"] > svm["fit_energy_j"]
    marg = run_point(ExperimentSpec("iris", tune=False, models=("svm",), qubits=2, samples=40,
                                    attribution="marginal").validate(), "svm", 0)
    assert marg["local_pue"] == 1.0 and marg["fit_energy_attributed_j"] == marg["fit_energy_j"]


def test_device_search_at_8_qubits_leaves_out_impractical_pec_and_fixed_shots_stay(tmp_path):
    # --shots auto prices the cheapest shots x mitigation reaching the target on the device
    # (qvc.experiment.deviceaccuracy; tests/test_device_accuracy.py); at 8 qubits the kernel circuit's PEC
    # gamma^2 is far above the practical cap, so PEC is not searched, and nothing is credited above what
    # the noisy device gives without shot noise
    import json

    from qvc.experiment.runner import run_point

    spec = ExperimentSpec("breast_cancer", tune=False, models=("qsvc",), qubits=8, samples=100).validate()
    row = run_point(spec, "qsvc", 42)
    pec = next(c for c in json.loads(row["device_search"])["curves"] if c["mitigation"] == "pec")
    assert pec["excluded"].startswith("PEC gamma^2") and "practical cap 100" in pec["excluded"]
    assert row["hw_mitigation"] in ("none", "zne") and row["device_accuracy"] <= row["accuracy_test"] + 1e-12
    fixed = run_point(ExperimentSpec("breast_cancer", tune=False, models=("qsvc",), qubits=2, samples=100,
                                     shots=300).validate(), "qsvc", 42)
    assert fixed["shots"] == 300 and fixed["shots_rule"].startswith("fixed")


def test_ibm_fake_backend_is_priced_on_its_own_target(tmp_path):
    from qvc.experiment.runner import RunContext

    ctx = RunContext.for_spec(ExperimentSpec("iris", tune=False, execution="ibm:fake_manila").validate())
    assert ctx.device.name == "ibm_heron@fake_manila" and ctx.device.num_qubits == 5
    assert "own Target" in ctx.device_note


@pytest.mark.parametrize("argv, needle", [
    (["--shots", "auto", "--shots-tolerance", "1.5"], "--shots-tolerance"),
    (["--mitigation", "magic"], "--mitigation"),
    (["--host", "nope"], "host preset"),
])
def test_bad_issue12_input_is_one_line_exit_2(tmp_path, capsys, argv, needle):
    from qvc.cli import main

    assert main(["run", "iris", "--models", "svm", "--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]
    assert not any(tmp_path.iterdir())


def test_host_file_with_negative_power_is_exit_2(tmp_path, capsys):
    from qvc.cli import main

    f = tmp_path / "hosts.toml"
    f.write_text('[hosts.mine]\ndescription = "x"\nthreads = { value = 8, source = "me" }\n'
                 'idle_w = { low = -5.0, typical = 10.0, high = 20.0, source = "me" }\n')
    assert main(["run", "iris", "--models", "svm", "--out", str(tmp_path / "out"),
                 "--host-file", str(f), "--host", "mine"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "non-negative" in err[0]
    assert not (tmp_path / "out").exists()


def test_qpu_estimate_prices_the_runs_own_circuits_with_its_mitigation():
    # Before: the --max-qpu-seconds estimate built default circuits and dropped mitigation
    # (58.117 QPU s for all three settings below).
    from qvc.experiment.ibm import estimate_run, estimate_training
    from qvc.experiment.spec import ExperimentSpec

    def qpu(**kw):
        spec = ExperimentSpec("iris", models=("qsvc",), execution="ibm:fake_manila", samples=20,
                              seeds=(42,), tune=False, **kw).validate()
        return estimate_run(spec)

    from qvc.data import prepare_dataset

    data = prepare_dataset("iris", seed=42, max_samples=20)
    n, m = len(data.y_train), len(data.y_test)
    plain = qpu()
    assert plain["circuits"] == n * (n - 1) // 2 + m * n  # N(N-1)/2 fit + M x N predict
    assert qpu(mitigation="pec")["qpu_seconds"] > 10 * plain["qpu_seconds"]  # PEC's sampling overhead
    deeper = qpu(params={"qsvc": {"feature_map_reps": 6}})
    assert deeper["circuits"] == plain["circuits"] and deeper["qpu_seconds"] > plain["qpu_seconds"]
    train = ExperimentSpec("iris", models=("vqc",), execution="ibm:fake_manila", samples=20, seeds=(42,),
                           tune=False, max_iter=5, train_on_hardware=True).validate()
    est = estimate_training(train)
    assert (est["circuits"], est["jobs"]) == (5 * n, 5)  # max_iter evaluations x N, one job each

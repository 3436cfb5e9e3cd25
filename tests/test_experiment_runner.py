import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from qvc.cli import main
from qvc.experiment import ExperimentSpec, load_results, run_experiment

ROOT = Path(__file__).resolve().parents[1]


def test_run_writes_folder_with_labelled_rows(out_dir):
    spec = ExperimentSpec("iris", models=("svm", "qsvc", "mlp"), seeds=(42,), out_dir=str(out_dir))
    result = run_experiment(spec, progress=None)
    run = result.run_dir
    assert run.parent == out_dir and run.name.startswith("iris-")
    assert {p.name for p in run.iterdir()} >= {"results.csv", "metadata.json", "report.md"}
    df = load_results(run)
    assert list(df["model"]) == ["svm", "qsvc", "mlp"]
    svm = df[df.model == "svm"].iloc[0]
    assert svm["accuracy_test"] >= 0.9
    assert (df["fit_energy_method"] == "estimated").all()
    assert (df["predict_energy_method"] == "estimated").all()
    q = df[df.model == "qsvc"].iloc[0]
    assert q["threads"] == 1 and df[df.model == "svm"].iloc[0]["threads"] == 1  # the default: one thread
    assert q["hw_energy_method"] == "modelled" and q["hw_energy_j"] > 0
    assert q["circuits_fit"] == q["n_train"] * (q["n_train"] - 1) // 2
    meta = json.loads((run / "metadata.json").read_text())
    assert meta["status"] == "complete"
    for pkg in ("qvc", "qiskit", "qiskit-machine-learning", "scikit-learn"):
        assert meta["versions"][pkg] != "not installed"
    assert meta["config"]["seeds"] == [42] and meta["machine"]["logical_cpus"] >= 1
    assert "estimated" in (run / "report.md").read_text()


def test_cli_json_prints_one_object(out_dir, capsys):
    code = main(["run", "moons", "--models", "svm,mlp", "--seeds", "1,2,3", "--json",
                 "--out", str(out_dir)])
    assert code == 0
    out = capsys.readouterr().out
    payload = json.loads(out)
    assert len(payload["rows"]) == 6 and Path(payload["run_dir"]).is_dir()
    assert {r["seed"] for r in payload["rows"]} == {1, 2, 3}
    assert payload["verdict"] == []  # svm and mlp are no pair: no verdict sentence (see the next test)


def test_two_seeds_are_refused_for_a_comparison(out_dir, capsys):
    """Issue 24: two seeds give the corrected test one degree of freedom; one seed is a quick look."""
    assert main(["run", "moons", "--models", "svm,qsvc", "--seeds", "1,2", "--out", str(out_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "too few for the accuracy comparison" in err
    assert not any(out_dir.iterdir()) if out_dir.exists() else True
    assert main(["run", "moons", "--models", "svm,qsvc", "--seeds", "1", "--samples", "40", "--no-tune",
                 "--out", str(out_dir), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "In short:" in printed and "not tested: fewer than 3 seeds" in printed
    assert main(["run", "moons", "--models", "svm,qsvc", "--seeds", "1,2,3", "--samples", "40", "--no-tune",
                 "--out", str(out_dir), "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)["verdict"]
    assert len(verdict) == 1 and len(verdict[0].split()) <= 40 and "both sides" in verdict[0]


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "nosuch"], "unknown dataset"),
        (["run", "--csv", "/no/such.csv", "--target", "y"], "does not exist"),
        (["run", "iris", "--qubits", "0"], "--qubits must be >= 1"),
        (["run", "iris", "--qubits", "40"], "--qubits must be <= 4"),
        (["run", "iris", "--device", "nosuch"], "unknown device"),
        (["run", "iris", "--models", "svm,nn"], "unknown model"),
        (["run", "iris", "--seeds", "x"], "integers"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_loses_nothing(out_dir, capsys, args, message):
    keep = out_dir / "iris-earlier"
    keep.mkdir()
    (keep / "results.csv").write_text("precious")
    code = main([*args, "--out", str(out_dir)] if args[0] == "run" else args)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert (keep / "results.csv").read_text() == "precious"
    assert [p.name for p in out_dir.iterdir()] == ["iris-earlier"]


def test_bad_csv_via_subprocess_has_no_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,label\n1,2,x\n3,,y\n")
    proc = subprocess.run(
        [sys.executable, "-m", "qvc", "run", "--csv", str(bad), "--target", "label",
         "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("qvc: error:") and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_partial_results_survive_a_failing_model(out_dir, monkeypatch):
    from qvc.models import quantum

    def boom(self, X, y):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(quantum.QuantumKernelSVC, "fit", boom)
    spec = ExperimentSpec("iris", models=("svm", "qsvc"), seeds=(42,), out_dir=str(out_dir))
    with pytest.raises(RuntimeError):
        run_experiment(spec, progress=None)
    (run,) = list(out_dir.iterdir())
    df = pd.read_csv(run / "results.csv")
    assert list(df["model"]) == ["svm"]
    assert json.loads((run / "metadata.json").read_text())["status"].startswith("interrupted")


def test_experiment_module_runs_qvc_run_for_its_dataset(tmp_path, monkeypatch, capsys):
    # What 'python -m experiments.moons ...' does, in this process: runpy runs the plain
    # module experiments/moons.py as __main__.
    import runpy

    monkeypatch.setattr(sys, "argv", ["experiments.moons", "--models", "svm", "--json", "--no-tune",
                                      "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as exc:
        runpy.run_module("experiments.moons", run_name="__main__", alter_sys=False)
    assert exc.value.code == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert (row["dataset"], row["model"], row["seed"]) == ("moons", "svm", 42)
    with pytest.raises(ImportError):
        runpy.run_module("experiments.no_such_dataset", run_name="__main__")


def test_every_bundled_dataset_has_its_experiment_module():
    from pathlib import Path

    from qvc.data import DATASETS

    here = Path(__file__).resolve().parents[1] / "experiments"
    for name in DATASETS:
        text = (here / f"{name}.py").read_text()
        assert f'main(["{name}", *sys.argv[1:]])' in text, name


def test_version_and_datasets(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and "qvc" in capsys.readouterr().out
    assert main(["datasets"]) == 0
    assert "breast_cancer" in capsys.readouterr().out


def test_rows_record_what_the_shared_budget_bought(out_dir):
    spec = ExperimentSpec("iris", models=("svm", "mlp", "vqc"), seeds=(42,), max_iter=25,
                          out_dir=str(out_dir))
    df = load_results(run_experiment(spec, progress=None).run_dir)
    steps = dict(zip(df["model"], df["optimizer_steps"]))
    assert pd.isna(steps["svm"])
    assert 1 <= steps["mlp"] <= 25  # L-BFGS stops at max_iter
    # COBYLA: exactly the budget here (16 weights + 2 <= 25), one forward pass per evaluation
    assert steps["vqc"] == 25
    vqc = df[df.model == "vqc"].iloc[0]
    assert vqc["circuits_fit"] == 25 * vqc["n_train"]


def test_warm_up_fits_the_runs_feature_map(monkeypatch):
    """The warm-up fit uses the run's entanglement, device and fixed params (not the registry's full map)."""
    import qvc.experiment.runner as runner
    from qvc.experiment.spec import ExperimentSpec

    seen = []
    real = runner.build_model

    def spy(name, cfg, params=None):
        seen.append(cfg)
        return real(name, cfg, params)

    monkeypatch.setattr(runner, "build_model", spy)
    monkeypatch.setattr(runner, "_WARMED", set())
    spec = ExperimentSpec("iris", qubits=3, models=("qsvc",), entanglement="linear", device="ibm_eagle",
                          params={"qsvc": {"bandwidth": 0.1}}, seeds=(42,), threads=2).validate()
    runner.warm_up(spec, runner._prepare_one(spec, 42))
    (cfg,) = seen
    assert (cfg.entanglement, cfg.params, cfg.threads) == ("linear", {"qsvc": {"bandwidth": 0.1}}, 2)
    assert cfg.circuit_fidelity.keywords["device"] == "ibm_eagle"  # mps:matched's estimate: the run's device


def test_a_validated_spec_is_resolved_once(monkeypatch):
    # validate() resolves device, host, search space, carbon and TDP table while checking them;
    # RunContext.for_spec takes that result instead of reading presets and files again.
    import qvc.energy.ftqc as devices  # resolve_device: the one place presets are read (ftqc or NISQ)
    from qvc.energy.meters import EnergyMeter
    from qvc.experiment.runner import RunContext
    from qvc.experiment.spec import ExperimentSpec

    spec = ExperimentSpec("iris", models=("svm", "qsvc"), seeds=(42,)).validate()
    calls = []
    real = devices.get_device
    monkeypatch.setattr(devices, "get_device", lambda *a, **k: calls.append(a) or real(*a, **k))
    ctx = RunContext.for_spec(spec, meter=EnergyMeter())
    assert calls == [] and ctx.device.name == "ibm_heron" and ctx.space and ctx.carbon.g_per_kwh > 0
    spec.device = "ionq_forte"  # changed after validation: resolved anew
    assert RunContext.for_spec(spec, meter=EnergyMeter()).device.name == "ionq_forte" and len(calls) == 1

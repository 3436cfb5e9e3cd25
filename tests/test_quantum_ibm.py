"""IBM execution: ledger reuse, local testing mode, faults at the service boundary, credentials.

No network: ``ibm:fake_*`` runs in qiskit-ibm-runtime's local testing mode, and the
remote-only behaviours (jobs that outlive their process, network errors, failed or
stuck jobs, reported usage) run against ``PersistentFakeGateway``, a test double
whose jobs live on disk (see ``qvc/quantum/ibm/testing.py``).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qvc.cli import main
from qvc.errors import QvcUsageError
from qvc.experiment import load_results
from qvc.quantum.ibm import (
    IbmRunContext,
    IbmSampler,
    JobStore,
    ibm_context,
    parse_ibm_execution,
    set_gateway_factory,
)
from qvc.quantum.ibm.testing import PersistentFakeGateway, use_persistent_fake

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "qvcPlantedToken0123456789abcdefghijklmnopqrstuvwxyzSECRET"
SMALL = ["--qubits", "2", "--samples", "12", "--shots", "64", "--seeds", "42"]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch):
    monkeypatch.setenv("QVC_IBM_POLL_S", "0.01")
    monkeypatch.delenv("QVC_IBM_LEDGER", raising=False)
    yield
    set_gateway_factory(None)


@pytest.fixture()
def fake(tmp_path):
    return use_persistent_fake(tmp_path / "fake-service")


def _run(out_dir, *extra, models="qsvc", backend="ibm:fake_manila"):
    return main(["run", "iris", *SMALL, "--models", models, "--execution", backend,
                 "--out", str(out_dir), "--quiet", *extra])


def _ledger_rows(out_dir):
    con = sqlite3.connect(out_dir / "ibm_ledger.sqlite")
    try:
        return con.execute("SELECT status, job_id, phase, model FROM jobs ORDER BY row_id").fetchall()
    finally:
        con.close()


def _only_line(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("qvc: error:")]
    assert len(lines) == 1, err
    return lines[0]


# -- parsing and preflight ---------------------------------------------------------------
def test_parse_execution_modes():
    assert parse_ibm_execution("ibm:ibm_fez").mode == "batch"
    assert parse_ibm_execution("ibm:fake_manila:session").local
    for bad in ("ibm:", "ibm:x:stream", "ibm:a:b:c"):
        with pytest.raises(QvcUsageError):
            parse_ibm_execution(bad)


def test_unknown_fake_backend_and_too_small_backend_exit_2(out_dir, capsys):
    assert _run(out_dir, backend="ibm:fake_nowhere") == 2
    assert "unknown fake backend 'fake_nowhere'" in _only_line(capsys.readouterr().err)
    code = main(["run", "wine", "--qubits", "7", "--models", "qsvc", "--execution",
                 "ibm:fake_manila", "--out", str(out_dir), "--quiet"])
    assert code == 2
    assert "fake_manila has 5 qubits but the circuits need 7" in _only_line(capsys.readouterr().err)
    assert list(out_dir.iterdir()) == []  # nothing written before the checks


# -- credentials (QiskitRuntimeService mocked: no network) --------------------------------
def _service_raising(exc):
    class FakeService:
        def __init__(self, *args, **kwargs):
            assert kwargs.get("channel") == "ibm_quantum_platform"
            assert "token" not in kwargs  # credentials are the service's own business
            raise exc

    return FakeService


@pytest.mark.parametrize("kind", ["missing", "invalid", "instance", "unknown_backend"])
def test_credential_and_backend_errors_are_one_line(kind, out_dir, capsys, monkeypatch):
    import qiskit_ibm_runtime
    from qiskit.providers.exceptions import QiskitBackendNotFoundError
    from qiskit_ibm_runtime.accounts import AccountNotFoundError
    from qiskit_ibm_runtime.exceptions import IBMNotAuthorizedError

    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)
    if kind == "missing":
        service = _service_raising(AccountNotFoundError("Unable to find account."))
        expected = "no IBM Quantum credentials found"
    elif kind == "instance":
        from qiskit_ibm_runtime.exceptions import IBMInputValueError

        service = _service_raising(IBMInputValueError(
            "The given API token is associated with an account that does not have access to the "
            "instance crn:v1:bluemix:public:quantum-computing:us-east:a/x::. To use this instance, "
            "use an API token generated from the account with this instance available."))
        expected = "does not give this API key access to the instance"
    elif kind == "invalid":
        service = _service_raising(IBMNotAuthorizedError(f"401 Unauthorized: token {TOKEN} expired"))
        expected = "IBM Quantum rejected the credentials"
    else:
        class _Backend:
            name = "ibm_fez"

        class service:  # noqa: N801 - stands in for the class
            def __init__(self, **kwargs):
                pass

            def backend(self, name):
                raise QiskitBackendNotFoundError("No backend matches the criteria.")

            def backends(self):
                return [_Backend()]

        expected = "unknown IBM backend 'ibm_nowhere'; this account can use: ibm_fez"
    monkeypatch.setattr(qiskit_ibm_runtime, "QiskitRuntimeService", service)
    assert _run(out_dir, backend="ibm:ibm_nowhere") == 2
    err = capsys.readouterr().err
    assert expected in _only_line(err)
    assert TOKEN not in err
    if kind == "instance":
        assert "network" not in err  # an inaccessible instance is not a network problem
    assert list(out_dir.iterdir()) == []


# -- local testing mode: the acceptance path, small ---------------------------------------
@pytest.mark.slow
def test_local_run_records_jobs_and_rerun_submits_nothing(out_dir, monkeypatch, capsys):
    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)  # planted: must never reach a file
    assert _run(out_dir, "--max-iter", "3", models="qsvc,vqc") == 0
    rows = _ledger_rows(out_dir)
    assert [r[0] for r in rows] == ["DONE"] * len(rows)
    assert {(r[3], r[2]) for r in rows} == {("qsvc", "fit"), ("qsvc", "predict"), ("vqc", "predict")}
    first = load_results(next(out_dir.glob("iris-*")))
    assert (first["ibm_jobs_submitted"] > 0).all()
    q = first[first.model == "qsvc"].iloc[0]
    # local testing mode: no QPU, so no reported time, and it says so
    assert np.isnan(q["hw_reported_qpu_seconds"]) and "local testing mode" in q["hw_reported_method"]
    assert q["hw_energy_method"] == "modelled" and q["ibm_backend"] == "fake_manila"
    assert first[first.model == "vqc"].iloc[0]["ibm_trained_on"] == "local statevector engine (exact)"

    assert _run(out_dir, "--max-iter", "3", models="qsvc,vqc") == 0
    assert _ledger_rows(out_dir) == rows  # nothing new submitted
    runs = sorted(out_dir.glob("iris-*"))
    capsys.readouterr()
    assert main(["ibm", "status", str(runs[-1])]) == 0  # the reused jobs show under the new run
    assert capsys.readouterr().out.count("DONE") == len(rows)
    second = load_results(runs[-1])
    assert (second["ibm_jobs_submitted"] == 0).all() and (second["ibm_jobs"] > 0).all()
    pd.testing.assert_series_equal(first["accuracy_test"], second["accuracy_test"])
    for path in out_dir.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_kernel_from_noiseless_shots_matches_exact_kernel(tmp_path):
    from qiskit_machine_learning.kernels import FidelityStatevectorKernel

    from qvc.quantum.circuits import feature_map
    from qvc.quantum.ibm.kernel import hardware_kernel

    X = np.random.default_rng(0).uniform(0, np.pi, size=(5, 2))
    ctx = IbmRunContext(store_path=tmp_path / "l.sqlite")
    sampler = IbmSampler(parse_ibm_execution("ibm:aer_simulator"), default_shots=20000, seed=5,
                            context=ctx)
    shots_k = hardware_kernel(feature_map(2), sampler).evaluate(X)
    exact = FidelityStatevectorKernel(feature_map=feature_map(2)).evaluate(X)
    assert np.abs(shots_k - exact).max() < 0.03  # 20000 shots: std <= 0.0036 per entry
    assert len(JobStore(ctx.store_path).rows()) == 1  # 10 overlaps, one job


def test_jobs_split_under_the_circuit_limit(tmp_path):
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    theta = Parameter("t")
    qc = QuantumCircuit(1)
    qc.ry(theta, 0)
    qc.measure_all()
    ctx = IbmRunContext(store_path=tmp_path / "l.sqlite", max_circuits_per_job=4)
    sampler = IbmSampler(parse_ibm_execution("ibm:fake_manila"), default_shots=16, seed=1,
                            context=ctx)
    with ibm_context(ctx):
        res = sampler.run([(qc, np.linspace(0, np.pi, 10).reshape(10, 1))]).result()
    assert res[0].data.meas.shape == (10,)
    assert [r.n_circuits for r in JobStore(ctx.store_path).rows()] == [4, 4, 2]
    assert res[0].data.meas.get_counts(0) == {"0": 16}  # ry(0): always 0 (readout noise aside)


# -- faults at the service boundary (persistent fake service) -----------------------------
def test_network_error_on_submit_then_rerun(out_dir, fake, capsys):
    fake.configure(fail_submits=1)
    assert _run(out_dir) == 2
    line = _only_line(capsys.readouterr().err)
    assert "submitting a job to fake_manila failed (ConnectionError" in line
    assert [r[0] for r in _ledger_rows(out_dir)] == ["SUBMIT_FAILED"]
    assert fake.job_ids() == []
    assert _run(out_dir) == 0
    statuses = [r[0] for r in _ledger_rows(out_dir)]
    assert statuses == ["SUBMIT_FAILED", "DONE", "DONE"]
    assert len(fake.job_ids()) == 2  # fit + predict, each submitted exactly once


@pytest.mark.parametrize("final", ["ERROR", "CANCELLED"])
def test_job_ending_in_error_or_cancelled(final, out_dir, fake, capsys):
    fake.configure(final_status=final)
    assert _run(out_dir) == 2
    line = _only_line(capsys.readouterr().err)
    assert f"ended in {final}" in line and "re-run to submit its circuits again" in line
    assert [r[0] for r in _ledger_rows(out_dir)] == [final]
    run = next(out_dir.glob("iris-*"))
    assert json.loads((run / "metadata.json").read_text())["status"].startswith("interrupted")


def test_results_that_never_arrive_time_out_then_fetch_and_cancel(out_dir, fake, capsys):
    fake.configure(never_finish=True)
    assert _run(out_dir, "--ibm-timeout", "0.2") == 2
    line = _only_line(capsys.readouterr().err)
    assert "still pending (QUEUED) after 0.2 s" in line and "qvc ibm fetch" in line
    run = next(out_dir.glob("iris-*"))
    assert json.loads((run / "metadata.json").read_text())["status"] == "waiting for IBM jobs (qvc ibm fetch)"
    assert main(["ibm", "fetch", str(run), "--no-wait"]) == 0
    assert "still pending" in capsys.readouterr().out
    (job_id,) = fake.job_ids()
    assert main(["ibm", "cancel", job_id, str(run)]) == 0  # the run folder (made with --out) finds its store
    assert str(out_dir / "ibm_ledger.sqlite") in capsys.readouterr().out
    assert _ledger_rows(out_dir)[0][0] == "CANCELLED"
    assert main(["ibm", "cancel", job_id, "--ledger", str(out_dir / "ibm_ledger.sqlite")]) == 2
    assert main(["ibm", "cancel", job_id, str(run), "--ledger", str(out_dir / "ibm_ledger.sqlite")]) == 2
    assert "not both" in capsys.readouterr().err


def test_reported_usage_is_priced_next_to_the_model_and_calibrated(out_dir, fake, capsys):
    fake.configure(usage_seconds=1.5)  # a fixture value played by the fake service, not a measurement
    assert _run(out_dir) == 0
    q = load_results(next(out_dir.glob("iris-*"))).iloc[0]
    assert q["hw_reported_method"].startswith("hardware-reported")
    assert q["hw_reported_qpu_seconds"] == pytest.approx(1.5 * q["ibm_jobs"])
    assert q["hw_reported_energy_j"] > 0 and q["hw_energy_method"] == "modelled"
    assert q["hw_reported_vs_modelled"] == pytest.approx(q["hw_reported_qpu_seconds"] / q["hw_qpu_seconds"],
                                                         rel=0.2)
    report = (next(out_dir.glob("iris-*")) / "report.md").read_text()
    assert "## IBM Quantum execution" in report and "hardware-reported" in report
    capsys.readouterr()
    assert main(["ibm", "calibrate", "--ledger", str(out_dir / "ibm_ledger.sqlite"), "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)["backends"][0]
    assert entry["backend"] == "fake_manila" and entry["jobs_with_reported_usage"] == 2
    assert entry["reported_qpu_seconds"] == pytest.approx(3.0)
    assert "fitted_per_job_overhead_s" in entry  # two jobs of different size: a line fit
    assert main(["ibm", "calibrate", str(next(out_dir.glob("iris-*")))]) == 0  # a table, found from the run
    out = capsys.readouterr().out
    assert "reported QPU s" in out and "fake_manila" in out and not out.lstrip().startswith("{")


@pytest.mark.slow
def test_killed_after_submit_then_fetch_finishes_without_resubmitting(out_dir, tmp_path):
    """A real SIGKILL between submission and results; jobs survive in the persistent fake."""
    root = tmp_path / "fake-service"
    fake = PersistentFakeGateway(root)
    fake.configure(never_finish=True)
    script = ("import sys; from qvc.quantum.ibm.testing import use_persistent_fake; "
              "use_persistent_fake(sys.argv[1]); from qvc.cli import main; sys.exit(main(sys.argv[2:]))")
    env = {**os.environ, "QVC_IBM_POLL_S": "0.05", "QISKIT_IBM_TOKEN": TOKEN,
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(root), "run", "iris", *SMALL, "--models", "qsvc",
         "--execution", "ibm:fake_manila", "--out", str(out_dir), "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 240  # a loaded machine takes long to import qiskit and submit
        while time.monotonic() < deadline:
            if fake.job_ids() and (out_dir / "ibm_ledger.sqlite").is_file() and any(
                    r[1] for r in _ledger_rows(out_dir)):
                break
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.1)
        else:
            pytest.fail("the job was not submitted in time")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert [r[0] for r in _ledger_rows(out_dir)] == ["QUEUED"]
    (fit_job,) = fake.job_ids()
    run = next(out_dir.glob("iris-*"))
    assert json.loads((run / "metadata.json").read_text())["status"] == "running"  # killed: no cleanup

    fake.configure(never_finish=False)
    use_persistent_fake(root)
    assert main(["ibm", "fetch", str(run)]) == 0
    rows = _ledger_rows(out_dir)
    assert [(r[0], r[2]) for r in rows] == [("DONE", "fit"), ("DONE", "predict")]
    assert rows[0][1] == fit_job and fake.job_ids()[0] == fit_job
    assert len(fake.job_ids()) == 2  # the fit job was never submitted again
    meta = json.loads((run / "metadata.json").read_text())
    assert meta["status"] == "complete" and meta["resumed_utc"]
    df = load_results(run)
    assert list(df["model"]) == ["qsvc"] and df.iloc[0]["ibm_jobs_submitted"] == 1
    assert (run / "report.md").is_file()
    for path in out_dir.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_training_on_hardware_needs_confirmation(out_dir, capsys):
    code = main(["run", "iris", *SMALL, "--models", "vqc", "--max-iter", "2", "--execution",
                 "ibm:fake_manila", "--train-on-hardware", "--out", str(out_dir), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "QPU s" in err and "USD" in err and "needs --confirm-qpu" in _only_line(err)
    assert list(out_dir.iterdir()) == []
    code = main(["run", "iris", *SMALL, "--models", "vqc", "--max-iter", "2", "--execution",
                 "ibm:fake_manila", "--train-on-hardware", "--confirm-qpu", "--out", str(out_dir),
                 "--quiet"])
    assert code == 0
    df = load_results(next(out_dir.glob("iris-*")))
    assert df.iloc[0]["ibm_trained_on"] == "ibm:fake_manila"
    assert {r[2] for r in _ledger_rows(out_dir)} == {"fit", "predict"}


def test_session_mode_runs_and_is_closed_with_the_context(tmp_path):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(1)
    qc.x(0)
    qc.measure_all()
    ctx = IbmRunContext(store_path=tmp_path / "l.sqlite")
    with ibm_context(ctx):
        sampler = IbmSampler(parse_ibm_execution("ibm:fake_manila:session"), default_shots=32,
                                seed=2, context=ctx)
        counts = sampler.run([qc]).result()[0].data.meas.get_counts()
        assert sum(counts.values()) == 32 and ctx.open_sessions == [sampler]
    assert ctx.open_sessions == [] and sampler._session is None
    assert JobStore(ctx.store_path).rows()[0].execution_mode == "session"


def test_ibm_without_subcommand_and_missing_ledger_exit_2(tmp_path, capsys):
    assert main(["ibm"]) == 2
    assert "give an ibm command" in _only_line(capsys.readouterr().err)
    assert main(["ibm", "status", "--ledger", str(tmp_path / "none.sqlite")]) == 2
    assert "no IBM job store" in _only_line(capsys.readouterr().err)

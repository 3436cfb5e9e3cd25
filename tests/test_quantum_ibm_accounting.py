"""IBM execution against a service that behaves like IBM's: usage, sessions, attribution, limits.

Each test names the defect of issue #18 it pins (they failed before the fix). The
service is ``PersistentFakeGateway`` (``qvc/quantum/ibm/testing.py``), a test double
whose usage figures are fixture values, not measurements. The real client classes
are exercised in ``tests/test_quantum_ibm_contract.py``.
"""

from __future__ import annotations

import json
import math
import sqlite3

import numpy as np
import pytest
from qiskit import QuantumCircuit

from qvc.cli import main
from qvc.errors import QvcUsageError
from qvc.experiment import load_results
from qvc.quantum.ibm import (
    IbmRunContext,
    IbmSampler,
    IbmServiceError,
    JobStatus,
    JobStore,
    ibm_context,
    parse_ibm_execution,
    set_gateway_factory,
)
from qvc.quantum.ibm.testing import MAX_CIRCUITS, use_persistent_fake

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


def _x_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(1)
    qc.x(0)
    qc.measure_all()
    return qc


def _sample(tmp_path, mode="ibm:fake_manila", run_id="r1", model="m", seed=1):
    """One tiny job through the sampler; returns the sampler (its usage still to be read)."""
    ctx = IbmRunContext(store_path=tmp_path / "s.sqlite", run_id=run_id)
    with ibm_context(ctx):
        sampler = IbmSampler(parse_ibm_execution(mode), default_shots=16, seed=seed, model=model,
                             context=ctx)
        counts = sampler.run([_x_circuit()]).result()[0].data.meas.get_counts()
        assert sum(counts.values()) == 16
        usage = sampler.usage()
    return sampler, usage


def _rows(out_dir):
    con = sqlite3.connect(out_dir / "ibm_ledger.sqlite")
    try:
        return con.execute("SELECT status, qpu_seconds, usage_source, session_id, exec_seconds "
                           "FROM jobs ORDER BY row_id").fetchall()
    finally:
        con.close()


# -- defect 1: session mode reports the session's usage -----------------------------------
@pytest.mark.slow
def test_session_mode_reports_session_usage_not_a_sum_of_jobs(out_dir, fake):
    fake.configure(usage_seconds=1.0, session_usage_seconds=9.0)
    assert _run(out_dir, "--max-iter", "2", models="qsvc,vqc",
                backend="ibm:fake_manila:session") == 0
    df = load_results(next(out_dir.glob("iris-*")))
    q, v = df[df.model == "qsvc"].iloc[0], df[df.model == "vqc"].iloc[0]
    # qsvc ran 2 jobs (1 s each by job usage) in its own session, billed 9 s wall clock
    assert q["hw_reported_qpu_seconds"] == pytest.approx(9.0)
    assert v["hw_reported_qpu_seconds"] == pytest.approx(9.0)
    assert "Session.usage()" in q["hw_reported_method"]
    sessions = [s for s in fake.sessions() if s["mode"] == "session"]
    assert len(sessions) == 2 and all(s["closed"] for s in sessions)
    # each model's session was closed right after its last job, before the next one opened
    assert [s["others_open_at_open"] for s in sessions] == [0, 0]
    stored = {r[3] for r in _rows(out_dir)}
    assert stored == {s["id"] for s in sessions}  # every job row knows its session


# -- defect 2: an absent usage is never a measured 0 ---------------------------------------
@pytest.mark.parametrize("shape,pending,expected", [
    ("current", 0, 2.5), ("legacy", 0, 2.5), ("absent", 0, None), ("current", 99, None),
])
def test_usage_shapes_absent_and_pending_stay_missing(shape, pending, expected, tmp_path, fake):
    fake.configure(usage_seconds=2.5, usage_shape=shape, usage_pending_reads=pending)
    sampler, usage = _sample(tmp_path)
    (row,) = JobStore(tmp_path / "s.sqlite").rows()
    if expected is None:
        assert usage["qpu_seconds"] is None and row.qpu_seconds is None
        assert usage["qpu_seconds_method"].startswith("pending" if pending else "absent")
    else:
        assert usage["qpu_seconds"] == pytest.approx(expected)
        assert row.usage_source == "hardware-reported"
    if expected is None or shape == "legacy":
        # what the runtime's job.usage() answers here, and what qvc used to record as measured
        assert sampler.gateway.job(row.job_id).usage() == 0


# -- defect 3: a job done at its first status check is collected ---------------------------
@pytest.mark.slow
def test_job_done_at_first_check_is_collected_and_store_stays_usable(out_dir, fake):
    fake.configure(finish_after_polls=0, usage_seconds=1.0)
    assert _run(out_dir) == 0  # before the fix: IsADirectoryError
    assert [r[0] for r in _rows(out_dir)] == ["DONE", "DONE"]
    assert (next(out_dir.glob("iris-*")) / "report.md").is_file()


def test_done_row_without_counts_is_collected_not_trusted(tmp_path, fake):
    """A store poisoned by older qvc (DONE, no counts) heals: the job is collected."""
    _sample(tmp_path)
    store = JobStore(tmp_path / "s.sqlite")
    (row,) = store.rows()
    store.update(row.row_id, result_path=None)
    _, usage = _sample(tmp_path, run_id="r2")
    assert store.get(row.row_id).collected and len(fake.job_ids()) == 1


def test_status_sequence_of_the_double_is_queued_running_done(tmp_path, fake):
    fake.configure(finish_after_polls=3, running_polls=1, never_finish=False)
    gateway = fake
    backend = gateway.backend("fake_manila")
    from qiskit.transpiler import generate_preset_pass_manager

    isa = generate_preset_pass_manager(optimization_level=1, backend=backend).run(_x_circuit())
    with gateway.open_mode(backend, "batch") as batch:
        job = gateway.submit(batch, [(isa,)], 8, tag="t", seed=1)
    assert [job.status() for _ in range(4)] == ["QUEUED", "QUEUED", "RUNNING", "DONE"]
    assert JobStatus.of(job.status()) == JobStatus.DONE


# -- defect 4: usage that arrives later can be refreshed into the run ----------------------
@pytest.mark.slow
def test_fetch_usage_rewrites_rows_and_report_without_running_again(out_dir, fake, capsys):
    fake.configure(usage_seconds=1.5, usage_pending_reads=1000)
    assert _run(out_dir) == 0
    run = next(out_dir.glob("iris-*"))
    before = load_results(run)
    assert math.isnan(before.iloc[0]["hw_reported_qpu_seconds"])
    assert before.iloc[0]["hw_reported_method"].startswith("pending")
    fake.configure(usage_pending_reads=0)
    for job_id in fake.job_ids():  # the service has finished computing usage
        meta = json.loads((fake.root / "jobs" / job_id / "meta.json").read_text())
        meta["usage_reads"] = 0
        (fake.root / "jobs" / job_id / "meta.json").write_text(json.dumps(meta))
    n_jobs = len(fake.job_ids())
    capsys.readouterr()
    store = str(out_dir / "ibm_ledger.sqlite")
    assert main(["ibm", "fetch", "--usage", "--ledger", store]) == 0  # finds the run itself
    assert "reported usage refreshed" in capsys.readouterr().out
    assert main(["ibm", "fetch", "--usage", "--ledger", store]) == 0
    assert "no unfinished runs" in capsys.readouterr().out  # nothing left open
    after = load_results(run)
    assert after.iloc[0]["hw_reported_qpu_seconds"] == pytest.approx(1.5 * 2)
    assert after.iloc[0]["hw_reported_method"].startswith("hardware-reported")
    # only the reported-usage columns changed; nothing ran again
    for col in ("accuracy_test", "fit_energy_j", "predict_energy_j", "hw_qpu_seconds"):
        assert after.iloc[0][col] == before.iloc[0][col] or (
            np.isnan(after.iloc[0][col]) and np.isnan(before.iloc[0][col]))
    assert len(fake.job_ids()) == n_jobs
    assert "hardware-reported" in (run / "report.md").read_text()
    assert json.loads((run / "metadata.json").read_text())["ibm"]["usage_refreshed_utc"]


# -- defect 5: billing time vs physical time -----------------------------------------------
@pytest.mark.slow
def test_energy_uses_execution_spans_and_cost_uses_usage(out_dir, fake, capsys):
    fake.configure(usage_seconds=1.5, exec_seconds=0.25)
    assert _run(out_dir) == 0
    # defect 7 too: the default budget is the Open plan's, sent with every job
    assert "budget 600 QPU s" in capsys.readouterr().err
    metas = [json.loads((fake.root / "jobs" / j / "meta.json").read_text()) for j in fake.job_ids()]
    assert {m["max_execution_time"] for m in metas} == {600}
    run = next(out_dir.glob("iris-*"))
    q = load_results(run).iloc[0]
    assert q["hw_reported_qpu_seconds"] == pytest.approx(3.0)  # billed: 2 jobs x 1.5 s
    power = json.loads((run / "ibm_usage.json").read_text())["owners"]["qsvc/seed=42"]["power_w"]
    assert q["hw_reported_energy_j"] == pytest.approx(0.5 * power)  # physical: 2 x 0.25 s
    assert "energy from execution spans" in q["hw_reported_method"]
    assert [r[4] for r in _rows(out_dir)] == [0.25, 0.25]


def test_energy_falls_back_to_usage_and_says_so(tmp_path, fake):
    fake.configure(usage_seconds=1.5)
    _, usage = _sample(tmp_path)
    assert usage["energy_seconds"] == pytest.approx(1.5)
    assert usage["energy_seconds_source"].startswith("usage (billing")


# -- defect 6: failed jobs are charged; reused jobs are attributed once --------------------
@pytest.mark.parametrize("final", ["ERROR", "CANCELLED"])
def test_usage_of_failed_jobs_is_read(final, tmp_path, fake):
    fake.configure(final_status=final, usage_seconds=0.7)
    with pytest.raises(IbmServiceError, match=f"ended in {final}"):
        _sample(tmp_path)
    (row,) = JobStore(tmp_path / "s.sqlite").rows()
    assert (row.status, row.qpu_seconds, row.usage_source) == (final, 0.7, "hardware-reported")


@pytest.mark.slow
def test_cancel_records_the_charged_usage(out_dir, fake):
    fake.configure(never_finish=True, usage_seconds=0.3)
    assert _run(out_dir, "--ibm-timeout", "0.1") == 2
    (job_id,) = fake.job_ids()
    assert main(["ibm", "cancel", job_id, "--ledger", str(out_dir / "ibm_ledger.sqlite")]) == 0
    assert _rows(out_dir)[0][:3] == ("CANCELLED", pytest.approx(0.3), "hardware-reported")


@pytest.mark.slow
def test_reused_jobs_are_not_counted_again_across_runs(out_dir, fake):
    fake.configure(usage_seconds=1.5)
    assert _run(out_dir) == 0
    assert _run(out_dir) == 0
    first, second = (load_results(r).iloc[0] for r in sorted(out_dir.glob("iris-*")))
    assert first["hw_reported_qpu_seconds"] == pytest.approx(3.0)
    assert math.isnan(second["hw_reported_qpu_seconds"]) and second["ibm_jobs_submitted"] == 0
    assert "reused" in second["hw_reported_method"]
    # the sweep's total equals what the service charged, once
    charged = sum(r[1] for r in _rows(out_dir))
    total = np.nansum([first["hw_reported_qpu_seconds"], second["hw_reported_qpu_seconds"]])
    assert total == pytest.approx(charged) == pytest.approx(3.0)


def test_partly_reused_jobs_count_only_the_new_ones(tmp_path, fake):
    fake.configure(usage_seconds=2.0)
    _sample(tmp_path, run_id="a")
    ctx = IbmRunContext(store_path=tmp_path / "s.sqlite", run_id="b")
    qc2 = QuantumCircuit(1)
    qc2.h(0)
    qc2.measure_all()
    with ibm_context(ctx):
        s = IbmSampler(parse_ibm_execution("ibm:fake_manila"), default_shots=16, seed=1,
                       model="m", context=ctx)
        s.run([_x_circuit(), qc2]).result()
        usage = s.usage()
    assert usage["jobs"] == 2 and usage["jobs_reused"] == 1
    assert usage["qpu_seconds"] == pytest.approx(2.0)


# -- defect 7: smaller ----------------------------------------------------------------------
@pytest.mark.parametrize("message,blames_plan", [
    ("503 Service Unavailable", False),
    ("403 Client Error: Forbidden: sessions are not allowed on the open plan", True),
])
def test_session_open_failure_blames_the_open_plan_only_when_it_is_the_cause(
        message, blames_plan, monkeypatch):
    import qiskit_ibm_runtime

    from qvc.quantum.ibm.service import RuntimeGateway

    class Refusing:
        def __init__(self, *args, **kwargs):
            raise RuntimeError(message)

    class Backend:
        name = "ibm_fez"

    monkeypatch.setattr(qiskit_ibm_runtime, "Session", Refusing)
    with pytest.raises(QvcUsageError) as err:
        with RuntimeGateway(service=object()).open_mode(Backend(), "session"):
            pass
    assert ("Open plan" in str(err.value)) is blames_plan
    assert isinstance(err.value, IbmServiceError)


def test_session_refused_by_the_double_is_one_line(out_dir, fake, capsys):
    fake.configure(session_refused="503 Service Unavailable")
    assert _run(out_dir, backend="ibm:fake_manila:session") == 2
    err = capsys.readouterr().err
    assert "cannot open a session on fake_manila" in err and "Open plan" not in err


def test_failed_tag_lookup_stops_the_submit(monkeypatch):
    from qvc.quantum.ibm.service import RuntimeGateway

    class Service:
        def jobs(self, **kwargs):
            raise ConnectionError("network unreachable")

    with pytest.raises(IbmServiceError, match="nothing is submitted again"):
        RuntimeGateway(service=Service()).find_by_tag("ibm_fez", "qvc-1")


def test_network_error_on_submit_and_on_the_tag_lookup_keeps_the_row(tmp_path, fake):
    fake.configure(fail_submits=1, fail_tag_lookups=1)
    with pytest.raises(IbmServiceError, match="row stays SUBMITTING"):
        _sample(tmp_path)
    store = JobStore(tmp_path / "s.sqlite")
    assert [r.status for r in store.rows()] == ["SUBMITTING"]
    _sample(tmp_path)  # the lookup works now: no job carries the tag, so submit again
    assert [r.status for r in store.rows()] == ["SUBMIT_FAILED", "DONE"]
    assert len(fake.job_ids()) == 1


def test_lost_submit_answer_is_recovered_by_tag_not_submitted_twice(tmp_path, fake):
    fake.configure(lose_submit_answers=1)
    _sample(tmp_path)
    assert [r.status for r in JobStore(tmp_path / "s.sqlite").rows()] == ["DONE"]
    assert len(fake.job_ids()) == 1


@pytest.mark.slow
def test_hardware_run_prints_estimate_and_refuses_above_budget(out_dir, fake, capsys):
    assert _run(out_dir, "--max-qpu-seconds", "0.5") == 2
    err = capsys.readouterr().err
    assert "QPU s" in err and "exceed --max-qpu-seconds 0.5" in err
    assert list(out_dir.iterdir()) == [] and fake.job_ids() == []
    assert _run(out_dir, "--max-qpu-seconds", "0.5", "--confirm-qpu") == 0
    limits = {json.loads((fake.root / "jobs" / j / "meta.json").read_text())["max_execution_time"]
              for j in fake.job_ids()}
    assert len(limits) == 1 and limits.pop() > 0.5  # the confirmed estimate, rounded up


def test_local_testing_mode_is_not_budgeted(capsys):
    from qvc.cli import _check_qpu_budget
    from qvc.experiment import ExperimentSpec

    spec = ExperimentSpec("iris", models=("qsvc",), execution="ibm:fake_manila",
                          ibm_max_qpu_seconds=0.0)
    _check_qpu_budget(spec, confirmed=False)  # fake backends cost nothing: no estimate, no refusal
    err = capsys.readouterr().err  # only the one line saying the budget does not apply (issue 32)
    assert err.startswith("qvc: --max-qpu-seconds ignored: fake_manila runs in local testing mode")
    assert err.count("\n") == 1


def test_one_service_connection_per_process(monkeypatch):
    import qiskit_ibm_runtime
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    from qvc.quantum.ibm.service import preflight

    made = []

    class Service:
        def __init__(self, **kwargs):
            made.append(kwargs)

        def backend(self, name):
            return FakeManilaV2()

    monkeypatch.setattr(qiskit_ibm_runtime, "QiskitRuntimeService", Service)
    set_gateway_factory(None)
    preflight("ibm:ibm_fez", 2)
    for model in ("qsvc", "vqc"):
        assert IbmSampler(parse_ibm_execution("ibm:ibm_fez"), model=model).backend.num_qubits == 5
    assert len(made) == 1


# -- the double's limits --------------------------------------------------------------------
def test_double_refuses_jobs_over_ibm_limits(tmp_path, fake):
    backend = fake.backend("fake_manila")
    from qiskit.circuit import Parameter

    theta = Parameter("t")
    qc = QuantumCircuit(1)
    qc.ry(theta, 0)
    qc.measure_all()
    with fake.open_mode(backend, "batch") as batch:
        with pytest.raises(ValueError, match="exceeds the limits"):
            fake.submit(batch, [(qc, np.zeros((MAX_CIRCUITS + 1, 1)))], 1, tag="a", seed=None)
        with pytest.raises(ValueError, match="exceeds the limits"):
            fake.submit(batch, [(qc, np.zeros((2, 1)))], 5_000_001, tag="b", seed=None)
    assert fake.job_ids() == []


def test_sampler_splits_under_the_execution_limit(tmp_path):
    from qiskit.circuit import Parameter

    theta = Parameter("t")
    qc = QuantumCircuit(1)
    qc.ry(theta, 0)
    qc.measure_all()
    ctx = IbmRunContext(store_path=tmp_path / "s.sqlite")
    s = IbmSampler(parse_ibm_execution("ibm:fake_manila"), default_shots=4_000_000, seed=1,
                   context=ctx)
    assert [len(c) for c in s._chunks(["a", "b", "c", "d", "e"], 4_000_000)] == [2, 2, 1]


def test_batches_and_sessions_of_the_double_have_their_own_usage(fake):
    fake.configure(usage_seconds=1.0, session_usage_seconds=5.0)
    backend = fake.backend("fake_manila")
    with fake.open_mode(backend, "session") as session:
        assert session.usage() is None  # not reported while open
    assert fake.session_usage(session.session_id) == 5.0
    with fake.open_mode(backend, "batch") as batch:
        pass
    assert fake.session_usage(batch.session_id) == 0.0

"""Experiment-level IBM operations: result columns of reported usage, finishing a run from
the job store, refreshing a run's reported usage, estimating QPU time before a run."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from qvc._io import utc_now
from qvc.errors import QvcUsageError
from qvc.experiment.spec import ExperimentSpec, spec_of_run
from qvc.record.ibm import USAGE_FILE, reported_columns
from qvc.record.runfolder import load_run

#: IBM Quantum Pay-As-You-Go list price per QPU second (USD 96 per minute). Source:
#: https://www.ibm.com/quantum/pricing (2024 list price; unverified for the current year).
IBM_PAYG_USD_PER_QPU_SECOND = 96.0 / 60.0
#: Default ``--max-qpu-seconds``: the Open plan's 10 QPU minutes per month
#: (https://www.ibm.com/quantum/pricing; unverified for the current year).
OPEN_PLAN_QPU_SECONDS = 600.0
def refresh_run_usage(run_dir: str | Path, progress: Callable[[str], None] | None = None) -> list:
    """Read again the usage that was pending or absent, and rewrite the run's rows and report.

    Only the ``hw_reported_*`` columns change; nothing runs again. ``results.csv``,
    ``metadata.json`` and the report are each replaced atomically. Returns the rows.
    """
    from qvc.quantum.ibm.accounting import account
    from qvc.quantum.ibm.jobs import refresh, refresh_sessions
    from qvc.record.results import load_results, write_results
    from qvc.record.runfolder import write_metadata
    from qvc.report import write_report

    run = load_run(run_dir, with_results=False)
    run_dir, meta = run.path, run.metadata
    path = run_dir / USAGE_FILE
    if not path.is_file():
        raise QvcUsageError(f"run {run_dir.name} has no {USAGE_FILE} (no IBM rows finished, or "
                            f"an older qvc wrote it); 'qvc ibm fetch {run_dir}' recomputes its rows")
    record = json.loads(path.read_text())
    store = run_store(run_dir, meta)
    refresh(store, store.rows_for_run(run_dir.name), timeout_s=0, usage=True, progress=progress)
    refresh_sessions(store, run_dir.name)
    frame = load_results(run_dir)
    rows = frame.astype(object).where(frame.notna(), np.nan).to_dict("records")
    changed = 0
    for row in rows:
        owner = f"{row.get('model')}/seed={row.get('seed')}"
        entry = record["owners"].get(owner)
        if entry is None:
            continue
        usage = account(store, run_id=entry["run_id"], owner=owner, used=entry["row_ids"],
                        is_local=entry["service"] == "local")
        power = entry["power_w"] if entry["power_w"] is not None else float("nan")
        new = reported_columns(usage, power, entry["modelled_qpu_seconds"])
        changed += any(str(row.get(k)) != str(v) for k, v in new.items())
        row.update(new)
    write_results(rows, run_dir / "results.csv")
    meta.setdefault("ibm", {})["usage_refreshed_utc"] = utc_now()
    write_metadata(meta, run_dir)
    write_report(run_dir)
    if progress is not None:
        progress(f"ibm: reported usage refreshed for {changed} row(s) of {run_dir.name}")
    return rows


def run_store(run_dir: Path, meta: dict):
    """The job store a run used (as recorded, else next to the run folder)."""
    from qvc.quantum.ibm import JobStore
    from qvc.quantum.ibm.jobstore import STORE_FILE_NAME

    recorded = Path(meta.get("ibm", {}).get("ledger", ""))
    candidates = [recorded] if recorded.name else []
    candidates.append(run_dir.parent / STORE_FILE_NAME)
    for c in candidates:
        if c.is_file():
            return JobStore(c)
    raise QvcUsageError(f"run {run_dir.name} has no IBM job store (looked at "
                        f"{', '.join(map(str, candidates))}); was it run with --execution ibm:...?")


def fetch_run(
    run_dir: str | Path, *, wait: bool = True, timeout_s: float | None = None,
    progress: Callable[[str], None] | None = None, usage: bool = False,
) -> tuple[str, list]:
    """Collect a run's IBM jobs and, once all are done, finish its results and report.

    Returns ``(state, rows)``: ``"complete"`` with the result rows, or
    ``"pending"`` with the ledger rows still pending (only with ``wait=False``;
    a wait that runs out raises :class:`~qvc.quantum.ibm.IbmJobsPending`), or
    ``"already complete"`` with no rows for a run that had finished before: its
    folder is left exactly as it is.
    Nothing already submitted is submitted again; jobs the finished fit needs
    next (e.g. predict against the support vectors) are submitted now. With
    ``usage`` and a complete run, only the reported usage is read again and the
    rows and report are rewritten (:func:`refresh_run_usage`), state ``"usage"``.
    """
    from qvc.experiment.runner import run_experiment
    from qvc.quantum.ibm.context import DEFAULT_TIMEOUT_S
    from qvc.quantum.ibm.jobs import refresh
    from qvc.quantum.ibm.sampler import IbmJobsPending

    run = load_run(run_dir, with_results=False)
    run_dir, meta, spec = run.path, run.metadata, spec_of_run(run)
    if not spec.execution_mode.is_ibm:
        raise QvcUsageError(f"run {run_dir.name} did not use --execution ibm:<backend>")
    if usage and meta.get("status") == "complete":
        return "usage", refresh_run_usage(run_dir, progress=progress)
    if meta.get("status") == "complete":
        return "already complete", []  # nothing to collect: never re-run or overwrite a finished run
    ledger = run_store(run_dir, meta)
    rows = ledger.rows_for_run(run_dir.name)
    limit = 0 if not wait else (DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s)
    poll = 0.05 if all(r.service == "local" for r in rows) else 5.0
    rows = refresh(ledger, rows, timeout_s=limit, poll_s=poll, progress=progress)
    failed = [r for r in rows if r.status.failed]
    if failed:
        r = failed[0]
        raise QvcUsageError(f"job {r.job_id} of run {run_dir.name} ended in {r.status}"
                            f"{': ' + r.error if r.error else ''}; 'qvc run' again to resubmit its circuits")
    pending = [r for r in rows if r.pending]
    if pending:
        if wait:
            raise IbmJobsPending(f"{len(pending)} job(s) of run {run_dir.name} still pending after "
                                 f"{limit:g} s; run 'qvc ibm fetch {run_dir}' later")
        return "pending", pending
    spec.ibm_timeout_s = limit
    result = run_experiment(spec, progress=progress, run_dir=run_dir)
    return "complete", result.rows


def estimate_training(spec: ExperimentSpec) -> dict:
    """Upper-bound QPU time, energy and list price of training the VQC on ``spec``'s backend.

    COBYLA makes at most ``max_iter`` objective evaluations; each runs one circuit
    per training sample, as one job that must finish before the next evaluation.
    Priced through the same path as a run's ledger
    (:func:`~qvc.quantum.ledger.optimizer_rounds_entry` ->
    :func:`~qvc.energy.hardware.price_entries`), on the backend's own target where
    one is available offline.
    """
    from qvc.data import prepare_dataset
    from qvc.energy.devices import device_for_backend, get_device
    from qvc.energy.hardware import price_entries
    from qvc.quantum.circuits import ansatz, feature_map, qnn_template
    from qvc.quantum.ledger import optimizer_rounds_entry

    data = prepare_dataset(spec.dataset, n_features=spec.qubits, seed=spec.seeds[0],
                           test_size=spec.test_size, max_samples=spec.max_samples,
                           csv_path=spec.csv_path, target=spec.target)
    n = data.n_features
    template = qnn_template(feature_map(n), ansatz(n))
    circuits = spec.max_iter * len(data.y_train)
    backend = spec.execution_mode.ibm_target.backend
    device, note = device_for_backend(get_device(spec.device, spec.device_file), backend)
    shots = spec.simulation_shots
    entry = optimizer_rounds_entry("vqc", template, rounds=spec.max_iter, circuits=circuits, shots=shots)
    cost = price_entries([entry], device, mode=spec.attribution,
                         mitigation_factor=spec.mitigation_factor,
                         mitigation=getattr(spec, "mitigation", "none"))
    return {
        "backend": backend, "device_preset": device.name, "device_note": note,
        "evaluations": spec.max_iter, "circuits": circuits, "shots": shots, "jobs": cost.jobs,
        "qpu_seconds": cost.qpu_seconds,
        "energy_j": cost.energy_j if math.isfinite(cost.energy_j) else None,
        "usd_list_price": cost.qpu_seconds * IBM_PAYG_USD_PER_QPU_SECOND,
        "method": "modelled (upper bound: max_iter evaluations, one job each)",
    }


def estimate_run(spec: ExperimentSpec) -> dict:
    """Upper-bound QPU time of the circuits a run would send to its IBM backend (modelled).

    Per seed: QSVC fit N(N-1)/2 kernel circuits and predict M x N (every training
    sample a support vector); VQC predict M + N (test and training accuracy) and,
    with ``train_on_hardware``, max_iter x N more. Priced with the cost model on
    ``spec.device``; jobs split at 10,000 circuits.
    """
    from qvc.data import prepare_dataset
    from qvc.energy.devices import device_for_backend, get_device
    from qvc.energy.hardware import price_entries
    from qvc.quantum.circuits import ansatz, feature_map, kernel_template, qnn_template
    from qvc.quantum.ibm.context import DEFAULT_MAX_CIRCUITS_PER_JOB
    from qvc.quantum.ledger import LedgerEntry, optimizer_rounds_entry

    entries, jobs, circuits = [], 0, 0
    shots = spec.simulation_shots  # what an ibm: run samples with (--shots N, or 1,024 under auto)

    def add(model: str, phase: str, template, n: int, kind: str) -> None:
        nonlocal jobs, circuits
        if n <= 0:
            return
        entries.append(LedgerEntry(model, phase, template, n, shots, kind))
        jobs += math.ceil(n / DEFAULT_MAX_CIRCUITS_PER_JOB)
        circuits += n

    for seed in spec.seeds:
        data = prepare_dataset(spec.dataset, n_features=spec.qubits, seed=seed,
                               test_size=spec.test_size, max_samples=spec.max_samples,
                               csv_path=spec.csv_path, target=spec.target)
        n_q, n_train, n_test = data.n_features, len(data.y_train), len(data.y_test)
        if "qsvc" in spec.models:
            kt = kernel_template(feature_map(n_q))
            add("qsvc", "fit", kt, n_train * (n_train - 1) // 2, "kernel")
            add("qsvc", "predict", kt, n_test * n_train, "kernel")
        if "vqc" in spec.models:
            qt = qnn_template(feature_map(n_q), ansatz(n_q))
            add("vqc", "predict", qt, n_test + n_train, "qnn")
            if spec.train_on_hardware:  # one job per optimizer evaluation, as estimate_training
                entries.append(optimizer_rounds_entry("vqc", qt, rounds=spec.max_iter,
                                                      circuits=spec.max_iter * n_train, shots=shots))
                jobs += spec.max_iter
                circuits += spec.max_iter * n_train
    device = get_device(spec.device, spec.device_file)
    if spec.execution_mode.is_ibm:
        device, _ = device_for_backend(device, spec.execution_mode.ibm_target.backend)
    if not entries:
        return {"circuits": 0, "jobs": 0, "shots": shots, "qpu_seconds": 0.0, "device_preset": device.name,
                "usd_list_price": 0.0, "method": "modelled upper bound"}
    cost = price_entries(entries, device, mode=spec.attribution,
                         mitigation_factor=spec.mitigation_factor)
    qpu_s = cost.qpu_seconds + max(0, jobs - cost.jobs) * device.per_job_overhead_s
    return {"circuits": circuits, "jobs": jobs, "shots": shots, "qpu_seconds": float(qpu_s),
            "device_preset": device.name, "usd_list_price": qpu_s * IBM_PAYG_USD_PER_QPU_SECOND,
            "method": "modelled upper bound (every training sample a support vector)"}

"""Experiment-level IBM operations: result columns of reported usage, finishing a run from
the job store, refreshing a run's reported usage, estimating QPU time before a run."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import replace
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


def _planned(spec: ExperimentSpec, seed: int, models: tuple[str, ...], *, train_on_hardware: bool) -> list:
    """Ledger entries the run's own estimators would send for ``seed`` (shots: the run's)."""
    from qvc.experiment.runner import _model_config
    from qvc.models.registry import build_model, get_model

    data = spec.prepare(seed)
    cfg = _model_config(spec, data, seed)
    entries = []
    for name in models:
        entry = get_model(name)
        est = build_model(name, cfg).estimator
        entries += entry.planned_circuits(est, data.n_features, len(data.y_train), len(data.y_test),
                                          train_on_hardware=train_on_hardware and entry.trains_on_hardware)
    return entries


def estimate_training(spec: ExperimentSpec) -> dict:
    """Upper-bound QPU time, energy and list price of training the VQC on ``spec``'s backend.

    COBYLA makes at most ``max_iter`` objective evaluations; each runs one circuit
    per training sample, as one job that must finish before the next evaluation.
    The circuits are the run's own estimators' (:meth:`~qvc.models.registry.ModelEntry.planned_circuits`),
    priced by the run's one pricing call (:func:`qvc.experiment.runner.price_for`: attribution,
    mitigation), on the backend's own target where one is available offline.
    """
    from qvc.experiment.runner import price_for, pricing_device
    from qvc.models.registry import get_model

    trainers = tuple(m for m in spec.models if get_model(m).trains_on_hardware)
    planned = _planned(spec, spec.seeds[0], trainers, train_on_hardware=True)
    entries = [e for e in planned if e.phase == "fit"]
    backend = spec.execution_mode.ibm_target.backend
    device, note = pricing_device(spec)
    shots = spec.simulation_shots
    circuits = sum(e.n_circuits for e in entries)
    cost = price_for(spec, [replace(e, shots=shots) for e in entries], device)
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

    Per seed, the circuits the run's own estimators plan (their feature map and ansatz
    settings, ``--param`` included; :meth:`~qvc.models.registry.ModelEntry.planned_circuits`):
    QSVC fit N(N-1)/2 kernel circuits and predict M x N (every training sample a support
    vector); VQC predict M + N (test and training accuracy) and, with ``train_on_hardware``,
    max_iter x N more. Priced by the run's one pricing call (attribution, mitigation) on
    ``spec.device``; jobs split at 10,000 circuits.
    """
    from qvc.experiment.runner import price_for, pricing_device
    from qvc.models.registry import get_model
    from qvc.quantum.ibm.context import DEFAULT_MAX_CIRCUITS_PER_JOB

    shots = spec.simulation_shots  # what an ibm: run samples with (--shots N, or 1,024 under auto)
    quantum = tuple(m for m in spec.models if get_model(m).quantum)
    entries = []
    for seed in spec.seeds:
        planned = _planned(spec, seed, quantum, train_on_hardware=spec.train_on_hardware)
        entries += [replace(e, shots=shots) for e in planned if e.n_circuits > 0]
    jobs = sum(e.sequential_jobs or math.ceil(e.n_circuits / DEFAULT_MAX_CIRCUITS_PER_JOB) for e in entries)
    circuits = sum(e.n_circuits for e in entries)
    device, _ = pricing_device(spec)
    if not entries:
        return {"circuits": 0, "jobs": 0, "shots": shots, "qpu_seconds": 0.0, "device_preset": device.name,
                "usd_list_price": 0.0, "method": "modelled upper bound"}
    cost = price_for(spec, entries, device)
    qpu_s = cost.qpu_seconds + max(0, jobs - cost.jobs) * device.per_job_overhead_s
    return {"circuits": circuits, "jobs": jobs, "shots": shots, "qpu_seconds": float(qpu_s),
            "device_preset": device.name, "usd_list_price": qpu_s * IBM_PAYG_USD_PER_QPU_SECOND,
            "method": "modelled upper bound (every training sample a support vector)"}

"""Experiment-level IBM operations: result columns of reported usage, finishing a run from
the job store, refreshing a run's reported usage, estimating QPU time before a run."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from qvc._io import utc_now, write_json
from qvc.errors import QvcUsageError
from qvc.experiment.runfolder import load_run
from qvc.experiment.spec import ExperimentSpec

#: IBM Quantum Pay-As-You-Go list price per QPU second (USD 96 per minute). Source:
#: https://www.ibm.com/quantum/pricing (2024 list price; unverified for the current year).
IBM_PAYG_USD_PER_QPU_SECOND = 96.0 / 60.0
#: Default ``--max-qpu-seconds``: the Open plan's 10 QPU minutes per month
#: (https://www.ibm.com/quantum/pricing; unverified for the current year).
OPEN_PLAN_QPU_SECONDS = 600.0
#: File in a run folder that records, per model, how its reported usage was attributed
#: (store rows used, modelled power and QPU time), so ``qvc ibm fetch RUN --usage`` can
#: recompute the ``hw_reported_*`` columns later without running anything again.
USAGE_FILE = "ibm_usage.json"


def reported_columns(usage: dict, power_w: float, modelled_qpu_seconds: float | None) -> dict:
    """``hw_reported_*`` columns from an attributed usage (see :mod:`qvc.quantum.ibm.accounting`).

    QPU seconds are the usage IBM bills; the energy next to them uses the physical
    execution time from the results' execution spans where every job has them
    (else the billed time), times the cost model's average power; the method says
    which. The ratio to the model is left empty when jobs were reused from earlier
    runs (then this run's time covers only part of the modelled workload).

    Examples
    --------
    >>> u = {"qpu_seconds": 4.0, "qpu_seconds_method": "hardware-reported: job usage",
    ...      "energy_seconds": 3.0, "energy_seconds_source": "execution spans", "jobs_reused": 0}
    >>> c = reported_columns(u, power_w=10.0, modelled_qpu_seconds=2.0)
    >>> c["hw_reported_energy_j"], c["hw_reported_vs_modelled"]
    (30.0, 2.0)
    """
    seconds = usage.get("qpu_seconds")
    energy_s = usage.get("energy_seconds")
    method = usage.get("qpu_seconds_method") or ""
    if energy_s is not None and usage.get("energy_seconds_source"):
        method += f"; energy from {usage['energy_seconds_source']}"
    qpu = np.nan if seconds is None else float(seconds)
    energy = np.nan
    if energy_s is not None and power_w is not None and math.isfinite(power_w):
        energy = float(energy_s) * power_w
    ratio = np.nan
    if seconds is not None and not usage.get("jobs_reused") and modelled_qpu_seconds:
        ratio = qpu / modelled_qpu_seconds if modelled_qpu_seconds > 0 else np.nan
    return {"hw_reported_qpu_seconds": qpu, "hw_reported_energy_j": energy,
            "hw_reported_method": method, "hw_reported_vs_modelled": ratio}


def ibm_columns(est, cost) -> dict:
    """The ``ibm_*`` and ``hw_reported_*`` columns: what ran on an IBM backend, and its QPU time.

    Asks the model for its attributed usage (which closes its session: its last job
    has run), and records in the run folder's :data:`USAGE_FILE` what is needed to
    recompute the columns when usage arrives later (``qvc ibm fetch RUN --usage``).
    """
    from qvc.experiment.results import blank_columns

    usage = est.hardware_usage() if est is not None and hasattr(est, "hardware_usage") else None
    if usage is None:
        return blank_columns("ibm")
    power = cost.power_w if cost is not None else float("nan")
    modelled = cost.qpu_seconds if cost is not None else float("nan")
    out = {
        "ibm_backend": usage["backend"],
        "ibm_jobs": usage["jobs"],
        "ibm_jobs_submitted": usage["jobs_submitted"],
        "ibm_trained_on": getattr(est, "trained_on_", getattr(est, "execution", "")),
    }
    out.update(reported_columns(usage, power, modelled))
    _remember_usage(usage, power, modelled)
    return out


def _remember_usage(usage: dict, power_w: float, modelled: float) -> None:
    from qvc.quantum.ibm import current_context

    run_dir = current_context().run_dir
    if run_dir is None or not Path(run_dir).is_dir():
        return
    path = Path(run_dir) / USAGE_FILE
    data = json.loads(path.read_text()) if path.is_file() else {"owners": {}}
    data["owners"][usage["owner"]] = {
        "run_id": usage["run_id"], "backend": usage["backend"], "service": usage["service"],
        "store": usage["store"], "row_ids": usage["row_ids"], "jobs": usage["jobs"],
        "jobs_submitted": usage["jobs_submitted"],
        "power_w": power_w if math.isfinite(power_w) else None,
        "modelled_qpu_seconds": modelled if math.isfinite(modelled) else None,
    }
    write_json(data, path)


def refresh_run_usage(run_dir: str | Path, progress: Callable[[str], None] | None = None) -> list:
    """Read again the usage that was pending or absent, and rewrite the run's rows and report.

    Only the ``hw_reported_*`` columns change; nothing runs again. ``results.csv``,
    ``metadata.json`` and the report are each replaced atomically. Returns the rows.
    """
    from qvc.experiment.results import load_results, write_results
    from qvc.experiment.runfolder import write_metadata
    from qvc.quantum.ibm.accounting import account
    from qvc.quantum.ibm.jobs import refresh, refresh_sessions
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
    a wait that runs out raises :class:`~qvc.quantum.ibm.IbmJobsPending`).
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
    run_dir, meta, spec = run.path, run.metadata, run.spec()
    if not spec.execution_mode.is_ibm:
        raise QvcUsageError(f"run {run_dir.name} did not use --execution ibm:<backend>")
    if usage and meta.get("status") == "complete":
        return "usage", refresh_run_usage(run_dir, progress=progress)
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

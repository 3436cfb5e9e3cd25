"""Experiment-level IBM operations: finish a run from the job ledger, estimate hardware training."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from qvc.errors import QvcUsageError
from qvc.experiment.runfolder import load_run
from qvc.experiment.spec import ExperimentSpec

#: IBM Quantum Pay-As-You-Go list price per QPU second (USD 96 per minute). Source:
#: https://www.ibm.com/quantum/pricing (2024 list price; unverified for the current year).
IBM_PAYG_USD_PER_QPU_SECOND = 96.0 / 60.0


def run_ledger(run_dir: Path, meta: dict):
    """The job ledger a run used (as recorded, else next to the run folder)."""
    from qvc.quantum.ibm import JobLedger
    from qvc.quantum.ibm.ledger import LEDGER_NAME

    recorded = Path(meta.get("ibm", {}).get("ledger", ""))
    candidates = [recorded] if recorded.name else []
    candidates.append(run_dir.parent / LEDGER_NAME)
    for c in candidates:
        if c.is_file():
            return JobLedger(c)
    raise QvcUsageError(f"run {run_dir.name} has no IBM job ledger (looked at "
                        f"{', '.join(map(str, candidates))}); was it run with --execution ibm:...?")


def fetch_run(
    run_dir: str | Path, *, wait: bool = True, timeout_s: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[str, list]:
    """Collect a run's IBM jobs and, once all are done, finish its results and report.

    Returns ``(state, rows)``: ``"complete"`` with the result rows, or
    ``"pending"`` with the ledger rows still pending (only with ``wait=False``;
    a wait that runs out raises :class:`~qvc.quantum.ibm.IbmJobsPending`).
    Nothing already submitted is submitted again; jobs the finished fit needs
    next (e.g. predict against the support vectors) are submitted now.
    """
    from qvc.experiment.runner import run_experiment
    from qvc.quantum.ibm.context import DEFAULT_TIMEOUT_S
    from qvc.quantum.ibm.jobs import refresh
    from qvc.quantum.ibm.sampler import IbmJobsPending

    run = load_run(run_dir, with_results=False)
    run_dir, meta, spec = run.path, run.metadata, run.spec()
    if not spec.execution_mode.is_ibm:
        raise QvcUsageError(f"run {run_dir.name} did not use --execution ibm:<backend>")
    ledger = run_ledger(run_dir, meta)
    rows = ledger.rows_for_run(run_dir.name)
    limit = 0 if not wait else (DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s)
    poll = 0.05 if all(r.service == "local" for r in rows) else 5.0
    rows = refresh(ledger, rows, timeout_s=limit, poll_s=poll, progress=progress)
    failed = [r for r in rows if r.status in ("ERROR", "CANCELLED")]
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
    per training sample, as one job. Priced with the cost model on ``spec.device``.
    """
    from qvc.data import prepare_dataset
    from qvc.energy.devices import get_device
    from qvc.energy.hardware import price_entries
    from qvc.quantum.circuits import ansatz, feature_map, qnn_template
    from qvc.quantum.ledger import LedgerEntry

    data = prepare_dataset(spec.dataset, n_features=spec.qubits, seed=spec.seeds[0],
                           test_size=spec.test_size, max_samples=spec.max_samples,
                           csv_path=spec.csv_path, target=spec.target)
    n = data.n_features
    template = qnn_template(feature_map(n), ansatz(n))
    circuits = spec.max_iter * len(data.y_train)
    device = get_device(spec.device, spec.device_file)
    cost = price_entries([LedgerEntry("vqc", "fit", template, circuits, spec.shots, "qnn")], device,
                         mode=spec.attribution, mitigation_factor=spec.mitigation_factor)
    jobs = max(cost.jobs, spec.max_iter)
    qpu_s = cost.qpu_seconds + (jobs - cost.jobs) * device.per_job_overhead_s
    return {
        "backend": spec.execution_mode.ibm_target.backend, "device_preset": device.name,
        "evaluations": spec.max_iter, "circuits": circuits, "shots": spec.shots, "jobs": jobs,
        "qpu_seconds": qpu_s, "energy_j": qpu_s * cost.power_w if math.isfinite(cost.power_w) else None,
        "usd_list_price": qpu_s * IBM_PAYG_USD_PER_QPU_SECOND,
        "method": "modelled (upper bound: max_iter evaluations, one job each)",
    }

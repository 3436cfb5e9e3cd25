"""What ``qvc ibm status / fetch / cancel / calibrate`` do with the job ledger."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from qvc.errors import QvcUsageError
from qvc.quantum.ibm.context import IbmRunContext
from qvc.quantum.ibm.ledger import JobLedger, JobRow, default_ledger_path, utc_now
from qvc.quantum.ibm.sampler import HARDWARE_REPORTED, LedgerSampler, read_usage
from qvc.quantum.ibm.service import IbmTarget, first_line, get_gateway


def open_ledger(path: str | Path | None = None, *, must_exist: bool = True) -> JobLedger:
    """The ledger at ``path`` (default ``reports/ibm_ledger.sqlite`` or ``$QVC_IBM_LEDGER``)."""
    p = Path(path) if path is not None else default_ledger_path()
    if must_exist and not p.is_file():
        raise QvcUsageError(f"no IBM job ledger at {str(p)!r}; give --ledger PATH or run "
                            "'qvc run ... --execution ibm:<backend>' first")
    return JobLedger(p)


class _Samplers(dict):
    """Backend name -> a LedgerSampler used only to poll and collect that backend's jobs."""

    def __init__(self, ctx: IbmRunContext) -> None:
        super().__init__()
        self._ctx = ctx

    def __missing__(self, backend: str) -> LedgerSampler:
        value = self[backend] = LedgerSampler(IbmTarget(backend), context=self._ctx)
        return value


def refresh(
    ledger: JobLedger, rows: list[JobRow], *, timeout_s: float | None = 0, poll_s: float = 5.0,
    progress=None,
) -> list[JobRow]:
    """Ask the service about pending rows (and finished ones whose usage was pending).

    Collects results of jobs that finished; waits up to ``timeout_s`` (``0``: one
    check; ``None``: until every row is final). Returns the rows, re-read.
    """
    ctx = IbmRunContext(ledger_path=ledger.path, progress=progress, poll_s=poll_s)
    samplers = _Samplers(ctx)
    deadline = None if timeout_s is None else time.monotonic() + float(timeout_s)
    ids = [r.row_id for r in rows]
    while True:
        current = [ledger.get(i) for i in ids]
        for row in current:
            if row.pending:
                samplers[row.backend].poll(row)
            elif row.status == "DONE" and row.usage_source == "pending" and row.job_id:
                _refresh_usage(ledger, samplers[row.backend], row)
        current = [ledger.get(i) for i in ids]
        if not any(r.pending for r in current):
            return current
        if deadline is not None and time.monotonic() >= deadline:
            return current
        time.sleep(poll_s)


def _refresh_usage(ledger: JobLedger, sampler: LedgerSampler, row: JobRow) -> None:
    job = sampler._handle(row)
    if job is None:
        return
    qpu, source, metrics = read_usage(job, sampler.gateway.is_local)
    ledger.update(row.row_id, qpu_seconds=qpu, usage_source=source, metrics_json=metrics)


def cancel(ledger: JobLedger, job: str) -> JobRow:
    """Cancel a pending job by IBM job id or qvc tag and mark its row ``CANCELLED``."""
    row = ledger.find_job(job)
    if row is None:
        raise QvcUsageError(f"no job {job!r} in the ledger {ledger.path}; see 'qvc ibm status'")
    if not row.pending:
        raise QvcUsageError(f"job {row.job_id or row.tag} is {row.status}; only pending jobs can be cancelled")
    if row.job_id is None:
        raise QvcUsageError(f"job {row.tag} has no IBM job id yet (its submission never finished); "
                            "nothing to cancel")
    gateway = get_gateway(row.backend)
    handle = gateway.job(row.job_id)
    if handle is None:
        ledger.update(row.row_id, status="LOST", error="job not found when cancelling",
                      finished_utc=utc_now())
        raise QvcUsageError(f"job {row.job_id} cannot be found on the service; marked LOST")
    try:
        handle.cancel()
    except Exception as exc:
        raise QvcUsageError(f"cancelling job {row.job_id} failed ({type(exc).__name__}: "
                            f"{first_line(exc)})") from None
    ledger.update(row.row_id, status="CANCELLED", error="cancelled with 'qvc ibm cancel'",
                  finished_utc=utc_now())
    return ledger.get(row.row_id)


def calibrate(ledger: JobLedger, per_job_overhead_s: float | None = None) -> list[dict]:
    """Compare hardware-reported QPU seconds with the modelled shot time, per backend.

    For every finished job with ``hardware-reported`` usage the ledger holds the
    modelled shot time ``sum n * shots * (one-shot duration + rep_delay)`` from
    the backend's own target. Per backend this returns the totals, their ratio,
    and (two or more jobs with different shot times) the least-squares fit
    ``reported = overhead + scale * modelled_shot_time`` whose ``overhead`` is a
    measured per-job overhead to compare with the device preset's
    ``per_job_overhead_s``. Jobs from local testing mode have no reported time
    and are counted separately, never used.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> led = JobLedger(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
    >>> r = led.add_job(tag="t", backend="ibm_x", service="ibm_quantum_platform", shots=100,
    ...                 hashes=["h"], modelled_shot_seconds=0.5)
    >>> led.update(r, status="DONE", qpu_seconds=2.5, usage_source="hardware-reported")
    >>> calibrate(led, per_job_overhead_s=2.0)[0]["ratio_reported_to_modelled"]
    1.0
    """
    by_backend: dict[str, list[JobRow]] = defaultdict(list)
    for row in ledger.rows("status = 'DONE'"):
        by_backend[row.backend].append(row)
    out = []
    for backend, rows in sorted(by_backend.items()):
        real = [r for r in rows if r.usage_source == HARDWARE_REPORTED and r.qpu_seconds is not None
                and r.modelled_shot_seconds is not None]
        entry: dict = {"backend": backend, "jobs_done": len(rows), "jobs_with_reported_usage": len(real)}
        if not real:
            entry["note"] = ("no hardware-reported usage (local testing mode reports none)"
                             if all(r.service == "local" for r in rows) else "usage not reported yet")
            out.append(entry)
            continue
        rep = np.array([r.qpu_seconds for r in real], dtype=float)
        shot = np.array([r.modelled_shot_seconds for r in real], dtype=float)
        entry["reported_qpu_seconds"] = float(rep.sum())
        entry["modelled_shot_seconds"] = float(shot.sum())
        if per_job_overhead_s is not None:
            modelled = shot.sum() + per_job_overhead_s * len(real)
            entry["modelled_qpu_seconds"] = float(modelled)
            entry["per_job_overhead_s_preset"] = float(per_job_overhead_s)
            entry["ratio_reported_to_modelled"] = float(rep.sum() / modelled) if modelled > 0 else None
        if len(real) >= 2 and np.ptp(shot) > 0:
            scale, overhead = np.polyfit(shot, rep, 1)
            entry["fitted_per_job_overhead_s"] = float(overhead)
            entry["fitted_shot_time_scale"] = float(scale)
        else:
            entry["fit"] = "needs two or more jobs with different shot times"
        out.append(entry)
    return out

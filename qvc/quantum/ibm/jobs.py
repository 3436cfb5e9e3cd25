"""What ``qvc ibm status / fetch / cancel / calibrate`` do with the job store."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from qvc.errors import QvcUsageError
from qvc.quantum.ibm.context import IbmRunContext
from qvc.quantum.ibm.jobstore import JobRow, JobStore, default_store_path, utc_now
from qvc.quantum.ibm.service import JobStatus, first_line, get_gateway
from qvc.quantum.ibm.tracker import HARDWARE_REPORTED, JobTracker, read_usage


def open_store(path: str | Path | None = None, *, must_exist: bool = True) -> JobStore:
    """The job store at ``path`` (default ``reports/ibm_ledger.sqlite`` or ``$QVC_IBM_LEDGER``)."""
    p = Path(path) if path is not None else default_store_path()
    if must_exist and not p.is_file():
        raise QvcUsageError(f"no IBM job store at {str(p)!r}; give --ledger PATH or run "
                            "'qvc run ... --execution ibm:<backend>' first")
    return JobStore(p)


class _Trackers(dict):
    """Backend name -> the :class:`JobTracker` that follows that backend's jobs."""

    def __init__(self, store: JobStore, ctx: IbmRunContext) -> None:
        super().__init__()
        self._store = store
        self._ctx = ctx

    def __missing__(self, backend: str) -> JobTracker:
        value = self[backend] = JobTracker(self._store, get_gateway(backend), self._ctx)
        return value


def _usage_open(row: JobRow) -> bool:
    """A charged job whose usage may still change (pending, absent, unread)."""
    charged = row.status == JobStatus.DONE or row.status.failed
    return bool(charged and row.job_id and row.usage_source != HARDWARE_REPORTED
                and row.service != "local")


def refresh(
    store: JobStore, rows: list[JobRow], *, timeout_s: float | None = 0, poll_s: float = 5.0,
    progress=None, usage: bool = True,
) -> list[JobRow]:
    """Ask the service about pending rows (and finished ones whose usage is not reported yet).

    Collects results of jobs that finished (and of ``DONE`` rows without stored
    counts); waits up to ``timeout_s`` (``0``: one check; ``None``: until every
    row is final). With ``usage``, reads the usage of charged jobs again where it
    was pending or absent. Returns the rows, re-read.
    """
    ctx = IbmRunContext(store_path=store.path, progress=progress, poll_s=poll_s)
    trackers = _Trackers(store, ctx)
    deadline = None if timeout_s is None else time.monotonic() + float(timeout_s)
    ids = [r.row_id for r in rows]
    first = True
    while True:
        current = [store.get(i) for i in ids]
        for row in current:
            if row.pending or (row.status == JobStatus.DONE and not row.collected and row.job_id):
                trackers[row.backend].poll(row)
            elif usage and first and _usage_open(row):
                trackers[row.backend].refresh_usage(row)
        first = False
        current = [store.get(i) for i in ids]
        if not any(r.pending for r in current):
            return current
        if deadline is not None and time.monotonic() >= deadline:
            return current
        time.sleep(poll_s)


def refresh_sessions(store: JobStore, run_id: str) -> int:
    """Read the usage of the run's sessions not reported yet; returns how many arrived."""
    n = 0
    for s in store.sessions("run_id = ? AND mode = 'session' AND usage_seconds IS NULL", (run_id,)):
        value = get_gateway(s.backend or "").session_usage(s.session_id)
        if value is not None:
            store.update_session(s.session_id, usage_seconds=float(value),
                                 usage_source=HARDWARE_REPORTED)
            n += 1
    return n


def cancel(store: JobStore, job: str) -> JobRow:
    """Cancel a pending job by IBM job id or qvc tag and mark its row ``CANCELLED``."""
    row = store.find_job(job)
    if row is None:
        raise QvcUsageError(f"no job {job!r} in the job store {store.path}; see 'qvc ibm status'")
    if not row.pending:
        raise QvcUsageError(f"job {row.job_id or row.tag} is {row.status}; only pending jobs can be cancelled")
    if row.job_id is None:
        raise QvcUsageError(f"job {row.tag} has no IBM job id yet (its submission never finished); "
                            "nothing to cancel")
    gateway = get_gateway(row.backend)
    handle = gateway.job(row.job_id)
    if handle is None:
        store.update(row.row_id, status=JobStatus.LOST, error="job not found when cancelling",
                      finished_utc=utc_now())
        raise QvcUsageError(f"job {row.job_id} cannot be found on the service; marked LOST")
    try:
        handle.cancel()
    except Exception as exc:
        raise QvcUsageError(f"cancelling job {row.job_id} failed ({type(exc).__name__}: "
                            f"{first_line(exc)})") from None
    usage = read_usage(handle, gateway.is_local)  # charged up to the cancel
    store.update(row.row_id, status=JobStatus.CANCELLED, error="cancelled with 'qvc ibm cancel'",
                 finished_utc=utc_now(), qpu_seconds=usage.seconds, usage_source=usage.source,
                 metrics_json=usage.metrics_json)
    return store.get(row.row_id)


def calibrate(store: JobStore, per_job_overhead_s: float | None = None) -> list[dict]:
    """Compare hardware-reported QPU seconds with the modelled shot time, per backend.

    For every finished job with ``hardware-reported`` usage the job store holds the
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
    >>> led = JobStore(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
    >>> r = led.add_job(tag="t", backend="ibm_x", service="ibm_quantum_platform", shots=100,
    ...                 hashes=["h"], modelled_shot_seconds=0.5)
    >>> led.update(r, status="DONE", qpu_seconds=2.5, usage_source="hardware-reported")
    >>> calibrate(led, per_job_overhead_s=2.0)[0]["ratio_reported_to_modelled"]
    1.0
    """
    by_backend: dict[str, list[JobRow]] = defaultdict(list)
    for row in store.rows("status = 'DONE'"):
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

"""Following submitted IBM jobs: status checks, collecting results, reading usage.

:class:`JobTracker` is what the sampler waits with and what ``qvc ibm
status/fetch`` refresh with: it holds the job handles of one gateway, checks a
row's job with the service, stores the counts of a job that finished, and records
two different times for it:

- **usage** (``JobRow.qpu_seconds``): what IBM bills, read from ``job.metrics()``
  (``usage.qpu_charge_time_seconds`` in qiskit-ibm-runtime 0.51, ``usage.quantum_seconds``
  in older API answers). qvc never calls ``job.usage()`` for the figure: it returns
  ``0`` while usage is pending or absent, and a ``0`` would read as a measurement.
  A missing figure stays missing (``None``) with the reason in ``usage_source``.
- **execution seconds** (``JobRow.exec_seconds``): the physical time the QPU spent,
  from the execution spans in the result metadata (``metadata["executor"].chunk_timing``
  of the client-side sampler, or ``metadata["execution"]["execution_spans"]`` of
  the server-side one), when the result carries them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from qvc._io import json_text
from qvc.errors import IbmJobsPending
from qvc.quantum.ibm.context import IbmRunContext
from qvc.quantum.ibm.jobstore import JobRow, JobStore, utc_now
from qvc.quantum.ibm.service import (
    Gateway,
    IbmServiceError,
    JobStatus,
    first_line,
    job_status,
    redact,
)

#: How QPU seconds are labelled when the service reports them.
HARDWARE_REPORTED = "hardware-reported"
#: Usage label of local testing mode, which runs on Aer and reports no QPU time.
LOCAL_NO_QPU = "none: local testing mode (Aer simulation, no QPU)"
#: Usage that the service has not finished computing (``usage.status == "pending"``).
USAGE_PENDING = "pending"


@dataclass(frozen=True)
class UsageReading:
    """One reading of a job's usage: seconds (``None`` when not known), and where they came from."""

    seconds: float | None
    source: str
    metrics_json: str | None = None

    @property
    def final(self) -> bool:
        """No later reading can change it (reported, or local testing mode)."""
        return self.source in (HARDWARE_REPORTED, LOCAL_NO_QPU)


def usage_from_metrics(metrics: Any) -> tuple[float | None, str]:
    """QPU seconds and their source from a ``job.metrics()`` answer; absent stays ``None``.

    Examples
    --------
    >>> usage_from_metrics({"usage": {"qpu_charge_time_seconds": 4, "status": "complete"}})
    (4.0, 'hardware-reported')
    >>> usage_from_metrics({"usage": {"qpu_charge_time_seconds": 0, "status": "pending"}})
    (None, 'pending')
    >>> usage_from_metrics({"usage": {"quantum_seconds": 3, "seconds": 3}})  # older API shape
    (3.0, 'hardware-reported')
    >>> usage_from_metrics({"timestamps": {}})
    (None, 'absent: the job metrics carry no usage')
    """
    usage = metrics.get("usage") if isinstance(metrics, dict) else None
    if not isinstance(usage, dict) or not usage:
        return None, "absent: the job metrics carry no usage"
    if str(usage.get("status", "")).lower() == USAGE_PENDING:
        return None, USAGE_PENDING
    for key in ("qpu_charge_time_seconds", "quantum_seconds"):
        value = usage.get(key)
        if value is not None:
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                return None, f"absent: usage.{key} is not a number ({value!r})"
            if math.isfinite(seconds) and seconds >= 0:
                return seconds, HARDWARE_REPORTED
            return None, f"absent: usage.{key} is {value!r}"
    return None, "absent: the usage carries no QPU seconds"


def read_usage(job: Any, is_local: bool) -> UsageReading:
    """Usage of a finished (or failed) job: seconds, how they were obtained, raw metrics (JSON).

    Local testing-mode jobs run on Aer: they report zero usage, which qvc records
    as *no* QPU time (``None``), never as a measured zero.
    """
    try:
        metrics = job.metrics()
        metrics_json = json_text(metrics)
    except Exception as exc:
        if is_local:
            return UsageReading(None, LOCAL_NO_QPU)
        return UsageReading(None, f"unavailable: metrics() failed ({type(exc).__name__}: "
                                  f"{first_line(exc)})")
    if is_local:
        return UsageReading(None, LOCAL_NO_QPU, metrics_json)
    seconds, source = usage_from_metrics(metrics)
    return UsageReading(seconds, source, metrics_json)


def execution_seconds(result: Any) -> float | None:
    """Physical QPU seconds from a result's execution spans (union of the spans); ``None`` if none.

    Examples
    --------
    >>> from datetime import datetime, timedelta
    >>> from types import SimpleNamespace as NS
    >>> t = datetime(2026, 1, 1)
    >>> spans = [NS(start=t, stop=t + timedelta(seconds=2)),
    ...          NS(start=t + timedelta(seconds=1), stop=t + timedelta(seconds=3))]
    >>> execution_seconds(NS(metadata={"executor": NS(chunk_timing=spans)}))
    3.0
    >>> execution_seconds(NS(metadata={})) is None
    True
    """
    metadata = getattr(result, "metadata", None) or {}
    if not isinstance(metadata, dict):
        return None
    spans: list = []
    executor = metadata.get("executor")
    chunks = (executor.get("chunk_timing") if isinstance(executor, dict)
              else getattr(executor, "chunk_timing", None))
    if chunks:
        spans = list(chunks)
    else:
        execution = metadata.get("execution")
        if isinstance(execution, dict) and execution.get("execution_spans"):
            spans = list(execution["execution_spans"])
    intervals = []
    for span in spans:
        start, stop = getattr(span, "start", None), getattr(span, "stop", None)
        if start is None or stop is None:
            return None
        intervals.append((start, stop))
    if not intervals:
        return None
    intervals.sort()
    total, (cur_start, cur_stop) = 0.0, intervals[0]
    for start, stop in intervals[1:]:
        if start <= cur_stop:
            cur_stop = max(cur_stop, stop)
        else:
            total += (cur_stop - cur_start).total_seconds()
            cur_start, cur_stop = start, stop
    total += (cur_stop - cur_start).total_seconds()
    return float(total)


class JobTracker:
    """Follows the jobs of one gateway through the job store (see the module docstring).

    Parameters
    ----------
    store : JobStore
    gateway : Gateway
    context : IbmRunContext
        Waiting settings (timeout, poll interval) and progress messages.
    """

    def __init__(self, store: JobStore, gateway: Gateway, context: IbmRunContext) -> None:
        self.store = store
        self.gateway = gateway
        self.context = context
        self._handles: dict[int, Any] = {}
        self._counts: dict[int, list[dict[str, int]]] = {}

    def adopt(self, row_id: int, job: Any) -> None:
        """Remember the handle of a job just submitted (no lookup needed later)."""
        self._handles[row_id] = job

    def handle(self, row: JobRow) -> Any | None:
        """The job behind ``row`` (``None`` if the service cannot find it)."""
        if row.row_id not in self._handles:
            job = self.gateway.job(row.job_id) if row.job_id else None
            if job is None:
                return None
            self._handles[row.row_id] = job
        return self._handles[row.row_id]

    def poll_s(self) -> float:
        """Seconds between status checks."""
        if self.context.poll_s is not None:
            return float(self.context.poll_s)
        return 0.05 if self.gateway.is_local else 5.0

    # -- one row -----------------------------------------------------------------------
    def poll(self, row: JobRow) -> JobStatus:
        """Check one row's job with the service, update the store, collect results when done."""
        job = self.handle(row)
        if job is None:
            why = ("local testing-mode jobs live only in the process that submitted them"
                   if self.gateway.is_local else "the service has no job with this id")
            self.store.update(row.row_id, status=JobStatus.LOST, error=why, finished_utc=utc_now())
            if not self.gateway.is_local:
                raise IbmServiceError(
                    f"IBM job {row.job_id} cannot be found on the service (deleted?); its row in "
                    f"the job store is marked LOST; re-run to submit its circuits again"
                )
            return JobStatus.LOST
        try:
            status = job_status(job)
        except Exception as exc:
            raise IbmServiceError(
                f"cannot get the status of IBM job {row.job_id} ({type(exc).__name__}: "
                f"{first_line(exc)}); it stays in the job store; re-run or 'qvc ibm fetch' later"
            ) from None
        if status == JobStatus.DONE:
            self.collect(row, job)
            return JobStatus.of(self.store.get(row.row_id).status)
        if status.failed:
            msg = ""
            try:  # IBM's messages read "Job <id> has failed:\n<reason>": keep the reason
                msg = redact(" ".join(str(job.error_message() or "").split()))[:400]
            except Exception:
                pass
            usage = read_usage(job, self.gateway.is_local)  # IBM charges failed jobs too
            self.store.update(row.row_id, status=status, error=msg or None, finished_utc=utc_now(),
                              qpu_seconds=usage.seconds, usage_source=usage.source,
                              metrics_json=usage.metrics_json)
        elif status != row.status:
            self.store.update(row.row_id, status=status)
        return status

    def collect(self, row: JobRow, job: Any) -> None:
        """Store the counts, usage and execution seconds of a job that is done."""
        try:
            result = job.result()
        except Exception as exc:  # the job is DONE: the transfer failed, not the job
            raise IbmServiceError(
                f"IBM job {row.job_id} is done but its results could not be fetched "
                f"({type(exc).__name__}: {first_line(exc)}); it stays in the job store: re-run later"
            ) from None
        counts: list[dict[str, int]] = []
        num_bits = 0
        for pub_result in result:
            bits = pub_result.join_data()
            num_bits = bits.num_bits
            for loc in np.ndindex(bits.shape):
                counts.append({k: int(v) for k, v in bits.get_counts(loc).items()})
        if len(counts) != row.n_circuits:
            self.store.update(row.row_id, status=JobStatus.ERROR, finished_utc=utc_now(),
                              error=f"result has {len(counts)} circuits, expected {row.n_circuits}")
            return
        path = self.store.store_counts(row, counts, num_bits)
        usage = read_usage(job, self.gateway.is_local)
        self.store.update(
            row.row_id, status=JobStatus.DONE, finished_utc=utc_now(), qpu_seconds=usage.seconds,
            usage_source=usage.source, metrics_json=usage.metrics_json,
            exec_seconds=None if self.gateway.is_local else execution_seconds(result),
            result_path=str(path.relative_to(self.store.path.parent)),
        )
        self._counts[row.row_id] = counts

    def refresh_usage(self, row: JobRow) -> None:
        """Read the usage of a finished job again (it may have been pending or absent)."""
        job = self.handle(row)
        if job is None:
            return
        usage = read_usage(job, self.gateway.is_local)
        if usage.seconds is None and row.qpu_seconds is not None:
            return  # never replace a reported figure by a missing one
        self.store.update(row.row_id, qpu_seconds=usage.seconds, usage_source=usage.source,
                          metrics_json=usage.metrics_json or row.metrics_json)

    def counts(self, row_id: int) -> list[dict[str, int]]:
        """Counts of a collected row, one dict per circuit in store order."""
        if row_id not in self._counts:
            self._counts[row_id] = self.store.load_counts(self.store.get(row_id))[0]
        return self._counts[row_id]

    # -- many rows ---------------------------------------------------------------------
    def wait(self, row_ids: list[int], backend: str) -> list[int]:
        """Wait until every row is collected; returns the rows lost with their (local) process.

        Raises :class:`IbmServiceError` for a job that ended in ``ERROR``/``CANCELLED``
        and :class:`IbmJobsPending` when the context's timeout runs out first.
        """
        ctx = self.context
        # Local testing-mode jobs run in this process and die with it: always wait for them.
        timeout = None if self.gateway.is_local else ctx.timeout_s
        deadline = math.inf if timeout is None else time.monotonic() + float(timeout)
        lost: list[int] = []
        failed: list[JobRow] = []
        announced = False
        while True:
            pending = []
            for row in (self.store.get(r) for r in row_ids):
                if row.collected or row.row_id in lost:
                    continue
                if row.status == JobStatus.LOST:
                    lost.append(row.row_id)
                    continue
                if row.status.failed:
                    failed.append(row)
                    continue
                status = self.poll(row)
                if status == JobStatus.LOST:
                    lost.append(row.row_id)
                elif status.failed:
                    failed.append(self.store.get(row.row_id))
                elif status != JobStatus.DONE:
                    pending.append(row)
            if failed:
                row = failed[0]
                raise IbmServiceError(
                    f"IBM job {row.job_id} on {row.backend} ended in {row.status}"
                    f"{': ' + row.error if row.error else ''}; it stays in the job store "
                    f"{self.store.path}; re-run to submit its circuits again"
                )
            if not pending:
                return lost
            if time.monotonic() >= deadline:
                where = (f"qvc ibm fetch {ctx.run_dir}" if ctx.run_dir
                         else f"qvc ibm status --ledger {self.store.path}")
                states = ", ".join(sorted({str(r.status) for r in pending}))
                raise IbmJobsPending(
                    f"{len(pending)} IBM job(s) on {backend} still pending ({states}) "
                    f"after {timeout:g} s; they are recorded in {self.store.path} and will not be "
                    f"submitted again: run '{where}' later"
                )
            if not announced:
                ctx.say(f"ibm: waiting for {len(pending)} job(s) on {backend}")
                announced = True
            time.sleep(self.poll_s())

"""Whose QPU time is it: attributing reported IBM usage to a model of a run, once.

Rules (see ``docs/IBM.md``):

- A job's time belongs to the model (``owner``, e.g. ``qsvc/seed=42``) of the run
  that **submitted** it. Runs that reuse the job from the job store use its
  results but do not count its time again, so sums over runs into the same folder
  count every job once.
- Jobs that ended in ``ERROR`` or ``CANCELLED`` count too: IBM charges the time
  after the QPU was locked.
- **Batch mode** bills each job's usage: the sum of the owned jobs' reported usage.
  **Session mode** bills the session's wall-clock time from its first job's start
  until it closes, idle gaps between jobs included: ``Session.usage()`` of the
  sessions the owner opened, never the sum of its jobs.
- Any figure not reported yet keeps the total missing (``None``) with the reason:
  an incomplete sum is never shown as the usage.
- Energy uses the physical execution time from the results' execution spans
  where every owned job carries them; otherwise the usage (a billing figure),
  and the label says which.
"""

from __future__ import annotations

from qvc.quantum.ibm.jobstore import JobRow, JobStore
from qvc.quantum.ibm.service import JobStatus
from qvc.quantum.ibm.tracker import HARDWARE_REPORTED, LOCAL_NO_QPU, USAGE_PENDING

#: Energy-time sources recorded with the reported energy.
ENERGY_FROM_SPANS = "execution spans (physical QPU time)"
ENERGY_FROM_USAGE = "usage (billing time; no execution spans in the results)"


def charged(row: JobRow) -> bool:
    """A job IBM bills: done, or failed on the service (error, cancelled)."""
    return row.status == JobStatus.DONE or row.status.failed


def account(
    store: JobStore, *, run_id: str, owner: str, used: list[int], is_local: bool,
) -> dict:
    """QPU seconds attributed to ``owner`` of ``run_id``, with their label and energy time.

    Parameters
    ----------
    store : JobStore
    run_id, owner : str
        Who submitted the jobs (``JobRow.run_id``, ``JobRow.owner``).
    used : list of int
        Row ids whose results the owner used (its own and reused ones).
    is_local : bool
        Local testing mode: no QPU, no reported time.

    Returns
    -------
    dict
        ``qpu_seconds`` (or ``None``), ``qpu_seconds_method``, ``energy_seconds``
        (or ``None``), ``energy_seconds_source``, ``jobs_attributed``,
        ``jobs_reused``, ``session_ids``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite")
    >>> r = store.add_job(tag="t", backend="b", service="x", shots=10, hashes=["h"], run_id="r",
    ...                   owner="qsvc/seed=1")
    >>> store.update(r, status="DONE", qpu_seconds=2.0, usage_source="hardware-reported")
    >>> a = account(store, run_id="r", owner="qsvc/seed=1", used=[r], is_local=False)
    >>> a["qpu_seconds"], a["jobs_reused"]
    (2.0, 0)
    >>> account(store, run_id="r2", owner="qsvc/seed=1", used=[r], is_local=False)["qpu_seconds"] is None
    True
    """
    owned = [r for r in store.owned_rows(run_id, owner) if charged(r)]
    owned_ids = {r.row_id for r in owned}
    reused = [r for r in used if r not in owned_ids]
    out: dict = {"jobs_attributed": len(owned), "jobs_reused": len(reused), "session_ids": [],
                 "qpu_seconds": None, "energy_seconds": None, "energy_seconds_source": ""}
    reuse_note = (f"; {len(reused)} reused job(s) not counted (attributed to the run that "
                  "submitted them)" if reused else "")
    if is_local:
        out["qpu_seconds_method"] = LOCAL_NO_QPU
        return out
    if not owned:
        out["qpu_seconds_method"] = (
            "none attributed: every job was reused from earlier runs" if reused
            else "pending or unavailable: no job finished yet")
        return out
    sessions = store.sessions("run_id = ? AND owner = ? AND mode = 'session'", (run_id, owner))
    if sessions:
        out["session_ids"] = [s.session_id for s in sessions]
        unread = [s for s in sessions if s.usage_seconds is None]
        if unread:
            why = unread[0].usage_source or "not read yet"
            out["qpu_seconds_method"] = (
                f"{USAGE_PENDING if 'pending' in why or 'not read' in why else why}: session usage "
                f"of {len(unread)} session(s) not reported yet (qvc ibm fetch RUN --usage)"
                + reuse_note)
        else:
            out["qpu_seconds"] = float(sum(s.usage_seconds or 0.0 for s in sessions))
            out["qpu_seconds_method"] = (
                f"{HARDWARE_REPORTED}: Session.usage() (wall clock incl. idle), "
                f"{len(sessions)} session(s)" + reuse_note)
    else:
        missing = [r for r in owned if r.usage_source != HARDWARE_REPORTED or r.qpu_seconds is None]
        if missing:
            sources = sorted({(r.usage_source or "not read yet") for r in missing})
            head = USAGE_PENDING if any(s == USAGE_PENDING for s in sources) else sources[0]
            out["qpu_seconds_method"] = (
                f"{head}: usage of {len(missing)} of {len(owned)} job(s) not reported "
                "(qvc ibm fetch RUN --usage)" + reuse_note)
        else:
            out["qpu_seconds"] = float(sum(r.qpu_seconds or 0.0 for r in owned))
            out["qpu_seconds_method"] = (
                f"{HARDWARE_REPORTED}: sum of job usage (billing), {len(owned)} job(s)"
                + reuse_note)
    done = [r for r in owned if r.status == JobStatus.DONE]
    if done and all(r.exec_seconds is not None for r in done):
        out["energy_seconds"] = float(sum(r.exec_seconds or 0.0 for r in done))
        out["energy_seconds_source"] = ENERGY_FROM_SPANS
    elif out["qpu_seconds"] is not None:
        out["energy_seconds"] = out["qpu_seconds"]
        out["energy_seconds_source"] = ENERGY_FROM_USAGE
    return out

"""Settings of the IBM jobs of one run (ledger, run id, timeouts), passed without new model params.

The runner opens an :func:`ibm_context` around a run; the quantum models read
:func:`current_context` when their execution mode is ``ibm:<backend>``. Outside a
run the defaults apply: ledger ``reports/ibm_ledger.sqlite`` (or
``$QVC_IBM_LEDGER``), wait up to ``$QVC_IBM_TIMEOUT_S`` (default 3600 s).
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from qvc.quantum.ibm.jobstore import default_store_path

#: Default longest wait for results, in seconds (queues on real systems take hours).
DEFAULT_TIMEOUT_S = 3600.0
#: Circuits per job at most (the other limit, 10 million executions = circuits x shots per
#: Sampler job, is IBM's: https://quantum.cloud.ibm.com/docs/guides/job-limits).
DEFAULT_MAX_CIRCUITS_PER_JOB = 10_000
#: IBM's limit on executions (circuits x shots) of one Sampler job.
MAX_EXECUTIONS_PER_JOB = 10_000_000


def _env_float(name: str, default: float | None) -> float | None:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


@dataclass
class IbmRunContext:
    """Where and how the IBM jobs of one run are recorded and awaited.

    Parameters
    ----------
    store_path : Path
        The SQLite job store.
    run_id, experiment : str
        Recorded with every job (run folder name, dataset and seed).
    run_dir : Path or None
        The run folder, named in "still pending" messages.
    timeout_s : float or None
        Longest wait for results; ``0`` checks once and returns; ``None`` waits forever.
    poll_s : float or None
        Seconds between status checks (default 0.05 local, 5 remote; ``$QVC_IBM_POLL_S``).
    max_circuits_per_job : int
        Circuits per job at most (the executions limit applies too).
    max_execution_time : int or None
        Sent with every job to a real backend: the service cancels a job whose system
        execution time would exceed it (the run's QPU budget, ``--max-qpu-seconds``).
    progress : callable or None
        Receives one-line messages (jobs submitted, reused, waiting).
    """

    store_path: Path = field(default_factory=default_store_path)
    run_id: str = ""
    experiment: str = ""
    run_dir: Path | None = None
    timeout_s: float | None = field(
        default_factory=lambda: _env_float("QVC_IBM_TIMEOUT_S", DEFAULT_TIMEOUT_S))
    poll_s: float | None = field(default_factory=lambda: _env_float("QVC_IBM_POLL_S", None))
    max_circuits_per_job: int = DEFAULT_MAX_CIRCUITS_PER_JOB
    max_execution_time: int | None = None
    progress: Callable[[str], None] | None = None
    open_sessions: list = field(default_factory=list, repr=False)

    def close_sessions(self) -> None:
        """Close every session a sampler opened in this context (sessions bill while open)."""
        while self.open_sessions:
            self.open_sessions[-1].close()

    def say(self, message: str) -> None:
        """Forward a progress message."""
        if self.progress is not None:
            self.progress(message)


_CURRENT: contextvars.ContextVar[IbmRunContext | None] = contextvars.ContextVar(
    "qvc_ibm_context", default=None
)


def current_context() -> IbmRunContext:
    """The context opened by :func:`ibm_context`, or the defaults.

    Examples
    --------
    >>> current_context().store_path.name
    'ibm_ledger.sqlite'
    """
    return _CURRENT.get() or IbmRunContext()


@contextmanager
def ibm_context(ctx: IbmRunContext) -> Iterator[IbmRunContext]:
    """Make ``ctx`` the current IBM context inside the ``with`` block."""
    token = _CURRENT.set(ctx)
    try:
        yield ctx
    finally:
        _CURRENT.reset(token)
        ctx.close_sessions()

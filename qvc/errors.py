"""Exceptions that qvc raises for expected mistakes.

The command line turns :class:`QvcUsageError` into one line on stderr and exit
code 2; everything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class QvcUsageError(ValueError):
    """Bad input from the user: a one-line message naming the problem and the fix.

    Examples
    --------
    >>> from qvc.errors import QvcUsageError
    >>> str(QvcUsageError("--qubits must be >= 1 (got 0)"))
    '--qubits must be >= 1 (got 0)'
    >>> QvcUsageError("shots must be >= 1 (got 0)", key="shots").key
    'shots'

    ``key`` names the :class:`~qvc.experiment.spec.ExperimentSpec` field (or spec-file key)
    at fault, when there is one; the command line maps it to its flag.
    """

    def __init__(self, message: str = "", *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class IbmServiceError(QvcUsageError):
    """The IBM service (or the network to it) failed or refused: not a mistake in the input.

    Distinct from plain usage errors so callers can tell "the service said no or
    could not be reached" from "the command was wrong"; it derives from
    :class:`QvcUsageError` only so the command line still prints one line and
    exits 2. :mod:`qvc.quantum.ibm` re-exports it.
    """


class IbmJobsPending(IbmServiceError):
    """Jobs were submitted but their results did not arrive in time; they stay in the job store.

    Lives here (not in :mod:`qvc.quantum.ibm`) so the runner can catch it by type
    without importing the IBM stack; :mod:`qvc.quantum.ibm` re-exports it.
    """


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by SIGTERM or SIGHUP (``timeout``, Slurm, systemd,
    ``docker stop``, a closed terminal): it ends like Ctrl-C (finished rows and the report
    kept, the status ``interrupted: SIGTERM``) and exits with ``128 + signal number``.

    Examples
    --------
    >>> import signal
    >>> exc = Terminated(signal.SIGTERM)
    >>> exc.signal_name, exc.exit_code, isinstance(exc, KeyboardInterrupt)
    ('SIGTERM', 143, True)
    """

    def __init__(self, signum: int) -> None:
        import signal

        super().__init__(signum)
        self.signum = int(signum)
        self.signal_name = signal.Signals(signum).name
        self.exit_code = 128 + self.signum


#: Signals that end a run or a sweep like Ctrl-C does.
STOP_SIGNALS = ("SIGTERM", "SIGHUP")


def interruption(exc: BaseException) -> str:
    """What interrupted a run, for its status: the signal's name, else the exception's type.

    Examples
    --------
    >>> import signal
    >>> interruption(Terminated(signal.SIGHUP)), interruption(KeyboardInterrupt())
    ('SIGHUP', 'KeyboardInterrupt')
    """
    return exc.signal_name if isinstance(exc, Terminated) else type(exc).__name__


@contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise :class:`Terminated` in the main thread.

    Only the first signal raises; a second one while the run finishes (writing its rows,
    report and status, stopping its workers) is ignored, so the clean-up is not cut
    short. Outside the main thread (where handlers cannot be set) it does nothing. The
    previous handlers are restored on the way out.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []

    def handler(signum, _frame):
        if fired:
            return
        fired.append(signum)
        raise Terminated(signum)

    previous = {}
    for name in STOP_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)

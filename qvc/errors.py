"""Exceptions that qvc raises for expected mistakes.

The command line turns :class:`QvcUsageError` into one line on stderr and exit
code 2; everything else is a bug and keeps its traceback.
"""

from __future__ import annotations


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

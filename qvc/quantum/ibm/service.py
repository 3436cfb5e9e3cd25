"""Where IBM jobs go: the IBM Quantum service, or qiskit-ibm-runtime's local testing mode.

A *gateway* hides the one difference between the two: how a backend and a job
are found. Submission itself is the same code for both (the client-side
``qiskit_ibm_runtime.executor_sampler.Sampler`` with a ``Batch`` or ``Session``
as its mode), so ``ibm:fake_manila`` exercises the path real backends take.

Credentials come only from what ``QiskitRuntimeService`` discovers itself: a
saved account or the ``QISKIT_IBM_TOKEN`` / ``QISKIT_IBM_INSTANCE`` environment
variables. qvc never reads, prints or stores the token; error messages pass
through :func:`redact` before they are shown.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any

from qvc.errors import IbmServiceError, QvcUsageError

#: The IBM Quantum channel qvc connects to.
CHANNEL = "ibm_quantum_platform"


class JobStatus(str, Enum):
    """Status of a job in the job store: IBM's job states plus three of qvc's own.

    A ``str`` enum, so members compare equal to (and are stored in SQLite as) their
    names. ``SUBMITTING``: the row was written and the job is being submitted;
    ``SUBMIT_FAILED``: the submission never reached the service; ``LOST``: the job
    cannot be retrieved any more.

    Examples
    --------
    >>> JobStatus("DONE") is JobStatus.DONE, JobStatus.QUEUED == "QUEUED"
    (True, True)
    >>> JobStatus.RUNNING.pending, JobStatus.ERROR.final, JobStatus.LOST.final
    (True, True, True)
    """

    INITIALIZING = "INITIALIZING"
    QUEUED = "QUEUED"
    VALIDATING = "VALIDATING"
    RUNNING = "RUNNING"
    DONE = "DONE"
    ERROR = "ERROR"
    CANCELLED = "CANCELLED"
    SUBMITTING = "SUBMITTING"
    SUBMIT_FAILED = "SUBMIT_FAILED"
    LOST = "LOST"

    def __str__(self) -> str:
        return self.value

    @property
    def pending(self) -> bool:
        """Submitted and not finished: the service may still run it."""
        return self in PENDING_STATES

    @property
    def final(self) -> bool:
        """Never changes again (done, failed, cancelled, lost, never submitted)."""
        return self in FINAL_STATES or self in (JobStatus.SUBMIT_FAILED, JobStatus.LOST)

    @property
    def failed(self) -> bool:
        """Ended on the service without results (``ERROR`` or ``CANCELLED``): may still be charged."""
        return self in (JobStatus.ERROR, JobStatus.CANCELLED)

    @classmethod
    def of(cls, status: Any) -> JobStatus:
        """Normalise a runtime status (qiskit ``JobStatus`` enum, string) to a member.

        Unknown names (a newer service state) count as ``QUEUED``: still pending.
        """
        name = getattr(status, "name", None) or str(status)
        name = name.split(".")[-1].upper()
        try:
            return cls(name)
        except ValueError:
            return cls.QUEUED


#: Job states from which a job can still finish.
PENDING_STATES = (JobStatus.INITIALIZING, JobStatus.QUEUED, JobStatus.VALIDATING, JobStatus.RUNNING)
#: Job states that never change again.
FINAL_STATES = (JobStatus.DONE, JobStatus.ERROR, JobStatus.CANCELLED)

_EXECUTION_MODES = ("batch", "session")


@dataclass(frozen=True)
class IbmTarget:
    """A parsed ``ibm:<backend>[:batch|:session]`` execution mode.

    Examples
    --------
    >>> parse_ibm_execution("ibm:fake_manila")
    IbmTarget(backend='fake_manila', mode='batch')
    >>> parse_ibm_execution("ibm:ibm_torino:session").mode
    'session'
    """

    backend: str
    mode: str = "batch"

    @property
    def local(self) -> bool:
        """True for fake backends, which run in local testing mode (Aer, no QPU)."""
        return is_local_backend(self.backend)


def is_local_backend(name: str) -> bool:
    """Fake backends (``fake_*``) and ``aer_simulator`` run in local testing mode."""
    return name.startswith("fake_") or name == "aer_simulator"


def parse_ibm_execution(mode: str) -> IbmTarget:
    """Parse ``ibm:<backend>[:batch|:session]``; raise a usage error naming the fix."""
    if not (isinstance(mode, str) and mode.startswith("ibm:")):
        raise QvcUsageError(f"execution mode {mode!r} is not ibm:<backend>")
    parts = mode.split(":")
    if len(parts) not in (2, 3) or not parts[1]:
        raise QvcUsageError(
            f"bad execution mode {mode!r}; use ibm:<backend> or ibm:<backend>:session "
            "(e.g. ibm:fake_manila, ibm:ibm_torino)"
        )
    how = parts[2] if len(parts) == 3 else "batch"
    if how not in _EXECUTION_MODES:
        raise QvcUsageError(f"unknown IBM execution mode {how!r} in {mode!r}; use batch or session")
    return IbmTarget(parts[1], how)


def redact(text: str) -> str:
    """Remove anything that looks like a credential from ``text`` before showing it.

    The token from ``QISKIT_IBM_TOKEN`` (if set) is replaced literally; long
    API-key-like strings are replaced too.

    Examples
    --------
    >>> redact("token abcdefghijklmnopqrstuvwxyz0123456789ABCDEF rejected")
    'token <redacted> rejected'
    """
    text = str(text)
    token = os.environ.get("QISKIT_IBM_TOKEN")
    if token:
        text = text.replace(token, "<redacted>")
    return re.sub(r"[A-Za-z0-9_\-]{40,}", "<redacted>", text)


def first_line(exc: BaseException) -> str:
    """The first line of an exception message, redacted."""
    lines = str(exc).strip().splitlines()
    return redact(lines[0] if lines else type(exc).__name__)


def job_status(job: Any) -> JobStatus:
    """Status of a runtime or local job (``QUEUED``, ``DONE`` ...) as a :class:`JobStatus`."""
    return JobStatus.of(job.status())


class Gateway:
    """Base class of the places jobs go. Subclasses implement the abstract methods."""

    #: Short name recorded in the ledger.
    service = "base"
    #: Local testing mode: jobs run on Aer in this process and report no QPU usage.
    is_local = False

    def backend(self, name: str) -> Any:
        """The ``BackendV2`` called ``name`` (a usage error if there is none)."""
        raise NotImplementedError

    def job(self, job_id: str) -> Any | None:
        """The job with this id, or ``None`` if it cannot be retrieved any more."""
        raise NotImplementedError

    def find_by_tag(self, backend: str, tag: str) -> list[str]:
        """Ids of jobs carrying ``tag`` (used to resolve a submission that was cut off).

        Raises :class:`IbmServiceError` when the service cannot be asked: the caller
        must then *not* conclude that the job was never submitted (submitting again
        could pay twice).
        """
        return []

    def session_usage(self, session_id: str) -> float | None:
        """``Session.usage()`` of an earlier session or batch (``None``: not reported yet)."""
        return None

    @contextmanager
    def open_mode(self, backend: Any, mode: str) -> Iterator[Any]:
        """A ``Batch`` (default) or ``Session`` around the jobs submitted inside."""
        from qiskit_ibm_runtime import Batch, Session

        if mode == "session":
            try:
                opened = Session(backend=backend)
            except Exception as exc:
                raise session_open_error(backend.name, exc) from None
        else:
            opened = Batch(backend=backend)
        with opened as m:
            yield m

    def submit(
        self, mode_obj: Any, pubs: list, shots: int, *, tag: str, seed: int | None,
        max_execution_time: int | None = None,
    ) -> Any:
        """Submit sampler PUBs (ISA circuits, parameter arrays) as one job.

        ``max_execution_time`` (seconds of system execution time) makes the service
        cancel a job that would run longer.
        """
        from qiskit_ibm_runtime.executor_sampler import Sampler

        sampler = Sampler(mode=mode_obj)
        sampler.options.environment.job_tags = [tag]
        if max_execution_time is not None and not self.is_local:
            sampler.options.max_execution_time = int(max_execution_time)
        if self.is_local and seed is not None:
            sampler.options.simulator.seed_simulator = int(seed)
        return sampler.run(pubs, shots=int(shots))


def session_open_error(backend: str, exc: BaseException) -> IbmServiceError:
    """One line for a session the service would not open; the Open plan only when it is the cause.

    Examples
    --------
    >>> str(session_open_error("ibm_fez", RuntimeError("503 Service Unavailable")))[:60]
    'cannot open a session on ibm_fez (RuntimeError: 503 Service '
    >>> "Open plan" in str(session_open_error("ibm_fez", RuntimeError(
    ...     "403 Forbidden: your plan does not allow sessions")))
    True
    """
    text = first_line(exc)
    lowered = str(exc).lower()
    status = getattr(exc, "status_code", None)
    plan = status == 403 or "forbidden" in lowered or (
        ("plan" in lowered or "session" in lowered) and (
            "not allowed" in lowered or "not authorized" in lowered or "does not allow" in lowered
            or "not supported" in lowered or "not available" in lowered))
    if plan:
        return IbmServiceError(
            f"cannot open a session on {backend}: {text}; sessions need a paid plan (the Open "
            f"plan allows job and batch mode only): use ibm:{backend} (batch)")
    return IbmServiceError(
        f"cannot open a session on {backend} ({type(exc).__name__}: {text}); check the network "
        f"and the backend's status, then re-run (or use ibm:{backend} for batch mode)")


class LocalGateway(Gateway):
    """qiskit-ibm-runtime's local testing mode: fake backends, jobs run on Aer here.

    Local jobs live in this process only: a local job that was still pending when
    its process ended cannot be retrieved (the ledger marks it ``LOST``; local
    jobs cost nothing, so the next run submits its circuits again).
    """

    service = "local"
    is_local = True

    def __init__(self) -> None:
        self._jobs: dict[str, Any] = {}

    def backend(self, name: str) -> Any:
        import warnings

        from qiskit_ibm_runtime.fake_provider.local_service import QiskitRuntimeLocalService

        service = QiskitRuntimeLocalService()
        with warnings.catch_warnings():
            # The local service builds every fake backend to find one; some (fake_nighthawk)
            # warn about their own made-up properties, which says nothing about the one asked for.
            warnings.filterwarnings("ignore", message=rf"Properties of (?!{re.escape(name)} )fake_\w+ "
                                    "are not intended", category=UserWarning)
            try:
                return service.backend(name)
            except Exception:
                names = sorted(b.name for b in service.backends())
        raise QvcUsageError(
            f"unknown fake backend {name!r}; local testing mode has: "
            f"{', '.join(names[:6])}, ... ({len(names)} in all, e.g. fake_manila, fake_torino)"
        )

    def submit(self, mode_obj, pubs, shots, *, tag, seed, max_execution_time=None):  # noqa: D102
        job = super().submit(mode_obj, pubs, shots, tag=tag, seed=seed,
                             max_execution_time=max_execution_time)
        self._jobs[job.job_id()] = job
        return job

    def job(self, job_id: str) -> Any | None:
        return self._jobs.get(job_id)


_LOCAL = LocalGateway()


def connect_service(**kwargs: Any) -> Any:
    """Open ``QiskitRuntimeService`` on the ``ibm_quantum_platform`` channel.

    The service finds the credentials itself (saved account, or the
    ``QISKIT_IBM_TOKEN`` and ``QISKIT_IBM_INSTANCE`` environment variables);
    qvc passes none. Failures become one-line usage errors.
    """
    from qiskit_ibm_runtime import QiskitRuntimeService

    try:
        return QiskitRuntimeService(channel=CHANNEL, **kwargs)
    except Exception as exc:  # classify by type name: the library raises several kinds
        raise _credential_error(exc) from None


#: Exception types (by their own name, anywhere in an exception's chain) that mean the service
#: could not be reached at all: no network, DNS, refused, proxy, TLS. Checked first: urllib3's
#: NewConnectionError (and so NameResolutionError) subclasses ConnectTimeoutError.
_UNREACHABLE_OWN = {"NameResolutionError", "NewConnectionError", "gaierror", "herror", "ConnectionRefusedError",
                    "ConnectionResetError", "ConnectionAbortedError", "ProxyError", "SSLError",
                    "NetworkUnreachable"}
#: ... types (anywhere in a link's class hierarchy) that mean the request timed out ...
_TIMEOUT_TYPES = {"Timeout", "ConnectTimeout", "ReadTimeout", "ConnectTimeoutError", "ReadTimeoutError",
                  "TimeoutError", "timeout"}
#: ... and generic connection failures that say no more.
_UNREACHABLE_TYPES = {"ConnectionError", "MaxRetryError", *_UNREACHABLE_OWN}


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        out.append(link)
        link = link.__cause__ or link.__context__
    return out


def network_failure(exc: BaseException) -> tuple[str, str] | None:
    """``("timeout" | "unreachable", detail)`` when a network failure is behind ``exc``, else ``None``.

    qiskit-ibm-runtime reports a failed connection as ``InvalidAccountError`` ("check that you
    are using a valid API token"); the chain of causes tells what really happened.

    Examples
    --------
    >>> import socket
    >>> try:
    ...     try:
    ...         raise socket.gaierror(-2, "Name or service not known")
    ...     except OSError as low:
    ...         raise ValueError("Unable to retrieve instances. Check the API token") from low
    ... except ValueError as exc:
    ...     network_failure(exc)[0]
    'unreachable'
    """
    links = _chain(exc)
    for link in links:
        if type(link).__name__ in _UNREACHABLE_OWN:
            return "unreachable", first_line(links[-1])
    names = [{c.__name__ for c in type(link).__mro__} for link in links]
    for link, mro in zip(links, names):
        if mro & _TIMEOUT_TYPES or isinstance(link, TimeoutError):
            return "timeout", first_line(link)
    for mro in names:
        if mro & _UNREACHABLE_TYPES:
            return "unreachable", first_line(links[-1])
    return None


def _credential_error(exc: BaseException) -> QvcUsageError:
    kind = type(exc).__name__
    text = str(exc)
    status = getattr(exc, "status_code", None) or getattr(exc, "code", None)
    net = network_failure(exc)
    if net is not None and net[0] == "timeout":
        return QvcUsageError(
            f"IBM Quantum did not answer in time ({net[1]}); the service or the network is slow or "
            "down: try again later (the credentials were not checked)"
        )
    if net is not None:
        return QvcUsageError(
            f"cannot reach IBM Quantum: no network connection to the service ({net[1]}); check the "
            "network, DNS or proxy, then re-run (the credentials were not checked)"
        )
    if kind == "AccountNotFoundError":
        return QvcUsageError(
            "no IBM Quantum credentials found: save an account with "
            "QiskitRuntimeService.save_account(channel='ibm_quantum_platform', token=..., "
            "instance=...) or set QISKIT_IBM_TOKEN and QISKIT_IBM_INSTANCE"
        )
    lowered = text.lower()
    if "does not have access to the instance" in lowered or (
            kind == "IBMInputValueError" and "instance" in lowered):
        return QvcUsageError(
            f"IBM Quantum does not give this API key access to the instance ({first_line(exc)}); "
            "set QISKIT_IBM_INSTANCE (or the saved account's instance) to a CRN this key can use, "
            "see QiskitRuntimeService().instances()"
        )
    if kind in ("IBMNotAuthorizedError", "InvalidAccountError") or status in (400, 401, 403) or (
        "unauthorized" in lowered or "api key could not be found" in lowered
    ):
        return QvcUsageError(
            f"IBM Quantum rejected the credentials ({redact(kind)}: {first_line(exc)}); the token "
            "may be expired or invalid: create a new API key and save it again"
        )
    return QvcUsageError(
        f"cannot connect to IBM Quantum ({kind}: {first_line(exc)}); check the network and "
        "the saved account, then re-run"
    )


class RuntimeGateway(Gateway):
    """The IBM Quantum service (``QiskitRuntimeService``, channel ``ibm_quantum_platform``)."""

    service = "ibm_quantum_platform"
    is_local = False

    def __init__(self, service: Any | None = None) -> None:
        self._service = service

    @property
    def runtime(self) -> Any:
        """The connected ``QiskitRuntimeService`` (connects on first use)."""
        if self._service is None:
            self._service = connect_service()
        return self._service

    def backend(self, name: str) -> Any:
        try:
            return self.runtime.backend(name)
        except QvcUsageError:
            raise
        except Exception as exc:
            if type(exc).__name__ == "QiskitBackendNotFoundError":
                try:
                    names = sorted(b.name for b in self.runtime.backends())
                    have = ", ".join(names) or "none"
                except Exception:
                    have = "see 'QiskitRuntimeService().backends()'"
                raise QvcUsageError(
                    f"unknown IBM backend {name!r}; this account can use: {have}"
                ) from None
            raise _credential_error(exc) from None

    def job(self, job_id: str) -> Any | None:
        try:
            return self.runtime.job(job_id)
        except Exception as exc:
            if type(exc).__name__ == "RuntimeJobNotFound":
                return None
            raise IbmServiceError(
                f"cannot retrieve IBM job {job_id} ({type(exc).__name__}: {first_line(exc)}); "
                "check the network and re-run"
            ) from None

    def find_by_tag(self, backend: str, tag: str) -> list[str]:
        try:
            return [j.job_id() for j in self.runtime.jobs(job_tags=[tag], backend_name=backend)]
        except Exception as exc:
            raise IbmServiceError(
                f"cannot ask IBM Quantum whether job tag {tag} was submitted ({type(exc).__name__}: "
                f"{first_line(exc)}); nothing is submitted again until that is known: re-run later"
            ) from None

    def session_usage(self, session_id: str) -> float | None:
        from qiskit_ibm_runtime import Session

        try:
            value = Session.from_id(session_id, self.runtime).usage()
        except Exception as exc:
            raise IbmServiceError(
                f"cannot read the usage of IBM session {session_id} ({type(exc).__name__}: "
                f"{first_line(exc)}); re-run 'qvc ibm fetch RUN --usage' later"
            ) from None
        return None if value is None else float(value)


#: Builds the gateway for a backend name. Tests replace it (see qvc.quantum.ibm.testing).
GatewayFactory = Callable[[str], Gateway]


_REMOTE: RuntimeGateway | None = None


def _default_factory(backend: str) -> Gateway:
    """Local testing mode for fake backends; else the one shared IBM connection of this process."""
    global _REMOTE
    if is_local_backend(backend):
        return _LOCAL
    if _REMOTE is None:
        _REMOTE = RuntimeGateway()
    return _REMOTE


_factory: GatewayFactory = _default_factory


def set_gateway_factory(factory: GatewayFactory | None) -> GatewayFactory:
    """Replace how gateways are built (``None`` restores the default); returns the previous one.

    Used by tests and by :mod:`qvc.quantum.ibm.testing` to route jobs to a fake
    service whose jobs live on disk. Also drops the shared IBM connection, so the
    next remote call connects afresh.
    """
    global _factory, _REMOTE
    previous = _factory
    _factory = factory or _default_factory
    _REMOTE = None
    return previous


def get_gateway(backend: str) -> Gateway:
    """The gateway that serves ``backend``: local testing mode for ``fake_*``, IBM otherwise."""
    return _factory(backend)


def new_tag() -> str:
    """A fresh job tag, also the ledger row's key (``qvc-<32 hex>``)."""
    return f"qvc-{uuid.uuid4().hex}"


def preflight(mode: str, n_qubits: int) -> Any:
    """Check an ``ibm:`` execution before a run starts: credentials, backend, size.

    Returns the backend. Raises one-line usage errors for missing or rejected
    credentials, an unknown backend, or a backend with fewer than ``n_qubits`` qubits.

    Examples
    --------
    >>> preflight("ibm:fake_manila", 2).num_qubits
    5
    >>> try:
    ...     preflight("ibm:fake_manila", 7)
    ... except QvcUsageError as exc:
    ...     print(str(exc)[:45])
    fake_manila has 5 qubits but the circuits nee
    """
    target = parse_ibm_execution(mode)
    backend = get_gateway(target.backend).backend(target.backend)
    if int(n_qubits) > backend.num_qubits:
        raise QvcUsageError(
            f"{target.backend} has {backend.num_qubits} qubits but the circuits need {n_qubits}; "
            f"use --qubits {backend.num_qubits} or fewer, or a larger backend"
        )
    return backend

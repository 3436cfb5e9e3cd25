"""A Qiskit ``BaseSamplerV2`` that runs on IBM backends through the job store.

qiskit-machine-learning's kernels and neural networks take any V2 sampler, so
this one plugs into ``ComputeUncompute`` / ``FidelityQuantumKernel`` and
``SamplerQNN`` unchanged. For every circuit it is asked to sample (a circuit
plus one row of parameter values) it:

1. hashes the logical circuit and the values, and looks the hash up in the
   job store (same backend, service and shots): finished jobs are reused, pending
   ones are awaited, nothing is submitted twice;
2. transpiles each distinct circuit once to the backend's ISA
   (``generate_preset_pass_manager``, optimisation level 1, fixed seed);
3. splits what is missing into jobs under the limits (circuits per job, and
   IBM's 10 million executions per Sampler job), writes each job's store row
   *before* submitting it, submits through ``executor_sampler.Sampler`` inside a
   ``Batch`` (or ``Session``), and records the job id;
4. waits for the jobs with a :class:`~qvc.quantum.ibm.tracker.JobTracker` (or
   times out, leaving them pending in the job store), which stores their counts
   and records their QPU usage and execution time.

Work happens synchronously inside :meth:`IbmSampler.run`, so errors reach
the caller as one-line :class:`~qvc.errors.QvcUsageError` messages.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.primitives import BaseSamplerV2, BitArray, DataBin, PrimitiveResult, SamplerPubResult
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit.primitives.primitive_job import PrimitiveJob

from qvc.errors import QvcUsageError
from qvc.quantum.ibm.accounting import account
from qvc.quantum.ibm.context import MAX_EXECUTIONS_PER_JOB, IbmRunContext, current_context
from qvc.quantum.ibm.jobstore import JobStore, utc_now
from qvc.quantum.ibm.service import (
    Gateway,
    IbmServiceError,
    IbmTarget,
    JobStatus,
    first_line,
    get_gateway,
    new_tag,
)
from qvc.quantum.ibm.tracker import (  # noqa: F401 - re-exported names
    HARDWARE_REPORTED,
    LOCAL_NO_QPU,
    IbmJobsPending,
    JobTracker,
    read_usage,
)


def circuit_key(circuit: QuantumCircuit) -> str:
    """Hash of a logical circuit's structure (OpenQASM 3 text, parameters unbound).

    Examples
    --------
    >>> qc = QuantumCircuit(1); _ = qc.h(0)
    >>> len(circuit_key(qc))
    64
    """
    from qiskit import qasm3

    try:
        text = qasm3.dumps(circuit)
    except Exception:  # circuits qasm3 cannot express: fall back to the repr of the data
        text = repr([(i.operation.name, i.operation.params, i.qubits, i.clbits) for i in circuit.data])
    return hashlib.sha256(text.encode()).hexdigest()


def bound_circuit_hash(key: str, values: np.ndarray) -> str:
    """Hash of a circuit key plus one row of parameter values (exact float64 bytes)."""
    h = hashlib.sha256(key.encode())
    h.update(np.ascontiguousarray(values, dtype=np.float64).tobytes())
    return h.hexdigest()


class _Circuit:
    """A logical circuit seen by the sampler: its key, and its ISA version once transpiled."""

    def __init__(self, circuit: QuantumCircuit) -> None:
        self.circuit = circuit
        self.key = circuit_key(circuit)
        self.isa: QuantumCircuit | None = None
        self.isa_columns: list[int] = []
        self.shot_seconds: float | None = None


class IbmSampler(BaseSamplerV2):
    """V2 sampler that executes on an IBM backend (or a fake one, locally) via the job store.

    Parameters
    ----------
    target : IbmTarget
        Backend and batch/session mode (see :func:`~qvc.quantum.ibm.service.parse_ibm_execution`).
    default_shots : int, default 1024
    seed : int or None
        Seeds the simulator in local testing mode (ignored by real backends).
    model, phase : str
        Recorded with each job (set ``phase`` before each use).
    context : IbmRunContext or None
        Ledger and waiting settings; defaults to :func:`current_context`.

    Attributes
    ----------
    used_rows : dict
        Phase -> job store row ids whose results this sampler used.
    submitted_rows : dict
        Phase -> job store row ids this sampler submitted.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from qvc.quantum.ibm import IbmRunContext, IbmSampler, parse_ibm_execution
    >>> ctx = IbmRunContext(store_path=pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
    >>> qc = QuantumCircuit(1); _ = qc.x(0); _ = qc.measure_all()
    >>> s = IbmSampler(parse_ibm_execution("ibm:fake_manila"), default_shots=32, seed=1,
    ...                   context=ctx)
    >>> s.run([qc]).result()[0].data.meas.num_shots
    32
    """

    def __init__(
        self,
        target: IbmTarget,
        *,
        default_shots: int = 1024,
        seed: int | None = None,
        model: str = "",
        phase: str = "",
        context: IbmRunContext | None = None,
    ) -> None:
        self.target = target
        self.default_shots = int(default_shots)
        self.seed = seed
        self.model = model
        self.phase = phase
        self.context = context or current_context()
        self.gateway: Gateway = get_gateway(target.backend)
        self.store = JobStore(self.context.store_path)
        self.tracker = JobTracker(self.store, self.gateway, self.context)
        self.used_rows: dict[str, set[int]] = defaultdict(set)
        self.submitted_rows: dict[str, set[int]] = defaultdict(set)
        self._backend: Any = None
        self._circuits: dict[int, _Circuit] = {}
        self._session: Any = None
        self._session_obj: Any = None
        self._session_id: str | None = None

    @property
    def owner(self) -> str:
        """Whom the QPU time of the jobs this sampler submits is attributed to (model and seed)."""
        return f"{self.model}/seed={self.seed}"

    # -- backend and circuits --------------------------------------------------------------
    @property
    def backend(self) -> Any:
        """The backend (fetched on first use; a usage error if unknown)."""
        if self._backend is None:
            self._backend = self.gateway.backend(self.target.backend)
        return self._backend

    def _circuit(self, circuit: QuantumCircuit) -> _Circuit:
        entry = self._circuits.get(id(circuit))
        if entry is None or entry.circuit is not circuit:
            entry = self._circuits[id(circuit)] = _Circuit(circuit)
        return entry

    def _transpile(self, entry: _Circuit, shots: int) -> None:
        if entry.isa is not None:
            return
        from qiskit.transpiler import generate_preset_pass_manager

        backend = self.backend
        if entry.circuit.num_qubits > backend.num_qubits:
            raise QvcUsageError(
                f"the circuit needs {entry.circuit.num_qubits} qubits but {backend.name} has "
                f"{backend.num_qubits}; use fewer qubits (--qubits) or a larger backend"
            )
        pm = generate_preset_pass_manager(optimization_level=1, backend=backend, seed_transpiler=0)
        isa = pm.run(entry.circuit)
        names = [p.name for p in entry.circuit.parameters]
        entry.isa_columns = [names.index(p.name) for p in isa.parameters]
        entry.isa = isa
        try:
            rep = float(getattr(backend.configuration(), "default_rep_delay", 0.0) or 0.0)
        except Exception:
            rep = 0.0
        try:
            entry.shot_seconds = float(isa.estimate_duration(backend.target, unit="s")) + rep
        except Exception:
            entry.shot_seconds = None

    # -- BaseSamplerV2 ---------------------------------------------------------------------
    def run(self, pubs, *, shots: int | None = None) -> PrimitiveJob:
        """Sample ``pubs``: reuse the job store, submit what is missing, wait, return the counts."""
        coerced = [SamplerPub.coerce(p, shots if shots is not None else self.default_shots)
                   for p in pubs]
        result = self._run(coerced)
        job = PrimitiveJob(lambda: result)
        job._submit()
        return job

    def _run(self, pubs: list[SamplerPub]) -> PrimitiveResult:
        plan = []  # per pub: (entry, values (K, P), hashes)
        for pub in pubs:
            if len(pub.circuit.cregs) != 1:
                raise QvcUsageError(
                    f"IBM execution samples circuits with one classical register; "
                    f"{pub.circuit.name!r} has {len(pub.circuit.cregs)}"
                )
            entry = self._circuit(pub.circuit)
            n_par = pub.circuit.num_parameters
            if n_par:
                values = pub.parameter_values.as_array(pub.circuit.parameters).reshape(-1, n_par)
            else:
                values = np.zeros((int(np.prod(pub.shape, dtype=int)), 0))
            hashes = [bound_circuit_hash(entry.key, v) for v in values]
            plan.append((pub, entry, values, hashes))
        by_shots: dict[int, list] = defaultdict(list)
        for item in plan:
            by_shots[int(item[0].shots)].append(item)
        located: dict[tuple[int, str], tuple[int, int]] = {}
        for shots_value, items in by_shots.items():
            located.update({(shots_value, h): loc
                            for h, loc in self._locate(items, shots_value).items()})
        results = []
        for pub, _entry, _values, hashes in plan:
            counts = []
            num_bits = pub.circuit.cregs[0].size
            for h in hashes:
                row_id, idx = located[(int(pub.shots), h)]
                counts.append(self.tracker.counts(row_id)[idx])
            bits = BitArray.from_counts(counts, num_bits=num_bits).reshape(pub.shape)
            data = DataBin(**{pub.circuit.cregs[0].name: bits}, shape=pub.shape)
            results.append(SamplerPubResult(data, metadata={"shots": int(pub.shots)}))
        return PrimitiveResult(results, metadata={"backend": self.target.backend,
                                                  "service": self.gateway.service})

    # -- job store plumbing ----------------------------------------------------------------
    def _lookup(self, hashes: list[str], shots: int) -> dict[str, tuple[int, int]]:
        return self.store.lookup(hashes, backend=self.target.backend,
                                 service=self.gateway.service, shots=shots)

    def _locate(self, items: list, shots: int) -> dict[str, tuple[int, int]]:
        """Find or create a collected job for every circuit of ``items``."""
        ctx = self.context
        wanted: dict[str, tuple[_Circuit, np.ndarray]] = {}
        for _pub, entry, values, hashes in items:
            for h, v in zip(hashes, values):
                wanted.setdefault(h, (entry, v))
        for _attempt in range(3):  # local jobs lost with their process are resubmitted once
            found = self._lookup(list(wanted), shots)
            self._resolve_submitting({r for r, _ in found.values()})
            found = self._lookup(list(wanted), shots)
            missing = [h for h in wanted if h not in found]
            reused = {r for r, _ in found.values()}
            if reused:
                ctx.say(f"ibm: {len(found)} circuit(s) found in the job store ({len(reused)} job(s)); "
                        "not submitting them again")
            new_rows = self._submit(missing, wanted, shots) if missing else []
            rows = sorted(reused | set(new_rows))
            self.store.record_use(ctx.run_id, rows)
            lost = self.tracker.wait(rows, self.target.backend)
            if not lost:
                self.used_rows[self.phase].update(rows)
                return self._lookup(list(wanted), shots)
            ctx.say(f"ibm: {len(lost)} local job(s) ended with their process; "
                    "submitting their circuits again (local testing mode costs nothing)")
        raise QvcUsageError("local jobs keep getting lost; re-run")  # pragma: no cover

    def _resolve_submitting(self, row_ids: set[int]) -> None:
        """Rows cut off while submitting: find their job by tag, or mark them never submitted.

        If the service cannot be asked, this raises (:class:`IbmServiceError`) and the
        row stays ``SUBMITTING``: submitting again could pay twice.
        """
        for row in (self.store.get(r) for r in row_ids):
            if row.status != JobStatus.SUBMITTING:
                continue
            ids = [] if self.gateway.is_local else self.gateway.find_by_tag(row.backend, row.tag)
            if ids:
                self.store.update(row.row_id, job_id=ids[0], status=JobStatus.QUEUED,
                                  submitted_utc=utc_now())
                self.context.say(f"ibm: recovered job {ids[0]} of an interrupted submission")
            else:
                self.store.update(row.row_id, status=JobStatus.LOST if self.gateway.is_local
                                  else JobStatus.SUBMIT_FAILED,
                                  error="submission interrupted; no job carries its tag")

    def _chunks(self, hashes: list[str], shots: int) -> list[list[str]]:
        cap = max(1, min(int(self.context.max_circuits_per_job), MAX_EXECUTIONS_PER_JOB // shots))
        return [hashes[i:i + cap] for i in range(0, len(hashes), cap)]

    def _submit(self, missing: list[str], wanted: dict, shots: int) -> list[int]:
        ctx = self.context
        for h in missing:
            self._transpile(wanted[h][0], shots)
        chunks = self._chunks(missing, shots)
        ctx.say(f"ibm: submitting {len(missing)} circuit(s) in {len(chunks)} job(s) to "
                f"{self.target.backend} ({self.target.mode} mode, {shots} shots)")
        rows: list[int] = []
        opener = (self._session_mode() if self.target.mode == "session" else self._batch_mode())
        with opener as mode_obj:
            mode_id = getattr(mode_obj, "session_id", None)
            for chunk in chunks:
                groups: dict[int, list[str]] = defaultdict(list)
                for h in chunk:
                    groups[id(wanted[h][0])].append(h)
                order = [h for hs in groups.values() for h in hs]
                pubs: list[tuple] = []
                shot_s: float | None = 0.0
                for hs in groups.values():
                    entry = wanted[hs[0]][0]
                    all_vals = np.array([wanted[h][1] for h in hs]).reshape(len(hs), -1)
                    vals = all_vals[:, entry.isa_columns] if entry.isa_columns else None
                    pubs.append((entry.isa, vals) if vals is not None else (entry.isa,))
                    if shot_s is not None and entry.shot_seconds is not None:
                        shot_s += len(hs) * shots * entry.shot_seconds
                    else:
                        shot_s = None
                tag = new_tag()
                row_id = self.store.add_job(
                    tag=tag, backend=self.target.backend, service=self.gateway.service,
                    shots=shots, hashes=order, run_id=ctx.run_id, experiment=ctx.experiment,
                    model=self.model, phase=self.phase, execution_mode=self.target.mode,
                    n_pubs=len(pubs), modelled_shot_seconds=shot_s, owner=self.owner,
                    session_id=mode_id,
                )
                try:
                    job = self.gateway.submit(mode_obj, pubs, shots, tag=tag, seed=self.seed,
                                              max_execution_time=ctx.max_execution_time)
                except QvcUsageError:
                    self.store.update(row_id, status=JobStatus.SUBMIT_FAILED,
                                      error="refused before submit")
                    raise
                except Exception as exc:
                    job = self._submit_failed(row_id, tag, exc, len(rows))
                # Recorded as submitted, never as final: the normal poll collects a job that is
                # already done (writing DONE here, without its counts, poisoned the store).
                self.store.update(row_id, job_id=job.job_id(), status=JobStatus.QUEUED,
                                  submitted_utc=utc_now())
                self.tracker.adopt(row_id, job)
                rows.append(row_id)
                self.submitted_rows[self.phase].add(row_id)
                ctx.say(f"ibm: job {job.job_id()} submitted ({len(order)} circuits)")
        return rows

    def _submit_failed(self, row_id: int, tag: str, exc: Exception, n_done: int) -> Any:
        """A submission raised: the job may still have reached the service. Ask by tag."""
        reason = f"{type(exc).__name__}: {first_line(exc)}"
        try:
            ids = [] if self.gateway.is_local else self.gateway.find_by_tag(self.target.backend, tag)
        except IbmServiceError as lookup:
            self.store.update(row_id, error=f"submit raised {reason}; tag lookup failed too")
            raise IbmServiceError(
                f"submitting a job to {self.target.backend} failed ({reason}) and the service could "
                f"not be asked whether it arrived ({lookup}); the job store row stays SUBMITTING so "
                "nothing is paid twice: re-run when the service is reachable"
            ) from None
        if ids:  # the service got it; only the answer was lost
            self.context.say(f"ibm: job {ids[0]} arrived although the submit call failed ({reason})")
            job = self.gateway.job(ids[0])
            if job is not None:
                return job
        self.store.update(row_id, status=JobStatus.SUBMIT_FAILED, error=reason)
        raise IbmServiceError(
            f"submitting a job to {self.target.backend} failed ({reason}); that job's circuits were "
            f"not submitted ({n_done} earlier job(s) of this step were, and are in the job store "
            f"{self.store.path}); re-run to try again"
        ) from None

    @contextmanager
    def _batch_mode(self):
        with self.gateway.open_mode(self.backend, "batch") as mode_obj:
            self._record_mode(mode_obj, "batch")
            yield mode_obj

    def _record_mode(self, mode_obj: Any, mode: str) -> str | None:
        sid = getattr(mode_obj, "session_id", None)
        if sid:
            self.store.add_session(sid, mode=mode, backend=self.target.backend,
                                   service=self.gateway.service, run_id=self.context.run_id,
                                   owner=self.owner)
        return sid

    def _session_mode(self):
        if self._session is None:
            self._session = self.gateway.open_mode(self.backend, "session")
            self._session_obj = self._session.__enter__()
            self._session_id = self._record_mode(self._session_obj, "session")
            self.context.open_sessions.append(self)
        return nullcontext(self._session_obj)

    def close(self) -> None:
        """Close an open session and record its usage (batch mode closes each batch itself).

        A session bills wall-clock time until it closes, so each model closes its
        session right after its last job (see :meth:`usage`).
        """
        if self._session is None:
            return
        session, mode_obj, sid = self._session, self._session_obj, self._session_id
        self._session = self._session_obj = None
        try:
            session.__exit__(None, None, None)
        finally:
            if self in self.context.open_sessions:
                self.context.open_sessions.remove(self)
        if sid:
            self._read_session_usage(sid, mode_obj)

    def _read_session_usage(self, sid: str, mode_obj: Any = None) -> None:
        try:
            value = mode_obj.usage() if mode_obj is not None else self.gateway.session_usage(sid)
            source = "hardware-reported" if value is not None else "pending"
        except Exception as exc:
            value, source = None, f"unavailable: {type(exc).__name__}: {first_line(exc)}"
        self.store.update_session(sid, closed_utc=utc_now(),
                                  usage_seconds=None if value is None else float(value),
                                  usage_source=source)

    # -- reporting -------------------------------------------------------------------------
    def usage(self) -> dict:
        """Jobs and the QPU seconds attributed to this model, once (see :mod:`.accounting`).

        Closes this model's session first (the model's last job has run when its
        usage is asked for), so the session stops billing and its usage can be read.
        """
        self.close()
        used = sorted(set().union(*self.used_rows.values())) if self.used_rows else []
        submitted = set().union(*self.submitted_rows.values()) if self.submitted_rows else set()
        rows = [self.store.get(r) for r in used]
        out = {
            "backend": self.target.backend,
            "service": self.gateway.service,
            "run_id": self.context.run_id,
            "owner": self.owner,
            "jobs": len(rows),
            "jobs_submitted": len(submitted),
            "job_ids": [r.job_id for r in rows],
            "row_ids": used,
            "store": str(self.store.path),
        }
        out.update(account(self.store, run_id=self.context.run_id, owner=self.owner, used=used,
                           is_local=self.gateway.is_local))
        return out

"""A Qiskit ``BaseSamplerV2`` that runs on IBM backends through the job ledger.

qiskit-machine-learning's kernels and neural networks take any V2 sampler, so
this one plugs into ``ComputeUncompute`` / ``FidelityQuantumKernel`` and
``SamplerQNN`` unchanged. For every circuit it is asked to sample (a circuit
plus one row of parameter values) it:

1. hashes the logical circuit and the values, and looks the hash up in the
   ledger (same backend, service and shots): finished jobs are reused, pending
   ones are awaited, nothing is submitted twice;
2. transpiles each distinct circuit once to the backend's ISA
   (``generate_preset_pass_manager``, optimisation level 1, fixed seed);
3. splits what is missing into jobs under the limits (circuits per job, and
   IBM's 10 million executions per Sampler job), writes each job's ledger row
   *before* submitting it, submits through ``executor_sampler.Sampler`` inside a
   ``Batch`` (or ``Session``), and records the job id;
4. waits for the jobs (or times out, leaving them pending in the ledger),
   stores their counts, and records their QPU usage.

Work happens synchronously inside :meth:`LedgerSampler.run`, so errors reach
the caller as one-line :class:`~qvc.errors.QvcUsageError` messages.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import defaultdict
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.primitives import BaseSamplerV2, BitArray, DataBin, PrimitiveResult, SamplerPubResult
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit.primitives.primitive_job import PrimitiveJob

from qvc.errors import IbmJobsPending, QvcUsageError  # IbmJobsPending re-exported here
from qvc.quantum.ibm.context import MAX_EXECUTIONS_PER_JOB, IbmRunContext, current_context
from qvc.quantum.ibm.ledger import LOST, SUBMIT_FAILED, SUBMITTING, JobLedger, JobRow, utc_now
from qvc.quantum.ibm.service import (
    FINAL_STATES,
    PENDING_STATES,
    Gateway,
    IbmTarget,
    first_line,
    get_gateway,
    job_status,
    new_tag,
)

#: How QPU seconds are labelled when the service reports them.
HARDWARE_REPORTED = "hardware-reported"
#: Usage label of local testing mode, which runs on Aer and reports no QPU time.
LOCAL_NO_QPU = "none: local testing mode (Aer simulation, no QPU)"


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


class LedgerSampler(BaseSamplerV2):
    """V2 sampler that executes on an IBM backend (or a fake one, locally) via the ledger.

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
        Phase -> ledger row ids whose results this sampler used.
    submitted_rows : dict
        Phase -> ledger row ids this sampler submitted.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from qvc.quantum.ibm import IbmRunContext, LedgerSampler, parse_ibm_execution
    >>> ctx = IbmRunContext(ledger_path=pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
    >>> qc = QuantumCircuit(1); _ = qc.x(0); _ = qc.measure_all()
    >>> s = LedgerSampler(parse_ibm_execution("ibm:fake_manila"), default_shots=32, seed=1,
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
        self.ledger = JobLedger(self.context.ledger_path)
        self.used_rows: dict[str, set[int]] = defaultdict(set)
        self.submitted_rows: dict[str, set[int]] = defaultdict(set)
        self._backend: Any = None
        self._circuits: dict[int, _Circuit] = {}
        self._handles: dict[int, Any] = {}
        self._counts: dict[int, list[dict[str, int]]] = {}
        self._session: Any = None

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
        """Sample ``pubs``: reuse the ledger, submit what is missing, wait, return the counts."""
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
                counts.append(self._row_counts(row_id)[idx])
            bits = BitArray.from_counts(counts, num_bits=num_bits).reshape(pub.shape)
            data = DataBin(**{pub.circuit.cregs[0].name: bits}, shape=pub.shape)
            results.append(SamplerPubResult(data, metadata={"shots": int(pub.shots)}))
        return PrimitiveResult(results, metadata={"backend": self.target.backend,
                                                  "service": self.gateway.service})

    # -- ledger plumbing -------------------------------------------------------------------
    def _lookup(self, hashes: list[str], shots: int) -> dict[str, tuple[int, int]]:
        return self.ledger.lookup(hashes, backend=self.target.backend,
                                  service=self.gateway.service, shots=shots)

    def _locate(self, items: list, shots: int) -> dict[str, tuple[int, int]]:
        """Find or create a finished job for every circuit of ``items``."""
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
                ctx.say(f"ibm: {len(found)} circuit(s) found in the ledger ({len(reused)} job(s)); "
                        "not submitting them again")
            new_rows = self._submit(missing, wanted, shots) if missing else []
            rows = sorted(reused | set(new_rows))
            self.ledger.record_use(ctx.run_id, rows)
            lost = self._wait(rows)
            if not lost:
                self.used_rows[self.phase].update(rows)
                return self._lookup(list(wanted), shots)
            ctx.say(f"ibm: {len(lost)} local job(s) ended with their process; "
                    "submitting their circuits again (local testing mode costs nothing)")
        raise QvcUsageError("local jobs keep getting lost; re-run")  # pragma: no cover

    def _resolve_submitting(self, row_ids: set[int]) -> None:
        """Rows cut off while submitting: find their job by tag, or mark them never submitted."""
        for row in (self.ledger.get(r) for r in row_ids):
            if row.status != SUBMITTING:
                continue
            ids = [] if self.gateway.is_local else self.gateway.find_by_tag(row.backend, row.tag)
            if ids:
                self.ledger.update(row.row_id, job_id=ids[0], status="QUEUED",
                                   submitted_utc=utc_now())
                self.context.say(f"ibm: recovered job {ids[0]} of an interrupted submission")
            else:
                self.ledger.update(row.row_id, status=LOST if self.gateway.is_local else SUBMIT_FAILED,
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
        opener = (self._session_mode() if self.target.mode == "session"
                  else self.gateway.open_mode(self.backend, "batch"))
        with opener as mode_obj:
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
                row_id = self.ledger.add_job(
                    tag=tag, backend=self.target.backend, service=self.gateway.service,
                    shots=shots, hashes=order, run_id=ctx.run_id, experiment=ctx.experiment,
                    model=self.model, phase=self.phase, execution_mode=self.target.mode,
                    n_pubs=len(pubs), modelled_shot_seconds=shot_s,
                )
                try:
                    job = self.gateway.submit(mode_obj, pubs, shots, tag=tag, seed=self.seed)
                except QvcUsageError:
                    self.ledger.update(row_id, status=SUBMIT_FAILED, error="refused before submit")
                    raise
                except Exception as exc:
                    self._submit_failed(row_id, tag, exc, len(rows))
                self.ledger.update(row_id, job_id=job.job_id(), status=_initial_status(job),
                                   submitted_utc=utc_now())
                self._handles[row_id] = job
                rows.append(row_id)
                self.submitted_rows[self.phase].add(row_id)
                ctx.say(f"ibm: job {job.job_id()} submitted ({len(order)} circuits)")
        return rows

    def _submit_failed(self, row_id: int, tag: str, exc: Exception, n_done: int) -> None:
        ids = [] if self.gateway.is_local else self.gateway.find_by_tag(self.target.backend, tag)
        if ids:  # the service got it; only the answer was lost
            self.ledger.update(row_id, job_id=ids[0], status="QUEUED", submitted_utc=utc_now())
            return
        self.ledger.update(row_id, status=SUBMIT_FAILED, error=f"{type(exc).__name__}: {first_line(exc)}")
        raise QvcUsageError(
            f"submitting a job to {self.target.backend} failed ({type(exc).__name__}: "
            f"{first_line(exc)}); that job's circuits were not submitted ({n_done} earlier job(s) "
            f"of this step were, and are in the ledger {self.ledger.path}); re-run to try again"
        ) from None

    def _session_mode(self):
        from contextlib import nullcontext

        if self._session is None:
            self._session = self.gateway.open_mode(self.backend, "session")
            self._session_obj = self._session.__enter__()
            self.context.open_sessions.append(self)
        return nullcontext(self._session_obj)

    def close(self) -> None:
        """Close an open session (batch mode closes each batch after submitting)."""
        if self._session is not None:
            self._session.__exit__(None, None, None)
            self._session = None

    # -- waiting and collecting ------------------------------------------------------------
    def _poll_s(self) -> float:
        if self.context.poll_s is not None:
            return float(self.context.poll_s)
        return 0.05 if self.gateway.is_local else 5.0

    def _handle(self, row: JobRow) -> Any | None:
        if row.row_id not in self._handles:
            job = self.gateway.job(row.job_id) if row.job_id else None
            if job is None:
                return None
            self._handles[row.row_id] = job
        return self._handles[row.row_id]

    def _wait(self, row_ids: list[int]) -> list[int]:
        """Wait until every row is done; returns the rows lost with their (local) process."""
        # Local testing-mode jobs run in this process and die with it: always wait for them.
        timeout = None if self.gateway.is_local else self.context.timeout_s
        deadline = math.inf if timeout is None else time.monotonic() + float(timeout)
        lost: list[int] = []
        failed: list[JobRow] = []
        announced = False
        while True:
            pending = []
            for row in (self.ledger.get(r) for r in row_ids):
                if row.status == "DONE" or row.row_id in lost:
                    continue
                if row.status == LOST:
                    lost.append(row.row_id)
                    continue
                if row.status in ("ERROR", "CANCELLED"):
                    failed.append(row)
                    continue
                status = self.poll(row)
                if status == LOST:
                    lost.append(row.row_id)
                elif status in ("ERROR", "CANCELLED"):
                    failed.append(self.ledger.get(row.row_id))
                elif status != "DONE":
                    pending.append(row)
            if failed:
                row = failed[0]
                raise QvcUsageError(
                    f"IBM job {row.job_id} on {row.backend} ended in {row.status}"
                    f"{': ' + row.error if row.error else ''}; it stays in the ledger "
                    f"{self.ledger.path}; re-run to submit its circuits again"
                )
            if not pending:
                return lost
            if time.monotonic() >= deadline:
                where = (f"qvc ibm fetch {self.context.run_dir}" if self.context.run_dir
                         else f"qvc ibm status --ledger {self.ledger.path}")
                states = ", ".join(sorted({r.status for r in pending}))
                raise IbmJobsPending(
                    f"{len(pending)} IBM job(s) on {self.target.backend} still pending ({states}) "
                    f"after {timeout:g} s; they are recorded in {self.ledger.path} and will not be "
                    f"submitted again: run '{where}' later"
                )
            if not announced:
                self.context.say(f"ibm: waiting for {len(pending)} job(s) on {self.target.backend}")
                announced = True
            time.sleep(self._poll_s())

    def poll(self, row: JobRow) -> str:
        """Check one pending row with the service, update the ledger, collect results if done."""
        job = self._handle(row)
        if job is None:
            status = LOST
            why = ("local testing-mode jobs live only in the process that submitted them"
                   if self.gateway.is_local else "the service has no job with this id")
            self.ledger.update(row.row_id, status=LOST, error=why, finished_utc=utc_now())
            if not self.gateway.is_local:
                raise QvcUsageError(
                    f"IBM job {row.job_id} cannot be found on the service (deleted?); its ledger "
                    f"row is marked LOST; re-run to submit its circuits again"
                )
            return status
        try:
            status = job_status(job)
        except Exception as exc:
            raise QvcUsageError(
                f"cannot get the status of IBM job {row.job_id} ({type(exc).__name__}: "
                f"{first_line(exc)}); it stays in the ledger; re-run or 'qvc ibm fetch' later"
            ) from None
        if status == "DONE":
            self._collect(row, job)
        elif status in FINAL_STATES:
            msg = ""
            try:
                msg = first_line(Exception(job.error_message() or ""))
            except Exception:
                pass
            self.ledger.update(row.row_id, status=status, error=msg or None, finished_utc=utc_now())
        elif status != row.status:
            self.ledger.update(row.row_id, status=status if status in PENDING_STATES else row.status)
        return status

    def _collect(self, row: JobRow, job: Any) -> None:
        try:
            result = job.result()
        except Exception as exc:  # the job is DONE: the transfer failed, not the job
            raise QvcUsageError(
                f"IBM job {row.job_id} is done but its results could not be fetched "
                f"({type(exc).__name__}: {first_line(exc)}); it stays in the ledger: re-run later"
            ) from None
        counts: list[dict[str, int]] = []
        num_bits = 0
        for pub_result in result:
            bits = pub_result.join_data()
            num_bits = bits.num_bits
            for loc in np.ndindex(bits.shape):
                counts.append({k: int(v) for k, v in bits.get_counts(loc).items()})
        if len(counts) != row.n_circuits:
            self.ledger.update(row.row_id, status="ERROR", finished_utc=utc_now(),
                               error=f"result has {len(counts)} circuits, expected {row.n_circuits}")
            return
        path = self.ledger.store_counts(row, counts, num_bits)
        qpu, source, metrics = read_usage(job, self.gateway.is_local)
        self.ledger.update(
            row.row_id, status="DONE", finished_utc=utc_now(), qpu_seconds=qpu,
            usage_source=source, metrics_json=metrics,
            result_path=str(path.relative_to(self.ledger.path.parent)),
        )
        self._counts[row.row_id] = counts

    def _row_counts(self, row_id: int) -> list[dict[str, int]]:
        if row_id not in self._counts:
            self._counts[row_id] = self.ledger.load_counts(self.ledger.get(row_id))[0]
        return self._counts[row_id]

    # -- reporting -------------------------------------------------------------------------
    def usage(self, phases: tuple[str, ...] | None = None) -> dict:
        """Jobs and QPU seconds behind the results of ``phases`` (all phases by default)."""
        chosen = phases or tuple(self.used_rows)
        used = sorted(set().union(*(self.used_rows.get(p, set()) for p in chosen)))
        submitted = set().union(*(self.submitted_rows.get(p, set()) for p in chosen))
        rows = [self.ledger.get(r) for r in used]
        reported = [r.qpu_seconds for r in rows if r.usage_source == HARDWARE_REPORTED]
        complete = bool(rows) and len(reported) == len(rows)
        return {
            "backend": self.target.backend,
            "service": self.gateway.service,
            "jobs": len(rows),
            "jobs_submitted": len(submitted),
            "job_ids": [r.job_id for r in rows],
            "qpu_seconds": float(sum(r for r in reported if r is not None)) if complete else None,
            "qpu_seconds_method": HARDWARE_REPORTED if complete else (
                LOCAL_NO_QPU if self.gateway.is_local else "pending or unavailable"),
        }


def _initial_status(job: Any) -> str:
    try:
        status = job_status(job)
    except Exception:
        return "QUEUED"
    return status if status in PENDING_STATES or status in FINAL_STATES else "QUEUED"


def read_usage(job: Any, is_local: bool) -> tuple[float | None, str, str | None]:
    """QPU seconds of a finished job, how they were obtained, and the raw metrics (JSON).

    Local testing-mode jobs run on Aer: they report zero usage, which qvc
    records as *no* QPU time (``None``), never as a measured zero.
    """
    import json

    try:
        metrics = job.metrics()
        metrics_json = json.dumps(metrics, default=str)
    except Exception:
        metrics, metrics_json = {}, None
    if is_local:
        return None, LOCAL_NO_QPU, metrics_json
    usage = (metrics or {}).get("usage", {}) if isinstance(metrics, dict) else {}
    if usage.get("status", "complete") == "pending":
        return None, "pending", metrics_json
    seconds: float | None
    try:
        seconds = float(job.usage())
    except Exception:
        seconds = usage.get("qpu_charge_time_seconds") or usage.get("quantum_seconds")
        if seconds is None:
            return None, "unavailable", metrics_json
        seconds = float(seconds)
    return seconds, HARDWARE_REPORTED, metrics_json

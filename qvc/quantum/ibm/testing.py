"""A test double of the IBM service whose jobs persist on disk, for tests of submit / kill / fetch.

This is a **test double**, not IBM: it stands in for the IBM Quantum service
(``service = "persistent-fake"``, not local) so that the paths only a remote
service has can run offline — jobs that outlive the process that submitted
them, submissions that fail on the network, jobs that end in ``ERROR`` or
``CANCELLED``, results that never arrive. Each job is a folder under ``root``
(``meta.json``, the ISA circuits as QPY, the parameter values, and once it
"runs", its counts). When a job is due to finish, its circuits are simulated
with qiskit-ibm-runtime's local testing mode on the fake backend of the same
name. Its "QPU usage" and "execution spans" are whatever ``config.json`` says
(default: none); a figure set there is a test fixture, not a measurement.

Where it matters it behaves like the service (qiskit-ibm-runtime 0.51 and IBM's
documented limits), not more forgivingly:

- a job goes ``QUEUED`` -> ``RUNNING`` -> final, one status check per step, and can
  be final at its *first* check (``finish_after_polls: 0``);
- ``metrics()["usage"]`` has the service's shapes: ``{"qpu_charge_time_seconds": s,
  "status": "complete"}``, ``{"status": "pending", ...}`` for the first
  ``usage_pending_reads`` reads after the job finished, the older
  ``{"quantum_seconds": s, "seconds": s}`` (``usage_shape: "legacy"``) or nothing
  (``usage_shape: "absent"``); ``usage()`` returns 0 whenever the runtime would;
- failed and cancelled jobs are charged too (``usage_seconds`` applies to them);
- results carry execution spans (``metadata["executor"].chunk_timing``, the real
  runtime classes) lasting ``exec_seconds`` when that is set;
- sessions and batches are objects with an id, ``close()`` and their own
  ``usage()`` (``session_usage_seconds``; ``None``: not reported yet), and
  ``session_refused`` makes opening a session fail with that message;
- a job of more than 10,000 circuits or 10 million executions (circuits x shots)
  is refused at submission, as IBM refuses it.

Behaviour is read from ``<root>/config.json`` at every call, so a test (or
another process) can change it between steps::

    {"fail_submits": 0,          # the next N submissions raise ConnectionError
     "lose_submit_answers": 0,   # the next N submissions reach the service, then raise
     "fail_tag_lookups": 0,      # the next N job-tag lookups raise ConnectionError
     "finish_after_polls": 2,    # status checks before a job is final (0: final at the first)
     "running_polls": 1,         # of those, how many answer RUNNING (the rest QUEUED)
     "never_finish": false,      # jobs stay QUEUED forever
     "final_status": "DONE",     # or "ERROR" / "CANCELLED"
     "usage_seconds": null,      # QPU seconds each finished job is charged
     "usage_shape": "current",   # "current" | "legacy" | "absent"
     "usage_pending_reads": 0,   # metrics() reads after finishing that still say "pending"
     "exec_seconds": null,       # length of each job's execution span (null: no spans)
     "session_usage_seconds": null,  # Session.usage() of a closed session
     "session_refused": null}    # message of an error raised when a session is opened

Examples
--------
>>> import tempfile
>>> fake = PersistentFakeGateway(tempfile.mkdtemp())
>>> fake.configure(fail_submits=1)["fail_submits"]
1
"""

from __future__ import annotations

import json
import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from qvc._io import atomic_write_text, json_text
from qvc.errors import QvcUsageError
from qvc.quantum.ibm.service import Gateway, set_gateway_factory

_DEFAULTS = {"fail_submits": 0, "lose_submit_answers": 0, "fail_tag_lookups": 0,
             "finish_after_polls": 2, "running_polls": 1, "never_finish": False,
             "final_status": "DONE", "usage_seconds": None, "usage_shape": "current",
             "usage_pending_reads": 0, "exec_seconds": None, "session_usage_seconds": None,
             "session_refused": None}
#: IBM's limits on one job (https://quantum.cloud.ibm.com/docs/guides/job-limits).
MAX_CIRCUITS, MAX_EXECUTIONS = 10_000, 10_000_000


def _write_json(path: Path, data: dict) -> None:
    atomic_write_text(path, json_text(data))


class PersistentFakeGateway(Gateway):
    """Fake remote service; every job is a folder under ``root`` (see the module docstring)."""

    service = "persistent-fake"
    is_local = False

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        (self.root / "jobs").mkdir(parents=True, exist_ok=True)

    # -- configuration -----------------------------------------------------------------
    def config(self) -> dict:
        """The current behaviour (defaults filled in)."""
        path = self.root / "config.json"
        data = json.loads(path.read_text()) if path.is_file() else {}
        return {**_DEFAULTS, **data}

    def configure(self, **changes: Any) -> dict:
        """Change the behaviour for every process using this ``root``."""
        data = {**self.config(), **changes}
        _write_json(self.root / "config.json", data)
        return data

    def job_ids(self) -> list[str]:
        """Ids of every job ever submitted, oldest first."""
        dirs = [d for d in (self.root / "jobs").iterdir() if (d / "meta.json").is_file()]
        metas = [(json.loads((d / "meta.json").read_text())["seq"], d.name) for d in dirs]
        return [name for _, name in sorted(metas)]

    # -- Gateway -----------------------------------------------------------------------
    def backend(self, name: str) -> Any:
        from qiskit_ibm_runtime.fake_provider.local_service import QiskitRuntimeLocalService

        try:
            return QiskitRuntimeLocalService().backend(name)
        except Exception:
            raise QvcUsageError(f"unknown IBM backend {name!r}; this account can use: "
                                "fake_* backends (persistent fake service)") from None

    @contextmanager
    def open_mode(self, backend: Any, mode: str):
        refused = self.config()["session_refused"]
        if mode == "session" and refused:
            from qvc.quantum.ibm.service import session_open_error

            raise session_open_error(backend.name, RuntimeError(refused))
        m = FakeMode(self, backend, mode)
        try:
            yield m
        finally:
            m.close()

    def submit(self, mode_obj: Any, pubs: list, shots: int, *, tag: str, seed: int | None,
               max_execution_time: int | None = None) -> Any:
        from qiskit import qpy

        cfg = self.config()
        if cfg["fail_submits"] > 0:
            self.configure(fail_submits=cfg["fail_submits"] - 1)
            raise ConnectionError("simulated network failure: connection reset by peer")
        n_circuits = sum(1 if len(p) < 2 or p[1] is None else int(np.prod(np.shape(p[1])[:-1]))
                         for p in pubs)
        if n_circuits > MAX_CIRCUITS or n_circuits * int(shots) > MAX_EXECUTIONS:
            raise ValueError(f"job refused: {n_circuits} circuits x {shots} shots exceeds the "
                             f"limits ({MAX_CIRCUITS} circuits, {MAX_EXECUTIONS} executions)")
        job_id = f"fake-{uuid.uuid4().hex[:20]}"
        folder = self.root / "jobs" / job_id
        folder.mkdir()
        with open(folder / "circuits.qpy", "wb") as fh:
            qpy.dump([p[0] for p in pubs], fh)
        np.savez(folder / "values.npz", *[p[1] if len(p) > 1 and p[1] is not None
                                          else np.zeros((1, 0)) for p in pubs])
        backend = mode_obj.backend if isinstance(mode_obj, FakeMode) else mode_obj
        meta = {"job_id": job_id, "tag": tag, "backend": backend.name, "shots": int(shots),
                "seed": seed, "status": "QUEUED", "polls": 0, "usage_reads": 0, "error": None,
                "session_id": getattr(mode_obj, "session_id", None),
                "max_execution_time": max_execution_time, "n_circuits": n_circuits,
                "seq": len(list((self.root / "jobs").iterdir()))}
        _write_json(folder / "meta.json", meta)
        if cfg["lose_submit_answers"] > 0:
            self.configure(lose_submit_answers=cfg["lose_submit_answers"] - 1)
            raise ConnectionError("simulated network failure after the job was accepted")
        return PersistentFakeJob(self, job_id)

    def job(self, job_id: str) -> Any | None:
        return PersistentFakeJob(self, job_id) if (self.root / "jobs" / job_id).is_dir() else None

    def find_by_tag(self, backend: str, tag: str) -> list[str]:
        cfg = self.config()
        if cfg["fail_tag_lookups"] > 0:
            from qvc.quantum.ibm.service import IbmServiceError

            self.configure(fail_tag_lookups=cfg["fail_tag_lookups"] - 1)
            raise IbmServiceError(f"cannot ask IBM Quantum whether job tag {tag} was submitted "
                                  "(ConnectionError: simulated network failure)")
        out = []
        for job_id in self.job_ids():
            meta = json.loads((self.root / "jobs" / job_id / "meta.json").read_text())
            if meta["tag"] == tag:
                out.append(job_id)
        return out

    def session_usage(self, session_id: str) -> float | None:
        return FakeMode.load(self, session_id).usage()

    def sessions(self) -> list[dict]:
        """Every session and batch opened, oldest first (``id``, ``mode``, ``closed``,
        ``others_open_at_open``: how many were still open when it was opened)."""
        folder = self.root / "sessions"
        if not folder.is_dir():
            return []
        data = [json.loads(p.read_text()) for p in folder.glob("*.json")]
        return sorted(data, key=lambda d: d["seq"])


class FakeMode:
    """A session or batch of the double: an id, ``close()``, and its own ``usage()``."""

    def __init__(self, fake: PersistentFakeGateway, backend: Any, mode: str,
                 session_id: str | None = None) -> None:
        self.fake, self.backend, self.mode = fake, backend, mode
        folder = fake.root / "sessions"
        folder.mkdir(exist_ok=True)
        if session_id is None:
            session_id = f"{mode}-{uuid.uuid4().hex[:16]}"
            still_open = sum(1 for d in fake.sessions() if not d["closed"])
            _write_json(folder / f"{session_id}.json",
                        {"id": session_id, "mode": mode, "backend": backend.name, "closed": False,
                         "others_open_at_open": still_open,
                         "seq": len(list(folder.glob("*.json")))})
        self.session_id = session_id

    @classmethod
    def load(cls, fake: PersistentFakeGateway, session_id: str) -> FakeMode:
        """The session or batch with this id."""
        data = json.loads((fake.root / "sessions" / f"{session_id}.json").read_text())
        return cls(fake, fake.backend(data["backend"]), data["mode"], session_id)

    def _path(self) -> Path:
        return self.fake.root / "sessions" / f"{self.session_id}.json"

    def close(self) -> None:
        """No more jobs are accepted; usage stops accruing."""
        data = json.loads(self._path().read_text())
        data["closed"] = True
        _write_json(self._path(), data)

    def usage(self) -> float | None:
        """Session: the configured wall-clock figure once closed. Batch: the sum of its jobs."""
        data = json.loads(self._path().read_text())
        if self.mode == "session":
            value = self.fake.config()["session_usage_seconds"]
            return None if value is None or not data["closed"] else float(value)
        per_job = self.fake.config()["usage_seconds"]
        jobs = [j for j in self.fake.job_ids()
                if json.loads((self.fake.root / "jobs" / j / "meta.json").read_text())
                .get("session_id") == self.session_id]
        return None if per_job is None else float(per_job) * len(jobs)


class PersistentFakeJob:
    """A job of :class:`PersistentFakeGateway` (state in its folder)."""

    def __init__(self, fake: PersistentFakeGateway, job_id: str) -> None:
        self.fake = fake
        self._id = job_id
        self.folder = fake.root / "jobs" / job_id

    def job_id(self) -> str:
        """The job id."""
        return self._id

    def _meta(self) -> dict:
        return json.loads((self.folder / "meta.json").read_text())

    def status(self) -> str:
        """``QUEUED``, then ``RUNNING``, then the configured final status (running the circuits if DONE)."""
        meta = self._meta()
        if meta["status"] in ("DONE", "ERROR", "CANCELLED"):
            return meta["status"]
        cfg = self.fake.config()
        meta["polls"] += 1
        due = int(cfg["finish_after_polls"])
        if cfg["never_finish"]:
            meta["status"] = "QUEUED"
        elif meta["polls"] > due:
            final = cfg["final_status"]
            if final == "DONE":
                self._execute(meta)
            else:
                meta["error"] = f"simulated {final.lower()} job"
            meta["status"] = final
        else:
            meta["status"] = "RUNNING" if meta["polls"] > due - int(cfg["running_polls"]) else "QUEUED"
        _write_json(self.folder / "meta.json", meta)
        return meta["status"]

    def _execute(self, meta: dict) -> None:
        from qiskit import qpy
        from qiskit_ibm_runtime.executor_sampler import Sampler

        with open(self.folder / "circuits.qpy", "rb") as fh:
            circuits = qpy.load(fh)
        values = np.load(self.folder / "values.npz")
        pubs = []
        for i, c in enumerate(circuits):
            v = values[f"arr_{i}"]
            pubs.append((c, v) if c.num_parameters else (c,))
        sampler = Sampler(mode=self.fake.backend(meta["backend"]))
        if meta["seed"] is not None:
            sampler.options.simulator.seed_simulator = int(meta["seed"])
        result = sampler.run(pubs, shots=meta["shots"]).result()
        counts = []
        for pub in result:
            bits = pub.join_data()
            counts.append({"num_bits": bits.num_bits, "shape": list(bits.shape),
                           "counts": [bits.get_counts(loc) for loc in np.ndindex(bits.shape)]})
        _write_json(self.folder / "result.json",
                    {"pubs": counts, "exec_seconds": self.fake.config()["exec_seconds"]})

    def result(self) -> Any:
        """The stored counts as a ``PrimitiveResult``, with execution spans when configured."""
        from datetime import datetime, timedelta, timezone

        from qiskit.primitives import BitArray, DataBin, PrimitiveResult, SamplerPubResult
        from qiskit_ibm_runtime.results.quantum_program import Metadata
        from samplomatic.quantum_program import ChunkPart, ChunkSpan

        if self.status() != "DONE":
            raise RuntimeError(f"job {self._id} is not done")
        data = json.loads((self.folder / "result.json").read_text())
        pubs = []
        for p in data["pubs"]:
            bits = BitArray.from_counts(p["counts"], num_bits=p["num_bits"]).reshape(tuple(p["shape"]))
            pubs.append(SamplerPubResult(DataBin(meas=bits, shape=bits.shape)))
        spans = []
        if data.get("exec_seconds") is not None:
            start = datetime(2026, 1, 1, tzinfo=timezone.utc)
            spans = [ChunkSpan(start, start + timedelta(seconds=float(data["exec_seconds"])),
                               [ChunkPart(i, 1) for i in range(len(pubs))])]
        return PrimitiveResult(pubs, metadata={"executor": Metadata(chunk_timing=spans)})

    def _usage_dict(self) -> dict:
        """``metrics()["usage"]`` in the shapes the service returns (see the module docstring)."""
        meta = self._meta()
        cfg = self.fake.config()
        value = cfg["usage_seconds"]
        if meta["status"] not in ("DONE", "ERROR", "CANCELLED"):
            return {"status": "pending", "qpu_charge_time_seconds": 0}
        meta["usage_reads"] = meta.get("usage_reads", 0) + 1
        _write_json(self.folder / "meta.json", meta)
        if meta["usage_reads"] <= int(cfg["usage_pending_reads"]):
            return {"status": "pending", "qpu_charge_time_seconds": 0}
        shape = cfg["usage_shape"]
        if shape == "absent" or value is None:
            return {}
        if shape == "legacy":
            return {"quantum_seconds": value, "seconds": value}
        return {"qpu_charge_time_seconds": value, "status": "complete"}

    def usage(self) -> float | None:
        """What qiskit-ibm-runtime 0.51's ``RuntimeJobV2.usage()`` returns: 0 unless complete."""
        usage = self._usage_dict()
        if usage.get("status", "pending") == "pending":
            return 0
        return usage.get("qpu_charge_time_seconds")

    def metrics(self) -> dict:
        """Metrics shaped like the service's (timestamps and usage)."""
        return {"timestamps": {"created": None, "running": None, "finished": None},
                "usage": self._usage_dict()}

    def error_message(self) -> str | None:
        """Why the job failed, if it did."""
        return self._meta()["error"]

    def cancel(self) -> None:
        """Cancel the job."""
        meta = self._meta()
        meta["status"] = "CANCELLED"
        meta["error"] = "cancelled by the user"
        _write_json(self.folder / "meta.json", meta)


def use_persistent_fake(root: str | os.PathLike) -> PersistentFakeGateway:
    """Route every ``ibm:`` backend to a :class:`PersistentFakeGateway` at ``root``."""
    fake = PersistentFakeGateway(root)
    set_gateway_factory(lambda _name: fake)
    return fake

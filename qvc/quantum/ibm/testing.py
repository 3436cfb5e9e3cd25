"""A fake IBM service whose jobs persist on disk, for tests of submit / kill / fetch.

This is a **test double**, not IBM: it stands in for the IBM Quantum service
(``service = "persistent-fake"``, not local) so that the paths only a remote
service has can run offline — jobs that outlive the process that submitted
them, submissions that fail on the network, jobs that end in ``ERROR`` or
``CANCELLED``, results that never arrive. Each job is a folder under ``root``
(``meta.json``, the ISA circuits as QPY, the parameter values, and once it
"runs", its counts). When a job is due to finish, its circuits are simulated
with qiskit-ibm-runtime's local testing mode on the fake backend of the same
name. Its "QPU usage" is whatever ``config.json`` says (default: none); a
figure set there is a test fixture, not a measurement.

Behaviour is read from ``<root>/config.json`` at every call, so a test (or
another process) can change it between steps::

    {"fail_submits": 0,          # the next N submissions raise ConnectionError
     "finish_after_polls": 1,    # status checks before a job finishes
     "never_finish": false,      # jobs stay QUEUED forever
     "final_status": "DONE",     # or "ERROR" / "CANCELLED"
     "usage_seconds": null}      # what usage() reports for a finished job

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

from qvc._io import atomic_write_text
from qvc.errors import QvcUsageError
from qvc.quantum.ibm.service import Gateway, set_gateway_factory

_DEFAULTS = {"fail_submits": 0, "finish_after_polls": 1, "never_finish": False,
             "final_status": "DONE", "usage_seconds": None}


def _write_json(path: Path, data: dict) -> None:
    atomic_write_text(path, json.dumps(data))


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
        yield backend

    def submit(self, mode_obj: Any, pubs: list, shots: int, *, tag: str, seed: int | None) -> Any:
        from qiskit import qpy

        cfg = self.config()
        if cfg["fail_submits"] > 0:
            self.configure(fail_submits=cfg["fail_submits"] - 1)
            raise ConnectionError("simulated network failure: connection reset by peer")
        job_id = f"fake-{uuid.uuid4().hex[:20]}"
        folder = self.root / "jobs" / job_id
        folder.mkdir()
        with open(folder / "circuits.qpy", "wb") as fh:
            qpy.dump([p[0] for p in pubs], fh)
        np.savez(folder / "values.npz", *[p[1] if len(p) > 1 and p[1] is not None
                                          else np.zeros((1, 0)) for p in pubs])
        meta = {"job_id": job_id, "tag": tag, "backend": mode_obj.name, "shots": int(shots),
                "seed": seed, "status": "QUEUED", "polls": 0, "error": None,
                "seq": len(list((self.root / "jobs").iterdir()))}
        _write_json(folder / "meta.json", meta)
        return PersistentFakeJob(self, job_id)

    def job(self, job_id: str) -> Any | None:
        return PersistentFakeJob(self, job_id) if (self.root / "jobs" / job_id).is_dir() else None

    def find_by_tag(self, backend: str, tag: str) -> list[str]:
        out = []
        for job_id in self.job_ids():
            meta = json.loads((self.root / "jobs" / job_id / "meta.json").read_text())
            if meta["tag"] == tag:
                out.append(job_id)
        return out


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
        """``QUEUED`` until due, then the configured final status (running the circuits if DONE)."""
        meta = self._meta()
        if meta["status"] in ("DONE", "ERROR", "CANCELLED"):
            return meta["status"]
        cfg = self.fake.config()
        meta["polls"] += 1
        if not cfg["never_finish"] and meta["polls"] > cfg["finish_after_polls"]:
            final = cfg["final_status"]
            if final == "DONE":
                self._execute(meta)
            else:
                meta["error"] = f"simulated {final.lower()} job"
            meta["status"] = final
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
        _write_json(self.folder / "result.json", {"pubs": counts})

    def result(self) -> Any:
        """The stored counts as a ``PrimitiveResult`` (as a real job's result would decode)."""
        from qiskit.primitives import BitArray, DataBin, PrimitiveResult, SamplerPubResult

        if self.status() != "DONE":
            raise RuntimeError(f"job {self._id} is not done")
        data = json.loads((self.folder / "result.json").read_text())
        pubs = []
        for p in data["pubs"]:
            bits = BitArray.from_counts(p["counts"], num_bits=p["num_bits"]).reshape(tuple(p["shape"]))
            pubs.append(SamplerPubResult(DataBin(meas=bits, shape=bits.shape)))
        return PrimitiveResult(pubs)

    def usage(self) -> float:
        """Configured "usage" (a fixture value, 0 when unset)."""
        value = self.fake.config()["usage_seconds"]
        return 0.0 if value is None else float(value)

    def metrics(self) -> dict:
        """Metrics shaped like the service's (usage only)."""
        value = self.fake.config()["usage_seconds"]
        return {"usage": {"quantum_seconds": value, "seconds": value,
                          "status": "complete" if value is not None else "pending"}}

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

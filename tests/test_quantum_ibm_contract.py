"""Contract tests: qvc's IBM path through the *real* qiskit-ibm-runtime client, HTTP replaced.

Everything above the network is the installed qiskit-ibm-runtime (0.51) and
ibm-cloud-sdk: ``QiskitRuntimeService`` (IAM token, instance discovery by Global
Search and Global Catalog), ``IBMBackend`` (configuration and properties), ``Batch``
and ``Session`` (``/sessions``), the client-side ``executor_sampler.Sampler`` (the
``executor`` program's v2.0 parameters), ``RuntimeJobV2`` (status, results,
metrics). Only ``requests`` is intercepted (``responses``): :class:`IbmCloud` answers
with the JSON shapes the client decodes. Static answers come from
``tests/data/ibm_runtime_0.51.json`` (shapes taken from the 0.51 client's decoding
code and IBM's REST API reference, not captured from a live account). Job results
are built with the official schema package (``ibm_quantum_schemas`` executor v2.0
``QuantumProgramResultModel``) from a simulation of the circuits the client posted,
so a change in how the runtime encodes jobs or decodes results, statuses, usage or
session details breaks a test here. What still needs a real account is listed in
``docs/IBM.md``.
"""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import jwt  # PyJWT, installed with ibm-cloud-sdk-core (a qiskit-ibm-runtime dependency)
import numpy as np
import pytest
import responses
from qiskit import QuantumCircuit

from qvc.quantum.ibm import (
    IbmRunContext,
    IbmSampler,
    IbmServiceError,
    JobStatus,
    JobStore,
    ibm_context,
    parse_ibm_execution,
    set_gateway_factory,
)

FIXTURES = json.loads((Path(__file__).parent / "data" / "ibm_runtime_0.51.json").read_text())
CRN = FIXTURES["instance_crn"]
TOKEN = "qvcContractToken0123456789abcdefghijklmnopqrstuvwxyzXYZ"


def _fake_backend():
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    return FakeManilaV2()


class IbmCloud:
    """The IBM Cloud / IBM Quantum REST endpoints qvc touches, answering like the service.

    Jobs go ``Queued`` -> ``Running`` -> final, one status request per step
    (``running_after`` / ``final_after`` requests); ``final`` may be
    ``Completed``, ``Failed`` or ``Cancelled``. ``metrics`` answers ``pending``
    usage for the first ``usage_pending`` reads after the job finished, then the
    ``usage_shape`` fixture. Result payloads are executor v2.0 results simulated
    from the posted program, with one execution span of ``span_seconds``.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, object]] = []
        self.jobs: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.backend = _fake_backend()
        self.conf = json.loads((Path(__import__("qiskit_ibm_runtime").__file__).parent
                                / "fake_provider/backends/manila/conf_manila.json").read_text())
        self.props = json.loads((Path(__import__("qiskit_ibm_runtime").__file__).parent
                                 / "fake_provider/backends/manila/props_manila.json").read_text())
        self.name = self.conf["backend_name"]
        self.running_after, self.final_after, self.final = 1, 2, "Completed"
        self.usage_seconds, self.usage_shape, self.usage_pending = 2.0, "current", 0
        self.span_seconds = 0.75
        self.session_elapsed = 11.0
        self.fail_job_listing = False
        self.instances = [CRN]

    # -- plumbing ------------------------------------------------------------------------
    @staticmethod
    def _json(code: int, body) -> tuple:
        return code, {"Content-Type": "application/json"}, json.dumps(body)

    def __call__(self, request) -> tuple:
        url = urlparse(request.url)
        body = request.body
        if isinstance(body, bytes):
            body = body.decode()
        self.requests.append((request.method, url.path, body))
        for (method, pattern), handler in self._routes().items():
            m = re.fullmatch(pattern, url.path)
            if m and method == request.method:
                return handler(request, url, *m.groups())
        return self._json(404, {"errors": [{"message": f"unmocked {request.method} {url.path}",
                                            "code": 404}]})

    def _routes(self) -> dict:
        api = "/api/v1"
        return {
            ("POST", r"/identity/token"): self._token,
            ("POST", r"/v3/resources/search"): self._search,
            ("GET", api + r"/backends"): lambda *a: self._json(200, {"devices": [
                {**FIXTURES["backend_device"], "name": self.name}]}),
            ("GET", api + r"/backends/([^/]+)/configuration"): lambda *a: self._json(200, self.conf),
            ("GET", api + r"/backends/([^/]+)/properties"): lambda *a: self._json(200, self.props),
            ("GET", api + r"/backends/([^/]+)/status"): lambda *a: self._json(
                200, {**FIXTURES["backend_status"], "backend_name": self.name}),
            ("GET", api + r"/instances/usage"): lambda *a: self._json(200, FIXTURES["instance_usage"]),
            ("POST", api + r"/sessions"): self._create_session,
            ("GET", api + r"/sessions/([^/]+)"): self._session_details,
            ("PATCH", api + r"/sessions/([^/]+)"): self._close_session,
            ("POST", api + r"/jobs"): self._create_job,
            ("GET", api + r"/jobs"): self._list_jobs,
            ("GET", api + r"/jobs/([^/]+)"): self._job,
            ("GET", api + r"/jobs/([^/]+)/results"): self._results,
            ("GET", api + r"/jobs/([^/]+)/metrics"): self._metrics,
            ("GET", r"/api/v1/([^/]+)"): self._catalog,
        }

    # -- IAM, instances ------------------------------------------------------------------
    def _token(self, request, url):
        now = int(time.time())
        access = jwt.encode({"iat": now, "exp": now + 3600, "sub": "qvc-contract"},
                            "qvc-contract-test-signing-key-0123456789", algorithm="HS256")
        return self._json(200, {**FIXTURES["iam_token"], "access_token": access,
                                "expiration": now + 3600})

    def _search(self, request, url):
        items = [{**FIXTURES["global_search_item"], "crn": crn} for crn in self.instances]
        return self._json(200, {"items": items, "limit": 100})

    def _catalog(self, request, url, what):
        if url.netloc.startswith("globalcatalog"):
            return self._json(200, FIXTURES["global_catalog_plan"])
        return self._json(404, {"errors": [{"message": f"unmocked GET {url.path}", "code": 404}]})

    # -- sessions ------------------------------------------------------------------------
    def _create_session(self, request, url):
        payload = json.loads(request.body)
        sid = f"{payload['mode']}-{uuid.uuid4().hex[:12]}"
        self.sessions[sid] = {**FIXTURES["session_details"], "id": sid, "mode": payload["mode"],
                              "backend_name": payload["backend"], "state": "open",
                              "accepting_jobs": True, "elapsed_time": None, "closed_at": None}
        return self._json(200, {"id": sid})

    def _session_details(self, request, url, sid):
        return self._json(200, self.sessions[sid])

    def _close_session(self, request, url, sid):
        assert json.loads(request.body) == {"accepting_jobs": False}
        s = self.sessions[sid]
        s.update(state="closed", accepting_jobs=False, closed_at="2026-01-01T00:00:30Z",
                 elapsed_time=self.session_elapsed if s["mode"] == "dedicated" else
                 self.usage_seconds * sum(1 for j in self.jobs.values() if j["session_id"] == sid))
        return 204, {}, ""

    # -- jobs ----------------------------------------------------------------------------
    def _create_job(self, request, url):
        payload = json.loads(request.body)
        job_id = f"d{uuid.uuid4().hex[:19]}"
        self.jobs[job_id] = {"payload": payload, "polls": 0, "metric_reads": 0,
                             "session_id": payload.get("session_id"), "status": "Queued"}
        return self._json(200, {**FIXTURES["job_created"], "id": job_id,
                                "backend": payload["backend"]})

    def _job_json(self, job_id: str) -> dict:
        job = self.jobs[job_id]
        state = {"status": job["status"]}
        if job["status"] == "Failed":
            state.update(reason="Error code 1234; simulated failure", reason_code=1234)
        return {**FIXTURES["job"], "id": job_id, "backend": job["payload"]["backend"],
                "session_id": job["session_id"], "tags": job["payload"].get("tags", []),
                "state": state, "status": job["status"]}

    def _job(self, request, url, job_id):
        if job_id not in self.jobs:
            return self._json(404, {"errors": [{"message": "Job not found", "code": 1291}]})
        job = self.jobs[job_id]
        if job["status"] not in ("Completed", "Failed", "Cancelled"):
            job["polls"] += 1
            if job["polls"] > self.final_after:
                job["status"] = self.final
            elif job["polls"] > self.running_after:
                job["status"] = "Running"
        return self._json(200, self._job_json(job_id))

    def _list_jobs(self, request, url):
        if self.fail_job_listing:
            return self._json(503, {"errors": [{"message": "Service Unavailable", "code": 503}]})
        tags = parse_qs(url.query).get("tags", [])
        found = [self._job_json(j) for j, job in self.jobs.items()
                 if set(tags) <= set(job["payload"].get("tags", []))]
        return self._json(200, {"jobs": found, "count": len(found), "limit": 10, "offset": 0})

    def _metrics(self, request, url, job_id):
        job = self.jobs[job_id]
        metrics = copy.deepcopy(FIXTURES["job_metrics"])
        if job["status"] in ("Completed", "Failed", "Cancelled"):
            job["metric_reads"] += 1
        if job["status"] not in ("Completed", "Failed", "Cancelled") or (
                job["metric_reads"] <= self.usage_pending):
            metrics["usage"] = {"qpu_charge_time_seconds": 0, "status": "pending"}
        elif self.usage_shape == "absent":
            metrics.pop("usage")
        elif self.usage_shape == "legacy":
            metrics["usage"] = {"quantum_seconds": self.usage_seconds, "seconds": self.usage_seconds}
        else:
            metrics["usage"] = {"qpu_charge_time_seconds": self.usage_seconds, "status": "complete"}
        return self._json(200, metrics)

    def _results(self, request, url, job_id):
        """Simulate the posted executor program; answer an executor v2.0 result (the real schema)."""
        from ibm_quantum_schemas.executor.version_2_0 import ParamsModel
        from ibm_quantum_schemas.executor.version_2_0 import QuantumProgramResultModel as Result
        from qiskit_ibm_runtime.fake_provider.executor.run_quantum_program import (
            run_quantum_program,
        )
        from qiskit_ibm_runtime.options_models.simulator import SimulatorOptions
        from qiskit_ibm_runtime.quantum_program.converters.converters_2_0 import (
            passthrough_data_to_2_0,
            quantum_program_from_2_0,
        )

        job = self.jobs[job_id]
        if job["status"] != "Completed":
            return 200, {}, "Traceback (most recent call last):\n  simulated failure"
        params = ParamsModel.model_validate(job["payload"]["params"])
        program, _options = quantum_program_from_2_0(params)
        result = run_quantum_program(self.backend, program, SimulatorOptions(seed_simulator=7))
        start = datetime(2026, 1, 1, tzinfo=timezone.utc)
        model = Result.model_validate({
            "schema_version": "v2.0",
            "data": [{"results": {k: _tensor(v) for k, v in item.items()}, "metadata": {}}
                     for item in result],
            "metadata": {"chunk_timing": [{
                "start": start.isoformat(),
                "stop": (start + timedelta(seconds=self.span_seconds)).isoformat(),
                "parts": [{"idx_item": i, "size": 1, "permutation": [0],
                           "element_range": [0, 1, 1]} for i in range(len(program.items))]}]},
            "passthrough_data": passthrough_data_to_2_0(result.passthrough_data),
            "semantic_role": params.quantum_program.semantic_role,
        })
        return 200, {"Content-Type": "application/json"}, model.model_dump_json()


def _tensor(array: np.ndarray) -> dict:
    from ibm_quantum_schemas.common import CompressedTensorModel

    return CompressedTensorModel.from_numpy(np.asarray(array)).model_dump(mode="json")


@pytest.fixture()
def cloud(monkeypatch):
    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", CRN)
    monkeypatch.delenv("QISKIT_IBM_CHANNEL", raising=False)
    monkeypatch.setenv("HOME", "/nonexistent-qvc-contract")  # no saved account is read
    server = IbmCloud()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in ("GET", "POST", "PATCH", "DELETE", "PUT"):
            mock.add_callback(method, re.compile(r"https://.*"), callback=server)
        set_gateway_factory(None)  # the real RuntimeGateway and QiskitRuntimeService
        yield server
    set_gateway_factory(None)


def _circuit() -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    return qc


def _sample(tmp_path, server, mode="batch", shots=64, **ctx_kwargs):
    ctx = IbmRunContext(store_path=tmp_path / "s.sqlite", run_id="run1", poll_s=0.0,
                        timeout_s=30, max_execution_time=600, **ctx_kwargs)
    target = parse_ibm_execution(f"ibm:{server.name}" + (":session" if mode == "session" else ""))
    with ibm_context(ctx):
        sampler = IbmSampler(target, default_shots=shots, seed=3, model="qsvc", context=ctx)
        result = sampler.run([_circuit()]).result()
        usage = sampler.usage()
    return sampler, result, usage, JobStore(ctx.store_path)


def test_batch_job_through_the_real_client(tmp_path, cloud):
    sampler, result, usage, store = _sample(tmp_path, cloud)
    counts = result[0].data.meas.get_counts()
    assert sum(counts.values()) == 64 and set(counts) <= {"00", "01", "10", "11"}
    assert counts.get("00", 0) + counts.get("11", 0) > 48  # a Bell pair, readout noise aside
    ((job_id, job),) = cloud.jobs.items()
    payload = job["payload"]
    (row,) = store.rows()
    # what the client sent: the executor program, qvc's tag, the batch, the time limit
    assert payload["program_id"] == "executor" and payload["backend"] == cloud.name
    assert payload["tags"] == [row.tag] and payload["cost"] == 600
    assert payload["session_id"] == row.session_id and cloud.sessions[row.session_id]["mode"] == "batch"
    # what qvc read back: status sequence, usage from metrics, execution spans from the result
    assert row.job_id == job_id and row.status == JobStatus.DONE and job["polls"] >= 3
    assert (row.qpu_seconds, row.usage_source) == (2.0, "hardware-reported")
    assert row.exec_seconds == pytest.approx(0.75)
    assert usage["qpu_seconds"] == 2.0 and usage["energy_seconds"] == pytest.approx(0.75)
    assert usage["energy_seconds_source"].startswith("execution spans")
    assert store.session(row.session_id).mode == "batch"
    assert TOKEN not in Path(store.path).read_bytes().decode("latin-1")


@pytest.mark.parametrize("shape", ["absent", "legacy"])
def test_usage_shapes_the_runtime_turns_into_zero(shape, tmp_path, cloud):
    cloud.usage_shape = shape
    sampler, _result, usage, store = _sample(tmp_path, cloud)
    (row,) = store.rows()
    job = sampler.gateway.job(row.job_id)
    assert job.usage() == 0  # qiskit-ibm-runtime 0.51 answers 0 for both
    if shape == "absent":
        assert row.qpu_seconds is None and row.usage_source.startswith("absent")
        assert usage["qpu_seconds"] is None
    else:
        assert row.qpu_seconds == 2.0 and usage["qpu_seconds"] == 2.0


def test_pending_usage_is_refreshed_later(tmp_path, cloud):
    from qvc.quantum.ibm.jobs import refresh

    cloud.usage_pending = 1
    _sampler, _result, usage, store = _sample(tmp_path, cloud)
    assert usage["qpu_seconds"] is None and usage["qpu_seconds_method"].startswith("pending")
    (row,) = refresh(store, store.rows(), timeout_s=0)
    assert (row.qpu_seconds, row.usage_source) == (2.0, "hardware-reported")


def test_session_usage_is_read_after_close(tmp_path, cloud):
    _sampler, _result, usage, store = _sample(tmp_path, cloud, mode="session")
    (row,) = store.rows()
    session = cloud.sessions[row.session_id]
    assert session["mode"] == "dedicated" and session["state"] == "closed"
    assert ("PATCH", f"/api/v1/sessions/{row.session_id}", '{"accepting_jobs": false}') in \
        cloud.requests
    assert store.session(row.session_id).usage_seconds == pytest.approx(11.0)
    assert usage["qpu_seconds"] == pytest.approx(11.0)  # the session's, not the job's 2 s
    assert "Session.usage()" in usage["qpu_seconds_method"]


def test_failed_job_is_an_error_with_its_usage_recorded(tmp_path, cloud):
    cloud.final = "Failed"
    with pytest.raises(IbmServiceError, match="ended in ERROR"):
        _sample(tmp_path, cloud)
    (row,) = JobStore(tmp_path / "s.sqlite").rows()
    assert row.status == JobStatus.ERROR and "simulated failure" in (row.error or "")
    assert (row.qpu_seconds, row.usage_source) == (2.0, "hardware-reported")


def test_job_done_at_first_status_request_is_collected(tmp_path, cloud):
    cloud.running_after, cloud.final_after = 0, 0
    _sampler, result, _usage, store = _sample(tmp_path, cloud)
    assert store.rows()[0].collected and result[0].data.meas.num_shots == 64


def test_tag_lookup_through_the_real_client(cloud, tmp_path):
    from qvc.quantum.ibm.service import get_gateway

    _sampler, _result, _usage, store = _sample(tmp_path, cloud)
    (row,) = store.rows()
    gateway = get_gateway(cloud.name)
    assert gateway.find_by_tag(cloud.name, row.tag) == [row.job_id]
    cloud.fail_job_listing = True
    with pytest.raises(IbmServiceError, match="nothing is submitted again"):
        gateway.find_by_tag(cloud.name, row.tag)


@pytest.mark.slow
def test_inaccessible_instance_is_named_not_the_network(cloud, capsys, tmp_path):
    from qvc.cli import main

    cloud.instances = [CRN.replace("0001::", "0002::")]
    code = main(["run", "iris", "--qubits", "2", "--samples", "12", "--models", "qsvc",
                 "--execution", f"ibm:{cloud.name}", "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "does not give this API key access to the instance" in err
    assert "network" not in err and TOKEN not in err

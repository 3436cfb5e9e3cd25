"""Fault-tolerant resource estimates of a circuit: Microsoft's resource estimator (``qdk``).

The one module of qvc that imports ``qdk`` (the ``ftqc`` extra: ``pip install 'qvc[ftqc]'``).
The package sends usage telemetry by default; its documented switch is the environment
variable ``QDK_PYTHON_TELEMETRY=none`` (``qdk/telemetry.py`` of qdk 1.33.1 reads it, or the
older ``QSHARP_PYTHON_TELEMETRY``, once, when ``qdk`` is first imported), so this module sets
both to ``none`` when it is imported and again right before it imports ``qdk``.

:func:`estimate_resources` runs ``qdk.qiskit.estimate`` on one representative binding of a
parametrised template (rotation counts do not depend on the angles; the binding avoids
Clifford angles, which a compiler could simplify) and keeps what the projection needs:
physical qubits (algorithm and T factories), runtime per shot, logical qubits, code distance,
logical cycle time and the estimator's own parameters. Results are cached by circuit and
parameters, so each priced template goes through the estimator once per process. The bridge
transpiles at Qiskit optimization level 1 (:data:`TRANSPILE_LEVEL`): levels 2 and 3 are not
reproducible from run to run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qvc.errors import QvcUsageError

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

#: The estimator's documented telemetry switches (qdk/telemetry.py), set to "none" by qvc.
TELEMETRY_VARIABLES = ("QDK_PYTHON_TELEMETRY", "QSHARP_PYTHON_TELEMETRY")
#: The qdk version the FT projection was tested with (the ``ftqc`` extra pins it).
TESTED_QDK_VERSION = "1.33.1"
#: The estimator's built-in qubit models (qdk 1.33.1 ``QubitParams``).
QUBIT_MODELS = ("qubit_gate_ns_e3", "qubit_gate_ns_e4", "qubit_gate_us_e3", "qubit_gate_us_e4",
                "qubit_maj_ns_e4", "qubit_maj_ns_e6")
#: QEC schemes the estimator knows (``QECScheme``): surface code for gate-based models, both for Majorana.
QEC_SCHEMES = ("surface_code", "floquet_code")
#: Qiskit transpiler level the estimator's bridge runs: 1, because levels 2 and 3 give different gate
#: counts from run to run on the same circuit (qdk 1.33.1 with qiskit 2.x, even with a fixed
#: ``seed_transpiler``), and a projection must be reproducible.
TRANSPILE_LEVEL = 1
#: The fix named when the extra is missing.
MISSING_EXTRA = ("the fault-tolerant projection (--device ftqc:...) needs the ftqc extra: "
                 f"python -m pip install 'qvc[ftqc]' (qdk[qiskit]=={TESTED_QDK_VERSION})")


def disable_telemetry() -> None:
    """Switch the estimator's telemetry off (before ``qdk`` is first imported; idempotent)."""
    for name in TELEMETRY_VARIABLES:
        os.environ[name] = "none"


disable_telemetry()


def require_extra() -> None:
    """A one-line usage error unless the ``ftqc`` extra (``qdk`` with its Qiskit bridge) is installed.

    Looks the packages up without importing them (cheap; the run refuses before any work).
    """
    from importlib.util import find_spec

    try:
        ok = find_spec("qdk") is not None and find_spec("qdk.qiskit") is not None
    except (ImportError, ValueError):
        ok = False
    if not ok:
        raise QvcUsageError(MISSING_EXTRA)


def _qdk_qiskit():
    """``qdk.qiskit`` with telemetry off, or a one-line usage error naming the extra."""
    disable_telemetry()
    try:
        import qdk.qiskit
    except ImportError:
        raise QvcUsageError(MISSING_EXTRA) from None
    return qdk.qiskit


def qdk_version() -> str:
    """The installed qdk version (a usage error if the extra is missing)."""
    _qdk_qiskit()
    from importlib.metadata import version

    return version("qdk")


def check_qubit_model(name: str) -> str:
    """``name`` if it is one of the estimator's built-in qubit models, else a usage error.

    Examples
    --------
    >>> check_qubit_model("qubit_gate_ns_e3")
    'qubit_gate_ns_e3'
    """
    if name not in QUBIT_MODELS:
        raise QvcUsageError(f"unknown qubit model {name!r}; choose one of: {', '.join(QUBIT_MODELS)} "
                            "(the resource estimator's built-in models), or an ftqc preset of a --device-file")
    return name


@dataclass(frozen=True)
class ResourceEstimate:
    """What the resource estimator says one shot of a circuit needs on a fault-tolerant machine.

    Attributes
    ----------
    physical_qubits : int
        All physical qubits (algorithm and T factories).
    physical_qubits_algorithm, physical_qubits_tfactories : int
    runtime_per_shot_s : float
        The estimator's runtime of one execution (its ``runtime`` in ns, here in s).
    logical_qubits : int
        Algorithmic logical qubits (after the layout's routing overhead).
    code_distance : int
    logical_cycle_time_s : float
    physical_qubits_per_logical : int
    logical_depth : int
        Logical cycles of one shot.
    t_states, t_factories : int
    params : dict
        The estimator's own job parameters (qubit model, QEC scheme, error budget ...).
    """

    physical_qubits: int
    physical_qubits_algorithm: int
    physical_qubits_tfactories: int
    runtime_per_shot_s: float
    logical_qubits: int
    code_distance: int
    logical_cycle_time_s: float
    physical_qubits_per_logical: int
    logical_depth: int
    t_states: int
    t_factories: int
    params: dict = field(default_factory=dict)

    @property
    def logical_cycles_per_shot(self) -> float:
        """Logical cycles of one shot (runtime / logical cycle time)."""
        return self.runtime_per_shot_s / self.logical_cycle_time_s if self.logical_cycle_time_s > 0 else 0.0

    @property
    def decoded_patches(self) -> float:
        """Code patches whose syndromes are decoded every cycle: physical qubits / qubits per patch."""
        return self.physical_qubits / max(1, self.physical_qubits_per_logical)

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {"physical_qubits": self.physical_qubits,
                "physical_qubits_algorithm": self.physical_qubits_algorithm,
                "physical_qubits_tfactories": self.physical_qubits_tfactories,
                "runtime_per_shot_s": self.runtime_per_shot_s, "logical_qubits": self.logical_qubits,
                "code_distance": self.code_distance, "logical_cycle_time_s": self.logical_cycle_time_s,
                "physical_qubits_per_logical": self.physical_qubits_per_logical,
                "logical_depth": self.logical_depth, "t_states": self.t_states, "t_factories": self.t_factories,
                "estimator_params": self.params}

    @classmethod
    def from_result(cls, data: dict) -> ResourceEstimate:
        """From the estimator's result dictionary (``EstimatorResult.data()``)."""
        pc, lq = data["physicalCounts"], data["logicalQubit"]
        b = pc["breakdown"]
        return cls(
            physical_qubits=int(pc["physicalQubits"]),
            physical_qubits_algorithm=int(b["physicalQubitsForAlgorithm"]),
            physical_qubits_tfactories=int(b["physicalQubitsForTfactories"]),
            runtime_per_shot_s=float(pc["runtime"]) * 1e-9,
            logical_qubits=int(b["algorithmicLogicalQubits"]),
            code_distance=int(lq["codeDistance"]),
            logical_cycle_time_s=float(lq["logicalCycleTime"]) * 1e-9,
            physical_qubits_per_logical=int(lq["physicalQubits"]),
            logical_depth=int(b["logicalDepth"]),
            t_states=int(b["numTstates"]),
            t_factories=int(b["numTfactories"]),
            params=dict(data.get("jobParams", {})),
        )


def estimator_params(qubit_model: str, qec_scheme: str = "surface_code", error_budget: float = 1e-3,
                     qubit_overrides: dict | None = None) -> dict:
    """The estimator's parameter dictionary for one qubit model, QEC scheme and error budget.

    Examples
    --------
    >>> estimator_params("qubit_gate_ns_e3")["qubitParams"]
    {'name': 'qubit_gate_ns_e3'}
    """
    check_qubit_model(qubit_model)
    if qec_scheme not in QEC_SCHEMES:
        raise QvcUsageError(f"unknown QEC scheme {qec_scheme!r}; choose one of: {', '.join(QEC_SCHEMES)}")
    if qec_scheme == "floquet_code" and not qubit_model.startswith("qubit_maj"):
        raise QvcUsageError(f"the floquet_code scheme needs a Majorana qubit model (qubit_maj_*), not {qubit_model}")
    if not 0.0 < float(error_budget) < 1.0:
        raise QvcUsageError(f"error budget must be between 0 and 1 (got {error_budget!r})")
    return {"qubitParams": {"name": qubit_model, **(qubit_overrides or {})}, "qecScheme": {"name": qec_scheme},
            "errorBudget": float(error_budget)}


def representative_binding(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` with every parameter bound to a fixed non-Clifford angle (0.1 + 0.37 k, k = 0, 1, ...).

    Rotation counts, hence the estimate, do not depend on the angles as long as none is a
    multiple of pi/4 (which a compiler could turn into a Clifford or T gate).

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> from qiskit.circuit import Parameter
    >>> qc = QuantumCircuit(1); _ = qc.rz(Parameter("a"), 0)
    >>> representative_binding(qc).num_parameters
    0
    """
    if not circuit.parameters:
        return circuit
    return circuit.assign_parameters([0.1 + 0.37 * k for k in range(circuit.num_parameters)])


def _circuit_key(circuit: QuantumCircuit) -> str:
    from qiskit import qasm3

    return qasm3.dumps(circuit)


def estimate_resources(circuit: QuantumCircuit, params: dict) -> ResourceEstimate:
    """Resource estimate of one shot of ``circuit`` (bound representatively) under ``params``.

    Cached by (circuit, params): a template priced in fit and predict, or by several rows,
    goes through the estimator once. An estimator error (e.g. a circuit beyond the code
    distance the scheme allows) is a one-line usage error.
    """
    bound = representative_binding(circuit)
    return _estimate_cached(_circuit_key(bound), json.dumps(params, sort_keys=True), bound)


_CACHE: dict[tuple[str, str], ResourceEstimate] = {}


def _estimate_cached(key: str, params_json: str, bound: QuantumCircuit) -> ResourceEstimate:
    hit = _CACHE.get((key, params_json))
    if hit is not None:
        return hit
    qiskit_bridge = _qdk_qiskit()
    try:  # qdk 1.33.1's EstimatorError derives from BaseException, not Exception
        from qdk.estimator import EstimatorError
    except ImportError:  # pragma: no cover - a layout this version does not have
        EstimatorError = Exception  # noqa: N806
    try:
        result = qiskit_bridge.estimate(bound, json.loads(params_json), optimization_level=TRANSPILE_LEVEL)
        data: Any = result.data() if callable(getattr(result, "data", None)) else result
        out = ResourceEstimate.from_result(data)
        out.params["transpile"] = {"optimization_level": TRANSPILE_LEVEL}
    except (KeyError, TypeError) as exc:  # pragma: no cover - a result layout this version does not know
        raise QvcUsageError(f"the resource estimator returned an unexpected result ({exc}); qvc was tested "
                            f"with qdk {TESTED_QDK_VERSION}") from None
    except (Exception, EstimatorError) as exc:  # QSharpError (bad parameters), EstimatorError (estimation)
        if isinstance(exc, QvcUsageError):
            raise
        msg = " ".join(str(exc).split()) or type(exc).__name__
        raise QvcUsageError(f"the resource estimator refused the circuit: {msg}; check the qubit model, QEC "
                            "scheme and error budget of the ftqc preset") from None
    _CACHE[(key, params_json)] = out
    return out


"""The one catalogue of qiskit-ibm-runtime's fake backends: names, classes and instances.

The noisy execution mode (:mod:`qvc.quantum.execution`), the circuit-fidelity estimate behind
``mps:matched`` and the device presets (:mod:`qvc.energy.devices`) all look backends up here.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from qvc.errors import QvcUsageError

if TYPE_CHECKING:
    from qiskit import QuantumCircuit


@lru_cache(maxsize=1)
def fake_backend_names() -> dict[str, str]:
    """``{backend name: class name}`` of qiskit-ibm-runtime's fake backends (no instantiation)."""
    from qiskit_ibm_runtime import fake_provider
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    out = {}
    for attr in dir(fake_provider):
        cls = getattr(fake_provider, attr)
        name = getattr(cls, "backend_name", None)
        if isinstance(cls, type) and issubclass(cls, FakeBackendV2) and isinstance(name, str):
            out[name] = attr
    return out


@lru_cache(maxsize=8)
def fake_backend(name: str):
    """The fake backend called ``name`` (``"fake_torino"`` ...), cached."""
    from qiskit_ibm_runtime import fake_provider

    names = fake_backend_names()
    if name not in names:
        raise QvcUsageError(f"unknown fake backend {name!r}; choose one of: {', '.join(sorted(names))}")
    return getattr(fake_provider, names[name])()


def estimated_circuit_fidelity(circuit: QuantumCircuit, class_name: str) -> tuple[float, str]:
    """Estimated fidelity of ``circuit`` on the fake backend of class ``class_name``, and how it was estimated.

    Product of ``(1 - error)`` over the circuit's gates after transpiling to the
    device's fake backend (median error of each gate over the device's qubits,
    from qiskit-ibm-runtime's calibration snapshot); measurement error is left out
    (the state, not the readout, is what the MPS matches). A device preset's estimate is
    :func:`qvc.energy.devices.circuit_fidelity` (its fake backend's class, here).
    """
    import numpy as np
    from qiskit.transpiler import generate_preset_pass_manager

    classes = {cls: name for name, cls in fake_backend_names().items()}
    backend = fake_backend(classes.get(class_name, class_name))
    if circuit.num_qubits > backend.num_qubits:
        raise QvcUsageError(f"{circuit.num_qubits} qubits exceed {class_name} ({backend.num_qubits}); "
                            "give the target with --execution mps:fidelity=F")
    target = backend.target
    median = {}
    for name in target.operation_names:
        props = target[name]
        errs = [p.error for p in (props or {}).values() if p is not None and p.error is not None]
        if errs:
            median[name] = float(np.median(errs))
    pm = generate_preset_pass_manager(optimization_level=1, target=target, seed_transpiler=0)
    bound = circuit.assign_parameters(np.full(circuit.num_parameters, 0.5)) if circuit.num_parameters else circuit
    isa = pm.run(bound)
    log_f = 0.0
    for inst in isa.data:
        e = median.get(inst.operation.name)
        if e is not None and inst.operation.name not in ("measure", "reset"):
            log_f += math.log1p(-min(e, 0.999999))
    how = (f"product of (1 - median gate error) over the circuit transpiled for {class_name} "
           "(qiskit-ibm-runtime calibration snapshot); readout excluded")
    return math.exp(log_f), how


@cache
def fake_backend_by_class(class_name: str):
    """The fake backend of class ``class_name`` (``"FakeTorino"`` ...), cached."""
    from qiskit_ibm_runtime import fake_provider

    factory = getattr(fake_provider, class_name, None)
    if factory is None:
        raise QvcUsageError(
            f"unknown fake backend {class_name!r}; name a class of qiskit_ibm_runtime.fake_provider "
            "(e.g. FakeTorino)"
        )
    return factory()


def fake_backend_class(backend: str) -> str | None:
    """The qiskit-ibm-runtime fake backend class for an IBM backend name, if one exists offline.

    ``fake_manila`` -> ``FakeManilaV2``, ``ibm_torino`` -> ``FakeTorino``; ``None`` when
    no snapshot of that backend ships with qiskit-ibm-runtime.

    Examples
    --------
    >>> fake_backend_class("fake_manila"), fake_backend_class("ibm_torino")
    ('FakeManilaV2', 'FakeTorino')
    """
    from qiskit_ibm_runtime import fake_provider

    stem = backend.lower().removeprefix("fake_").removeprefix("ibm_")
    for name in (f"Fake{stem.capitalize()}", f"Fake{stem.capitalize()}V2"):
        if hasattr(fake_provider, name):
            return name
    return None

"""Compiled circuits shared across models and kernels: :func:`compile_circuit` compiles equal circuits once."""

from __future__ import annotations

from collections import OrderedDict

from qiskit import QuantumCircuit

from qvc.quantum.statevector.compiler import CompiledCircuit

#: Compiled circuits kept (least recently used dropped first).
_COMPILED_CACHE_SIZE = 8
_COMPILED: OrderedDict = OrderedDict()
_STANDARD: frozenset | None = None


def _circuit_key(circuit: QuantumCircuit, parameters: list) -> tuple | None:
    """A key equal for circuits the engine compiles identically; ``None`` when it cannot tell.

    Parameters enter by name and position (two ``zz_feature_map(4)`` calls give distinct
    ``Parameter`` objects but the same compiled circuit); numbers by their full ``repr``.
    Circuits with non-standard gates (custom definitions) are not cached.
    """
    global _STANDARD
    if _STANDARD is None:
        from qiskit.circuit.library import get_standard_gate_name_mapping

        _STANDARD = frozenset(get_standard_gate_name_mapping()) | {"barrier", "measure", "delay"}
    # (built for every kernel object: find_bit per qubit and generator expressions were 40 % of it)
    index = {q: i for i, q in enumerate(circuit.qubits)}
    ops: list[tuple] = []
    for inst in circuit.data:
        name = inst.name
        if name not in _STANDARD:
            return None
        params = inst.params
        qubits = tuple([index[q] for q in inst.qubits])
        if params:
            ops.append((name, qubits, tuple([repr(float(p)) if isinstance(p, (int, float)) else str(p)
                                             for p in params])))
        else:
            ops.append((name, qubits))
    return (circuit.num_qubits, str(circuit.global_phase), tuple([p.name for p in parameters]), tuple(ops))


def compile_circuit(circuit: QuantumCircuit, parameters=None) -> CompiledCircuit:
    """A :class:`CompiledCircuit` for ``circuit``, reused for equal circuits (same gates, same parameter order).

    Fit, predict, cross-validation clones and separate kernel objects all build their own
    copy of the same feature map; compiling it once per process saves the compile time
    (and the phase blocks' lazily built tables) for all but the first.

    Examples
    --------
    >>> from qvc.quantum.circuits import feature_map
    >>> compile_circuit(feature_map(3)) is compile_circuit(feature_map(3))
    True
    """
    params = list(circuit.parameters if parameters is None else parameters)
    key = _circuit_key(circuit, params)
    if key is None:
        return CompiledCircuit(circuit, params)
    hit = _COMPILED.get(key)
    if hit is not None:
        _COMPILED.move_to_end(key)
        return hit
    compiled = CompiledCircuit(circuit, params)
    _COMPILED[key] = compiled
    while len(_COMPILED) > _COMPILED_CACHE_SIZE:
        _COMPILED.popitem(last=False)
    return compiled

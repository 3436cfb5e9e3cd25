"""Quantum execution: circuits, the batched statevector engine, kernels, QNNs and the circuit ledger."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qvc.quantum.execution import (
        EXECUTION_MODES,
        ExecutionMode,
        SamplerExecutor,
        parse_execution,
        register_sampler_backend,
    )
    from qvc.quantum.kernels import StatevectorKernel, TrainableStatevectorKernel
    from qvc.quantum.ledger import CircuitLedger, LedgerEntry
    from qvc.quantum.qnn import StatevectorQNN, parity_interpret
    from qvc.quantum.statevector import CompiledCircuit

# Names are imported on first use (PEP 562): the cost model's ``import qvc.quantum.ledger`` then
# no longer imports the simulator, sympy and qiskit-machine-learning (~1 s) with it.
_WHERE = {
    "EXECUTION_MODES": "execution", "ExecutionMode": "execution", "SamplerExecutor": "execution",
    "parse_execution": "execution", "register_sampler_backend": "execution",
    "StatevectorKernel": "kernels", "TrainableStatevectorKernel": "kernels",
    "CircuitLedger": "ledger", "LedgerEntry": "ledger",
    "StatevectorQNN": "qnn", "parity_interpret": "qnn", "CompiledCircuit": "statevector",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f"qvc.quantum.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EXECUTION_MODES",
    "CircuitLedger",
    "CompiledCircuit",
    "ExecutionMode",
    "LedgerEntry",
    "SamplerExecutor",
    "StatevectorKernel",
    "StatevectorQNN",
    "TrainableStatevectorKernel",
    "parity_interpret",
    "parse_execution",
    "register_sampler_backend",
]

"""Quantum execution: circuits, the batched statevector engine, kernels, QNNs and the circuit ledger."""

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

"""Quantum execution: circuits, kernels, neural networks and the circuit ledger."""

from qvc.quantum.ledger import CircuitLedger, LedgerEntry

__all__ = ["CircuitLedger", "LedgerEntry"]

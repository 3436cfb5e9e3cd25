"""Batched exact statevector simulation of parametrised circuits, in numpy (see :mod:`.compiler`)."""

from qvc.quantum.statevector.compiler import SHIFTABLE_GATES, CompiledCircuit, compile_circuit

__all__ = ["SHIFTABLE_GATES", "CompiledCircuit", "compile_circuit"]

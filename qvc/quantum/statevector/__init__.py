"""Batched exact statevector simulation of parametrised circuits, in numpy.

A :class:`CompiledCircuit` is built once from a :class:`~qiskit.QuantumCircuit`
made of standard gates (anything else is unrolled through its ``definition``) and
then simulates a whole batch of parameter bindings at once: the state of the batch
is one ``(batch, 2**n)`` complex array and every gate is one vectorised numpy
operation on it, so the cost per sample is a handful of array passes per gate
instead of one Python-level ``Statevector`` per sample.

Two rewrites keep the number of passes small without changing the result:

* consecutive one-qubit gates on the same qubit are multiplied into one 2x2
  matrix (per sample when they depend on the sample's parameters);
* a run of gates that are diagonal or permute basis states (``p``, ``rz``, ``cp``,
  ``crz``, ``rzz``, ``x``, ``cx``, ``cz``, ``swap``, ``ccx``, ``s``, ``t`` ... ) is
  one "phase-permutation block": every basis state is mapped to another basis state
  times a phase that is linear in the gate angles, so the whole block is one
  ``(batch, gates) @ (gates, 2**n)`` matrix product for the phases, one complex
  exponential and one gather. The ZZ feature map is two such blocks.

Qubit order and phases follow qiskit (little-endian: qubit 0 is the least
significant bit of the basis index; the circuit's global phase is included), so
:meth:`CompiledCircuit.statevectors` equals ``Statevector(circuit.assign_parameters(v))``
to rounding error.

Modules, lowest first (each imports only modules before it): ``buffers`` (prefaulted state
matrices, per-thread scratch reused across chunks and calls), ``angles`` (angle tables),
``gates`` (gate sets and matrices), ``ops`` (fused one-qubit runs, general gates), ``blocks``
(phase-permutation blocks, one-qubit layers, window kernels), ``adjoint`` (adjoint
differentiation), ``compiler`` (:class:`CompiledCircuit`) and ``cache``
(:func:`compile_circuit`, compiled circuits shared within a process).
"""

from qvc.quantum.statevector.cache import compile_circuit
from qvc.quantum.statevector.compiler import CompiledCircuit
from qvc.quantum.statevector.gates import SHIFTABLE_GATES

__all__ = ["SHIFTABLE_GATES", "CompiledCircuit", "compile_circuit"]

"""Adjoint differentiation: the circuit as a flat gate list, swept backwards once for exact gradients."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterExpression

from qvc.quantum.statevector.angles import _AngleTable
from qvc.quantum.statevector.blocks import _apply_kq
from qvc.quantum.statevector.gates import (
    _DIAG_PARAM,
    _SKIP,
    _classify_constant,
    _diag_pattern,
    _one_qubit_matrix,
    _two_qubit_matrix,
)

# Angular frequency of each angle in a gate's matrix entries (entries are constants and
# exp(+-i w angle)); the exact derivative is (U(a + h) - U(a - h)) * w / 2 with h = pi / (2 w).
_FREQUENCY = {
    "rx": (0.5,), "ry": (0.5,), "rz": (0.5,), "rxx": (0.5,), "ryy": (0.5,),
    "p": (1.0,), "u1": (1.0,), "u2": (1.0, 1.0), "u": (0.5, 1.0, 1.0), "u3": (0.5, 1.0, 1.0), "r": (0.5, 1.0),
}


class _NoAdjoint(Exception):
    """A gate the adjoint sweep does not differentiate (the caller falls back to parameter shift)."""


def _apply_1q_stack(state: np.ndarray, m: np.ndarray, q: int, n: int) -> np.ndarray:
    """``m`` (shared ``(2, 2)`` or per sample ``(B, 2, 2)``) on qubit ``q`` of ``(B, X, 2**n)`` states."""
    b = state.shape[0]
    v = state.reshape(b, -1, 2, 2**q)
    a0, a1 = v[:, :, 0, :], v[:, :, 1, :]
    if m.ndim == 3:
        m = m[:, :, :, None, None]
        out = np.empty_like(v)
        np.multiply(m[:, 0, 0], a0, out=out[:, :, 0, :])
        out[:, :, 0, :] += m[:, 0, 1] * a1
        np.multiply(m[:, 1, 0], a0, out=out[:, :, 1, :])
        out[:, :, 1, :] += m[:, 1, 1] * a1
        return out.reshape(state.shape)
    out = np.empty_like(v)
    np.multiply(m[0, 0], a0, out=out[:, :, 0, :])
    out[:, :, 0, :] += m[0, 1] * a1
    np.multiply(m[1, 0], a0, out=out[:, :, 1, :])
    out[:, :, 1, :] += m[1, 1] * a1
    return out.reshape(state.shape)


class _AdjointProgram:
    """The circuit as a flat gate list for the adjoint sweep: ``(kind, qubits, data, cols)``.

    kinds: ``mono`` (constant permutation with phases, as a gather), ``const`` (constant
    matrix), ``one`` (parametrised one-qubit gate), ``two`` (``rxx``/``ryy``), ``diag``
    (parametrised diagonal gate, ``exp(i angle pattern(b))``).
    """

    def __init__(self, circuit: QuantumCircuit, parameters: list) -> None:
        self.n = int(circuit.num_qubits)
        self.table = _AngleTable(parameters)
        self.gates: list = []
        self._walk(circuit, list(range(self.n)))
        self.table.finalize()

    def _walk(self, circuit: QuantumCircuit, qmap: list[int]) -> None:
        for inst in circuit.data:
            op = inst.operation
            name = op.name
            qubits = tuple(qmap[circuit.find_bit(q).index] for q in inst.qubits)
            if name in _SKIP or name == "measure":
                continue
            symbolic = any(isinstance(p, ParameterExpression) and p.parameters for p in op.params)
            if not symbolic:
                try:
                    kind, data = _classify_constant(op)
                except Exception:  # no matrix: unroll below
                    kind = None
                if kind == "mono":
                    self.gates.append(("mono", qubits, self._gather(qubits, *data), ()))
                    continue
                if kind == "matrix":
                    self.gates.append(("const", qubits, data, ()))
                    continue
            elif len(qubits) == 1 and name in _FREQUENCY:
                self.gates.append(("one", qubits, name, tuple(self.table.add(p) for p in op.params)))
                continue
            elif name in ("rxx", "ryy") and len(qubits) == 2:
                self.gates.append(("two", qubits, name, (self.table.add(op.params[0]),)))
                continue
            elif name in _DIAG_PARAM and _DIAG_PARAM[name] == len(qubits):
                bits = [(np.arange(2**self.n) >> q) & 1 for q in qubits]
                self.gates.append(("diag", qubits, _diag_pattern(name, bits), (self.table.add(op.params[0]),)))
                continue
            if op.definition is None:
                raise _NoAdjoint(name)
            self._walk(op.definition, list(qubits))

    def _gather(self, qubits, perm, phase):
        dim = 2**self.n
        idx = np.arange(dim)
        sub = np.zeros(dim, dtype=np.int64)
        for i, q in enumerate(qubits):
            sub |= ((idx >> q) & 1) << i
        new = perm[sub]
        image = idx.copy()
        for i, q in enumerate(qubits):
            image = (image & ~(1 << q)) | (((new >> i) & 1) << q)
        inverse = np.empty(dim, dtype=np.int64)
        inverse[image] = idx
        ph = np.exp(1j * phase[sub])  # phase of input basis state
        # forward: out[image[b]] = ph[b] in[b]  <=>  out = (in * ph)[inverse]; adjoint: in = out[image] * conj(ph)
        return inverse, image, (None if np.allclose(ph, 1.0) else ph)

    # -- gates --------------------------------------------------------------
    def _matrix(self, kind: str, name: str, ang: list) -> np.ndarray:
        return _one_qubit_matrix(name, ang) if kind == "one" else _two_qubit_matrix(name, ang)

    def _dagger(self, gate, angles: np.ndarray, stack: np.ndarray) -> np.ndarray:
        """``U^dagger`` on ``(B, X, 2**n)`` states."""
        kind, qubits, data, cols = gate
        n = self.n
        if kind == "mono":
            inverse, image, ph = data
            out = np.take(stack, image, axis=2)
            if ph is not None:
                out *= ph.conj()
            return out
        if kind == "diag":
            return stack * np.exp(-1j * angles[:, cols[0], None] * data[None, :])[:, None, :]
        if kind == "const":
            m = data.conj().T
        else:
            m = np.swapaxes(self._matrix(kind, data, [angles[:, c] for c in cols]), 1, 2).conj()
        if len(qubits) == 1:
            return _apply_1q_stack(stack, m, qubits[0], n)
        b, x = stack.shape[:2]
        if m.ndim == 3:
            m = np.repeat(m, x, axis=0)
        return _apply_kq(stack.reshape(b * x, -1), m, qubits, n).reshape(stack.shape)

    def _derivative_times_dagger(self, gate, angles: np.ndarray, state: np.ndarray):
        """For each angle of the gate: ``(col, dU U^dagger state)`` with ``state`` ``(B, 2**n)``."""
        kind, qubits, data, cols = gate
        if kind == "diag":
            return [(cols[0], 1j * data[None, :] * state)]
        out = []
        ang = [angles[:, c] for c in cols]
        u_dag = np.swapaxes(self._matrix(kind, data, ang), 1, 2).conj()
        for i, (c, w) in enumerate(zip(cols, _FREQUENCY.get(data, (0.5,)))):
            h = np.pi / (2 * w)
            plus = [a + h if t == i else a for t, a in enumerate(ang)]
            minus = [a - h if t == i else a for t, a in enumerate(ang)]
            du = (self._matrix(kind, data, plus) - self._matrix(kind, data, minus)) * (w / 2)
            m = du @ u_dag
            if len(qubits) == 1:
                out.append((c, _apply_1q_stack(state[:, None, :], m, qubits[0], self.n)[:, 0, :]))
            else:
                out.append((c, _apply_kq(state, m, qubits, self.n)))
        return out

    def gradients(self, values: np.ndarray, final: np.ndarray, projector: np.ndarray,
                  wrt: list[int]) -> np.ndarray:
        """``d outputs / d parameters`` ``(B, K, len(wrt))`` from the final states ``(B, 2**n)``.

        ``outputs[:, k] = |final|**2 @ projector[:, k]``. One backward sweep carries the state
        and the K projected states back through the gates together.
        """
        angles = self.table.evaluate(values)
        b, k = final.shape[0], projector.shape[1]
        wanted = set(wrt)
        live = {c for c, col in enumerate(self.table.columns) if col.depends & wanted}
        stack = np.empty((b, k + 1, final.shape[1]), dtype=complex)
        stack[:, 0] = final
        np.multiply(final[:, None, :], projector.T[None, :, :], out=stack[:, 1:])
        by_col = np.zeros((b, k, len(self.table.columns)))
        for gate in reversed(self.gates):
            if any(c in live for c in gate[3]):
                for c, mu in self._derivative_times_dagger(gate, angles, stack[:, 0]):
                    if c in live:
                        # 2 Re <lambda_k | mu>, as real dot products of (re, im) pairs
                        lam = stack[:, 1:].view(np.float64)
                        by_col[:, :, c] += 2 * np.matmul(lam, mu.view(np.float64)[:, :, None])[:, :, 0]
            stack = self._dagger(gate, angles, stack)
        grad = np.zeros((b, k, len(wrt)))
        pos = {j: i for i, j in enumerate(wrt)}
        for c in live:
            for j, dj in self.table.derivatives(c, values).items():
                if j in pos:
                    grad[:, :, pos[j]] += by_col[:, :, c] * dj[:, None]
        return grad

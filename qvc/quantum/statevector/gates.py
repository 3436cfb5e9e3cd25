"""Gate facts and gate matrices, vectorised over the batch.

Which gates the engine fuses, treats as diagonal or differentiates by parameter shift; the
closed-form matrices of parametrised one- and two-qubit gates; the phase pattern of diagonal
gates; constant gates classified as monomial (a permutation with phases) or dense.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# One-qubit gates with a closed-form (vectorised) matrix.
_ONE_QUBIT_PARAM = {"rx", "ry", "rz", "p", "u1", "u2", "u", "u3", "r"}
# Diagonal gates whose phase is linear in their single angle: name -> arity.
_DIAG_PARAM = {"p": 1, "u1": 1, "rz": 1, "cp": 2, "cu1": 2, "crz": 2, "rzz": 2}
# Two-qubit gates with a closed-form matrix (non-diagonal).
_TWO_QUBIT_PARAM = {"rxx", "ryy"}
# Gates whose probabilities obey the two-term parameter-shift rule (shift pi/2) in every angle.
SHIFTABLE_GATES = frozenset({"rx", "ry", "rz", "p", "u1", "u2", "u", "u3", "rxx", "ryy", "rzz", "cp", "cu1"})
_SKIP = {"barrier", "delay"}
_SHIFT = np.pi / 2


def _one_qubit_matrix(name: str, a: list[np.ndarray]) -> np.ndarray:
    """``(batch, 2, 2)`` matrix of a parametrised one-qubit gate (qiskit conventions)."""
    b = a[0].shape[0]
    m = np.empty((b, 2, 2), dtype=complex)
    if name in ("rx", "ry", "r"):
        c, s = np.cos(a[0] / 2), np.sin(a[0] / 2)
        if name == "rx":
            m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = c, -1j * s, -1j * s, c
        elif name == "ry":
            m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = c, -s, s, c
        else:  # r(theta, phi)
            m[:, 0, 0], m[:, 1, 1] = c, c
            m[:, 0, 1] = -1j * np.exp(-1j * a[1]) * s
            m[:, 1, 0] = -1j * np.exp(1j * a[1]) * s
    elif name == "rz":
        m[:] = 0
        m[:, 0, 0], m[:, 1, 1] = np.exp(-0.5j * a[0]), np.exp(0.5j * a[0])
    elif name in ("p", "u1"):
        m[:] = 0
        m[:, 0, 0], m[:, 1, 1] = 1.0, np.exp(1j * a[0])
    else:  # u, u3 (theta, phi, lam) and u2 (phi, lam) = u(pi/2, phi, lam)
        theta, phi, lam = (np.full(b, np.pi / 2), a[0], a[1]) if name == "u2" else a
        c, s = np.cos(theta / 2), np.sin(theta / 2)
        m[:, 0, 0] = c
        m[:, 0, 1] = -np.exp(1j * lam) * s
        m[:, 1, 0] = np.exp(1j * phi) * s
        m[:, 1, 1] = np.exp(1j * (phi + lam)) * c
    return m


def _two_qubit_matrix(name: str, a: list[np.ndarray]) -> np.ndarray:
    b = a[0].shape[0]
    c, s = np.cos(a[0] / 2), np.sin(a[0] / 2)
    m = np.zeros((b, 4, 4), dtype=complex)
    for i in range(4):
        m[:, i, i] = c
    if name == "rxx":
        for i, j in ((0, 3), (1, 2), (2, 1), (3, 0)):
            m[:, i, j] = -1j * s
    else:  # ryy
        for i, j in ((1, 2), (2, 1)):
            m[:, i, j] = -1j * s
        for i, j in ((0, 3), (3, 0)):
            m[:, i, j] = 1j * s
    return m


def _diag_pattern(name: str, bits: list[np.ndarray]) -> np.ndarray:
    """Phase per unit angle of a diagonal gate, for basis states with these qubit bits."""
    if name in ("p", "u1"):
        return bits[0].astype(float)
    if name == "rz":
        return bits[0] - 0.5
    if name in ("cp", "cu1"):
        return (bits[0] & bits[1]).astype(float)
    if name == "crz":
        return bits[0] * (bits[1] - 0.5)
    if name == "rzz":
        return (bits[0] ^ bits[1]) - 0.5
    raise AssertionError(name)  # pragma: no cover


_CONST_CACHE: dict[tuple, tuple[str, object]] = {}


def _classify_constant(op) -> tuple[str, Any]:
    """``("mono", (perm, phase))`` for monomial matrices, else ``("matrix", m)``."""
    try:
        key = (op.name, op.num_qubits, tuple(float(p) for p in op.params))
    except TypeError:  # e.g. a unitary gate's matrix parameter
        key = None
    if key is not None and key in _CONST_CACHE:
        return _CONST_CACHE[key]
    m = np.asarray(op.to_matrix(), dtype=complex)
    nz = np.abs(m) > 0
    if np.all(nz.sum(axis=0) == 1) and np.all(nz.sum(axis=1) == 1):
        perm = np.argmax(nz, axis=0)  # column j -> row perm[j]
        phase = np.angle(m[perm, np.arange(m.shape[1])])
        out: tuple[str, Any] = ("mono", (perm, phase))
    else:
        out = ("matrix", m)
    if key is not None:
        _CONST_CACHE[key] = out
    return out

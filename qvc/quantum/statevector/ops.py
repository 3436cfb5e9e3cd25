"""Compiled operations: runs of fused one-qubit gates and general gates on several qubits."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qvc.quantum.statevector.gates import _one_qubit_matrix, _two_qubit_matrix


@dataclass
class _Fused1Q:
    """Product of consecutive one-qubit gates on ``qubit``: items are (name, cols) or a constant matrix."""

    qubit: int
    items: list = field(default_factory=list)
    const: np.ndarray | None = None  # product when nothing depends on parameters

    def matrix(self, angles: np.ndarray) -> np.ndarray:
        if self.const is not None:
            return self.const
        m = None
        for item in self.items:
            if isinstance(item, np.ndarray):
                g = item
            else:
                cols = [angles[:, k] for k in item[1]]
                if all(c[0] == c[-1] and np.all(c == c[0]) for c in cols):  # shared by the batch
                    g = _one_qubit_matrix(item[0], [c[:1] for c in cols])[0]
                else:
                    g = _one_qubit_matrix(item[0], cols)
            m = g if m is None else np.matmul(g, m)
        assert m is not None  # a fused run is created with its first gate
        return m

    def finalize(self) -> None:
        if all(isinstance(i, np.ndarray) for i in self.items):
            m = np.eye(2, dtype=complex)
            for g in self.items:
                m = g @ m
            self.const = m


@dataclass
class _Gate:
    """A general gate on several qubits: constant matrix or closed-form parametrised one."""

    qubits: tuple[int, ...]
    name: str = ""
    cols: tuple[int, ...] = ()
    const: np.ndarray | None = None

    def matrix(self, angles: np.ndarray) -> np.ndarray:
        if self.const is not None:
            return self.const
        cols = [angles[:, k] for k in self.cols]
        if all(c[0] == c[-1] and np.all(c == c[0]) for c in cols):  # shared by the batch
            return _two_qubit_matrix(self.name, [c[:1] for c in cols])[0]
        return _two_qubit_matrix(self.name, cols)

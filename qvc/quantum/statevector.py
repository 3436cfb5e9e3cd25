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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, SupportsFloat, cast

# sympy is imported at module level on purpose: the runner meters fit/predict windows, and a
# library import is a once-per-process cost, not part of any model's fit.
import numpy as np
import sympy
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter, ParameterExpression

from qvc.errors import QvcUsageError

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

#: Bytes of phase-pattern tables a block may cache (larger blocks recompute per run).
_TABLE_CACHE_BYTES = 64 * 2**20


# ---------------------------------------------------------------------------
# angles: every gate parameter occurrence is one column of an angle table
# ---------------------------------------------------------------------------


@dataclass
class _Angle:
    """How to compute one angle column from the parameter-value matrix."""

    const: float | None = None
    index: int | None = None          # plain parameter: its column
    func: Callable[..., Any] | None = None  # vectorised function of selected columns
    args: tuple[int, ...] = ()
    expr: ParameterExpression | None = None
    depends: frozenset[int] = frozenset()
    sym: object = None                # sympy form and its symbols (one per arg)
    symbols: list | None = None
    # d(angle)/d(parameter j) as (j, _Angle) pairs; filled lazily
    grads: list | None = None


class _AngleTable:
    def __init__(self, parameters: list[Parameter]) -> None:
        self.parameters = list(parameters)
        self.position = {p: i for i, p in enumerate(self.parameters)}
        self.columns: list[_Angle] = []
        self._group: tuple | None = None

    def add(self, value: object) -> int:
        """Register a gate parameter (number or expression); return its column."""
        if isinstance(value, ParameterExpression):
            if not value.parameters:
                value = complex(value)
                value = float(value.real)
            else:
                return self._add_expr(value)
        col = _Angle(const=float(cast(SupportsFloat, value)))
        self.columns.append(col)
        return len(self.columns) - 1

    def _add_expr(self, expr: ParameterExpression) -> int:
        missing = [p for p in expr.parameters if p not in self.position]
        if missing:
            raise QvcUsageError(
                f"circuit parameter {missing[0].name!r} is not among the simulator's parameters; "
                "pass every circuit parameter in `parameters`"
            )
        if isinstance(expr, Parameter):
            j = self.position[expr]
            col = _Angle(index=j, expr=expr, depends=frozenset({j}))
        else:
            col = _compile_expression(expr, self.position)
        self.columns.append(col)
        return len(self.columns) - 1

    def finalize(self) -> None:
        """Vectorise every expression column with one sympy ``lambdify`` (numpy backend).

        Each result is checked at one point against qiskit's own ``bind``; a column whose
        sympy form disagrees falls back to binding sample by sample.
        """

        todo = [k for k, c in enumerate(self.columns) if c.sym is not None and c.func is None]
        self._group = None
        if not todo:
            return
        used = sorted({j for k in todo for j in self.columns[k].args})
        symbols = []
        for j in used:  # the sympy symbol of parameter j, as the expressions spell it
            name = self.parameters[j].name
            found = next((s for k in todo for s in (self.columns[k].symbols or ()) if s.name == name), None)
            symbols.append(found if found is not None else sympy.Symbol(name))
        func = sympy.lambdify(symbols, [self.columns[k].sym for k in todo], modules="numpy")
        probe = np.linspace(0.37, 1.91, len(self.parameters))
        got = func(*(np.array([probe[j]]) for j in used))
        good = []
        for k, value in zip(todo, got):
            col = self.columns[k]
            params = [self.parameters[j] for j in col.args]
            assert col.expr is not None  # expression columns keep their expression
            exact = complex(col.expr.bind({p: probe[j] for p, j in zip(params, col.args)})).real
            if np.isclose(np.real(np.asarray(value, dtype=complex)).ravel()[0], exact, rtol=1e-12, atol=1e-12):
                good.append(k)
            else:
                col.func, col.sym = _bind_each(col.expr, params), None
        if good:
            self._group = (func, used, todo, set(good))

    def evaluate(self, values: np.ndarray) -> np.ndarray:
        """Angle table ``(batch, n_columns)`` for parameter values ``(batch, n_parameters)``."""
        b = values.shape[0]
        out = np.empty((b, len(self.columns)))
        grouped: set = set()
        group = getattr(self, "_group", None)
        if group is not None:
            func, used, todo, good = group
            results = func(*(values[:, j] for j in used))
            for k, value in zip(todo, results):
                if k in good:
                    out[:, k] = np.real(np.asarray(value, dtype=complex))
            grouped = good
        for k, col in enumerate(self.columns):
            if k in grouped:
                continue
            if col.const is not None:
                out[:, k] = col.const
            elif col.index is not None:
                out[:, k] = values[:, col.index]
            else:
                assert col.func is not None  # finalize() gave every expression column a function
                out[:, k] = col.func(*(values[:, j] for j in col.args))
        return out

    def derivatives(self, k: int, values: np.ndarray) -> dict[int, np.ndarray]:
        """``{parameter j: d angle_k / d parameter_j}`` per sample."""
        col = self.columns[k]
        if col.const is not None:
            return {}
        if col.index is not None:
            return {col.index: np.ones(values.shape[0])}
        if col.grads is None:
            # differentiate the sympy form with sympy (qiskit 2.6's ParameterExpression.gradient
            # can come back with a sympy form that no longer matches it)

            col.grads = []
            if col.sym is None or col.symbols is None:
                raise QvcUsageError(f"cannot differentiate parameter expression {col.expr}")
            for j, symbol in zip(col.args, col.symbols):
                d = sympy.diff(col.sym, symbol)
                if d.free_symbols:
                    col.grads.append((j, _lambdified(col.symbols, d, col.args, col.expr)))
                else:
                    col.grads.append((j, _Angle(const=float(sympy.re(d)))))
        out = {}
        for j, g in col.grads:
            if g.const is not None:
                out[j] = np.full(values.shape[0], g.const)
            else:
                out[j] = g.func(*(values[:, i] for i in g.args)) * np.ones(values.shape[0])
        return out


def _compile_expression(expr: ParameterExpression, position: dict) -> _Angle:
    """The sympy form of ``expr``; :meth:`_AngleTable.finalize` vectorises all of them at once."""

    params = sorted(expr.parameters, key=lambda p: position[p])
    sym = expr.sympify()
    by_name = {s.name: s for s in sym.free_symbols}
    symbols = [by_name.get(p.name, sympy.Symbol(p.name)) for p in params]
    args = tuple(position[p] for p in params)
    return _Angle(args=args, expr=expr, depends=frozenset(args), sym=sym, symbols=symbols)


def _bind_each(expr: ParameterExpression, params: list):
    def bind_each(*cols):
        return np.array([complex(expr.bind(dict(zip(params, row)))).real for row in zip(*cols)])

    return bind_each


def _lambdified(symbols: list, sym, args: tuple[int, ...], expr) -> _Angle:

    func = sympy.lambdify(symbols, sym, modules="numpy")

    def real_func(*cols, _f=func):
        return np.real(np.asarray(_f(*cols), dtype=complex))

    return _Angle(func=real_func, args=args, expr=expr, depends=frozenset(args), sym=sym, symbols=symbols)


# ---------------------------------------------------------------------------
# gate matrices, vectorised over the batch
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# compiled operations
# ---------------------------------------------------------------------------


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


@dataclass
class _Block:
    """A run of diagonal / basis-permuting gates: |b> -> exp(i phi(b)) |pi(b)>."""

    num_qubits: int
    steps: list = field(default_factory=list)  # ("diag", name, qubits, col) | ("mono", qubits, perm, phase)
    _cache: tuple | None = None

    def _tables(self, idx: np.ndarray):
        """Phase-pattern matrix, constant phase and image labels for input basis states ``idx``."""
        lab = idx.copy()
        cols, rows = [], []
        const = np.zeros(idx.shape[0])
        for step in self.steps:
            if step[0] == "diag":
                _, name, qubits, col = step
                bits = [(lab >> q) & 1 for q in qubits]
                cols.append(col)
                rows.append(_diag_pattern(name, bits))
            else:
                _, qubits, perm, phase = step
                sub = np.zeros_like(lab)
                for i, q in enumerate(qubits):
                    sub |= ((lab >> q) & 1) << i
                const += phase[sub]
                new = perm[sub]
                for i, q in enumerate(qubits):
                    lab = (lab & ~(1 << q)) | (((new >> i) & 1) << q)
        pattern = np.array(rows) if rows else np.zeros((0, idx.shape[0]))
        return np.array(cols, dtype=int), pattern, const, lab

    def apply(self, state: np.ndarray, angles: np.ndarray) -> np.ndarray:
        dim = 2**self.num_qubits
        if self._cache is None and dim * max(1, len(self.steps)) * 8 <= _TABLE_CACHE_BYTES:
            cols, pattern, const, lab = self._tables(np.arange(dim))
            inverse = np.empty(dim, dtype=np.int64)
            inverse[lab] = np.arange(dim)
            identity = bool(np.all(lab == np.arange(dim)))
            const_phase = None if not np.any(const) else _phases(const)
            self._cache = (cols, pattern, const_phase, None if identity else inverse)
        if self._cache is not None:
            cols, pattern, const_phase, inverse = self._cache
            out = state
            if len(cols):
                ang = angles[:, cols] @ pattern
                out = state * _phases(ang)
                if const_phase is not None:
                    out *= const_phase
            elif const_phase is not None:
                out = state * const_phase
            return out if inverse is None else np.take(out, inverse, axis=1)
        out = np.empty_like(state)
        chunk = max(1, _TABLE_CACHE_BYTES // (8 * max(1, len(self.steps))))
        for start in range(0, dim, chunk):
            idx = np.arange(start, min(dim, start + chunk))
            cols, pattern, const, lab = self._tables(idx)
            ang = (angles[:, cols] @ pattern if len(cols) else np.zeros((angles.shape[0], idx.size))) + const
            out[:, lab] = state[:, idx] * _phases(ang)
        return out


@dataclass
class _Layer:
    """One-qubit gates on distinct qubits, applied as Kronecker products on windows of adjacent qubits."""

    num_qubits: int
    fused: dict[int, _Fused1Q]
    window: int = 3

    def apply(self, state: np.ndarray, angles: np.ndarray) -> np.ndarray:
        n = self.num_qubits
        for start in range(0, n, self.window):
            lo, k = start, min(self.window, n - start)
            present = [q for q in range(lo, lo + k) if q in self.fused]
            if not present:
                continue
            if len(present) == 1 and present[0] >= 3:  # a lone gate high up: no identity padding
                lo, k = present[0], 1
            m = None
            for q in range(lo, lo + k):  # kron(M_high, ..., M_low)
                g = self.fused[q].matrix(angles) if q in self.fused else _EYE2
                m = g if m is None else _kron(g, m)
            assert m is not None  # k >= 1
            state = _apply_window(state, m, lo, k, n)
        return state


_EYE2 = np.eye(2, dtype=complex)


def _kron(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Kronecker product ``a (x) b`` of matrices or per-sample stacks of matrices."""
    if a.ndim == 2 and b.ndim == 2:
        return np.kron(a, b)
    bsz = a.shape[0] if a.ndim == 3 else b.shape[0]
    da, db = a.shape[-1], b.shape[-1]
    a3 = np.broadcast_to(a, (bsz, da, da))
    b3 = np.broadcast_to(b, (bsz, db, db))
    return np.einsum("zij,zkl->zikjl", a3, b3).reshape(bsz, da * db, da * db)


def _apply_window(state: np.ndarray, m: np.ndarray, q0: int, k: int, n: int) -> np.ndarray:
    """Apply a ``2**k`` matrix (shared or per sample) to qubits ``q0 .. q0+k-1``."""
    b = state.shape[0]
    lsz, rsz, d = 2 ** (n - q0 - k), 2**q0, 2**k
    if rsz <= 8:  # fold the low qubits into the matrix: one matmul on the contiguous last axis
        big = m if rsz == 1 else _kron(m, np.eye(rsz, dtype=complex))
        if big.ndim == 2:
            return (state.reshape(b * lsz, d * rsz) @ big.T).reshape(b, -1)
        return np.matmul(state.reshape(b, lsz, d * rsz), np.swapaxes(big, 1, 2)).reshape(b, -1)
    if m.ndim == 2:
        return np.matmul(m, state.reshape(b * lsz, d, rsz)).reshape(b, -1)
    return np.matmul(m[:, None], state.reshape(b, lsz, d, rsz)).reshape(b, -1)


_CONTROLLER = None


def _single_blas_thread():
    """Context manager limiting BLAS to one thread (threadpoolctl ships with scikit-learn)."""
    global _CONTROLLER
    from threadpoolctl import ThreadpoolController

    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def _phases(angle: np.ndarray) -> np.ndarray:
    out = np.empty(angle.shape, dtype=complex)
    np.cos(angle, out=out.real)
    np.sin(angle, out=out.imag)
    return out


def _apply_kq(state: np.ndarray, m: np.ndarray, qubits: tuple[int, ...], n: int) -> np.ndarray:
    b = state.shape[0]
    k = len(qubits)
    v = state.reshape((b,) + (2,) * n)
    axes = [n - q for q in reversed(qubits)]  # last axis = qubits[0] (least significant)
    v = np.moveaxis(v, axes, list(range(n + 1 - k, n + 1)))
    shape = v.shape
    flat = v.reshape(b, -1, 2**k)
    mt = np.swapaxes(m, -1, -2)
    res = np.matmul(flat, mt).reshape(shape)
    res = np.moveaxis(res, list(range(n + 1 - k, n + 1)), axes)
    return np.ascontiguousarray(res).reshape(b, -1)


# ---------------------------------------------------------------------------
# the compiler
# ---------------------------------------------------------------------------


class CompiledCircuit:
    """A parametrised circuit compiled for batched exact statevector simulation.

    Parameters
    ----------
    circuit : QuantumCircuit
        Standard gates (others are unrolled through their definitions); final
        measurements and barriers are ignored; resets and mid-circuit
        measurements are rejected.
    parameters : sequence of Parameter, optional
        Column order of the parameter values passed to :meth:`statevectors`
        (default: ``circuit.parameters``, qiskit's sorted order).

    Examples
    --------
    >>> import numpy as np
    >>> from qiskit.quantum_info import Statevector
    >>> from qvc.quantum.circuits import feature_map
    >>> fm = feature_map(3)
    >>> x = np.random.default_rng(0).random((5, 3))
    >>> states = CompiledCircuit(fm).statevectors(x)
    >>> ref = Statevector(fm.assign_parameters(x[2])).data
    >>> bool(np.allclose(states[2], ref, atol=1e-12))
    True
    """

    def __init__(self, circuit: QuantumCircuit, parameters=None) -> None:
        self._source = circuit
        self.num_qubits = int(circuit.num_qubits)
        self.parameters = list(circuit.parameters if parameters is None else parameters)
        self._table = _AngleTable(self.parameters)
        self._ops: list = []
        self._phase_cols: list[int] = []
        self._gate_of_col: dict[int, str] = {}
        self._pending: dict[int, _Fused1Q] = {}
        self._block: _Block | None = None
        self._measured: set[int] = set()
        self._walk(circuit, list(range(self.num_qubits)))
        self._table.finalize()
        self._close_block()
        self._flush()
        del self._pending, self._block
        self._ops = self._layers(self._ops)

    def __reduce__(self):
        # Pickled as its source circuit and parameter order, and compiled again on loading:
        # the compiled form holds sympy-lambdified functions, which pickle cannot store.
        return (type(self), (self._source, self.parameters))

    def _layers(self, ops: list) -> list:
        """Merge consecutive fused one-qubit ops (always on distinct qubits) into layers."""
        out: list = []
        for op in ops:
            if isinstance(op, _Fused1Q):
                if out and isinstance(out[-1], _Layer) and op.qubit not in out[-1].fused:
                    out[-1].fused[op.qubit] = op
                    continue
                out.append(_Layer(self.num_qubits, {op.qubit: op}))
            else:
                out.append(op)
        return out

    # -- building -----------------------------------------------------------
    def _close_block(self) -> None:
        if self._block is not None and self._block.steps:
            self._ops.append(self._block)
        self._block = None

    def _flush(self) -> None:
        for f in self._pending.values():
            f.finalize()
            self._ops.append(f)
        self._pending = {}

    def _new_cols(self, name: str, params) -> tuple[int, ...]:
        cols = tuple(self._table.add(p) for p in params)
        for c in cols:
            self._gate_of_col[c] = name
        return cols

    def _walk(self, circuit: QuantumCircuit, qmap: list[int]) -> None:
        if not (isinstance(circuit.global_phase, (int, float)) and circuit.global_phase == 0):
            self._phase_cols.append(self._table.add(circuit.global_phase))
        for inst in circuit.data:
            op = inst.operation
            name = op.name
            qubits = tuple(qmap[circuit.find_bit(q).index] for q in inst.qubits)
            if name in _SKIP:
                continue
            if name == "measure":
                self._measured.update(qubits)
                continue
            if self._measured.intersection(qubits):
                raise QvcUsageError("mid-circuit measurement is not supported by the statevector engine")
            if name == "reset" or getattr(op, "condition", None) is not None:
                raise QvcUsageError(f"instruction {name!r} is not supported by the statevector engine")
            self._add(op, qubits)

    def _add(self, op, qubits: tuple[int, ...]) -> None:
        name = op.name
        symbolic = any(isinstance(p, ParameterExpression) and p.parameters for p in op.params)
        k = len(qubits)
        if k == 1 and (name in _ONE_QUBIT_PARAM or not symbolic):
            q = qubits[0]
            if name in _DIAG_PARAM and q not in self._pending:
                return self._add_block_step(("diag", name, qubits, self._new_cols(name, op.params)[0]), qubits)
            item: object
            if name in _ONE_QUBIT_PARAM:
                item = (name, self._new_cols(name, op.params))
            else:
                kind, data = _classify_constant(op)
                if kind == "mono" and q not in self._pending:
                    return self._add_block_step(("mono", qubits, *data), qubits)
                item = np.asarray(op.to_matrix(), dtype=complex)
            self._pending.setdefault(q, _Fused1Q(q)).items.append(item)
            return None
        if name in _DIAG_PARAM and _DIAG_PARAM[name] == k:
            return self._add_block_step(("diag", name, qubits, self._new_cols(name, op.params)[0]), qubits)
        if not symbolic:
            try:
                kind, data = _classify_constant(op)
            except Exception:  # no closed-form matrix: unroll the definition below
                kind, data = "", None
            if kind == "mono":
                return self._add_block_step(("mono", qubits, *data), qubits)
            if kind == "matrix":
                self._close_block()
                self._flush()
                self._ops.append(_Gate(qubits, const=data))
                return None
        if name in _TWO_QUBIT_PARAM and k == 2:
            self._close_block()
            self._flush()
            self._ops.append(_Gate(qubits, name=name, cols=self._new_cols(name, op.params)))
            return None
        if op.definition is None:
            raise QvcUsageError(
                f"gate {name!r} has no definition the statevector engine can unroll; "
                "transpile the circuit to standard gates first"
            )
        self._walk(op.definition, list(qubits))
        return None

    def _add_block_step(self, step: tuple, qubits: tuple[int, ...]) -> None:
        if any(q in self._pending for q in qubits):
            self._close_block()
            self._flush()
        if self._block is None:
            self._block = _Block(self.num_qubits)
        self._block.steps.append(step)

    # -- running ------------------------------------------------------------
    @property
    def num_angles(self) -> int:
        """Columns of the angle table (one per parametrised gate argument)."""
        return len(self._table.columns)

    def angles(self, values: np.ndarray) -> np.ndarray:
        """Angle table ``(batch, num_angles)`` for parameter values ``(batch, n_parameters)``."""
        values = np.asarray(values, dtype=float)
        if values.ndim == 1:
            values = values.reshape(1, -1)
        if values.shape[1] != len(self.parameters):
            raise QvcUsageError(
                f"expected {len(self.parameters)} parameter values per sample, got {values.shape[1]}"
            )
        return self._table.evaluate(values)

    def run_angles(self, angles: np.ndarray, initial: np.ndarray | None = None) -> np.ndarray:
        """Statevectors ``(batch, 2**n)`` from an angle table, starting at ``initial`` (default |0>).

        The many small per-sample matrix products run on one BLAS thread: with several
        threads each tiny call pays a thread hand-off, which under load costs more than it gains.
        """
        with _single_blas_thread():
            return self._run_angles(angles, initial)

    def _run_angles(self, angles: np.ndarray, initial: np.ndarray | None) -> np.ndarray:
        n, b = self.num_qubits, angles.shape[0]
        if initial is None:
            state = np.zeros((b, 2**n), dtype=complex)
            state[:, 0] = 1.0
        else:
            state = np.array(initial, dtype=complex, copy=True).reshape(b, 2**n)
        for op in self._ops:
            if isinstance(op, (_Block, _Layer)):
                state = op.apply(state, angles)
            else:
                m = op.matrix(angles)
                state = _apply_kq(state, m, op.qubits, n)
        if self._phase_cols:
            state *= np.exp(1j * angles[:, self._phase_cols].sum(axis=1))[:, None]
        return state

    def statevectors(self, values: np.ndarray, initial: np.ndarray | None = None) -> np.ndarray:
        """Statevectors ``(batch, 2**n)`` for parameter values ``(batch, n_parameters)``."""
        return self.run_angles(self.angles(values), initial)

    def probability_gradients(
        self,
        values: np.ndarray,
        wrt: list[int],
        reduce,
        initial: np.ndarray | None = None,
        max_bytes: int = 256 * 2**20,
    ) -> tuple[np.ndarray, int]:
        """Exact gradients of ``reduce(|state|**2)`` by the parameter-shift rule.

        Parameters
        ----------
        values : ndarray (batch, n_parameters)
        wrt : list of int
            Parameter columns to differentiate.
        reduce : callable
            Maps probabilities ``(m, 2**n)`` to outputs ``(m, n_out)``.
        initial : ndarray, optional
            Starting states (e.g. cached feature-map states).

        Returns
        -------
        grad : ndarray (batch, n_out, len(wrt))
        n_shifted : int
            Shifted circuits per sample (2 per differentiated gate angle), what a QPU runs.
        """
        values = np.asarray(values, dtype=float)
        base = self.angles(values)
        b = base.shape[0]
        wanted = set(wrt)
        cols = [k for k, c in enumerate(self._table.columns) if c.depends & wanted]
        for k in cols:
            gate = self._gate_of_col.get(k, "global_phase")
            if gate not in SHIFTABLE_GATES and gate != "global_phase":
                raise QvcUsageError(
                    f"exact gradient of gate {gate!r} is not supported (parameter-shift needs a "
                    "rotation gate); use a gradient-free optimizer such as COBYLA"
                )
        cols = [k for k in cols if k not in self._phase_cols]  # a global phase never changes probabilities
        per_run = b * 2**self.num_qubits * 16 * 4
        runs_per_chunk = max(1, max_bytes // max(1, per_run))
        pos = {j: i for i, j in enumerate(wrt)}
        grad = None
        for start in range(0, len(cols), runs_per_chunk):
            chunk = cols[start:start + runs_per_chunk]
            stacked = np.concatenate([base] * (2 * len(chunk)))
            for i, k in enumerate(chunk):
                stacked[(2 * i) * b:(2 * i + 1) * b, k] += _SHIFT
                stacked[(2 * i + 1) * b:(2 * i + 2) * b, k] -= _SHIFT
            init = None if initial is None else np.concatenate([initial] * (2 * len(chunk)))
            st = self.run_angles(stacked, init)
            out = reduce(st.real**2 + st.imag**2)
            if grad is None:
                grad = np.zeros((b, out.shape[1], len(wrt)))
            for i, k in enumerate(chunk):
                d_angle = 0.5 * (out[(2 * i) * b:(2 * i + 1) * b] - out[(2 * i + 1) * b:(2 * i + 2) * b])
                for j, dj in self._table.derivatives(k, values).items():
                    if j in pos:
                        grad[:, :, pos[j]] += d_angle * dj[:, None]
        if grad is None:
            grad = np.zeros((b, reduce(np.zeros((1, 2**self.num_qubits))).shape[1], len(wrt)))
        return grad, 2 * len(cols)

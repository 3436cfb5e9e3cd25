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

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, SupportsFloat, cast

# sympy is imported at module level on purpose: the runner meters fit/predict windows, and a
# library import is a once-per-process cost, not part of any model's fit.
import numpy as np
import sympy
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter, ParameterExpression

from qvc import _progress as progress
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
    func: Callable[..., Any] | None = None  # fallback: binds sample by sample
    args: tuple[int, ...] = ()
    expr: ParameterExpression | None = None
    depends: frozenset[int] = frozenset()
    template: _Template | None = None  # expression with its parameters as positional placeholders


class _Template:
    """One expression shape, e.g. ``2*(pi - a0)*(pi - a1)``, vectorised once with sympy for all its uses.

    Feature maps repeat a handful of shapes over many parameter pairs; lambdifying each shape
    once (per process) instead of each expression keeps compile time small.
    """

    def __init__(self, expr: ParameterExpression, placeholders: list) -> None:
        self.expr = expr                      # written in the placeholders
        self.placeholders = placeholders
        sym = expr.sympify()
        by_name = {str(v): v for v in sym.free_symbols}
        self.symbols = [by_name.get(p.name, sympy.Symbol(p.name)) for p in placeholders]
        self.sym = sym
        self.func = sympy.lambdify(self.symbols, sym, modules="numpy")
        probe = np.linspace(0.37, 1.91, len(placeholders))
        exact = complex(expr.bind(dict(zip(placeholders, probe)))).real
        got = np.real(np.asarray(self.func(*(np.array([v]) for v in probe)), dtype=complex)).ravel()[0]
        self.ok = bool(np.isclose(got, exact, rtol=1e-12, atol=1e-12))
        self._grads: list | None = None

    def __call__(self, *cols: np.ndarray) -> np.ndarray:
        return np.real(np.asarray(self.func(*cols), dtype=complex)) * np.ones(np.shape(cols[0]))

    def grads(self) -> list:
        """Per placeholder: the derivative as a constant (float) or a vectorised function."""
        if self._grads is None:
            out: list[float | Callable[..., np.ndarray]] = []
            for symbol in self.symbols:
                d = sympy.diff(self.sym, symbol)
                if d.free_symbols:
                    f = sympy.lambdify(self.symbols, d, modules="numpy")
                    out.append(lambda *c, _f=f: np.real(np.asarray(_f(*c), dtype=complex)) * np.ones(np.shape(c[0])))
                else:
                    out.append(float(sympy.re(d)))
            self._grads = out
        return self._grads


_TEMPLATES: dict[str, _Template] = {}
_PLACEHOLDERS: list = []


def _template_of(expr: ParameterExpression, params: list) -> _Template:
    while len(_PLACEHOLDERS) < len(params):
        _PLACEHOLDERS.append(Parameter(f"_qvc_arg{len(_PLACEHOLDERS)}"))
    holders = _PLACEHOLDERS[:len(params)]
    shape = expr.subs(dict(zip(params, holders)))
    key = f"{len(params)}|{shape}"
    hit = _TEMPLATES.get(key)
    if hit is None:
        hit = _TEMPLATES[key] = _Template(shape, holders)
    return hit


class _AngleTable:
    def __init__(self, parameters: list[Parameter]) -> None:
        self.parameters = list(parameters)
        self.position = {p: i for i, p in enumerate(self.parameters)}
        self.columns: list[_Angle] = []
        self._groups: list = []

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
            params = sorted(expr.parameters, key=lambda p: self.position[p])
            args = tuple(self.position[p] for p in params)
            template = _template_of(expr, params)
            col = _Angle(args=args, expr=expr, depends=frozenset(args), template=template)
            if not template.ok:  # sympy's form disagrees with qiskit's: bind sample by sample
                col.func = _bind_each(expr, params)
        self.columns.append(col)
        return len(self.columns) - 1

    def finalize(self) -> None:
        """Group the expression columns by template: one vectorised call per template."""
        groups: dict[int, tuple] = {}
        for k, col in enumerate(self.columns):
            if col.template is not None and col.func is None:
                groups.setdefault(id(col.template), (col.template, [], []))
                groups[id(col.template)][1].append(k)
                groups[id(col.template)][2].append(col.args)
        self._groups = [(t, np.array(ks), np.array(args).T) for t, ks, args in groups.values()]

    def column_key(self, k: int) -> tuple:
        """Equal for columns that always hold equal values (same parameter, constant or
        expression shape on the same parameters); e.g. the columns of a map's repetitions."""
        col = self.columns[k]
        if col.const is not None:
            return ("const", col.const)
        if col.index is not None:
            return ("parameter", col.index)
        if col.template is not None and col.func is None:
            return ("template", id(col.template), col.args)
        return ("column", k)

    def evaluate(self, values: np.ndarray) -> np.ndarray:
        """Angle table ``(batch, n_columns)`` for parameter values ``(batch, n_parameters)``."""
        b = values.shape[0]
        out = np.empty((b, len(self.columns)))
        for template, ks, args in self._groups:
            out[:, ks] = template(*(values[:, a] for a in args))
        for k, col in enumerate(self.columns):
            if col.const is not None:
                out[:, k] = col.const
            elif col.index is not None:
                out[:, k] = values[:, col.index]
            elif col.func is not None:
                out[:, k] = col.func(*(values[:, j] for j in col.args))
        return out

    def derivatives(self, k: int, values: np.ndarray) -> dict[int, np.ndarray]:
        """``{parameter j: d angle_k / d parameter_j}`` per sample."""
        col = self.columns[k]
        if col.const is not None:
            return {}
        if col.index is not None:
            return {col.index: np.ones(values.shape[0])}
        if col.template is None or not col.template.ok:
            raise QvcUsageError(f"cannot differentiate parameter expression {col.expr}")
        out: dict[int, np.ndarray] = {}
        cols = [values[:, j] for j in col.args]
        for j, g in zip(col.args, col.template.grads()):
            d = np.full(values.shape[0], g) if isinstance(g, float) else g(*cols)
            out[j] = out.get(j, 0) + d
        return out


def _bind_each(expr: ParameterExpression, params: list):
    def bind_each(*cols):
        return np.array([complex(expr.bind(dict(zip(params, row)))).real for row in zip(*cols)])

    return bind_each


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


# ---------------------------------------------------------------------------
# diagonal blocks as quadratic forms in the basis bits
# ---------------------------------------------------------------------------


_MOBIUS_MEMO: dict[tuple, list] = {}
#: Phase tables of up to this many basis states are built directly (sin/cos of the whole table).
_DIRECT_TABLE_MAX_DIM = 16


class _NotQuadratic(Exception):
    """A block whose phase is not a quadratic form of the basis bits (or whose permutation is not affine)."""


def _affine_perm(perm: np.ndarray, k: int) -> tuple[list[int], int] | None:
    """``(columns, offset)`` when ``perm`` (on ``k``-bit labels) is affine over GF(2), else ``None``."""
    p0 = int(perm[0])
    cols = [int(perm[1 << i]) ^ p0 for i in range(k)]
    for j in range(2**k):
        v = p0
        for i in range(k):
            if (j >> i) & 1:
                v ^= cols[i]
        if v != int(perm[j]):
            return None
    return cols, p0


def _mobius(values: np.ndarray) -> np.ndarray:
    """Coefficients of the multilinear polynomial that takes ``values`` on the 2**s bit assignments."""
    v = np.array(values, dtype=float)
    s = v.size.bit_length() - 1
    for i in range(s):
        w = v.reshape(-1, 2, 2**i)
        w[:, 1, :] -= w[:, 0, :]
    return v


@dataclass
class _QuadraticForm:
    """``|b> -> exp(i phi(b)) |pi(b)>`` with ``phi`` quadratic in the bits of ``b`` and ``pi`` affine.

    ``phi(b) = c_0 + sum_q c_q b_q + sum_{i<j} c_ij b_i b_j``; every coefficient is linear in the
    block's angle columns (``coef = angles[:, cols] @ matrix + offset``). The phase table over all
    ``2**n`` basis states is built by doubling, one complex multiplication per entry and level
    (no sin/cos over the table, no pattern table in memory): the entries with bit ``q`` set are
    the entries below ``2**q`` times ``exp(i (c_q + sum_{i<q} c_iq b_i))``, itself a product table.
    """

    num_qubits: int
    cols: np.ndarray            # angle columns the coefficients depend on
    matrix: np.ndarray          # (len(cols), n_terms)
    offset: np.ndarray          # (n_terms,)
    t_const: int | None         # term index of c_0
    t_lin: list                 # per qubit: term index of c_q or None
    pairs: list                 # per qubit q: [(i, term index of c_iq)] with i < q
    masks: list                 # final label of qubit q: parity(b & masks[q]) ^ flips[q]
    flips: list
    _inverse: np.ndarray | None = None
    _direct: tuple | None = None  # small tables: (phase matrix over the basis, constant phases)

    @classmethod
    def build(cls, steps: list, n: int) -> _QuadraticForm:
        masks, flips = [1 << q for q in range(n)], [0] * n
        cols = sorted({s[3] for s in steps if s[0] == "diag"})
        where = {c: i for i, c in enumerate(cols)}
        acc: dict[int, np.ndarray] = {}

        def add(qubits, func, key, pos: int) -> None:
            union = 0
            for q in qubits:
                union |= masks[q]
            ubits = [i for i in range(n) if (union >> i) & 1]
            if len(ubits) > 10:
                raise _NotQuadratic
            locals_ = tuple(sum(1 << t for t, i in enumerate(ubits) if (masks[q] >> i) & 1) for q in qubits)
            memo_key = (key, len(ubits), locals_, tuple(flips[q] for q in qubits))
            terms = _MOBIUS_MEMO.get(memo_key)
            if terms is None:
                j = np.arange(2 ** len(ubits))
                labels = []
                for local, q in zip(locals_, qubits):
                    par = np.zeros_like(j)
                    for t in range(len(ubits)):
                        if (local >> t) & 1:
                            par ^= (j >> t) & 1
                    labels.append(par ^ flips[q])
                coeffs = _mobius(func(labels))
                terms = [(int(loc), float(coeffs[loc])) for loc in np.flatnonzero(np.abs(coeffs) > 1e-15)]
                if len(_MOBIUS_MEMO) < 4096:
                    _MOBIUS_MEMO[memo_key] = terms
            for loc, c in terms:
                subset = 0
                for t, i in enumerate(ubits):
                    if (loc >> t) & 1:
                        subset |= 1 << i
                vec = acc.get(subset)
                if vec is None:
                    vec = acc[subset] = np.zeros(len(cols) + 1)
                vec[pos] += c

        for step in steps:
            if step[0] == "diag":
                _, name, qubits, col = step
                add(qubits, lambda bits, name=name: _diag_pattern(name, bits), name, where[col])
            else:
                _, qubits, perm, phase = step
                k = len(qubits)
                affine = _affine_perm(perm, k)
                if affine is None:
                    raise _NotQuadratic
                if np.any(phase):
                    add(qubits, lambda bits, phase=phase: phase[sum(b << i for i, b in enumerate(bits))],
                        phase.tobytes(), len(cols))
                pcols, p0 = affine
                new = []
                for i in range(k):
                    m, f = 0, (p0 >> i) & 1
                    for t in range(k):
                        if (pcols[t] >> i) & 1:
                            m ^= masks[qubits[t]]
                            f ^= flips[qubits[t]]
                    new.append((m, f))
                for q, (m, f) in zip(qubits, new):
                    masks[q], flips[q] = m, f
        terms = []
        for subset, vec in acc.items():
            if np.abs(vec).max() <= 1e-12:
                continue
            if bin(subset).count("1") > 2:
                raise _NotQuadratic
            terms.append((subset, vec))
        t_const: int | None = None
        t_lin: list[int | None] = [None] * n
        pairs: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for t, (subset, _) in enumerate(terms):
            bits = [i for i in range(n) if (subset >> i) & 1]
            if not bits:
                t_const = t
            elif len(bits) == 1:
                t_lin[bits[0]] = t
            else:
                pairs[bits[1]].append((bits[0], t))
        mat = np.array([v for _, v in terms]).T if terms else np.zeros((len(cols) + 1, 0))
        return cls(n, np.array(cols, dtype=int), np.ascontiguousarray(mat[:-1]), mat[-1].copy(),
                   t_const, t_lin, [sorted(p) for p in pairs], masks, flips)

    def inverse(self) -> np.ndarray | None:
        """Index array ``inv`` with ``out = table[:, inv]`` applying the permutation; ``None`` if identity."""
        n = self.num_qubits
        if all(m == 1 << q and f == 0 for q, (m, f) in enumerate(zip(self.masks, self.flips))):
            return None
        if self._inverse is None:
            b = np.arange(2**n, dtype=np.int64)
            image = np.zeros_like(b)
            for q, (m, f) in enumerate(zip(self.masks, self.flips)):
                par = np.zeros_like(b)
                for i in range(n):
                    if (m >> i) & 1:
                        par ^= (b >> i) & 1
                image |= (par ^ f) << q
            inv = np.empty_like(b)
            inv[image] = b
            self._inverse = inv
        return self._inverse

    def phase_key(self, column_keys: list) -> tuple:
        """Equal for forms whose phase tables are equal (the permutation aside).

        ``column_keys[c]`` is equal for angle columns that always hold equal values.
        """
        return (self.num_qubits, tuple(column_keys[c] for c in self.cols), self.matrix.shape,
                self.matrix.tobytes(), self.offset.tobytes(), self.t_const, tuple(self.t_lin),
                tuple(tuple(p) for p in self.pairs))

    def _direct_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """``phi(b) = angles[:, cols] @ A + c`` over all basis states ``b``: ``(A, c)`` (built once)."""
        if self._direct is None:
            n = self.num_qubits
            bits = (np.arange(2**n)[None, :] >> np.arange(n)[:, None]) & 1   # (n, 2**n)
            ind = np.zeros((self.offset.size, 2**n))                          # term -> its monomial
            if self.t_const is not None:
                ind[self.t_const] = 1.0
            for q in range(n):
                if self.t_lin[q] is not None:
                    ind[self.t_lin[q]] = bits[q]
                for i, t in self.pairs[q]:
                    ind[t] = bits[q] & bits[i]
            self._direct = (np.ascontiguousarray(self.matrix @ ind), self.offset @ ind)
        return self._direct

    def table(self, angles: np.ndarray, amplitude: complex = 1.0, out: np.ndarray | None = None) -> np.ndarray:
        """``amplitude * exp(i phi(b))`` for every basis state ``b`` (before the permutation)."""
        n, b = self.num_qubits, angles.shape[0]
        if 2**n <= _DIRECT_TABLE_MAX_DIM:
            # a few qubits: the doubling loop's per-level calls cost more than sin/cos of the
            # whole table, built here by one matrix product
            a, c = self._direct_tables()
            phi = angles[:, self.cols] @ a if len(self.cols) else np.zeros((b, 2**n))
            phi += c
            if out is None:
                out = np.empty((b, 2**n), dtype=complex)
            np.cos(phi, out=out.real)
            np.sin(phi, out=out.imag)
            if amplitude != 1.0:
                out *= amplitude
            return out
        coef = (angles[:, self.cols] @ self.matrix if len(self.cols) else np.zeros((b, self.offset.size)))
        coef += self.offset
        e = np.exp(1j * coef)
        if out is None:
            out = np.empty((b, 2**n), dtype=complex)
        out[:, 0] = amplitude * (e[:, self.t_const] if self.t_const is not None else 1.0)
        scratch = None
        for q in range(n):
            size = 1 << q
            lo = out[:, :size]
            hi = out[:, size:2 * size]
            tl = self.t_lin[q]
            if not self.pairs[q]:
                if tl is None:
                    hi[...] = lo
                else:
                    np.multiply(lo, e[:, tl, None], out=hi)
                continue
            m = self.pairs[q][-1][0] + 1  # the factor depends on bits 0..m-1 only
            if scratch is None:
                scratch = np.empty((b, 2 ** max(0, n - 1)), dtype=complex)
            g = scratch[:, :1 << m]
            g[:, 0] = e[:, tl] if tl is not None else 1.0
            by_bit = dict(self.pairs[q])
            for i in range(m):
                s = 1 << i
                if i in by_bit:
                    np.multiply(g[:, :s], e[:, by_bit[i], None], out=g[:, s:2 * s])
                else:
                    g[:, s:2 * s] = g[:, :s]
            np.multiply(np.reshape(lo, (b, size >> m, 1 << m), copy=False), g[:, None, :],
                        out=np.reshape(hi, (b, size >> m, 1 << m), copy=False))
        return out


@dataclass
class _Block:
    """A run of diagonal / basis-permuting gates: |b> -> exp(i phi(b)) |pi(b)>."""

    num_qubits: int
    steps: list = field(default_factory=list)  # ("diag", name, qubits, col) | ("mono", qubits, perm, phase)
    _cache: tuple | None = None
    _qf: _QuadraticForm | bool | None = None  # False: not one; None: not tried yet

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

    def quadratic(self) -> _QuadraticForm | None:
        """The block as a quadratic form in the basis bits, if it is one (built once)."""
        if self._qf is None:
            try:
                self._qf = _QuadraticForm.build(self.steps, self.num_qubits)
            except _NotQuadratic:
                self._qf = False
        return self._qf if isinstance(self._qf, _QuadraticForm) else None

    def apply(self, state: np.ndarray, angles: np.ndarray) -> np.ndarray:
        qf = self.quadratic()
        if qf is not None:
            table = qf.table(angles)
            np.multiply(state, table, out=table)
            inverse = qf.inverse()
            return table if inverse is None else np.take(table, inverse, axis=1)
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
    _plan: list | None = None  # constant layers: [(lowest qubit, width, matrix)]

    @property
    def constant(self) -> bool:
        return all(f.const is not None for f in self.fused.values())

    def _constant_plan(self) -> list:
        """Windows of up to 4 adjacent qubits with the Kronecker product of their (constant) gates."""
        if self._plan is None:
            n, plan = self.num_qubits, []
            for lo in range(0, n, 4):
                k = min(4, n - lo)
                present = [q for q in range(lo, lo + k) if q in self.fused]
                if not present:
                    continue
                lo2, hi2 = min(present), max(present) + 1
                m = np.ones((1, 1), dtype=complex)
                for q in range(lo2, hi2):
                    m = np.kron(self.fused[q].const if q in self.fused else _EYE2, m)
                if not np.any(m.imag):
                    m = np.ascontiguousarray(m.real)
                plan.append((lo2, hi2 - lo2, m))
            self._plan = plan
        return self._plan

    def apply(self, state: np.ndarray, angles: np.ndarray, reuse: bool = False) -> np.ndarray:
        """The states after the layer; ``reuse``: ``state`` may be overwritten (the caller's own)."""
        n = self.num_qubits
        if self.constant:
            # the windows write into two alternating arrays: one new array per layer, not per
            # window (fresh pages of a large batch cost more than the arithmetic on them)
            spare, owned = None, reuse
            for lo, k, m in self._constant_plan():
                if m.dtype.kind == "f":
                    new = _apply_window_real(state, m, lo, k, n, out=spare)
                else:
                    new = _apply_window(state, m, lo, k, n)
                spare = state if owned and state.flags.c_contiguous and state.dtype == complex else None
                owned, state = True, new
            return state
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
            if m.ndim == 2 and not np.any(m.imag):  # shared by the batch and real (e.g. RY weights)
                state = _apply_window_real(state, np.ascontiguousarray(m.real), lo, k, n)
            else:
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


def _apply_window_real(state: np.ndarray, m: np.ndarray, q0: int, k: int, n: int,
                       out: np.ndarray | None = None) -> np.ndarray:
    """Apply a real ``2**k`` matrix to qubits ``q0 .. q0+k-1`` of complex states, as real products.

    The complex array is read as interleaved (re, im) doubles, so a real gate (Hadamards, real
    rotations) costs half the arithmetic of a complex matrix product. ``out``: a C-contiguous
    complex array of the states' shape, not overlapping them, to write the result into.
    """
    b = state.shape[0]
    x = np.ascontiguousarray(state).view(np.float64)
    lsz, r2, d = 2 ** (n - q0 - k), 2 ** (q0 + 1), 2**k
    if out is None:
        out = np.empty(state.shape, dtype=complex)
    res = out.view(np.float64)
    if r2 <= 8:  # fold the low qubits (and re/im) into the matrix: one product on the last axis
        big = np.kron(m, np.eye(r2))
        np.matmul(x.reshape(b * lsz, d * r2), big.T, out=res.reshape(b * lsz, d * r2))
    else:
        np.matmul(m, x.reshape(b * lsz, d, r2), out=res.reshape(b * lsz, d, r2))
    return out


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


def _is_constant(op) -> bool:
    if isinstance(op, _Layer):
        return op.constant
    if isinstance(op, _Gate):
        return op.const is not None
    return isinstance(op, _Block) and not any(step[0] == "diag" for step in op.steps)


def _apply_op(op, state: np.ndarray, angles: np.ndarray, n: int) -> np.ndarray:
    if isinstance(op, (_Block, _Layer)):
        return op.apply(state, angles)
    return _apply_kq(state, op.matrix(angles), op.qubits, n)


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
        self._circuit = circuit
        self._adjoint: _AdjointProgram | bool | None = None
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
        self._lead = 0  # leading operations that do not depend on parameters
        while self._lead < len(self._ops) and _is_constant(self._ops[self._lead]):
            self._lead += 1
        self._start: np.ndarray | None = None
        self._shared: dict[int, tuple] | None = None

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
            # a diagonal gate joins a phase block unless it can fuse into parametrised gates before
            # it (after constant ones, e.g. a Hadamard layer, the block is cheaper and keeps the
            # layer constant)
            if name in _DIAG_PARAM and (q not in self._pending or (symbolic and all(
                    isinstance(i, np.ndarray) for i in self._pending[q].items))):
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

    def _start_state(self) -> np.ndarray:
        """The state after the parameter-free leading operations, from |0...0> (computed once)."""
        if self._start is None and self._lead == 1 and isinstance(self._ops[0], _Layer):
            # one-qubit gates on |0...0>: a product state, the Kronecker product of first columns
            state = np.ones(1, dtype=complex)
            for q in range(self.num_qubits):
                f = self._ops[0].fused.get(q)
                col = f.const[:, 0] if f is not None and f.const is not None else _EYE2[:, 0]
                state = np.kron(col, state)
            self._start = state
        if self._start is None:
            state = np.zeros((1, 2**self.num_qubits), dtype=complex)
            state[0, 0] = 1.0
            for op in self._ops[:self._lead]:
                state = _apply_op(op, state, np.zeros((1, self.num_angles)), self.num_qubits)
            self._start = state[0]
        return self._start

    def _shared_tables(self) -> dict[int, tuple]:
        """Diagonal blocks whose phase table another block repeats (e.g. every rep of a ZZ map).

        ``{op index: key}``; the run builds each such table once per batch.
        """
        if self._shared is None:
            keys = {}
            columns = [self._table.column_key(c) for c in range(len(self._table.columns))]
            for i, op in enumerate(self._ops):
                qf = op.quadratic() if isinstance(op, _Block) else None
                if qf is not None:
                    keys[i] = qf.phase_key(columns)
            counts: dict[tuple, int] = {}
            for key in keys.values():
                counts[key] = counts.get(key, 0) + 1
            self._shared = {i: key for i, key in keys.items() if counts[key] > 1}
        return self._shared

    def _run_angles(self, angles: np.ndarray, initial: np.ndarray | None) -> np.ndarray:
        n, b = self.num_qubits, angles.shape[0]
        ops = self._ops
        shared = self._shared_tables()
        tables: dict[tuple, tuple] = {}  # phase tables of repeated blocks, this batch: (angles, table)

        def table(i: int, qf: _QuadraticForm) -> np.ndarray:
            key = shared[i]
            mine = angles[:, qf.cols]
            hit = tables.get(key)
            # equal columns by construction, unless the caller shifted one (parameter shift)
            if hit is not None and np.array_equal(hit[0], mine):
                return hit[1]
            out = qf.table(angles)
            if hit is None:
                tables[key] = (mine, out)
            return out

        first = 0  # index in self._ops of the first operation still to apply
        if initial is None and self._lead:
            # the leading constant gates (e.g. the first Hadamard layer) act on |0...0>: their
            # result is one fixed state, computed once; a diagonal block after it builds the
            # batch's states directly as phase tables.
            start, first = self._start_state(), self._lead
            op = ops[first] if first < len(ops) else None
            qf = op.quadratic() if isinstance(op, _Block) else None
            if qf is not None and np.abs(start - start[0]).max() <= 1e-15 * max(1.0, abs(start[0])):
                state = (table(first, qf) * start[0] if first in shared else qf.table(angles, start[0]))
                inverse = qf.inverse()
                if inverse is not None:
                    state = np.take(state, inverse, axis=1)
                first += 1
            else:
                state = np.repeat(start[None, :], b, axis=0)
        elif initial is None:
            state = np.zeros((b, 2**n), dtype=complex)
            state[:, 0] = 1.0
        else:
            state = np.array(initial, dtype=complex, copy=True).reshape(b, 2**n)
        with progress.task(len(ops) - first, "gate layers") as t:
            for i in range(first, len(ops)):
                op = ops[i]
                if i in shared:  # a repeated phase table: built once for the batch
                    qf = op.quadratic()
                    state = np.multiply(state, table(i, qf), out=state)  # (state: this run's own array)
                    inverse = qf.inverse()
                    if inverse is not None:
                        state = np.take(state, inverse, axis=1)
                elif isinstance(op, _Layer):
                    state = op.apply(state, angles, reuse=True)  # (state: this run's own array)
                elif isinstance(op, _Block):
                    state = op.apply(state, angles)
                else:
                    m = op.matrix(angles)
                    state = _apply_kq(state, m, op.qubits, n)
                t.advance()
        if self._phase_cols:
            state *= np.exp(1j * angles[:, self._phase_cols].sum(axis=1))[:, None]
        return state

    def statevectors(self, values: np.ndarray, initial: np.ndarray | None = None) -> np.ndarray:
        """Statevectors ``(batch, 2**n)`` for parameter values ``(batch, n_parameters)``."""
        return self.run_angles(self.angles(values), initial)

    def shifted_circuits(self, wrt: list[int]) -> int:
        """Circuits per sample the parameter-shift rule runs for ``wrt`` (what a QPU would run)."""
        wanted = set(wrt)
        return 2 * sum(1 for k, c in enumerate(self._table.columns)
                       if c.depends & wanted and k not in self._phase_cols)

    def adjoint_gradients(
        self,
        values: np.ndarray,
        wrt: list[int],
        projector: np.ndarray,
        initial: np.ndarray | None = None,
        max_bytes: int = 256 * 2**20,
    ) -> np.ndarray | None:
        """Exact gradients of ``|state|**2 @ projector`` by adjoint differentiation.

        One forward pass and one backward sweep that carries the state and the ``K``
        projected states (``K = projector.shape[1]`` outputs) back through the gates: the
        cost grows with the number of outputs, not with the number of parameters.

        Parameters
        ----------
        values : ndarray (batch, n_parameters)
        wrt : list of int
            Parameter columns to differentiate.
        projector : ndarray (2**n, K)
            Output ``k`` is the probability mass ``|state|**2 @ projector[:, k]``.
        initial : ndarray, optional
            Starting states (e.g. cached feature-map states).

        Returns
        -------
        ndarray (batch, K, len(wrt)), or ``None`` when the circuit has a gate the sweep cannot
        differentiate (use :meth:`probability_gradients`).
        """
        if self._adjoint is None:
            try:
                self._adjoint = _AdjointProgram(self._circuit, self.parameters)
            except (_NoAdjoint, QvcUsageError):
                self._adjoint = False
        program = self._adjoint
        if not isinstance(program, _AdjointProgram):
            return None
        values = np.asarray(values, dtype=float)
        b, dim, k = values.shape[0], 2**self.num_qubits, projector.shape[1]
        chunk = max(1, min(b, max_bytes // ((k + 4) * dim * 16)))
        out = np.empty((b, k, len(wrt)))
        with _single_blas_thread():
            for start in range(0, b, chunk):
                sl = slice(start, start + chunk)
                init = None if initial is None else initial[sl]
                final = self._run_angles(self.angles(values[sl]), init)
                out[sl] = program.gradients(values[sl], final, projector, wrt)
        return out

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


# ---------------------------------------------------------------------------
# adjoint differentiation
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# compiled circuits shared across models and kernels
# ---------------------------------------------------------------------------

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

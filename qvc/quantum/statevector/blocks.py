"""Diagonal blocks as quadratic forms in the basis bits, one-qubit layers, and the array kernels.

A phase-permutation block maps every basis state to another times a phase linear in the gate
angles; a layer applies one-qubit gates on distinct qubits per window of adjacent qubits. The
kernels below apply matrices to qubit windows of a ``(batch, 2**n)`` state array.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qvc.quantum.statevector.gates import _diag_pattern
from qvc.quantum.statevector.ops import _Fused1Q, _Gate

#: Bytes of phase-pattern tables a block may cache (larger blocks recompute per run).
_TABLE_CACHE_BYTES = 64 * 2**20

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

    def table(self, angles: np.ndarray, amplitude: complex = 1.0, out: np.ndarray | None = None,
              scratch: np.ndarray | None = None) -> np.ndarray:
        """``amplitude * exp(i phi(b))`` for every basis state ``b`` (before the permutation).

        ``out``: a C-contiguous ``(batch, 2**n)`` complex array to write into; ``scratch``: a flat
        complex array of at least ``batch * 2**(n-1)`` entries for the doubling's factor tables.
        """
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
                scratch = np.empty(b * 2 ** max(0, n - 1), dtype=complex)
            g = scratch[:b << m].reshape(b, 1 << m)
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

    def apply(self, state: np.ndarray, angles: np.ndarray, reuse: bool = False,
              spare: np.ndarray | None = None) -> np.ndarray:
        """The states after the layer; ``reuse``: ``state`` may be overwritten (the caller's own).

        ``spare``: a C-contiguous complex array of the states' shape, not overlapping them, that
        the windows may write into; the windows then alternate between ``state`` and ``spare``
        (``reuse`` implied) and the result is one of the two: no new array at all.
        """
        n = self.num_qubits
        owned = reuse or spare is not None
        if self.constant:
            # the windows write into two alternating arrays: one new array per layer at most, not
            # per window (fresh pages of a large batch cost more than the arithmetic on them)
            for lo, k, m in self._constant_plan():
                if m.dtype.kind == "f":
                    new = _apply_window_real(state, m, lo, k, n, out=spare)
                else:
                    new = _apply_window(state, m, lo, k, n, out=spare)
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
                new = _apply_window_real(state, np.ascontiguousarray(m.real), lo, k, n, out=spare)
            else:
                new = _apply_window(state, m, lo, k, n, out=spare)
            spare = state if owned and state.flags.c_contiguous and state.dtype == complex else None
            owned, state = True, new
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


def _apply_window(state: np.ndarray, m: np.ndarray, q0: int, k: int, n: int,
                  out: np.ndarray | None = None) -> np.ndarray:
    """Apply a ``2**k`` matrix (shared or per sample) to qubits ``q0 .. q0+k-1``.

    ``out``: a C-contiguous complex array of the states' shape, not overlapping them, to write into.
    """
    b = state.shape[0]
    state = np.ascontiguousarray(state)
    lsz, rsz, d = 2 ** (n - q0 - k), 2**q0, 2**k
    if out is None:
        out = np.empty(state.shape, dtype=complex)
    if rsz <= 8:  # fold the low qubits into the matrix: one matmul on the contiguous last axis
        big = m if rsz == 1 else _kron(m, np.eye(rsz, dtype=complex))
        if big.ndim == 2:
            np.matmul(state.reshape(b * lsz, d * rsz), big.T, out=out.reshape(b * lsz, d * rsz))
        else:
            np.matmul(state.reshape(b, lsz, d * rsz), np.swapaxes(big, 1, 2), out=out.reshape(b, lsz, d * rsz))
    elif m.ndim == 2:
        np.matmul(m, state.reshape(b * lsz, d, rsz), out=out.reshape(b * lsz, d, rsz))
    else:
        np.matmul(m[:, None], state.reshape(b, lsz, d, rsz), out=out.reshape(b, lsz, d, rsz))
    return out.reshape(b, -1)


#: Folded real window matrices (``kron(m, I).T``), by matrix and fold: constant layers reuse theirs.
_FOLDED: dict[tuple, np.ndarray] = {}


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
        key = (m.tobytes(), m.shape, r2)
        big_t = _FOLDED.get(key)
        if big_t is None:
            big_t = np.kron(m, np.eye(r2)).T
            if len(_FOLDED) < 256:
                _FOLDED[key] = big_t
        np.matmul(x.reshape(b * lsz, d * r2), big_t, out=res.reshape(b * lsz, d * r2))
    else:
        np.matmul(m, x.reshape(b * lsz, d, r2), out=res.reshape(b * lsz, d, r2))
    return out


_BLAS_LIBS: list | None = None


def _blas_libs() -> list:
    """threadpoolctl's controllers of every loaded BLAS (numpy's and scipy's), found once."""
    global _BLAS_LIBS
    if _BLAS_LIBS is None:
        import scipy.linalg.blas  # noqa: F401 - loaded first, so that its BLAS is found too
        from threadpoolctl import ThreadpoolController  # (ships with scikit-learn)

        _BLAS_LIBS = list(ThreadpoolController().select(user_api="blas").lib_controllers)
    return _BLAS_LIBS


class _blas_threads:  # noqa: N801 - used as a function: ``with _blas_threads(2):``
    """Context manager setting every BLAS to ``threads`` threads, and back on exit.

    threadpoolctl's own ``limit`` queries every library each time (~20 us a call, several per
    kernel evaluation); this one reads and sets the thread counts directly (~2 us).
    """

    def __init__(self, threads: int = 1) -> None:
        self.threads = max(1, int(threads))
        self._saved: list = []

    def __enter__(self) -> _blas_threads:
        for lib in _blas_libs():
            old = lib.num_threads
            if old != self.threads:
                lib.set_num_threads(self.threads)
                self._saved.append((lib, old))
        return self

    def __exit__(self, *exc) -> None:
        while self._saved:
            lib, old = self._saved.pop()
            lib.set_num_threads(old)


def _single_blas_thread():
    """Context manager limiting BLAS to one thread."""
    return _blas_threads(1)


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

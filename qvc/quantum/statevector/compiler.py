"""The compiler: :class:`CompiledCircuit`, a circuit compiled once for batched exact simulation.

The circuit is walked once into fused one-qubit layers, general gates and phase-permutation
blocks; the compiled form then simulates whole batches of parameter bindings and gives exact
gradients (adjoint sweep, or the parameter-shift rule).
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterExpression

from qvc import _progress as progress
from qvc.errors import QvcUsageError
from qvc.quantum.statevector.adjoint import _AdjointProgram, _NoAdjoint
from qvc.quantum.statevector.angles import _AngleTable
from qvc.quantum.statevector.blocks import (
    _EYE2,
    _apply_kq,
    _apply_op,
    _Block,
    _is_constant,
    _Layer,
    _QuadraticForm,
    _single_blas_thread,
)
from qvc.quantum.statevector.buffers import Workspace, WorkspacePool, chunk_rows, prefaulted_empty
from qvc.quantum.statevector.gates import (
    _DIAG_PARAM,
    _ONE_QUBIT_PARAM,
    _SHIFT,
    _SKIP,
    _TWO_QUBIT_PARAM,
    SHIFTABLE_GATES,
    _classify_constant,
)
from qvc.quantum.statevector.ops import _Fused1Q, _Gate

#: Scratch workspaces of the simulating threads, shared by every compiled circuit of the process.
_POOL = WorkspacePool()


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` and ``b`` are the same memory viewed the same way."""
    return a.shape == b.shape and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]


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

    def run_angles(self, angles: np.ndarray, initial: np.ndarray | None = None, *,
                   out: np.ndarray | None = None, threads: int = 1) -> np.ndarray:
        """Statevectors ``(batch, 2**n)`` from an angle table, starting at ``initial`` (default |0>).

        The batch runs in chunks of :func:`~qvc.quantum.statevector.buffers.chunk_rows` rows,
        each written straight into the result; a chunk's intermediate states live in its
        thread's reused scratch buffers, so the memory beyond the result is a few chunks, not a
        few batches. ``out``: a C-contiguous ``(batch, 2**n)`` complex array to write the states
        into (default: a new prefaulted one). ``threads``: chunks simulated on that many threads
        (numpy releases the GIL in the array passes). The many small per-chunk matrix products
        run on one BLAS thread: with several threads each tiny call pays a thread hand-off,
        which under load costs more than it gains.
        """
        with _single_blas_thread():
            return self._run_angles(angles, initial, out=out, threads=threads)

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

    def _run_angles(self, angles: np.ndarray, initial: np.ndarray | None, *,
                    out: np.ndarray | None = None, threads: int = 1) -> np.ndarray:
        n, b = self.num_qubits, angles.shape[0]
        dim = 2**n
        if out is None:
            out = prefaulted_empty((b, dim))
        if initial is not None:
            initial = np.asarray(initial).reshape(b, dim)
        if b == 0:
            return out
        rows = chunk_rows(n, b)
        starts = list(range(0, b, rows))
        self._shared_tables()  # built once, before any thread reads it
        if self._lead:
            self._start_state()

        def run(s0: int, ws: Workspace) -> None:
            s1 = min(b, s0 + rows)
            self._run_chunk(angles[s0:s1], None if initial is None else initial[s0:s1], out[s0:s1], ws)

        threads = max(1, min(int(threads), len(starts)))
        with progress.task(b, "statevectors") as t:
            if threads == 1:
                ws = _POOL.acquire()
                try:
                    for s0 in starts:
                        run(s0, ws)
                        t.advance(min(rows, b - s0))
                finally:
                    _POOL.release(ws)
            else:
                from concurrent.futures import ThreadPoolExecutor

                def job(first: int) -> None:
                    ws = _POOL.acquire()
                    try:
                        for s0 in starts[first::threads]:
                            run(s0, ws)
                    finally:
                        _POOL.release(ws)

                with ThreadPoolExecutor(threads) as pool:
                    list(pool.map(job, range(threads)))
                t.advance(b)
        _POOL.trim()
        return out

    def _run_chunk(self, angles: np.ndarray, initial: np.ndarray | None, dest: np.ndarray,
                   ws: Workspace) -> None:
        """Simulate one chunk of rows into ``dest`` (a C-contiguous row block of the result).

        The state alternates between ``dest`` and the workspace's ``alt`` buffer; phase tables
        and the doubling scratch are workspace buffers too, so nothing of the batch's size is
        allocated here (gates other than the ZZ map's kinds may allocate chunk-sized arrays).
        """
        n, b = self.num_qubits, angles.shape[0]
        dim = 2**n
        ops = self._ops
        shared = self._shared_tables()
        alt = ws.get("alt", b, dim)
        half = ws.flat("half", b * 2 ** max(0, n - 1))
        tables: dict[tuple, tuple] = {}  # phase tables of repeated blocks, this chunk: (angles, table)

        def table(i: int, qf: _QuadraticForm) -> np.ndarray:
            key = shared[i]
            mine = angles[:, qf.cols]
            hit = tables.get(key)
            # equal columns by construction, unless the caller shifted one (parameter shift)
            if hit is not None and np.array_equal(hit[0], mine):
                return hit[1]
            if hit is None:
                buf = qf.table(angles, out=ws.get(f"table{len(tables)}", b, dim), scratch=half)
                tables[key] = (mine, buf)
                return buf
            return qf.table(angles, out=ws.get("tmp", b, dim), scratch=half)

        def other(state: np.ndarray) -> np.ndarray:
            return alt if _same(state, dest) else dest

        def permute(state: np.ndarray, qf: _QuadraticForm) -> np.ndarray:
            inverse = qf.inverse()
            if inverse is None:
                return state
            target = other(state)
            np.take(state, inverse, axis=1, out=target)
            return target

        first = 0  # index in self._ops of the first operation still to apply
        state = dest
        if initial is None and self._lead:
            # the leading constant gates (e.g. the first Hadamard layer) act on |0...0>: their
            # result is one fixed state, computed once; a diagonal block after it builds the
            # chunk's states directly as phase tables.
            start, first = self._start_state(), self._lead
            op = ops[first] if first < len(ops) else None
            qf = op.quadratic() if isinstance(op, _Block) else None
            if qf is not None and np.abs(start - start[0]).max() <= 1e-15 * max(1.0, abs(start[0])):
                if first in shared:
                    np.multiply(table(first, qf), start[0], out=dest)
                else:
                    qf.table(angles, start[0], out=dest, scratch=half)
                state = permute(dest, qf)
                first += 1
            else:
                dest[...] = start[None, :]
        elif initial is None:
            dest[...] = 0.0
            dest[:, 0] = 1.0
        else:
            dest[...] = initial
        for i in range(first, len(ops)):
            op = ops[i]
            qf = op.quadratic() if isinstance(op, _Block) else None
            if i in shared and qf is not None:  # a repeated phase table: built once for the chunk
                np.multiply(state, table(i, qf), out=state)
                state = permute(state, qf)
            elif qf is not None:
                np.multiply(state, qf.table(angles, out=ws.get("tmp", b, dim), scratch=half), out=state)
                state = permute(state, qf)
            elif isinstance(op, _Layer):
                state = op.apply(state, angles, reuse=True, spare=other(state))
            elif isinstance(op, _Block):
                state = op.apply(state, angles)
            else:
                state = _apply_kq(state, op.matrix(angles), op.qubits, n)
        if self._phase_cols:
            state *= np.exp(1j * angles[:, self._phase_cols].sum(axis=1))[:, None]
        if not _same(state, dest):
            dest[...] = state

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

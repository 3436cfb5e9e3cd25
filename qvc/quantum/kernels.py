"""Fidelity quantum kernel on the batched statevector engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit_machine_learning.exceptions import QiskitMachineLearningError
from qiskit_machine_learning.kernels import BaseKernel, TrainableKernel

from qvc import _progress as progress
from qvc._validation import (
    available_memory_bytes,
    check_positive_int,
    check_statevector_fits,
    format_bytes,
    gram_block_plan,
    statevector_bytes,
)
from qvc.errors import QvcUsageError
from qvc.quantum.execution import SamplerExecutor, resolve_shots
from qvc.quantum.statevector import CompiledCircuit, blas, compile_circuit
from qvc.quantum.statevector.blocks import _blas_threads
from qvc.quantum.statevector.buffers import prefaulted_empty, workspace_bytes

if TYPE_CHECKING:
    from qvc.quantum.mps import MpsSimulator

#: Batches whose states take at most this many bytes skip the memory check.
_UNCHECKED_BYTES = 16 * 2**20
#: Share of the available memory the states of a kernel may take (as ``check_statevector_fits``).
STATE_MEMORY_FRACTION = 0.8


def batched_statevectors(compiled: CompiledCircuit, values: np.ndarray, *, threads: int = 1,
                         out: np.ndarray | None = None) -> np.ndarray:
    """Statevectors of ``values`` (one row per sample), written chunk by chunk into one array.

    The engine's memory beyond the result is its per-thread scratch
    (:func:`~qvc.quantum.statevector.buffers.workspace_bytes`, a few MiB); without ``out``
    the result is a new prefaulted array, and :class:`~qvc.errors.QvcUsageError` (with the
    memory it would need) is raised when result and scratch do not fit in the available memory.
    """
    n, count = compiled.num_qubits, np.shape(values)[0]
    values = np.asarray(values, dtype=float)
    if count == 0:
        return np.empty((0, 2**n), dtype=complex)
    if out is None and statevector_bytes(n, count) > _UNCHECKED_BYTES:
        # (the check reads /proc and cgroup files, ~0.3 ms a call: skipped for small batches)
        per_state = statevector_bytes(n)
        scratch = -(-workspace_bytes(n, count, threads) // per_state)
        check_statevector_fits(n, count + scratch)
    return compiled.run_angles(compiled.angles(values), out=out, threads=threads)


def state_budget_bytes(num_qubits: int, n_states: int, threads: int = 1) -> int:
    """Bytes of states a kernel may hold at once by default: what the memory guard allows.

    :data:`STATE_MEMORY_FRACTION` of the available memory (the host's, or the cgroup's
    headroom), less the engine's scratch.
    """
    avail = available_memory_bytes() * STATE_MEMORY_FRACTION
    return int(max(0.0, avail - workspace_bytes(num_qubits, n_states, threads)))


def gram_blocks(num_qubits: int, n_states: int, budget_bytes: int) -> tuple[int, int] | None:
    """``(panel rows, stream rows)`` of a blocked Gram step, or ``None`` when all states fit.

    A panel of states is held while the states after it are built ``stream`` rows at a time
    (recomputed once per panel). Raises :class:`~qvc.errors.QvcUsageError` when not even two
    states fit.

    Examples
    --------
    >>> gram_blocks(10, 100, 10**9) is None
    True
    >>> gram_blocks(10, 100, 40 * 16 * 2**10)
    (30, 10)
    """
    plan = gram_block_plan(num_qubits, n_states, budget_bytes)
    if plan == (0, 0):
        raise QvcUsageError(
            f"the kernel at {num_qubits} qubits needs room for at least two statevectors "
            f"({format_bytes(2 * statevector_bytes(num_qubits))}) but its budget is "
            f"{format_bytes(budget_bytes)}; use fewer qubits"
        )
    return plan


#: Bytes of the streamed side's block of a kernel between two sets: ``y``'s states are built this
#: many at a time against all of ``x``'s (no recomputation while ``x``'s states fit).
_CROSS_STREAM_BYTES = 512 * 2**20


def _cross_blocks(num_qubits: int, nx: int, ny: int, budget_bytes: int) -> tuple[int, int] | None:
    """``(panel rows of x, stream rows of y)`` of a kernel between two sets (``nx <= ny``).

    Larger sets stream ``y`` in blocks of :data:`_CROSS_STREAM_BYTES` (the same products, a
    fraction of the memory); ``x`` is held whole when it fits beside one block, else in panels
    (``y`` recomputed once per panel). ``None``: both sets small enough to hold at once.

    Examples
    --------
    >>> _cross_blocks(20, 143, 426, 15 * 2**30)
    (143, 32)
    >>> _cross_blocks(10, 9, 14, 4 * 16 * 2**10)
    (3, 1)
    """
    per = statevector_bytes(num_qubits)
    fit = int(budget_bytes // per)
    if fit < 2:
        gram_blocks(num_qubits, nx + ny, budget_bytes)  # raises: not even two states fit
    stream = max(1, min(ny, _CROSS_STREAM_BYTES // per))
    if nx + ny <= fit and stream >= ny:
        return None
    if nx + stream > fit:
        stream = max(1, min(stream, fit // 4))
        return fit - stream, stream
    return nx, stream


#: Up to this many amplitudes per state the Gram step runs in row blocks (see _fidelity_triangle).
_BLOCKED_GRAM_MAX_DIM = 256
#: Bytes of the complex overlap buffer the blocked Gram step reuses for every row block.
_GRAM_BLOCK_BYTES = 2**20
#: Most bytes the per-thread partial overlap matrices of a threaded Gram may take together.
_THREAD_PARTIAL_BYTES = 256 * 2**20


_UPPER: dict[int, np.ndarray] = {}


def _strict_upper(w: int) -> np.ndarray:
    """Boolean mask of the strict upper triangle of a ``w x w`` matrix (kept per size)."""
    mask = _UPPER.get(w)
    if mask is None:
        mask = _UPPER[w] = np.triu(np.ones((w, w), dtype=bool), 1)
    return mask


def _fidelity_triangle(states: np.ndarray, threads: int = 1) -> np.ndarray:
    """``|<s_i|s_j>|**2`` for all pairs, computing one triangle and mirroring it.

    Large states: one ZHERK (the upper triangle of ``conj(S) S^T``), squared and mirrored.
    Small states (up to :data:`_BLOCKED_GRAM_MAX_DIM` amplitudes): the ``N x N`` complex
    overlap matrix and its temporaries would cost more than the arithmetic (fresh memory is
    page-faulted in: at 4 qubits x 569 samples ~5 ms of 6 ms went there), so the upper triangle
    is computed in row blocks into one reused ~1 MiB buffer and squared straight into the output.
    BLAS runs on ``threads`` threads.
    """
    m, dim = states.shape
    if threads > 1 and m >= 4 * threads and dim > _BLOCKED_GRAM_MAX_DIM and blas.available():
        return _fidelity_threaded(states, threads)
    if dim > _BLOCKED_GRAM_MAX_DIM or m < 2:
        return _fidelity_zherk(states, threads)
    from scipy.linalg.blas import zgemm

    out = np.empty((m, m))
    rows = int(max(1, min(m, _GRAM_BLOCK_BYTES // (16 * m))))
    buf = np.empty(rows * m, dtype=complex)
    with _blas_threads(threads):
        for r0 in range(0, m, rows):
            r1 = min(m, r0 + rows)
            w, h = r1 - r0, m - r0
            # c[j, i] = <s_(r0+j)|s_(r0+i)>, the conjugate of <s_i|s_j> (same modulus), Fortran
            # order: c.T is rows r0..r1 of the upper triangle, contiguous, as the output wants.
            c = buf[:w * h].reshape((h, w), order="F")
            c = zgemm(1.0, states[r0:].T, states[r0:r1].T, trans_a=2, c=c, overwrite_c=1)
            v = c.T.view(np.float64)  # (re, im) pairs
            np.square(v, out=v)
            block = out[r0:r1, r0:]
            np.add(v[:, 0::2], v[:, 1::2], out=block)
            diag = block[:, :w]  # symmetric exactly: the lower triangles copied from the upper
            np.copyto(diag.T, diag, where=_strict_upper(w))
            out[r1:, r0:r1] = block[:, w:].T
    np.fill_diagonal(out, 1.0)  # a state's fidelity with itself
    return out


def _equal_area_bands(m: int, parts: int) -> list[tuple[int, int]]:
    """Row bands ``[r0, r1)`` of the upper triangle of an ``m x m`` matrix with equal areas.

    >>> _equal_area_bands(10, 3)
    [(0, 2), (2, 4), (4, 10)]
    """
    parts = max(1, min(int(parts), m))
    total = m * (m + 1) / 2
    cuts = [0]
    for k in range(1, parts):
        area = total * k / parts  # rows 0..r-1 of the triangle hold r*m - r*(r-1)/2 entries
        r = int(round(m + 0.5 - np.sqrt((m + 0.5) ** 2 - 2 * area)))
        cuts.append(min(m, max(cuts[-1] + 1, r)))
    cuts.append(m)
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


def _summed_over_amplitudes(product: Callable[[int, int, np.ndarray], None], shape: tuple[int, int], dim: int,
                            threads: int, alloc: Callable[..., np.ndarray]) -> np.ndarray:
    """``sum_k product(k0_k, k1_k)``: the amplitudes ``0..dim`` cut into one share per thread.

    ``product(k0, k1, out)`` writes the overlaps restricted to amplitudes ``k0..k1`` into a
    Fortran-ordered complex ``out`` of ``shape`` (made by ``alloc``), on a pool of ``threads``
    Python threads with one-thread BLAS; the partials are then added up.
    """
    from concurrent.futures import ThreadPoolExecutor

    cuts = np.linspace(0, dim, threads + 1).astype(int)
    parts = [alloc(shape, dtype=complex, order="F") for _ in range(threads)]
    with _blas_threads(1), ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda k: product(int(cuts[k]), int(cuts[k + 1]), parts[k]), range(threads)))
    total = parts[0]
    for extra in parts[1:]:
        total += extra
    return total


def _fidelity_threaded(states: np.ndarray, threads: int) -> np.ndarray:
    """:func:`_fidelity_triangle` on ``threads`` Python threads, each running one-thread BLAS.

    Each thread runs one ZHERK over its share of the amplitudes (``<s_i|s_j>`` is a sum over
    amplitudes, so the partial upper triangles add up to the whole one), the partials are
    summed, squared and mirrored; when ``threads`` partial ``N x N`` matrices would take more
    than :data:`_THREAD_PARTIAL_BYTES`, the triangle is cut instead into row bands of equal area
    (two per thread, from one queue), one ZGEMM each. The BLAS calls go through
    :mod:`qvc.quantum.statevector.blas`, which releases the GIL (scipy's own wrappers hold it:
    two threads ran one after the other, 0.98x the one-thread wall time at 16 x 300). Unlike
    BLAS's own threads, which meet at barriers and spin there, Python threads with one-thread
    BLAS do not wait on each other mid-product (measured 16 x 300 at load 8: OpenBLAS with 2
    threads 8.1 s wall and 3.2 CPU s against 1.4 s and 0.59 s with one). Measured here, 16 x 300
    on an idle 2-core machine: one thread 0.46 s, two 0.23-0.30 s wall at equal CPU time.
    """
    from concurrent.futures import ThreadPoolExecutor

    m, dim = states.shape
    if threads * 16 * m * m <= _THREAD_PARTIAL_BYTES:
        # zeros: ZHERK writes the upper triangle only, the lower one must add up to 0
        gram = _summed_over_amplitudes(lambda k0, k1, out: blas.zherk_slice(states, k0, k1, out),
                                       (m, m), dim, threads, np.zeros)
        fid = gram.real**2 + gram.imag**2  # upper triangle; the lower one stayed zero
        np.fill_diagonal(fid, 0.5)
        return fid + fid.T

    out = np.empty((m, m))

    def band(rows: tuple[int, int]) -> None:
        r0, r1 = rows
        w = r1 - r0
        c = np.empty((m - r0, w), dtype=complex, order="F")
        blas.zgemm_rows(states[r0:], states[r0:r1], 0, dim, c)  # c.T: rows r0..r1, columns r0..m
        v = c.T.view(np.float64)
        np.square(v, out=v)
        block = out[r0:r1, r0:]
        np.add(v[:, 0::2], v[:, 1::2], out=block)
        diag = block[:, :w]
        np.copyto(diag.T, diag, where=_strict_upper(w))
        out[r1:, r0:r1] = block[:, w:].T

    with _blas_threads(1), ThreadPoolExecutor(threads) as pool:
        list(pool.map(band, _equal_area_bands(m, 2 * threads)))
    np.fill_diagonal(out, 1.0)
    return out


def _fidelity_zherk(states: np.ndarray, threads: int = 1) -> np.ndarray:
    """:func:`_fidelity_triangle` by one ZHERK."""
    from scipy.linalg.blas import zherk

    # S.T is Fortran-ordered, so BLAS reads it in place: upper triangle of conj(S) S^T.
    # One BLAS thread by default: on a shared 2-core machine a second thread costs more wall
    # time than it saves (measured 1.09 s vs 0.23 s for a 40 x 2**20 Gram under load).
    with _blas_threads(threads):
        gram = zherk(1.0, states.T, trans=2)
    fid = gram.real**2 + gram.imag**2  # upper triangle; ZHERK leaves the lower one zero
    np.fill_diagonal(fid, 0.5)          # 0.5 + 0.5 = 1 (a state's fidelity with itself)
    return fid + fid.T


def _fidelity_cross(sx: np.ndarray, sy: np.ndarray, threads: int = 1) -> np.ndarray:
    """``|<s_x|s_y>|**2`` for every pair of rows: one ZGEMM, ``conj(S_x) S_y^T`` read in place.

    ``threads > 1``: as :func:`_fidelity_threaded`, one ZGEMM per thread over its share of the
    amplitudes, the partials summed (or, when the partials would exceed
    :data:`_THREAD_PARTIAL_BYTES`, one ZGEMM per part of the columns), with the GIL released.
    """
    from scipy.linalg.blas import zgemm

    nx, dim = sx.shape
    ny = sy.shape[0]
    if threads <= 1 or ny < 2 * threads or not blas.available():
        with _blas_threads(1):
            overlap = zgemm(1.0, sx.T, sy.T, trans_a=2)
        return overlap.real**2 + overlap.imag**2
    from concurrent.futures import ThreadPoolExecutor

    sx, sy = np.ascontiguousarray(sx), np.ascontiguousarray(sy)
    if threads * 16 * nx * ny <= _THREAD_PARTIAL_BYTES:
        overlap = _summed_over_amplitudes(lambda k0, k1, out: blas.zgemm_rows(sx, sy, k0, k1, out),
                                          (nx, ny), dim, threads, np.empty)
        return overlap.real**2 + overlap.imag**2

    out = np.empty((nx, ny))
    cuts = np.linspace(0, ny, 2 * threads + 1).astype(int)

    def part(k: int) -> None:
        c0, c1 = int(cuts[k]), int(cuts[k + 1])
        g = np.empty((nx, c1 - c0), dtype=complex, order="F")
        blas.zgemm_rows(sx, sy[c0:c1], 0, dim, g)
        out[:, c0:c1] = g.real**2 + g.imag**2

    with _blas_threads(1), ThreadPoolExecutor(threads) as pool:
        list(pool.map(part, range(2 * threads)))
    return out


def fidelity_gram(compiled: CompiledCircuit, x: np.ndarray, y: np.ndarray | None = None, *,
                  threads: int = 1, max_state_bytes: int | None = None) -> tuple[np.ndarray, int]:
    """Fidelity kernel matrix of the circuit's states, and how many states were simulated.

    ``y`` omitted: the symmetric ``N x N`` matrix of ``x``. When the states do not fit in
    ``max_state_bytes`` (default :func:`state_budget_bytes`, what the memory guard allows) the
    matrix is built in blocks (:func:`gram_blocks`): a panel of states is held while the
    others are simulated block by block against it, recomputed once per panel; every entry
    is the same product as unblocked (equal to ~1e-15). Between two sets the smaller one is
    held and the other streamed in blocks (:func:`_cross_blocks`) even when both would fit.
    Returns ``(matrix, states simulated)``: ``N`` (plus ``M``) unblocked, more when blocks
    were recomputed.
    """
    n = compiled.num_qubits
    nx = x.shape[0]
    ny = 0 if y is None else y.shape[0]
    if y is not None and ny < nx:  # the smaller side is held, the larger one streamed
        kernel, built = fidelity_gram(compiled, y, x, threads=threads, max_state_bytes=max_state_bytes)
        return np.ascontiguousarray(kernel.T), built
    small = statevector_bytes(n, nx + ny) <= _UNCHECKED_BYTES
    if max_state_bytes is None and small:
        plan = None  # small: no memory files read (~0.3 ms), batched_statevectors skips its check too
    else:
        budget = state_budget_bytes(n, nx + ny, threads) if max_state_bytes is None else int(max_state_bytes)
        if y is None:
            plan = gram_blocks(n, nx, budget) if nx > 0 else None
        else:
            plan = _cross_blocks(n, nx, ny, budget)
    if plan is None:
        sx = batched_statevectors(compiled, x, threads=threads)
        if y is None:
            return _fidelity_triangle(sx, threads), nx
        sy = batched_statevectors(compiled, y, threads=threads)
        return _fidelity_cross(sx, sy, threads), nx + ny
    panel, stream = plan
    dim = 2**n
    panel = min(panel, nx)
    pbuf = prefaulted_empty((panel, dim))
    sbuf = prefaulted_empty((stream, dim))
    other = x if y is None else y
    out = np.empty((nx, nx if y is None else ny))
    built = 0
    panels = range(0, nx, panel)
    total = nx + sum(other.shape[0] - (min(nx, p0 + panel) if y is None else 0) for p0 in panels)
    with progress.task(total, "statevectors (blocked Gram)") as t:
        for p0 in panels:
            p1 = min(nx, p0 + panel)
            t.begin(p1 - p0)
            sp = batched_statevectors(compiled, x[p0:p1], threads=threads, out=pbuf[:p1 - p0])
            built += p1 - p0
            t.advance(p1 - p0)
            q_first = p1 if y is None else 0
            if y is None:
                out[p0:p1, p0:p1] = _fidelity_triangle(sp, threads)
            for q0 in range(q_first, other.shape[0], stream):
                q1 = min(other.shape[0], q0 + stream)
                t.begin(q1 - q0)
                sq = batched_statevectors(compiled, other[q0:q1], threads=threads, out=sbuf[:q1 - q0])
                built += q1 - q0
                block = _fidelity_cross(sp, sq, threads)
                out[p0:p1, q0:q1] = block
                if y is None:
                    out[q0:q1, p0:p1] = block.T
                t.advance(q1 - q0)
    return out, built


class StatevectorKernel(BaseKernel):
    r"""Fidelity kernel :math:`K(x, y) = |\langle\phi(y)|\phi(x)\rangle|^2` for any feature map.

    A drop-in :class:`~qiskit_machine_learning.kernels.BaseKernel` for ``QSVC``,
    ``PegasosQSVC`` and ``SVC(kernel="precomputed")``, taking the same ``feature_map``,
    ``shots`` and ``enforce_psd`` arguments as qiskit-ml's ``FidelityStatevectorKernel``
    (run against qiskit-ml's own kernel, QSVC and PegasosQSVC tests in CI:
    ``tests/peer/run_qiskit_ml_suite.py``). In exact mode it equals that kernel:
    statevectors are computed once per sample by the batched engine and the Gram matrix
    is one complex matrix product (one triangle when ``y`` is omitted or equal to ``x``).

    Parameters
    ----------
    feature_map : QuantumCircuit
        Parametrised feature map; required (qiskit-ml's ``QiskitMachineLearningError`` if
        omitted, as from its own kernels).
    execution : str, optional
        ``exact``; ``shots`` (each entry ~ Binomial(shots, fidelity) / shots, seeded,
        the distribution of a compute-uncompute circuit run with that many shots);
        ``noisy:<fake backend>`` (compute-uncompute circuits sampled on Aer with the
        device's noise model); ``mps[:options]`` (Aer matrix-product states and their
        overlaps, :mod:`qvc.quantum.mps`). Default: ``shots`` if ``shots`` is given, else ``exact``.
    shots : int or None, default None
        Shots per kernel entry. As in qiskit-ml, giving ``shots`` alone switches shot
        noise on; with ``execution="exact"`` it is refused rather than ignored. The
        stochastic modes default to 1024.
    seed : int or None
        Seed of the shot noise.
    enforce_psd : bool, default True
        In the stochastic modes, project a symmetric Gram matrix to the closest
        positive semi-definite matrix (as qiskit-ml does).
    threads : int, default 1
        Threads of the exact engine: the state build runs its row chunks on that many
        threads and the Gram step's BLAS on as many. One by default (metered runs on a
        shared machine keep their energy attributable to one core).
    max_state_bytes : int or None, default None
        Bytes of statevectors the exact kernel may hold at once; when the states of a call
        need more, the matrix is built in blocks that are recomputed as needed
        (:func:`fidelity_gram`). Default: what the memory guard allows (80 % of the available
        memory less the engine's scratch).

    Notes
    -----
    Differences from qiskit-ml's kernels: no ``statevector_type`` / ``cache_size`` /
    ``auto_clear_cache`` (statevectors of one call are computed as one batch, not cached
    per sample); shot noise is drawn once per pair from the kernel's own seeded
    generator (a symmetric matrix, as ``N(N-1)/2`` compute-uncompute runs give), not
    from ``algorithm_globals`` once per entry. The trainable variant for qiskit-ml's
    ``QuantumKernelTrainer`` is :class:`TrainableStatevectorKernel`. A kernel pickles,
    evaluated or not (the compiled feature map is rebuilt on first use after loading).

    Attributes
    ----------
    last_circuits : int
        Compute-uncompute circuits a QPU would run for the last :meth:`evaluate`:
        ``N(N-1)/2`` for a symmetric matrix (the diagonal is 1 by construction),
        ``N*M`` otherwise.
    last_states_simulated : int
        Statevectors the exact engine simulated for the last :meth:`evaluate`: ``N`` (plus
        ``M``), more when a blocked Gram step recomputed blocks.

    Examples
    --------
    >>> import numpy as np
    >>> from qvc.quantum.circuits import feature_map
    >>> kernel = StatevectorKernel(feature_map=feature_map(2))
    >>> K = kernel.evaluate(np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.1]]))
    >>> K.shape, float(K[0, 0]), kernel.last_circuits
    ((3, 3), 1.0, 3)
    """

    def __init__(
        self,
        *,
        feature_map: QuantumCircuit | None = None,
        execution: str | None = None,
        shots: int | None = None,
        seed: int | None = None,
        enforce_psd: bool = True,
        threads: int = 1,
        max_state_bytes: int | None = None,
    ) -> None:
        # a feature map is required, as in qiskit-ml (BaseKernel raises on None)
        super().__init__(feature_map=feature_map, enforce_psd=enforce_psd)
        self.threads = check_positive_int(threads, "threads")
        self.max_state_bytes = None if max_state_bytes is None else check_positive_int(
            max_state_bytes, "max_state_bytes")
        self.last_states_simulated = 0
        self.mode, self.shots = resolve_shots(execution, shots)
        self.seed = seed
        self._rng: np.random.Generator | None = None  # created on the first draw
        self._compiled: CompiledCircuit | None = None
        self._compiled_for: QuantumCircuit | None = None
        self._executor: SamplerExecutor | None = None
        self._template: QuantumCircuit | None = None
        self._mps: MpsSimulator | None = None
        #: ``circuit -> (fidelity, how)`` for ``mps:matched``: the device's estimate, injected by
        #: the caller that knows the device (:func:`qvc.energy.devices.circuit_fidelity`).
        self.circuit_fidelity: Callable[[QuantumCircuit], tuple[float, str]] | None = None
        self.last_circuits = 0

    def __getstate__(self) -> dict:
        # The compiled feature map is rebuilt on first use after loading, and so is the
        # Aer/sampler executor of the noisy modes.
        state = self.__dict__.copy()
        state["_compiled"] = state["_compiled_for"] = state["_executor"] = state["_mps"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    # -- statevectors ---------------------------------------------------------
    def _engine(self) -> CompiledCircuit:
        if self._compiled is None or self._compiled_for is not self._feature_map:
            self._compiled = compile_circuit(self._feature_map)
            self._compiled_for = self._feature_map
        return self._compiled

    def _circuit_values(self, x_vec: np.ndarray) -> np.ndarray:
        """Values of every feature-map parameter (``feature_map.parameters`` order) per sample."""
        return x_vec

    def statevectors(self, x_vec: np.ndarray) -> np.ndarray:
        """Feature-map statevectors ``(N, 2**n)`` of the samples ``x_vec``."""
        x_vec, _ = self._validate_input(x_vec, None)
        return batched_statevectors(self._engine(), self._circuit_values(x_vec), threads=self.threads)

    # -- evaluation -----------------------------------------------------------
    def evaluate(self, x_vec: np.ndarray, y_vec: np.ndarray | None = None) -> np.ndarray:
        """Kernel matrix ``(N, M)`` between ``x_vec`` and ``y_vec`` (``x_vec`` itself if omitted)."""
        x_vec, y_vec = self._validate_input(x_vec, y_vec)
        symmetric = y_vec is None or np.array_equal(x_vec, y_vec)
        n_x = x_vec.shape[0]
        n_y = n_x if y_vec is None else y_vec.shape[0]
        self.last_circuits = n_x * (n_x - 1) // 2 if symmetric else n_x * n_y
        x_vals = self._circuit_values(x_vec)
        y_vals = None if symmetric or y_vec is None else self._circuit_values(y_vec)
        if self.mode.uses_sampler:
            kernel = self._sampled(x_vals, y_vals)
        elif self.mode.kind == "mps":
            kernel = self.mps_simulator().kernel(x_vals, y_vals)
        else:
            kernel = self._exact(x_vals, y_vals)
            if self.mode.kind == "shots":
                kernel = self._shot_noise(kernel, symmetric)
        if symmetric and self.mode.stochastic and self._enforce_psd:
            kernel = self._make_psd(kernel)
        return kernel

    def mps_simulator(self) -> MpsSimulator:
        """The :class:`~qvc.quantum.mps.MpsSimulator` of the ``mps`` mode (built once)."""
        from qvc.quantum.mps import MpsSimulator, parse_mps_options

        if self._mps is None or self._mps.feature_map is not self._feature_map:
            opts = parse_mps_options(self.mode.backend)
            fid = self.circuit_fidelity(self._feature_map) if opts.matched and self.circuit_fidelity else None
            self._mps = MpsSimulator(self._feature_map, opts, fidelity=fid)
        return self._mps

    def _exact(self, x_vec: np.ndarray, y_vec: np.ndarray | None) -> np.ndarray:
        kernel, built = fidelity_gram(self._engine(), x_vec, y_vec, threads=self.threads,
                                      max_state_bytes=self.max_state_bytes)
        self.last_states_simulated = built
        return kernel

    @property
    def _shot_count(self) -> int:
        if self.shots is None:  # resolve_shots sets shots for every stochastic mode
            raise QvcUsageError("this kernel is exact; it draws no shots")
        return self.shots

    def _add_shot_noise(self, fidelity: np.ndarray) -> np.ndarray:
        """Fidelities estimated from ``shots`` shots each: Binomial(shots, p) / shots."""
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        shots = self._shot_count
        return self._rng.binomial(shots, fidelity) / shots

    def _shot_noise(self, fidelity: np.ndarray, symmetric: bool) -> np.ndarray:
        p = np.clip(fidelity, 0.0, 1.0)
        if not symmetric:
            return np.broadcast_to(self._add_shot_noise(p), p.shape).astype(float)
        iu = np.triu_indices(p.shape[0], 1)
        out = np.zeros_like(p)
        out[iu] = self._add_shot_noise(p[iu])
        out = out + out.T
        np.fill_diagonal(out, 1.0)
        return out

    def _sampled(self, x_vec: np.ndarray, y_vec: np.ndarray | None) -> np.ndarray:
        from qvc.quantum.circuits import kernel_template

        if self._executor is None:
            self._executor = SamplerExecutor(self.mode, shots=self._shot_count, seed=self.seed)
        if self._template is None or self._template.num_qubits != self._feature_map.num_qubits:
            self._template = kernel_template(self._feature_map)
        params = list(self._template.parameters)  # x[0..d-1], y[0..d-1]
        if y_vec is None:
            i, j = np.triu_indices(x_vec.shape[0], 1)
            values = np.hstack([x_vec[i], x_vec[j]])
            out = np.eye(x_vec.shape[0])
            if values.shape[0]:
                out[i, j] = self._executor.zero_probability(self._template, params, values)
                out[j, i] = out[i, j]
            return out
        gi, gj = np.meshgrid(np.arange(x_vec.shape[0]), np.arange(y_vec.shape[0]), indexing="ij")
        values = np.hstack([x_vec[gi.ravel()], y_vec[gj.ravel()]])
        return self._executor.zero_probability(self._template, params, values).reshape(gi.shape)


class TrainableStatevectorKernel(TrainableKernel, StatevectorKernel):
    """:class:`StatevectorKernel` whose feature map has trainable parameters.

    A drop-in for qiskit-ml's ``TrainableFidelityStatevectorKernel``, usable with its
    ``QuantumKernelTrainer``: the feature-map parameters listed in ``training_parameters``
    are fixed with :meth:`assign_training_parameters`; the others take the data. The
    circuit is compiled once for all its parameters, so new training values cost no
    recompilation.

    Parameters
    ----------
    feature_map : QuantumCircuit
        Feature map with data and training parameters.
    training_parameters : sequence of Parameter
        The trainable ones.
    execution, shots, seed, enforce_psd, threads, max_state_bytes
        As for :class:`StatevectorKernel`.

    Examples
    --------
    >>> import numpy as np
    >>> from qiskit.circuit.library import zz_feature_map
    >>> data, train = zz_feature_map(2), zz_feature_map(2, parameter_prefix="t")
    >>> kernel = TrainableStatevectorKernel(feature_map=data.compose(train),
    ...                                     training_parameters=train.parameters)
    >>> kernel.assign_training_parameters([0.1, 0.2])
    >>> kernel.num_features, kernel.evaluate(np.array([[0.3, 0.4], [0.5, 0.6]])).shape
    (2, (2, 2))
    """

    def __init__(
        self,
        *,
        feature_map: QuantumCircuit | None = None,
        training_parameters: Sequence[Parameter] | None = None,
        execution: str | None = None,
        shots: int | None = None,
        seed: int | None = None,
        enforce_psd: bool = True,
        threads: int = 1,
        max_state_bytes: int | None = None,
    ) -> None:
        super().__init__(
            feature_map=feature_map, training_parameters=training_parameters, execution=execution,
            shots=shots, seed=seed, enforce_psd=enforce_psd, threads=threads,
            max_state_bytes=max_state_bytes,
        )
        trainable = set(self._training_parameters)
        self._num_features = self._feature_map.num_parameters - self._num_training_parameters
        self._feature_parameters = [p for p in self._feature_map.parameters if p not in trainable]
        self._parameter_dict = {p: None for p in self._feature_map.parameters}

    def _circuit_values(self, x_vec: np.ndarray) -> np.ndarray:
        self._check_trainable_parameters()
        params = list(self._feature_map.parameters)
        out = np.empty((x_vec.shape[0], len(params)))
        feature_col = {p: j for j, p in enumerate(self._feature_parameters)}
        for k, p in enumerate(params):
            if p in feature_col:
                out[:, k] = x_vec[:, feature_col[p]]
            else:
                out[:, k] = float(cast(float, self._parameter_dict[p]))  # bound: checked above
        return out

    def _check_trainable_parameters(self) -> None:
        missing = [p for p in self._training_parameters if self._parameter_dict[p] is None]
        if missing:
            raise QiskitMachineLearningError(
                f"trainable parameter {missing[0]} has not been bound; assign every training "
                "parameter with assign_training_parameters() before evaluate()"
            )

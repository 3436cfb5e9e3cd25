"""Fidelity quantum kernel on the batched statevector engine."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit_machine_learning.kernels import BaseKernel

from qvc._validation import available_memory_bytes, check_positive_int, check_statevector_fits
from qvc.quantum.execution import SamplerExecutor, parse_execution
from qvc.quantum.statevector import CompiledCircuit

#: Largest block of statevectors simulated at once (bytes); bounds the temporaries.
#: Large blocks matter from ~18 qubits on: a ZZ feature map's phase tables no longer fit
#: the engine's table cache there and are rebuilt once per block, so fewer, larger blocks
#: amortise them (measured, 40 samples, 2 cores: 20 qubits 97 s with 64 MiB blocks, 19 s
#: with 1 GiB; 18 qubits 6.0 s -> 3.8 s; 12-16 qubits unchanged within noise).
_CHUNK_BYTES = 2**30
#: ... but never more than this share of the memory that is available.
_CHUNK_MEMORY_SHARE = 1 / 16


def batched_statevectors(compiled: CompiledCircuit, values: np.ndarray) -> np.ndarray:
    """Statevectors of ``values`` (one row per sample), simulated in memory-bounded chunks.

    Raises :class:`~qvc.errors.QvcUsageError` (with the memory it would need) when the
    result plus the working space of one chunk does not fit in the available memory.
    """
    n = compiled.num_qubits
    values = np.asarray(values, dtype=float)
    per_state = 2**n * 16
    budget = min(_CHUNK_BYTES, int(available_memory_bytes() * _CHUNK_MEMORY_SHARE))
    chunk = max(1, min(values.shape[0], budget // per_state))
    # result + ~4 working copies of one chunk
    check_statevector_fits(n, values.shape[0] + 4 * chunk)
    out = np.empty((values.shape[0], 2**n), dtype=complex)
    for start in range(0, values.shape[0], chunk):
        out[start:start + chunk] = compiled.statevectors(values[start:start + chunk])
    return out


def _fidelity_triangle(states: np.ndarray) -> np.ndarray:
    """``|<s_i|s_j>|**2`` for all pairs, computing one triangle (ZHERK) and mirroring it."""
    from scipy.linalg.blas import zherk

    # S.T is Fortran-ordered, so BLAS reads it in place: upper triangle of conj(S) S^T
    gram = zherk(1.0, states.T, trans=2)
    fid = gram.real**2 + gram.imag**2
    fid = np.triu(fid, 1)
    fid = fid + fid.T
    np.fill_diagonal(fid, 1.0)
    return fid


class StatevectorKernel(BaseKernel):
    r"""Fidelity kernel :math:`K(x, y) = |\langle\phi(y)|\phi(x)\rangle|^2` for any feature map.

    A drop-in :class:`~qiskit_machine_learning.kernels.BaseKernel` for ``QSVC``,
    ``PegasosQSVC`` and ``SVC(kernel="precomputed")``. In ``exact`` mode it equals
    qiskit-ml's ``FidelityStatevectorKernel``: statevectors are computed once per
    sample by the batched engine and the Gram matrix is one complex matrix product
    (one triangle when ``y`` is omitted or equal to ``x``).

    Parameters
    ----------
    feature_map : QuantumCircuit, optional
        Parametrised feature map (default: qiskit's ``zz_feature_map`` on 2 qubits).
    execution : str, default "exact"
        ``exact``; ``shots`` (each entry ~ Binomial(shots, fidelity) / shots, seeded,
        the distribution of a compute-uncompute circuit run with that many shots);
        ``noisy:<fake backend>`` (compute-uncompute circuits sampled on Aer with the
        device's noise model).
    shots : int, default 1024
        Shots per kernel entry in the stochastic modes.
    seed : int or None
        Seed of the shot noise.
    enforce_psd : bool, default True
        In the stochastic modes, project a symmetric Gram matrix to the closest
        positive semi-definite matrix (as qiskit-ml does).

    Attributes
    ----------
    last_circuits : int
        Compute-uncompute circuits a QPU would run for the last :meth:`evaluate`:
        ``N(N-1)/2`` for a symmetric matrix (the diagonal is 1 by construction),
        ``N*M`` otherwise.

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
        execution: str = "exact",
        shots: int = 1024,
        seed: int | None = None,
        enforce_psd: bool = True,
    ) -> None:
        if feature_map is None:
            from qiskit.circuit.library import zz_feature_map

            feature_map = zz_feature_map(2)
        super().__init__(feature_map=feature_map, enforce_psd=enforce_psd)
        self.mode = parse_execution(execution)
        self.shots = check_positive_int(shots, "shots")
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self._compiled: CompiledCircuit | None = None
        self._compiled_for: QuantumCircuit | None = None
        self._executor: SamplerExecutor | None = None
        self._template: QuantumCircuit | None = None
        self.last_circuits = 0

    # -- statevectors ---------------------------------------------------------
    def _engine(self) -> CompiledCircuit:
        if self._compiled is None or self._compiled_for is not self._feature_map:
            self._compiled = CompiledCircuit(self._feature_map)
            self._compiled_for = self._feature_map
        return self._compiled

    def statevectors(self, x_vec: np.ndarray) -> np.ndarray:
        """Feature-map statevectors ``(N, 2**n)`` of the samples ``x_vec``."""
        x_vec, _ = self._validate_input(x_vec, None)
        return batched_statevectors(self._engine(), x_vec)

    # -- evaluation -----------------------------------------------------------
    def evaluate(self, x_vec: np.ndarray, y_vec: np.ndarray | None = None) -> np.ndarray:
        """Kernel matrix ``(N, M)`` between ``x_vec`` and ``y_vec`` (``x_vec`` itself if omitted)."""
        x_vec, y_vec = self._validate_input(x_vec, y_vec)
        symmetric = y_vec is None or np.array_equal(x_vec, y_vec)
        n_x = x_vec.shape[0]
        n_y = n_x if y_vec is None else y_vec.shape[0]
        self.last_circuits = n_x * (n_x - 1) // 2 if symmetric else n_x * n_y
        if self.mode.uses_sampler:
            kernel = self._sampled(x_vec, None if symmetric else y_vec)
        else:
            kernel = self._exact(x_vec, None if symmetric else y_vec)
            if self.mode.kind == "shots":
                kernel = self._shot_noise(kernel, symmetric)
        if symmetric and self.mode.stochastic and self._enforce_psd:
            kernel = self._make_psd(kernel)
        return kernel

    def _exact(self, x_vec: np.ndarray, y_vec: np.ndarray | None) -> np.ndarray:
        engine = self._engine()
        sx = batched_statevectors(engine, x_vec)
        if y_vec is None:
            return _fidelity_triangle(sx)
        sy = batched_statevectors(engine, y_vec)
        overlap = sx.conj() @ sy.T
        return overlap.real**2 + overlap.imag**2

    def _shot_noise(self, fidelity: np.ndarray, symmetric: bool) -> np.ndarray:
        p = np.clip(fidelity, 0.0, 1.0)
        if not symmetric:
            return self._rng.binomial(self.shots, p) / self.shots
        iu = np.triu_indices(p.shape[0], 1)
        out = np.zeros_like(p)
        out[iu] = self._rng.binomial(self.shots, p[iu]) / self.shots
        out = out + out.T
        np.fill_diagonal(out, 1.0)
        return out

    def _sampled(self, x_vec: np.ndarray, y_vec: np.ndarray | None) -> np.ndarray:
        from qvc.quantum.circuits import kernel_template

        if self._executor is None:
            self._executor = SamplerExecutor(self.mode, shots=self.shots, seed=self.seed)
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

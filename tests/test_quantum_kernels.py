"""StatevectorKernel equals qiskit-ml's FidelityStatevectorKernel and has the right shot noise."""

import numpy as np
import pytest
from qiskit_machine_learning.kernels import FidelityStatevectorKernel

from qvc.errors import QvcUsageError
from qvc.quantum.circuits import feature_map
from qvc.quantum.kernels import StatevectorKernel


@pytest.mark.parametrize("n_qubits, reps", [(2, 2), (4, 2), (5, 1)])
def test_exact_kernel_equals_fidelity_statevector_kernel(n_qubits, reps):
    rng = np.random.default_rng(n_qubits)
    fm = feature_map(n_qubits, reps=reps)
    x, y = rng.uniform(0, np.pi, (17, n_qubits)), rng.uniform(0, np.pi, (6, n_qubits))
    ours, ref = StatevectorKernel(feature_map=fm), FidelityStatevectorKernel(feature_map=fm)
    sym = ours.evaluate(x)
    assert np.abs(sym - ref.evaluate(x)).max() < 1e-10
    assert np.array_equal(sym, sym.T) and np.all(np.diag(sym) == 1.0)
    assert ours.last_circuits == 17 * 16 // 2
    assert np.abs(ours.evaluate(x, y) - ref.evaluate(x, y)).max() < 1e-10
    assert ours.last_circuits == 17 * 6


def test_kernel_plugs_into_qsvc_and_pegasos():
    from qiskit_machine_learning.algorithms import QSVC, PegasosQSVC
    from sklearn.datasets import make_blobs

    x, y = make_blobs(40, n_features=2, centers=2, random_state=0)
    x = x / np.abs(x).max()
    kernel = StatevectorKernel(feature_map=feature_map(2))
    assert QSVC(quantum_kernel=kernel).fit(x, y).score(x, y) > 0.8
    assert PegasosQSVC(quantum_kernel=kernel, C=100, num_steps=50, seed=0).fit(x, y).predict(x).shape == (40,)


def test_shot_noise_has_binomial_mean_and_variance():
    rng = np.random.default_rng(11)
    fm = feature_map(2, reps=1)
    x, y = rng.uniform(0, np.pi, (3, 2)), rng.uniform(0, np.pi, (2, 2))
    exact = StatevectorKernel(feature_map=fm).evaluate(x, y)
    shots, trials = 200, 4000
    noisy = StatevectorKernel(feature_map=fm, execution="shots", shots=shots, seed=5)
    draws = np.stack([noisy.evaluate(x, y) for _ in range(trials)])
    var = exact * (1 - exact) / shots
    # standard error of the mean and of the sample variance (binomial fourth moment ~ var^2)
    assert np.all(np.abs(draws.mean(0) - exact) < 5 * np.sqrt(var / trials) + 1e-12)
    assert np.all(np.abs(draws.var(0) - var) < 5 * var * np.sqrt(2 / trials) + 1e-9)
    grid = draws * shots
    assert np.allclose(grid, np.round(grid))  # multiples of 1/shots
    again = StatevectorKernel(feature_map=fm, execution="shots", shots=shots, seed=5)
    assert np.array_equal(again.evaluate(x, y), draws[0])


def test_shot_mode_symmetric_matrix_is_symmetric_and_psd():
    x = np.random.default_rng(1).uniform(0, np.pi, (12, 3))
    k = StatevectorKernel(feature_map=feature_map(3), execution="shots", shots=64, seed=0).evaluate(x)
    assert np.allclose(k, k.T)
    assert np.linalg.eigvalsh(k).min() > -1e-10


def test_noisy_kernel_is_close_to_exact_but_not_equal():
    x = np.random.default_rng(3).uniform(0, np.pi, (5, 2))
    fm = feature_map(2, reps=1)
    exact = StatevectorKernel(feature_map=fm).evaluate(x)
    noisy = StatevectorKernel(feature_map=fm, execution="noisy:fake_manila", shots=4000, seed=1,
                              enforce_psd=False).evaluate(x)
    off = ~np.eye(5, dtype=bool)
    assert np.abs(noisy - exact)[off].max() < 0.15
    assert not np.allclose(noisy[off], exact[off], atol=1e-3)


def test_memory_guard_names_the_memory_needed(monkeypatch):
    import qvc._validation as v
    from qvc.quantum import kernels

    monkeypatch.setattr(v, "available_memory_bytes", lambda: 2**30)
    kernel = StatevectorKernel(feature_map=feature_map(16, reps=1))
    with pytest.raises(QvcUsageError, match=r"needs .* GiB"):  # all the states at once: refused
        kernel.statevectors(np.zeros((2000, 16)))
    # the kernel matrix is built in blocks instead (budget: 80 % of 1 GiB less the scratch)
    monkeypatch.setattr(kernels, "available_memory_bytes", lambda: 2**30)
    assert kernels.gram_blocks(16, 2000, kernels.state_budget_bytes(16, 2000)) is not None
    monkeypatch.setattr(kernels, "available_memory_bytes", lambda: 2**20)
    with pytest.raises(QvcUsageError, match="at least two statevectors"):
        kernel.evaluate(np.zeros((20, 16)))  # (20 MiB of states: above the unchecked size)


@pytest.mark.parametrize("n_qubits, nx, ny, budget_states", [(3, 23, None, 5), (5, 17, None, 2),
                                                                (4, 9, 14, 4), (3, 30, 3, 7)])
def test_blocked_gram_equals_the_unblocked_one(n_qubits, nx, ny, budget_states):
    # a tiny forced budget: panels of states held, the rest recomputed block by block
    rng = np.random.default_rng(nx)
    x = rng.uniform(0, np.pi, (nx, n_qubits))
    y = None if ny is None else rng.uniform(0, np.pi, (ny, n_qubits))
    fm = feature_map(n_qubits)
    full = StatevectorKernel(feature_map=fm)
    ref = full.evaluate(x, y)
    small = StatevectorKernel(feature_map=fm, max_state_bytes=budget_states * 16 * 2**n_qubits)
    got = small.evaluate(x, y)
    assert np.abs(got - ref).max() < 1e-12
    total = nx + (0 if ny is None else ny)
    assert full.last_states_simulated == total
    if ny is None or min(nx, ny) >= budget_states:
        assert small.last_states_simulated > total  # blocks were recomputed
    else:  # the smaller set held whole, the other streamed: nothing recomputed
        assert small.last_states_simulated == total
    if y is None:
        assert np.array_equal(got, got.T) and np.all(np.diag(got) == 1.0)


def test_sixteen_qubits_exact():
    # a few hundred samples work too (benchmarks/bench_engine.py times 300); kept small for the suite
    x = np.random.default_rng(0).uniform(0, 1, (40, 16))
    kernel = StatevectorKernel(feature_map=feature_map(16, reps=1))
    k = kernel.evaluate(x)
    assert k.shape == (40, 40) and np.all(np.diag(k) == 1.0)
    from qiskit.quantum_info import Statevector

    state = Statevector(feature_map(16, reps=1).assign_parameters(x[0])).data
    assert np.abs(kernel.statevectors(x[:1])[0] - state).max() < 1e-10


@pytest.mark.parametrize("n_qubits, samples", [(2, 1), (3, 70), (4, 301), (9, 40)])
def test_gram_paths_agree_and_are_exactly_symmetric(n_qubits, samples, monkeypatch):
    # small states: the Gram step in row blocks (several blocks, a ragged last one); large: ZHERK
    from qvc.quantum import kernels

    monkeypatch.setattr(kernels, "_GRAM_BLOCK_BYTES", 16 * 64 * samples)  # 64-row blocks
    rng = np.random.default_rng(samples)
    s = rng.normal(size=(samples, 2**n_qubits)) + 1j * rng.normal(size=(samples, 2**n_qubits))
    s /= np.linalg.norm(s, axis=1)[:, None]
    got = kernels._fidelity_triangle(s)
    ref = np.abs(s.conj() @ s.T) ** 2
    assert np.abs(got - ref).max() < 1e-12
    assert np.array_equal(got, got.T) and np.all(np.diag(got) == 1.0)
    assert np.array_equal(kernels._fidelity_zherk(s), got) or np.abs(kernels._fidelity_zherk(s) - got).max() < 1e-14


def test_threads_give_the_same_kernel_and_are_checked():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, np.pi, (30, 6)), rng.uniform(0, np.pi, (7, 6))
    fm = feature_map(6)
    one, two = StatevectorKernel(feature_map=fm), StatevectorKernel(feature_map=fm, threads=2)
    assert np.abs(two.evaluate(x) - one.evaluate(x)).max() < 1e-12
    assert np.abs(two.evaluate(x, y) - one.evaluate(x, y)).max() < 1e-12
    blocked = StatevectorKernel(feature_map=fm, threads=2, max_state_bytes=5 * 16 * 2**6)
    assert np.abs(blocked.evaluate(x) - one.evaluate(x)).max() < 1e-12
    with pytest.raises(QvcUsageError, match="threads must be >= 1"):
        StatevectorKernel(feature_map=fm, threads=0)


@pytest.mark.parametrize("split", ["amplitudes", "bands"])
@pytest.mark.parametrize("threads", [2, 3])
def test_threaded_gram_bands_equal_the_one_thread_gram(threads, split, monkeypatch):
    # states of 512 amplitudes: the Gram on Python threads (one-thread BLAS each), split over
    # the amplitudes (partial sums) or, when the partials would be too large, over row bands
    from qvc.quantum import kernels

    if split == "bands":
        monkeypatch.setattr(kernels, "_THREAD_PARTIAL_BYTES", 0)
    rng = np.random.default_rng(threads)
    s = rng.normal(size=(41, 512)) + 1j * rng.normal(size=(41, 512))
    s /= np.linalg.norm(s, axis=1)[:, None]
    got = kernels._fidelity_triangle(s, threads)
    assert np.abs(got - kernels._fidelity_triangle(s)).max() < 1e-14
    assert np.array_equal(got, got.T) and np.all(np.diag(got) == 1.0)
    y = rng.normal(size=(11, 512)) + 0j
    assert np.abs(kernels._fidelity_cross(s, y, threads) - np.abs(s.conj() @ y.T) ** 2).max() < 1e-13
    yt = y[:, ::-1]  # not C-contiguous: copied, same result
    assert np.abs(kernels._fidelity_cross(s, yt, threads) - np.abs(s.conj() @ yt.T) ** 2).max() < 1e-13
    bands = kernels._equal_area_bands(41, 2 * threads)
    assert bands[0][0] == 0 and bands[-1][1] == 41 and all(a[1] == b[0] for a, b in zip(bands, bands[1:]))


def test_gil_free_blas_equals_numpy_on_amplitude_slices():
    from qvc.quantum.statevector import blas

    assert blas.available()
    rng = np.random.default_rng(5)
    s = rng.normal(size=(9, 64)) + 1j * rng.normal(size=(9, 64))
    out = np.zeros((9, 9), dtype=complex, order="F")
    blas.zherk_slice(s, 10, 40, out)
    ref = s[:, 10:40].conj() @ s[:, 10:40].T
    iu = np.triu_indices(9)
    assert np.abs(out[iu] - ref[iu]).max() < 1e-12 and np.all(out[np.tril_indices(9, -1)] == 0)
    blas.zherk_slice(s, 40, 64, out, beta=1.0)  # accumulate amplitudes 40..64
    rest = s[:, 10:].conj() @ s[:, 10:].T
    assert np.abs(out[iu] - rest[iu]).max() < 1e-12
    full = s.conj() @ s.T
    g = np.empty((9, 4), dtype=complex, order="F")
    blas.zgemm_rows(s, s[3:7], 0, 64, g)
    assert np.abs(g - full[:, 3:7]).max() < 1e-12
    with pytest.raises(ValueError, match="Fortran-ordered"):
        blas.zherk_slice(s, 0, 64, np.zeros((9, 9), dtype=complex))
    with pytest.raises(ValueError, match="C-contiguous"):
        blas.zgemm_rows(s[:, ::2], s, 0, 32, g)

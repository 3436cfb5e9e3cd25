"""Issue 28: the IQP, projected and re-uploading models, the no-entanglement controls and user circuits.

Every number is checked against a qiskit construction of the same circuit (exact mode, ~1e-10).
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp, Statevector
from sklearn.datasets import load_iris
from sklearn.preprocessing import MinMaxScaler

from qvc.errors import QvcUsageError
from qvc.models import IQPKernelSVC, ProjectedKernelSVC, QuantumKernelSVC, ReuploadingClassifier, VQCClassifier
from qvc.quantum.circuits import feature_map, reupload_circuit
from qvc.quantum.projected import pauli_features


@pytest.fixture(scope="module")
def iris():
    x, y = load_iris(return_X_y=True)
    idx = np.random.default_rng(1).permutation(len(y))[:30]
    return MinMaxScaler((0, np.pi)).fit_transform(x[idx]), y[idx]


def _state(circuit: QuantumCircuit, values) -> np.ndarray:
    return Statevector(circuit.assign_parameters(list(values))).data


def _fidelity_gram(circuit: QuantumCircuit, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    a = np.array([_state(circuit, v) for v in x])
    b = np.array([_state(circuit, v) for v in y])
    return np.abs(a.conj() @ b.T) ** 2


def _iqp_by_hand(n: int, reps: int, s: float) -> QuantumCircuit:
    """The IQP embedding written out gate by gate (PennyLane IQPEmbedding: H, RZ, MultiRZ on pairs)."""
    x = ParameterVector("x", n)
    qc = QuantumCircuit(n)
    for _ in range(reps):
        for i in range(n):
            qc.h(i)
        for i in range(n):
            qc.rz(s * (x[i] - np.pi / 2), i)
        for i in range(n):
            for j in range(i + 1, n):
                qc.cx(i, j)
                qc.rz(s * s * (x[i] - np.pi / 2) * (x[j] - np.pi / 2), j)
                qc.cx(i, j)
    return qc


def test_iqp_kernel_equals_qiskit_statevector(iris):
    x, y = iris
    model = IQPKernelSVC(repeats=2, bandwidth=0.7).fit(x[:20], y[:20])
    ref = _fidelity_gram(_iqp_by_hand(4, 2, 0.7), x[:20], x[:20])
    assert np.abs(model.gram_ - ref).max() < 1e-10
    test = model.kernel_.evaluate(x[20:], x[:20])
    assert np.abs(test - _fidelity_gram(_iqp_by_hand(4, 2, 0.7), x[20:], x[:20])).max() < 1e-10
    assert model.ledger_.circuits(phase="fit") == 20 * 19 // 2
    assert model.ledger_.entries[0].model == "iqp"


def test_pqk_features_equal_qiskit_expectation_values(iris):
    x, y = iris
    fmap = feature_map(4, 2, "full", 0.3)
    states = np.array([_state(fmap, v) for v in x[:6]])
    ours = pauli_features(states)
    for row, v in zip(ours, x[:6]):
        sv = Statevector(fmap.assign_parameters(list(v)))
        ref = [sv.expectation_value(SparsePauliOp.from_sparse_list([(p, [k], 1.0)], 4)).real
               for p in "XYZ" for k in range(4)]
        assert np.abs(row - ref).max() < 1e-10


def test_pqk_gram_is_rbf_on_qiskit_features_and_ledger_is_linear(iris):
    x, y = iris
    model = ProjectedKernelSVC(bandwidth=0.3, gamma_factor=2.0).fit(x[:20], y[:20])
    fmap = feature_map(4, 2, "full", 0.3)
    feats = np.array([[Statevector(fmap.assign_parameters(list(v))).expectation_value(
        SparsePauliOp.from_sparse_list([(p, [k], 1.0)], 4)).real for p in "XYZ" for k in range(4)] for v in x[:20]])
    gamma = 2.0 / (np.var(feats) * 4)
    ref = np.exp(-gamma * ((feats[:, None, :] - feats[None, :, :]) ** 2).sum(-1))
    assert np.abs(model.gram_ - ref).max() < 1e-10
    # 3 bases x N: linear in N; a fidelity kernel's N(N-1)/2 is quadratic
    assert model.ledger_.circuits(phase="fit") == 3 * 20
    assert ProjectedKernelSVC().fit(x, y).ledger_.circuits(phase="fit") == 3 * 30
    assert model.predict_ledger(x[20:]).circuits() == 3 * 10
    assert {e.template.num_qubits for e in model.ledger_.entries} == {4}
    assert len(model.ledger_.entries) == 3


def test_pqk_shots_mode_is_seeded_and_close_to_exact(iris):
    x, y = iris
    exact = ProjectedKernelSVC(bandwidth=0.3).fit(x, y)
    a = ProjectedKernelSVC(bandwidth=0.3, execution="shots", shots=4096, seed=3).fit(x, y)
    b = ProjectedKernelSVC(bandwidth=0.3, execution="shots", shots=4096, seed=3).fit(x, y)
    assert np.array_equal(a.features_, b.features_)
    # a +-1 outcome averaged over 4096 shots: standard error <= 1/64
    assert np.abs(a.features_ - exact.features_).max() < 6 / 64
    assert not np.array_equal(a.features_, exact.features_)


def test_reupload_qnn_equals_qiskit_statevector(iris):
    x, y = iris
    model = ReuploadingClassifier(layers=2, max_iter=12, seed=0).fit(x[:20], y[:20])
    qc, xs, ws = reupload_circuit(4, 2)
    proba = model.predict_proba(x[20:])
    for row, v in zip(proba, x[20:]):
        p = Statevector(qc.assign_parameters(dict(zip(xs + ws, list(v) + list(model.weights_))))).probabilities()
        ref = np.bincount(np.arange(16) % 3, weights=p, minlength=3)
        assert np.abs(row - ref).max() < 1e-10
    assert model.n_weights_ == 3 * 2 * 4
    assert model.ledger_.circuits(phase="fit") == 20 * model.n_evaluations_


def test_no_entanglement_controls_have_no_two_qubit_gates(iris):
    x, y = iris
    k = QuantumKernelSVC(entanglement="none", bandwidth=0.5).fit(x[:12], y[:12])
    assert k.feature_map_.decompose(reps=3).num_nonlocal_gates() == 0
    # a product state's fidelity is the product of one-qubit fidelities
    ref = _fidelity_gram(k.feature_map_, x[:12], x[:12])
    assert np.abs(k.gram_ - ref).max() < 1e-10
    v = VQCClassifier(entanglement="none", ansatz_reps=1, max_iter=5, seed=0).fit(x[:12], y[:12])
    assert v.template_.decompose(reps=3).num_nonlocal_gates() == 0
    r = ReuploadingClassifier(layers=2, entanglement="none", max_iter=5, seed=0).fit(x[:12], y[:12])
    assert r.template_.num_nonlocal_gates() == 0


def _user_map() -> QuantumCircuit:
    x = ParameterVector("u", 4)
    qc = QuantumCircuit(4)
    for i in range(4):
        qc.ry(x[i], i)
    qc.cx(0, 1)
    qc.crz(x[2] * x[3], 2, 3)
    qc.rxx(x[0], 0, 3)
    return qc


def test_user_circuit_gram_equals_qiskit_ml_fidelity_statevector_kernel(iris):
    from qiskit_machine_learning.kernels import FidelityStatevectorKernel

    x, y = iris
    circuit = _user_map()
    model = QuantumKernelSVC(feature_map=circuit).fit(x, y)
    ref = FidelityStatevectorKernel(feature_map=circuit).evaluate(x)
    assert np.abs(model.gram_ - ref).max() < 1e-10
    test_ref = FidelityStatevectorKernel(feature_map=circuit).evaluate(x[:5], x)
    assert np.abs(model.kernel_.evaluate(x[:5], x) - test_ref).max() < 1e-10
    # the ledger prices the user's circuit
    assert model.ledger_.entries[0].template.count_ops().get("rxx") == 2  # U(x) U(y)^dagger
    # pqk and the VQC take it too
    assert ProjectedKernelSVC(feature_map=circuit).fit(x, y).feature_map_ is circuit
    vqc = VQCClassifier(feature_map=circuit, ansatz_reps=1, max_iter=4, seed=0).fit(x, y)
    assert vqc.template_.count_ops().get("rxx") == 1


def test_user_circuit_with_wrong_parameter_count_is_a_usage_error(iris):
    x, y = iris
    with pytest.raises(QvcUsageError, match="has 4 parameters but the data has 3 features"):
        QuantumKernelSVC(feature_map=_user_map()).fit(x[:, :3], y)
    with pytest.raises(QvcUsageError, match="must be a qiskit QuantumCircuit"):
        QuantumKernelSVC(feature_map="zz").fit(x, y)


def test_user_ansatz_is_trained(iris):
    x, y = iris
    w = ParameterVector("w", 4)
    ans = QuantumCircuit(4)
    for i in range(4):
        ans.ry(w[i], i)
    model = VQCClassifier(ansatz=ans, max_iter=8, seed=0).fit(x, y)
    assert model.n_weights_ == 4


_MODULE = """
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector

def make_map():
    x = ParameterVector("x", 4)
    qc = QuantumCircuit(4)
    for i in range(4):
        qc.h(i)
        qc.rz(x[i], i)
    qc.cz(0, 1)
    return qc

def make_three():
    x = ParameterVector("x", 3)
    qc = QuantumCircuit(4)
    for i in range(3):
        qc.ry(x[i], i)
    return qc

def not_a_circuit():
    return 42
"""


def _cli(tmp_path, *args):
    import os

    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{os.getcwd()}")
    return subprocess.run([sys.executable, "-m", "qvc", "run", "iris", "--samples", "24", "--no-tune", "--seeds",
                           "42", "--out", str(tmp_path / "runs"), "--quiet", *args],
                          capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.parametrize(("source", "message"), [
    ("no_such_mod_qvc:make_map", "does not import"),
    ("fammod:not_a_circuit", "returned a int, not a qiskit QuantumCircuit"),
    ("fammod:make_three", "has 3 parameters but the run has 4 features"),
    ("fammod", "module:function"),
])
def test_cli_bad_feature_map_is_one_line_exit_2(tmp_path, source, message):
    (tmp_path / "fammod.py").write_text(textwrap.dedent(_MODULE))
    proc = _cli(tmp_path, "--models", "svm,qsvc", "--feature-map", source)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_feature_map_module_runs_and_report_names_it(tmp_path):
    import pandas as pd

    (tmp_path / "fammod.py").write_text(textwrap.dedent(_MODULE))
    proc = _cli(tmp_path, "--models", "svm,qsvc,pqk", "--feature-map", "fammod:make_map")
    assert proc.returncode == 0, proc.stderr
    run = next((tmp_path / "runs").iterdir())
    rows = pd.read_csv(run / "results.csv")
    q = rows[rows.model.isin(["qsvc", "pqk"])]
    assert set(q.circuit_source) == {"feature map: Python function fammod:make_map"}
    n = int(q.n_train.iloc[0])
    assert int(q[q.model == "pqk"].circuits_fit.iloc[0]) == 3 * n
    assert int(q[q.model == "qsvc"].circuits_fit.iloc[0]) == n * (n - 1) // 2
    report = (run / "report.md").read_text()
    assert "fammod:make_map" in report and "projected kernel" in report


def test_cli_feature_map_qasm3_file(tmp_path):
    qasm = tmp_path / "map.qasm"
    qasm.write_text(textwrap.dedent("""\
        OPENQASM 3.0;
        include "stdgates.inc";
        input float[64] a;
        input float[64] b;
        input float[64] c;
        input float[64] d;
        qubit[4] q;
        h q;
        rz(a) q[0]; rz(b) q[1]; rz(c) q[2]; rz(d) q[3];
        cx q[0], q[1];
        """))
    proc = _cli(tmp_path, "--models", "svm,qsvc", "--feature-map", str(qasm))
    assert proc.returncode == 0, proc.stderr

"""The mps execution mode: equal to exact where both run, 30 qubits where statevectors cannot, bad input."""

from __future__ import annotations

import re

import numpy as np
import pytest

from qvc.cli import main
from qvc.data import prepare_dataset
from qvc.energy.devices import circuit_fidelity
from qvc.errors import QvcUsageError
from qvc.models import QuantumKernelSVC
from qvc.quantum.circuits import feature_map
from qvc.quantum.execution import parse_execution
from qvc.quantum.kernels import StatevectorKernel
from qvc.quantum.mps import EXACT_TOLERANCE, MpsSimulator, parse_mps_options


@pytest.mark.parametrize("entanglement", ["linear", "full"])
@pytest.mark.parametrize("n", [2, 5, 7])
def test_mps_kernel_equals_exact_statevector_kernel(entanglement, n):
    rng = np.random.default_rng(n)
    fmap = feature_map(n, 2, entanglement)
    x, y = rng.uniform(0, np.pi, (6, n)), rng.uniform(0, np.pi, (3, n))
    exact = StatevectorKernel(feature_map=fmap)
    mps = StatevectorKernel(feature_map=fmap, execution="mps")
    assert np.abs(mps.evaluate(x) - exact.evaluate(x)).max() < EXACT_TOLERANCE
    assert np.abs(mps.evaluate(x, y) - exact.evaluate(x, y)).max() < EXACT_TOLERANCE
    # A linear ZZ map at reps 2 keeps the bond dimension at 2^2 = 4 (below that at n < 4).
    reached = mps.mps_simulator().max_bond_reached
    assert reached <= (4 if entanglement == "linear" else 2 ** (n // 2))


def test_mps_model_predicts_as_the_exact_model_and_records_its_settings():
    d = prepare_dataset("breast_cancer", n_features=6, seed=3, max_samples=40)
    exact = QuantumKernelSVC(entanglement="linear").fit(d.X_train, d.y_train)
    mps = QuantumKernelSVC(entanglement="linear", execution="mps").fit(d.X_train, d.y_train)
    assert (exact.predict(d.X_test) == mps.predict(d.X_test)).all()
    info = mps.simulator_info()
    assert info["simulator"] == "mps" and info["mps_truncation_threshold"] == 1e-16
    assert info["mps_bond_dimension_reached"] == 4 and info["mps_target_fidelity"] == 1.0
    assert exact.simulator_info() == {"simulator": "statevector"}


def test_thirty_qubit_breast_cancer_kernel_runs_with_mps():
    # 30 features = 30 qubits: one statevector would be 17 GB; the linear map's MPS has bonds of 4.
    d = prepare_dataset("breast_cancer", n_features=30, seed=0, max_samples=36)
    model = QuantumKernelSVC(entanglement="linear", execution="mps").fit(d.X_train, d.y_train)
    assert model.predict(d.X_test).shape == (len(d.y_test),)
    assert model.simulator_info()["mps_bond_dimension_reached"] == 4
    gram = model.kernel_.evaluate(d.X_train[:5])
    assert np.allclose(np.diag(gram), 1.0) and np.allclose(gram, gram.T) and (gram >= 0).all()


def test_truncation_fidelity_rule_and_bond_cap():
    fmap = feature_map(8, 2, "full")
    x = np.random.default_rng(0).uniform(0, np.pi, (4, 8))
    matched_f = MpsSimulator(fmap, "fidelity=0.9")
    # Equal-fidelity rule: threshold (1 - F) / two-qubit gates, so the state keeps fidelity >= F.
    assert matched_f.truncation_threshold == pytest.approx(0.1 / matched_f.n_two_qubit)
    capped = MpsSimulator(fmap, "chi=2")
    k_cap, k_exact = capped.kernel(x), MpsSimulator(fmap).kernel(x)
    assert capped.max_bond_reached <= 2 and np.abs(k_cap - k_exact).max() > 1e-6
    matched = MpsSimulator(fmap, "matched", fidelity=circuit_fidelity(fmap, "ibm_heron"))
    assert 0.0 < matched.target_fidelity < 1.0 and "calibration" in matched.fidelity_method
    assert str(parse_execution("mps:matched")) == "mps:matched" and str(parse_execution("mps")) == "mps"


@pytest.mark.parametrize("text, message", [
    ("chi=0", "integer >= 1"), ("chi=x", "integer >= 1"), ("trunc=2", "[0, 1)"), ("nope=1", "unknown mps"),
    ("fidelity=0", "(0, 1]"), ("matched,fidelity=0.9", "either"),
])
def test_bad_mps_options_are_usage_errors(text, message):
    with pytest.raises(QvcUsageError, match=re.escape(message)):
        parse_mps_options(text)


def test_cli_rejects_impossible_mps_runs_with_one_line(tmp_path, capsys):
    base = ["run", "breast_cancer", "--samples", "40", "--out", str(tmp_path), "--quiet"]
    cases = [
        (["--qubits", "4", "--models", "qsvc", "--execution", "mps:chi=0"], "bond dimension"),
        # full entanglement at 30 qubits: bonds up to 2^15, far beyond memory
        (["--qubits", "30", "--models", "qsvc", "--execution", "mps"], "bond dimension up to 32768"),
        (["--qubits", "4", "--models", "vqc", "--execution", "mps"], "mps execution mode covers qsvc only"),
    ]
    for extra, needle in cases:
        assert main(base + extra) == 2
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1 and "Traceback" not in err
    assert not any(tmp_path.iterdir())  # nothing written

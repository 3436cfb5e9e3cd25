"""The fast esp-depolarizing noise model against Aer's noisy simulation on a fake backend.

Kernel entries of the ZZ compute-uncompute circuit at 2-4 qubits on fake_torino (the ibm_heron
preset's Target): Aer density matrix with NoiseModel.from_backend (qvc.quantum.execution.
NoisyDistribution) vs CircuitNoise.fidelity of the exact entries with the same transpiled
circuit's error rates. Tolerance: 0.05 absolute per entry (measured when written: 0.029 at 2 and
3 qubits, 0.018 at 4), where ignoring the noise is off by 0.17-0.21.
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Statevector

from qvc.energy.devices import get_device
from qvc.energy.hardware import template_timing
from qvc.energy.noise import NOISE_MODELS, CircuitNoise, check_noise_model
from qvc.errors import QvcUsageError
from qvc.quantum.circuits import feature_map, kernel_template
from qvc.quantum.execution import NoisyDistribution, parse_execution

TOLERANCE = 0.05


@pytest.mark.parametrize("n", [2, 3, 4])
def test_fast_kernel_entries_match_aer(n):
    device = get_device("ibm_heron")
    template = kernel_template(feature_map(n, bandwidth=0.3))
    aer_model = NoisyDistribution(parse_execution("noisy:fake_torino"), template)
    timing = template_timing(kernel_template(feature_map(n)), device)  # the priced (unscaled) circuit
    assert aer_model.physical_qubits == timing.physical_qubits  # the same qubits, so the same errors
    noise = CircuitNoise.from_errors(*timing.error_rates(device))
    values = np.random.default_rng(n).uniform(0, np.pi, size=(10, template.num_parameters))
    aer = aer_model.probabilities(list(template.parameters), values)[:, 0]
    bare = template.remove_final_measurements(inplace=False)
    exact = np.array([Statevector(bare.assign_parameters(v)).probabilities()[0] for v in values])
    fast = noise.fidelity(exact)
    assert np.max(np.abs(fast - aer)) < TOLERANCE
    assert np.max(np.abs(exact - aer)) > np.max(np.abs(fast - aer))  # the model explains the noise


def test_mitigation_moves_entries_towards_exact():
    noise = CircuitNoise(0.7, (0.02, 0.02, 0.02))
    k = np.array([0.1, 0.5, 0.9])
    none, zne, pec = (noise.fidelity(k, m) for m in ("none", "zne", "pec"))
    assert np.allclose(pec, k)
    assert np.all(np.abs(zne - k) < np.abs(none - k))


def test_distribution_sums_to_one_and_depolarises():
    noise = CircuitNoise(0.5, (0.1, 0.0))
    p = noise.distribution(np.array([[1.0, 0.0, 0.0, 0.0]]))
    assert np.isclose(p.sum(), 1.0)
    assert np.isclose(p[0, 0], (0.5 + 0.125) * 0.9 + 0.125 * 0.1)  # bit 0 flips into 0 from 1


def test_unknown_noise_model_is_one_line():
    assert "aer" in NOISE_MODELS
    with pytest.raises(QvcUsageError) as info:
        check_noise_model("gaussian")
    assert "\n" not in str(info.value) and "esp-depolarizing" in str(info.value)

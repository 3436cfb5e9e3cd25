"""Execution-mode strings and the sampler executor."""

import numpy as np
import pytest

from qvc.errors import QvcUsageError
from qvc.quantum.execution import SamplerExecutor, parse_execution


@pytest.mark.parametrize("text, kind, backend", [
    ("exact", "exact", None), ("shots", "shots", None), ("noisy:fake_torino", "noisy", "fake_torino"),
    (" EXACT ", "exact", None),
])
def test_parse_valid(text, kind, backend):
    mode = parse_execution(text)
    assert (mode.kind, mode.backend) == (kind, backend)


@pytest.mark.parametrize("text, message", [
    ("bogus", "unknown execution mode"),
    ("noisy", "needs a backend"),
    ("noisy:fake_nowhere", "unknown fake backend 'fake_nowhere'"),
    ("exact:fake_torino", "takes no backend"),
    ("ibm:fake_manila:sometimes", "unknown IBM execution mode"),
    (3, "must be a string"),
])
def test_parse_invalid(text, message):
    with pytest.raises(QvcUsageError, match=message):
        parse_execution(text)


def test_ibm_mode_parses_but_has_no_sampler_yet():
    mode = parse_execution("ibm:ibm_torino")
    assert mode.uses_sampler and str(mode) == "ibm:ibm_torino"
    with pytest.raises(QvcUsageError, match="no sampler registered"):
        SamplerExecutor(mode, shots=10)


def test_noisy_executor_bell_state_is_mostly_correlated():
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    ex = SamplerExecutor(parse_execution("noisy:fake_manila"), shots=2000, seed=7)
    probs = ex.probabilities(qc, [], np.zeros((1, 0)))[0]
    assert probs.shape == (4,)
    assert abs(probs.sum() - 1) < 1e-12
    assert probs[0] + probs[3] > 0.85  # |00> and |11> dominate ...
    assert probs[1] + probs[2] > 0.0   # ... but the noise model flips some shots
    again = SamplerExecutor(parse_execution("noisy:fake_manila"), shots=2000, seed=7)
    assert np.array_equal(again.probabilities(qc, [], np.zeros((1, 0))), probs[None])

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


def test_ibm_is_a_property_of_the_parsed_mode():
    assert parse_execution("ibm:fake_manila:session").is_ibm
    assert parse_execution("ibm:fake_manila:session").ibm_target.mode == "session"
    assert not parse_execution("noisy:fake_manila").is_ibm
    with pytest.raises(QvcUsageError, match="not ibm"):
        _ = parse_execution("shots").ibm_target


@pytest.fixture
def registered_kind():
    from qvc.quantum import execution

    yield "idealsim"
    execution._KINDS.pop("idealsim", None)
    execution._SAMPLER_FACTORIES.pop("idealsim", None)


def test_a_new_sampler_kind_plugs_into_the_parser_and_executor(registered_kind):
    from qiskit import QuantumCircuit
    from qiskit_aer.primitives import SamplerV2

    from qvc.quantum.execution import execution_modes, register_sampler_backend

    seen = []

    def factory(mode, circuit, shots):
        seen.append(mode.backend)
        return circuit, lambda seed: SamplerV2(default_shots=shots, seed=seed)

    def check(backend):
        if backend not in ("a", "b"):
            raise QvcUsageError(f"unknown idealsim flavour {backend!r}")

    with pytest.raises(QvcUsageError, match="unknown execution mode"):
        parse_execution(f"{registered_kind}:a")
    register_sampler_backend(registered_kind, factory, backend="optional", check_backend=check)
    assert f"{registered_kind}:<backend>" in execution_modes()
    assert parse_execution(registered_kind).backend is None
    with pytest.raises(QvcUsageError, match="unknown idealsim flavour 'c'"):
        parse_execution(f"{registered_kind}:c")
    mode = parse_execution(f"{registered_kind}:b")
    assert mode.uses_sampler and mode.stochastic and not mode.is_ibm
    qc = QuantumCircuit(1)
    qc.x(0)
    qc.measure_all()
    probs = SamplerExecutor(mode, shots=50, seed=1).probabilities(qc, [], np.zeros((1, 0)))[0]
    assert probs.tolist() == [0.0, 1.0] and seen == ["b"]


def test_builtin_kinds_keep_their_settings():
    from qvc.quantum.execution import register_sampler_backend

    with pytest.raises(QvcUsageError, match="does not run on a sampler"):
        register_sampler_backend("exact", lambda mode, circuit, shots: (circuit, None))
    with pytest.raises(QvcUsageError, match="lower-case identifiers"):
        register_sampler_backend("My Sim", lambda mode, circuit, shots: (circuit, None))

"""noisy:<fake backend> computes each circuit's noisy distribution once, then draws the shots.

The distribution (density matrix + readout assignment matrices) must be the one Aer's
``SamplerV2`` samples from at the same noise model: checked by a chi-square test of Aer's
per-shot counts against it (significance 1e-3 per binding, fixed seeds).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chisquare

from qvc.quantum.circuits import feature_map, kernel_template
from qvc.quantum.execution import NoisyDistribution, SamplerExecutor, parse_execution

MODE = parse_execution("noisy:fake_torino")


@pytest.fixture(scope="module")
def kernel3():
    template = kernel_template(feature_map(3))
    values = np.random.default_rng(0).uniform(0, np.pi, size=(4, template.num_parameters))
    return template, list(template.parameters), values


def test_distribution_equals_aer_sampler_statistically(kernel3):
    template, params, values = kernel3
    p = NoisyDistribution(MODE, template).probabilities(params, values)
    assert p.shape == (4, 8) and np.allclose(p.sum(axis=1), 1.0)
    shots = 20_000
    counts = SamplerExecutor(MODE, shots=shots, seed=1, per_shot=True).probabilities(
        template, params, values) * shots
    for observed, expected in zip(counts, p * shots):
        keep = expected > 5  # the chi-square approximation needs expected counts of a few
        obs = observed[keep]
        exp = expected[keep] * obs.sum() / expected[keep].sum()
        assert chisquare(obs, exp).pvalue > 1e-3


def test_noise_lowers_the_kernel_fidelity_of_identical_inputs(kernel3):
    template, params, values = kernel3
    same = np.hstack([values[:, :3], values[:, :3]])  # K(x, x) = 1 exactly; noise lowers it
    p0 = NoisyDistribution(MODE, template).probabilities(params, same)[:, 0]
    assert np.all((p0 < 0.99) & (p0 > 0.5))


def test_executor_draws_the_shots_from_the_distribution(kernel3):
    template, params, values = kernel3
    ex = SamplerExecutor(MODE, shots=64, seed=3)
    ints = ex.outcomes(template, params, values)
    assert ints.shape == (4, 64) and ints.min() >= 0 and ints.max() < 8
    probs = ex.probabilities(template, params, values)
    assert np.allclose(probs.sum(axis=1), 1.0) and np.all(probs * 64 == np.round(probs * 64))
    z = ex.zero_probability(template, params, values)
    assert z.shape == (4,) and np.all((z >= 0) & (z <= 1))
    again = SamplerExecutor(MODE, shots=64, seed=3).zero_probability(template, params, values)
    fresh = SamplerExecutor(MODE, shots=64, seed=3)
    assert np.array_equal(again, fresh.zero_probability(template, params, values))  # seeded


def test_cost_does_not_grow_with_shots(kernel3):
    template, params, values = kernel3
    ex = SamplerExecutor(MODE, shots=10**8, seed=0)  # a per-shot sampler could not hold 10^8 shots
    z = ex.zero_probability(template, params, values)
    exact = ex.distribution(template).probabilities(params, values)[:, 0]
    assert np.allclose(z, exact, atol=5e-4)

"""Device noise models for the accuracy a QPU would deliver (modelled, not measured).

Two named models turn a circuit's exact outcome probabilities into the device's:

``esp-depolarizing`` (fast, any size)
    Each native circuit's estimated success probability of its *gates*,
    ``w = prod_gates (1 - r_g)`` (the same per-operation errors as :mod:`qvc.energy.mitigation`:
    the device Target's errors on the transpiled physical qubits, or the preset's error rates),
    is the weight of the ideal state in a global depolarising channel,
    ``rho -> w rho + (1 - w) I / 2^n``, and each measured bit is then flipped independently
    with its readout error ``e_i`` (symmetric assignment error). For a full distribution
    ``p``: ``p' = R (w p + (1 - w) / 2^n)``, ``R`` the tensor product of the bit-flip matrices.
    For a kernel entry (the all-zeros probability ``K`` only, the rest of the distribution
    unknown), the ``1 - K`` mass is taken as spread evenly over the other outcomes:
    ``K' = w [K r0 + (1 - K)(1 - r0)/(2^n - 1)] + (1 - w) 2^-n`` with ``r0 = prod (1 - e_i)``.
``aer`` (exact for the fake backend's noise model, small sizes)
    Aer's density-matrix simulation with ``NoiseModel.from_backend`` of the device's fake backend
    (:class:`qvc.quantum.execution.NoisyDistribution`), the readout assignment matrices included.

``tests/test_device_noise.py`` compares the two on fake_torino at 2-4 qubits: kernel entries
agree within 0.05 absolute (measured: 0.029, 0.029, 0.018 at 2, 3, 4 qubits, where ignoring the
noise is off by 0.17-0.21).

Mitigation, per entry of an expectation in ``[0, 1]`` (what the accuracy model applies):

* ``none``: the noisy value ``K'`` with the shots as given;
* ``pec``: unbiased (the exact ``K``), shots divided by the circuit's ``gamma^2``
  (Temme, Bravyi & Gambetta, PRL 119, 180509 (2017); IBM Runtime ``PecOptions``);
* ``zne``: Richardson extrapolation through noise factors (1, 3, 5) of the gate noise under the
  same global depolarising model (gate folding raises ``w`` to ``w^lambda``; Temme et al. 2017,
  Giurgica-Tiron et al., IEEE QCE 2020, arXiv:2005.10921): the ideal part is damped by
  ``g = sum_k c_k w^lambda_k`` instead of ``w`` (``c = (15/8, -5/4, 3/8)``), readout not
  mitigated, shots divided by ``(sum |c_k|)^2 = 12.25``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qvc.energy.mitigation import ZNE_NOISE_FACTORS, _richardson
from qvc.errors import QvcUsageError

#: Named device noise models.
NOISE_MODELS = ("esp-depolarizing", "aer")
#: Default noise model (fast at every size).
DEFAULT_NOISE_MODEL = "esp-depolarizing"

SOURCES = {
    "esp-depolarizing": ("global depolarising with the ideal weight w = prod (1 - r) over the native "
                         "circuit's gates (device errors on the transpiled physical qubits) and "
                         "independent symmetric readout flips of each measured bit"),
    "aer": ("Aer density matrix with NoiseModel.from_backend of the device's fake backend on the "
            "transpiled physical qubits, readout assignment matrices included"),
    "zne": ("Richardson extrapolation through noise factors (1, 3, 5) of global depolarising gate "
            "noise w^lambda (Temme, Bravyi & Gambetta PRL 119, 180509 (2017); Giurgica-Tiron et al., "
            "arXiv:2005.10921): ideal part damped by sum_k c_k w^lambda_k; readout unmitigated"),
    "pec": "unbiased (exact expectation), shots / gamma^2 (Temme et al. 2017; IBM Runtime PecOptions)",
    "none": "noisy expectation, shots as given",
}


def check_noise_model(name: str) -> str:
    """Validate a noise-model name.

    Examples
    --------
    >>> check_noise_model("aer")
    'aer'
    """
    if name not in NOISE_MODELS:
        raise QvcUsageError(f"unknown --noise-model {name!r}; choose one of: {', '.join(NOISE_MODELS)}")
    return name


@dataclass(frozen=True)
class CircuitNoise:
    """The esp-depolarizing parameters of one native circuit.

    Attributes
    ----------
    weight : float
        ``w``: product of ``(1 - r)`` over the gates (the ideal state's weight).
    readout : tuple of float
        Symmetric readout error of each measured bit (bit 0 first).
    """

    weight: float
    readout: tuple[float, ...]

    @classmethod
    def from_errors(cls, errors_1q, errors_2q, errors_readout) -> CircuitNoise:
        """From per-operation error rates (:meth:`qvc.energy.hardware.TemplateTiming.error_rates`).

        Examples
        --------
        >>> CircuitNoise.from_errors([0.001], [0.01], [0.02, 0.03]).weight
        0.98901
        """
        w = 1.0
        for r in (*errors_1q, *errors_2q):
            w *= max(0.0, 1.0 - float(r))
        return cls(round(w, 15), tuple(float(e) for e in errors_readout))

    @property
    def bits(self) -> int:
        """Measured bits."""
        return len(self.readout)

    def damping(self, mitigation: str) -> float:
        """Weight of the ideal part after ``mitigation`` (``w``, ZNE's extrapolated ``g``, or 1 for PEC).

        Examples
        --------
        >>> n = CircuitNoise(0.8, ())
        >>> n.damping("none"), n.damping("pec"), round(n.damping("zne"), 4)
        (0.8, 1.0, 0.9829)
        """
        if mitigation == "pec":
            return 1.0
        if mitigation == "zne":
            return float(sum(c * self.weight**lam for c, lam in zip(_richardson(), ZNE_NOISE_FACTORS)))
        return self.weight

    def fidelity(self, k: np.ndarray, mitigation: str = "none") -> np.ndarray:
        """Expected measured all-zeros probability of kernel entries with exact value ``k``.

        Examples
        --------
        >>> n = CircuitNoise(0.9, (0.0, 0.0))
        >>> float(n.fidelity(np.array([1.0]))[0])  # 0.9 * 1 + 0.1 / 4
        0.925
        """
        k = np.asarray(k, dtype=float)
        if mitigation == "pec":
            return k.copy()
        d = 2.0**self.bits
        r0 = math.prod(1.0 - e for e in self.readout)
        read = k * r0 + (1.0 - k) * (1.0 - r0) / (d - 1.0) if d > 1 else k
        g = self.damping(mitigation)
        return g * read + (1.0 - g) / d

    def distribution(self, p: np.ndarray, mitigation: str = "none") -> np.ndarray:
        """Expected measured distributions ``(batch, 2^bits)`` of exact distributions ``p``."""
        p = np.asarray(p, dtype=float)
        if mitigation == "pec":
            return p.copy()
        d = p.shape[1]
        g = self.damping(mitigation)
        q = g * p + (1.0 - g) / d
        k = int(round(math.log2(d)))
        t = q.reshape((q.shape[0],) + (2,) * k)
        for bit, e in enumerate(self.readout[:k]):
            m = np.array([[1.0 - e, e], [e, 1.0 - e]])
            axis = k - bit
            t = np.moveaxis(np.tensordot(t, m, axes=([axis], [0])), -1, axis)
        return t.reshape(q.shape)

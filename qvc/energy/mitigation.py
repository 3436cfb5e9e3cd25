"""Estimated success probability of a native circuit and the sampling overhead of error mitigation.

Everything here works on the per-operation error rates of a transpiled circuit:
``errors_1q`` and ``errors_2q`` (average gate infidelities ``r``, what IBM's
``Target`` reports as ``InstructionProperties.error`` and what vendors quote as
"1 - fidelity") and ``errors_readout`` (assignment error probabilities).

**Estimated success probability** (ESP)::

    ESP = prod_gates (1 - r_g) * prod_measurements (1 - e_m)

**Probabilistic error cancellation** (``pec``). Each gate's noise is taken as
depolarizing with the gate's infidelity. A depolarizing channel
``rho -> (1 - eps) rho + eps I/d`` has average infidelity ``r = eps (d - 1) / d``,
so ``eps = 2 r`` (one qubit) and ``eps = 4 r / 3`` (two qubits). The minimum
one-norm of its quasi-probability inverse is (Temme, Bravyi & Gambetta,
PRL 119, 180509 (2017); mitiq ``represent_operation_with_local_depolarizing_noise``)::

    gamma_1q = (1 + eps/2) / (1 - eps)   = (1 + r) / (1 - 2 r)
    gamma_2q = (1 + 7 eps/8) / (1 - eps) = (1 + 7 r / 6) / (1 - 4 r / 3)

Readout is taken as a symmetric bit flip of probability ``e`` that scales a
measured Z-parity by ``(1 - 2 e)``; undoing it (TREX-style rescaling, van den
Berg et al., PRA 105, 032620 (2022)) contributes ``gamma_m = 1 / (1 - 2 e)``.
``gamma = prod gamma_i`` and the shots needed for the same variance grow by
``gamma ** 2`` (IBM Runtime ``PecOptions``: "the number of randomizations should
be multiplied by the sampling overhead, which is gamma^2").

**Zero-noise extrapolation** (``zne``). IBM Runtime's default noise factors
``(1, 3, 5)`` by gate folding (``ZneOptions``). Extrapolating to zero noise with
the Richardson (polynomial) estimator ``sum_k c_k <O>_k`` with
``c_k = prod_{j != k} l_j / (l_j - l_k)`` = (15/8, -5/4, 3/8) and shots
allocated in proportion to ``|c_k|`` needs ``(sum_k |c_k|)^2 = 12.25`` times the
shots for the same variance; a folded circuit lasts ``l_k`` times as long, so a
shot lasts on average ``sum_k |c_k| l_k / sum_k |c_k| = 15/7`` times as long
(applied to the whole shot, readout included: an upper bound on the stretch).
IBM's default exponential extrapolator amplifies variance more as signals decay;
that is not modelled, so ZNE's figure is a lower bound.

**Beyond practical mitigation**: a circuit whose PEC ``gamma ** 2`` exceeds
:data:`PRACTICAL_MAX_OVERHEAD` (100, IBM Runtime's default ``max_overhead``)
is flagged, whatever the mitigation chosen: at that point PEC is truncated by
IBM's own default and ZNE extrapolates from signals damped to about
``ESP ** 5``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qvc.errors import QvcUsageError

#: Mitigation models a run or estimate can price.
MITIGATION_MODELS = ("none", "zne", "pec")
#: IBM Runtime's default PEC ``max_overhead``: above it a circuit is flagged as beyond practical mitigation.
PRACTICAL_MAX_OVERHEAD = 100.0
#: IBM Runtime's default ZNE noise factors.
ZNE_NOISE_FACTORS = (1.0, 3.0, 5.0)

SOURCES = {
    "esp": "product of (1 - error) over the native circuit's gates and measurements (errors: the "
           "fake backend's Target on the transpiled physical qubits, or the preset's error rates)",
    "pec": "gamma^2 with gamma = prod (1+r)/(1-2r) [1q] x (1+7r/6)/(1-4r/3) [2q] x 1/(1-2e) [readout]: "
           "depolarizing quasi-probability one-norm (Temme, Bravyi & Gambetta, PRL 119, 180509 (2017); "
           "mitiq depolarizing representation), gamma^2 overhead per IBM Runtime PecOptions docs",
    "zne": "Richardson extrapolation through IBM Runtime's default noise factors (1, 3, 5) by gate "
           "folding (ZneOptions docs): (sum |c_k|)^2 = 12.25 x shots, shots 15/7 x longer on average; "
           "a lower bound (exponential extrapolation amplifies variance more)",
    "none": "no mitigation: shots as given; expectation values are damped towards the ESP",
    "practical": f"flagged when the PEC gamma^2 exceeds {PRACTICAL_MAX_OVERHEAD:g} (IBM Runtime's "
                 "default PecOptions.max_overhead)",
}


def check_mitigation(model: str) -> str:
    """Validate a mitigation model name.

    Examples
    --------
    >>> check_mitigation("pec")
    'pec'
    """
    if model not in MITIGATION_MODELS:
        raise QvcUsageError(
            f"unknown --mitigation {model!r}; choose one of: {', '.join(MITIGATION_MODELS)}"
        )
    return model


def esp(errors_1q, errors_2q, errors_readout) -> float:
    """Estimated success probability: ``prod (1 - error)`` over all operations.

    Examples
    --------
    >>> round(esp([0.001], [0.01], [0.02]), 9)
    0.9692298
    """
    out = 1.0
    for e in (*errors_1q, *errors_2q, *errors_readout):
        out *= max(0.0, 1.0 - float(e))
    return out


def _ratio(num: float, den: float) -> float:
    return math.inf if den <= 0.0 else num / den


def pec_gamma(errors_1q, errors_2q, errors_readout) -> float:
    """Quasi-probability one-norm of the whole circuit under local depolarizing noise.

    Computed as a sum of logarithms so long circuits do not underflow; ``inf``
    when an error rate is at or past full depolarization.

    Examples
    --------
    >>> round(pec_gamma([0.001], [], []), 9)  # (1 + r) / (1 - 2 r)
    1.003006012
    """
    log_g = 0.0
    for r in errors_1q:
        log_g += math.log(_ratio(1.0 + r, 1.0 - 2.0 * r)) if r < 0.5 else math.inf
    for r in errors_2q:
        log_g += math.log(_ratio(1.0 + 7.0 * r / 6.0, 1.0 - 4.0 * r / 3.0)) if r < 0.75 else math.inf
    for e in errors_readout:
        log_g += -math.log(1.0 - 2.0 * e) if e < 0.5 else math.inf
    return math.exp(log_g) if log_g < 700 else math.inf


def _richardson(factors=ZNE_NOISE_FACTORS) -> list[float]:
    out = []
    for k, lk in enumerate(factors):
        c = 1.0
        for j, lj in enumerate(factors):
            if j != k:
                c *= lj / (lj - lk)
        out.append(c)
    return out


@dataclass(frozen=True)
class Mitigation:
    """What mitigating one circuit costs.

    Attributes
    ----------
    model : str
        ``none``, ``zne`` or ``pec``.
    esp : float
        Estimated success probability of the native circuit.
    overhead : float
        Multiplier on shots for the same variance (1 for ``none``).
    stretch : float
        Multiplier on one shot's circuit duration (gate folding; 1 otherwise).
    pec_overhead : float
        The circuit's PEC ``gamma ** 2`` (whatever the model), for the practicality flag.
    practical : bool
        False when ``pec_overhead`` exceeds :data:`PRACTICAL_MAX_OVERHEAD`.
    """

    model: str
    esp: float
    overhead: float
    stretch: float
    pec_overhead: float
    practical: bool

    def to_dict(self) -> dict:
        """Plain-JSON form (``inf`` written as ``None``)."""
        def num(x: float):
            return None if not math.isfinite(x) else x
        return {"model": self.model, "esp": self.esp, "overhead": num(self.overhead),
                "duration_stretch": self.stretch, "pec_gamma_squared": num(self.pec_overhead),
                "practical": self.practical, "source": SOURCES[self.model],
                "practical_rule": SOURCES["practical"]}


def mitigation_cost(model: str, errors_1q, errors_2q, errors_readout) -> Mitigation:
    """Sampling overhead of mitigating one native circuit under ``model``.

    Examples
    --------
    >>> m = mitigation_cost("zne", [0.001], [0.01], [0.02])
    >>> m.overhead, round(m.stretch, 6), m.practical
    (12.25, 2.142857, True)
    """
    check_mitigation(model)
    p = esp(errors_1q, errors_2q, errors_readout)
    gamma = pec_gamma(errors_1q, errors_2q, errors_readout)
    pec2 = gamma * gamma if math.isfinite(gamma) else math.inf
    if model == "pec":
        overhead, stretch = pec2, 1.0
    elif model == "zne":
        c = _richardson()
        total = sum(abs(x) for x in c)
        overhead = total * total
        stretch = sum(abs(x) * lam for x, lam in zip(c, ZNE_NOISE_FACTORS)) / total
    else:
        overhead, stretch = 1.0, 1.0
    return Mitigation(model, p, overhead, stretch, pec2, bool(pec2 <= PRACTICAL_MAX_OVERHEAD))

"""Constants of the local energy estimate, each with its source.

One table, so that a reader can audit every number the estimate uses.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Constant:
    """A sourced constant."""

    value: float
    unit: str
    source: str


GREEN_ALGORITHMS = (
    "Lannelongue, Grealey & Inouye, 'Green Algorithms: Quantifying the Carbon Footprint of "
    "Computation', Advanced Science 8, 2100707 (2021), doi:10.1002/advs.202100707"
)

#: Constants of the CPU-time + memory estimate (Green Algorithms form).
ESTIMATE_CONSTANTS: dict[str, Constant] = {
    "cpu_power_per_core_w": Constant(
        12.0, "W per fully used core", GREEN_ALGORITHMS + " (default TDP per core)"
    ),
    "memory_power_w_per_gb": Constant(0.3725, "W per GB resident", GREEN_ALGORITHMS),
    "pue": Constant(
        1.0,
        "dimensionless",
        "local machine, no data-centre overhead assumed; Green Algorithms uses 1.67 for an "
        "average data centre (set it explicitly for cluster runs)",
    ),
}

#: Landauer limit at 300 K, k*T*ln 2 in joules (CODATA k_B = 1.380649e-23 J/K).
K_BOLTZMANN = 1.380649e-23

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

CODECARBON = (
    "CodeCarbon 2.x methodology (mlco2/codecarbon docs): constant mode uses 50 % of the CPU's "
    "TDP for the whole CPU (85 W TDP, i.e. 42.5 W, when the model is unknown, as its "
    "emissions.csv files show) and 3 W per 8 GB of *installed* RAM"
)
ECO2AI = (
    "Budennyy et al., 'eco2AI: carbon emissions tracking of machine learning models as the "
    "first step towards sustainable AI', Doklady Mathematics 106 (2022), "
    "doi:10.1134/S1064562422060230"
)

#: What other tools assume for the same quantities, for comparison only (never used in a figure).
COMPARISON_CONSTANTS: dict[str, dict[str, Constant]] = {
    "green-algorithms": {
        "cpu_power_per_core_w": Constant(12.0, "W per core, unknown CPU", GREEN_ALGORITHMS),
        "memory_power_w_per_gb": Constant(0.3725, "W per GB", GREEN_ALGORITHMS),
        "pue": Constant(1.67, "dimensionless, average data centre", GREEN_ALGORITHMS),
    },
    "codecarbon": {
        "cpu_power_unknown_w": Constant(42.5, "W for the whole CPU (50 % of 85 W TDP)", CODECARBON),
        "memory_power_w_per_gb": Constant(0.375, "W per GB installed (3 W / 8 GB)", CODECARBON),
    },
    "eco2ai": {
        "memory_power_w_per_gb": Constant(
            0.375, "W per GB", ECO2AI + " (value as stated in the paper; unverified here)"
        ),
    },
}

_INTEL_ARK = "Intel ARK product specifications (processor base power / TDP and core count)"
_AMD_SPEC = "AMD product specifications page (default TDP and core count)"

#: CPU TDP by model (key: lower-case model fragment as it appears in /proc/cpuinfo's model name).
#: Per-core power = TDP / cores; used when the CPU model matches, else the Green Algorithms default.
CPU_TDP: dict[str, tuple[float, int, str]] = {
    "xeon gold 6130": (125.0, 16, _INTEL_ARK),
    "xeon gold 6248": (150.0, 20, _INTEL_ARK),
    "xeon platinum 8380": (270.0, 40, _INTEL_ARK),
    "xeon platinum 8480+": (350.0, 56, _INTEL_ARK),
    "xeon e5-2620 v3": (85.0, 6, _INTEL_ARK),
    "xeon e5-2680 v4": (120.0, 14, _INTEL_ARK),
    "core i7-8650u": (15.0, 4, _INTEL_ARK),
    "core i7-12700k": (125.0, 12, _INTEL_ARK),
    "core i9-13900k": (125.0, 24, _INTEL_ARK),
    "epyc 7543": (225.0, 32, _AMD_SPEC),
    "epyc 7742": (225.0, 64, _AMD_SPEC),
    "epyc 7763": (280.0, 64, _AMD_SPEC),
    "epyc 9654": (360.0, 96, _AMD_SPEC),
    "ryzen 7 5800x": (105.0, 8, _AMD_SPEC),
    "ryzen 9 5950x": (105.0, 16, _AMD_SPEC),
    "ryzen threadripper 1950x": (180.0, 16, _AMD_SPEC),
}

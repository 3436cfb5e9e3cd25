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
    "CodeCarbon 3.x methodology (mlco2/codecarbon docs/explanation/methodology.md): RAPL where "
    "readable, else a fallback: the CPU's TDP from its table of 2000+ models (a global constant "
    "when the model is unknown), scaled by the CPU load from psutil when available, else 50 % of "
    "the TDP (constant mode); tracking_mode 'machine' (default: the whole machine) or 'process' "
    "(the process's CPU-time share); RAM at 5 W per DIMM (x86), the DIMM count guessed from the "
    "installed size (at least 2 DIMMs, 10 W); CodeCarbon 2.x used 3 W per 8 GB installed"
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
        "cpu_constant_mode_fraction": Constant(0.5, "of the CPU's TDP, whole CPU, whatever the load",
                                               CODECARBON),
        "ram_power_w_per_dimm": Constant(5.0, "W per DIMM (x86), DIMMs guessed from installed size",
                                         CODECARBON),
        "ram_power_min_w": Constant(10.0, "W (2 DIMMs at least)", CODECARBON),
    },
    "eco2ai": {
        "memory_power_w_per_gb": Constant(
            0.375, "W per GB", ECO2AI + " (value as stated in the paper; unverified here)"
        ),
    },
}

_INTEL_ARK = "Intel ARK product specifications (processor base power / TDP, cores, threads)"
_AMD_SPEC = "AMD product specifications page (default TDP, CPU cores, threads)"

#: CPU TDP by model (key: lower-case model fragment as it appears in /proc/cpuinfo's model name):
#: ``(tdp_w, cores, threads, source)``. Power per hardware thread (logical CPU) = TDP / threads,
#: because process CPU time counts logical-CPU seconds and a fully loaded package draws about
#: its TDP with every thread busy.
CPU_TDP: dict[str, tuple[float, int, int, str]] = {
    "xeon gold 6130": (125.0, 16, 32, _INTEL_ARK),
    "xeon gold 6248": (150.0, 20, 40, _INTEL_ARK),
    "xeon platinum 8380": (270.0, 40, 80, _INTEL_ARK),
    "xeon platinum 8480+": (350.0, 56, 112, _INTEL_ARK),
    "xeon e5-2620 v3": (85.0, 6, 12, _INTEL_ARK),
    "xeon e5-2680 v4": (120.0, 14, 28, _INTEL_ARK),
    "core i7-8650u": (15.0, 4, 8, _INTEL_ARK),
    "core i7-12700k": (125.0, 12, 20, _INTEL_ARK),
    "core i9-13900k": (125.0, 24, 32, _INTEL_ARK),
    "epyc 7543": (225.0, 32, 64, _AMD_SPEC),
    "epyc 7742": (225.0, 64, 128, _AMD_SPEC),
    "epyc 7763": (280.0, 64, 128, _AMD_SPEC),
    "epyc 9654": (360.0, 96, 192, _AMD_SPEC),
    "ryzen 7 5800x": (105.0, 8, 16, _AMD_SPEC),
    "ryzen 9 5950x": (105.0, 16, 32, _AMD_SPEC),
    "ryzen threadripper 1950x": (180.0, 16, 32, _AMD_SPEC),
}

#: Vendor families for CPUs whose exact model is not in :data:`CPU_TDP` (cloud VMs often show
#: only "AMD EPYC" or "Intel Xeon Processor"): the median TDP per thread of the table's models
#: of that family (the rule is stated in the source string the meter records).
CPU_FAMILIES: tuple[str, ...] = ("epyc", "xeon", "ryzen threadripper", "ryzen", "core")

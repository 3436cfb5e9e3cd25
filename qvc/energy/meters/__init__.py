"""Local energy meters: RAPL and NVML counters (measured) and the Green Algorithms estimate.

``detect_backends`` probes the hardware once; ``EnergyMeter`` opens named
windows over the chosen backends; ``measure_repeated`` handles work too short
for one window.
"""

from qvc.energy.meters.base import Measurement, weakest_label
from qvc.energy.meters.detect import Detection, default_detection, detect_backends
from qvc.energy.meters.estimate import EstimateBackend, load_cpu_tdp_table, lookup_cpu_power
from qvc.energy.meters.nvml import NvmlBackend, probe_nvml
from qvc.energy.meters.rapl import RaplBackend, probe_rapl
from qvc.energy.meters.repeat import measure_repeated
from qvc.energy.meters.window import EnergyMeter, WindowHandle

__all__ = [
    "Detection",
    "EnergyMeter",
    "EstimateBackend",
    "Measurement",
    "NvmlBackend",
    "RaplBackend",
    "WindowHandle",
    "default_detection",
    "detect_backends",
    "load_cpu_tdp_table",
    "lookup_cpu_power",
    "measure_repeated",
    "probe_nvml",
    "probe_rapl",
    "weakest_label",
]

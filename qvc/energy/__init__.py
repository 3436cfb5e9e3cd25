"""Energy: local meters (measured or estimated) and the quantum hardware cost model (modelled)."""

from qvc.energy.carbon import CarbonIntensity, carbon_intensity
from qvc.energy.devices import DEVICES, DevicePreset, get_device
from qvc.energy.hardware import HardwareCost, price_entries
from qvc.energy.meters import EnergyMeter, EstimateBackend, Measurement, detect_backends, measure_repeated

__all__ = [
    "CarbonIntensity",
    "DEVICES",
    "DevicePreset",
    "EnergyMeter",
    "EstimateBackend",
    "HardwareCost",
    "Measurement",
    "carbon_intensity",
    "detect_backends",
    "get_device",
    "measure_repeated",
    "price_entries",
]

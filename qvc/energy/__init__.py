"""Energy: local meters (measured or estimated) and the quantum hardware cost model (modelled)."""

from qvc.energy.devices import DEVICES, DevicePreset, get_device
from qvc.energy.hardware import HardwareCost, price_entries
from qvc.energy.meter import EnergyMeter, EstimateBackend, Measurement

__all__ = [
    "DEVICES",
    "DevicePreset",
    "EnergyMeter",
    "EstimateBackend",
    "HardwareCost",
    "Measurement",
    "get_device",
    "price_entries",
]

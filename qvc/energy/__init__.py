"""Energy: local meters (measured or estimated) and the quantum hardware cost model (modelled)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qvc.energy.carbon import CarbonIntensity, carbon_intensity
    from qvc.energy.devices import DEVICES, DevicePreset, get_device
    from qvc.energy.hardware import HardwareCost, price_entries
    from qvc.energy.meters import EnergyMeter, EstimateBackend, Measurement, detect_backends, measure_repeated

# Names are imported on first use (PEP 562): ``import qvc.energy.devices`` (device presets, a
# TOML file) then no longer imports the cost model, qiskit and the simulator with it.
_WHERE = {
    "CarbonIntensity": "carbon", "carbon_intensity": "carbon",
    "DEVICES": "devices", "DevicePreset": "devices", "get_device": "devices",
    "HardwareCost": "hardware", "price_entries": "hardware",
    "EnergyMeter": "meters", "EstimateBackend": "meters", "Measurement": "meters",
    "detect_backends": "meters", "measure_repeated": "meters",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f"qvc.energy.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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

"""Measurement windows around local work (fit, predict).

Kept for existing imports: the meters live in :mod:`qvc.energy.meters`.
"""

from qvc.energy.meters.base import Measurement
from qvc.energy.meters.estimate import EstimateBackend
from qvc.energy.meters.window import EnergyMeter

__all__ = ["EnergyMeter", "EstimateBackend", "Measurement"]

"""Thermodynamic floor: Landauer's bound on the energy of erasing information.

Erasing one bit at temperature ``T`` dissipates at least ``k_B T ln 2``
(Landauer, IBM J. Res. Dev. 5, 183 (1961)). qvc refers every bit to room
temperature (300 K): for classical work that is where the bits are erased; for
a QPU the measured and reset bits of every shot are counted at 300 K as well,
because the heat of the cold stage is finally rejected there (the bound at the
mixing-chamber temperature times the refrigerator's Carnot factor ``T_room /
T_cold`` is the same number).
"""

from __future__ import annotations

import math

from qvc.energy.constants import K_BOLTZMANN

#: Room temperature every bit is referred to (K).
ROOM_TEMPERATURE_K = 300.0


def landauer_j(bits: float, temperature_k: float = ROOM_TEMPERATURE_K) -> float:
    """Minimum energy (J) to erase ``bits`` bits at ``temperature_k``: ``bits * k_B * T * ln 2``.

    Examples
    --------
    >>> f"{landauer_j(1):.3e}"
    '2.871e-21'
    """
    if bits < 0 or temperature_k <= 0:
        raise ValueError("bits must be >= 0 and temperature_k > 0")
    return float(bits) * K_BOLTZMANN * float(temperature_k) * math.log(2.0)


def orders_above_floor(energy_j: float, floor_j: float) -> float:
    """How many orders of magnitude ``energy_j`` sits above ``floor_j`` (``log10(E / floor)``).

    ``nan`` when either is not positive.

    Examples
    --------
    >>> orders_above_floor(landauer_j(1) * 1000, landauer_j(1))
    3.0
    """
    if not (energy_j > 0 and floor_j > 0):
        return float("nan")
    return round(math.log10(energy_j / floor_j), 6)


def qpu_erased_bits(total_shots: float, measured_bits: int, reset_qubits: int) -> float:
    """Bits a QPU erases: every shot records ``measured_bits`` and re-initialises ``reset_qubits``.

    Examples
    --------
    >>> qpu_erased_bits(1000, 2, 2)
    4000.0
    """
    return float(total_shots) * (int(measured_bits) + int(reset_qubits))

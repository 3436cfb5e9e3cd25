"""Attribution scenarios: the same priced ledger charged to the job in other ways.

The headline row (``hw_energy_j``) is priced as the run asked (``--attribution``,
``--packing``, ``--utilisation``; by default the whole machine, one circuit per execution).
Beside it every priced row carries three scenarios, each with its own Monte Carlo
median and 90 % interval (same draws, same seed):

``packed``
    Circuit packing: as many copies of each circuit as the device's coupling map holds
    run side by side in one execution (``--packing auto``; the run's own count when it
    gave one), so the QPU time of the circuits is divided by the copies
    (:mod:`qvc.energy.packing`).
``shared``
    A utilisation share of the machine: the job is charged share ``u`` of the idle
    power and all of its dynamic power (``--utilisation``; when the run charges the
    whole machine, :data:`SHARED_UTILISATION`'s typical value).
``marginal``
    Only what the job adds to an idle, already-cold machine (``--attribution marginal``).
"""

from __future__ import annotations

from qvc.energy.devices import DevicePreset, Param
from qvc.energy.hardware import HardwareCost, price_entries
from qvc.quantum.ledger import LedgerEntry

#: The utilisation share of the ``shared`` scenario (typical) and the range the sensitivity
#: analysis draws it from (low, high; the headline's own share is the typical there).
SHARED_UTILISATION = Param(
    0.1, 0.5, 1.0,
    "unverified: modelling choice. Half of the machine's idle power charged to the job, the other half to "
    "what else holds the machine (calibration, other users' circuits); no published utilisation of a "
    "cloud QPU was found. Range 0.1 (a busy shared machine) to 1 (the whole machine)")

#: Scenario names in display order.
SCENARIOS = ("packed", "shared", "marginal")


def price_scenarios(entries: list[LedgerEntry], device: DevicePreset, *, mode: str = "attributional",
                    mitigation_factor: float = 1.0, mitigation: str = "none", packing: int | str = "none",
                    utilisation: float = 1.0) -> dict[str, HardwareCost]:
    """The three attribution scenarios of ``entries`` (the headline's other settings kept).

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> from qvc.energy.devices import get_device
    >>> qc = QuantumCircuit(2); _ = qc.h(0); _ = qc.cx(0, 1); _ = qc.measure_all()
    >>> out = price_scenarios([LedgerEntry("m", "fit", qc, 100, 1000, "kernel")], get_device("ibm_heron"))
    >>> out["packed"].packing_copies > 1, out["shared"].utilisation, out["marginal"].mode
    (True, 0.5, 'marginal')
    """
    packed = packing if packing not in ("none", 1) else "auto"
    share = utilisation if utilisation < 1.0 else SHARED_UTILISATION.typical
    f, m = mitigation_factor, mitigation
    return {
        "packed": price_entries(entries, device, mode=mode, mitigation_factor=f, mitigation=m, packing=packed,
                                utilisation=utilisation),
        "shared": price_entries(entries, device, mode="attributional", mitigation_factor=f, mitigation=m,
                                packing=packing, utilisation=share),
        "marginal": price_entries(entries, device, mode="marginal", mitigation_factor=f, mitigation=m,
                                  packing=packing),
    }

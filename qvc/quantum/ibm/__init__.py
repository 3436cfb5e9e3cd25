"""Running the quantum side of an experiment on IBM Quantum backends (or fake ones, locally).

- :mod:`~qvc.quantum.ibm.service`: ``ibm:<backend>`` parsing, credentials, gateways
  (IBM Quantum service / local testing mode);
- :mod:`~qvc.quantum.ibm.ledger`: the SQLite job ledger;
- :mod:`~qvc.quantum.ibm.sampler`: :class:`LedgerSampler`, a V2 sampler that
  transpiles, splits, submits, resumes and collects through the ledger;
- :mod:`~qvc.quantum.ibm.kernel` and :mod:`~qvc.quantum.ibm.qnn`: fidelity-kernel
  entries and QNN class probabilities from hardware counts;
- :mod:`~qvc.quantum.ibm.jobs`: what ``qvc ibm status/fetch/cancel/calibrate`` do;
- :mod:`~qvc.quantum.ibm.testing`: a fake service whose jobs persist on disk (for tests).
"""

from qvc.quantum.ibm.context import IbmRunContext, current_context, ibm_context
from qvc.quantum.ibm.ledger import JobLedger, default_ledger_path
from qvc.quantum.ibm.sampler import HARDWARE_REPORTED, IbmJobsPending, LedgerSampler
from qvc.quantum.ibm.service import (
    IbmTarget,
    get_gateway,
    is_ibm_execution,
    parse_ibm_execution,
    set_gateway_factory,
)

__all__ = [
    "HARDWARE_REPORTED",
    "IbmJobsPending",
    "IbmRunContext",
    "IbmTarget",
    "JobLedger",
    "LedgerSampler",
    "current_context",
    "default_ledger_path",
    "get_gateway",
    "ibm_context",
    "is_ibm_execution",
    "parse_ibm_execution",
    "set_gateway_factory",
]

"""Running the quantum side of an experiment on IBM Quantum backends (or fake ones, locally).

- :mod:`~qvc.quantum.ibm.service`: ``ibm:<backend>`` parsing, :class:`JobStatus`,
  :class:`IbmServiceError`, credentials, gateways (IBM Quantum service / local testing mode);
- :mod:`~qvc.quantum.ibm.jobstore`: the SQLite job store (file ``ibm_ledger.sqlite``);
- :mod:`~qvc.quantum.ibm.sampler`: :class:`IbmSampler`, a V2 sampler that
  transpiles, splits, submits and resumes through the job store;
- :mod:`~qvc.quantum.ibm.tracker`: :class:`JobTracker`, which polls jobs, collects
  their results and reads their usage and execution time;
- :mod:`~qvc.quantum.ibm.accounting`: whose QPU time a job is (attributed once);
- :mod:`~qvc.quantum.ibm.kernel` and :mod:`~qvc.quantum.ibm.qnn`: fidelity-kernel
  entries and QNN class probabilities from hardware counts;
- :mod:`~qvc.quantum.ibm.jobs`: what ``qvc ibm status/fetch/cancel/calibrate`` do;
- :mod:`~qvc.quantum.ibm.testing`: a test double of the service whose jobs persist on disk.
"""

from qvc.quantum.ibm.context import IbmRunContext, current_context, ibm_context
from qvc.quantum.ibm.jobstore import JobStore, default_store_path
from qvc.quantum.ibm.sampler import IbmSampler
from qvc.quantum.ibm.service import (
    IbmServiceError,
    IbmTarget,
    JobStatus,
    get_gateway,
    parse_ibm_execution,
    set_gateway_factory,
)
from qvc.quantum.ibm.tracker import HARDWARE_REPORTED, IbmJobsPending, JobTracker

__all__ = [
    "HARDWARE_REPORTED",
    "IbmJobsPending",
    "IbmRunContext",
    "IbmSampler",
    "IbmServiceError",
    "IbmTarget",
    "JobStatus",
    "JobStore",
    "JobTracker",
    "current_context",
    "default_store_path",
    "get_gateway",
    "ibm_context",
    "parse_ibm_execution",
    "set_gateway_factory",
]

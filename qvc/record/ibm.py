"""IBM usage in the record: the ``hw_reported_*`` columns from a model's attributed usage
(:mod:`qvc.quantum.ibm.accounting`), pure, and the run folder's :data:`USAGE_FILE` that
refreshing them later needs (:func:`remember_usage`). The row builder that calls them is
:func:`qvc.record.results.ibm_columns`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from qvc._io import write_json

#: File in a run folder that records, per model, how its reported usage was attributed
#: (store rows used, modelled power and QPU time), so ``qvc ibm fetch RUN --usage`` can
#: recompute the ``hw_reported_*`` columns later without running anything again.
USAGE_FILE = "ibm_usage.json"


def reported_columns(usage: dict, power_w: float, modelled_qpu_seconds: float | None) -> dict:
    """``hw_reported_*`` columns from an attributed usage (see :mod:`qvc.quantum.ibm.accounting`).

    QPU seconds are the usage IBM bills; the energy next to them uses the physical
    execution time from the results' execution spans where every job has them
    (else the billed time), times the cost model's average power; the method says
    which. The ratio to the model is left empty when jobs were reused from earlier
    runs (then this run's time covers only part of the modelled workload).

    Examples
    --------
    >>> u = {"qpu_seconds": 4.0, "qpu_seconds_method": "hardware-reported: job usage",
    ...      "energy_seconds": 3.0, "energy_seconds_source": "execution spans", "jobs_reused": 0}
    >>> c = reported_columns(u, power_w=10.0, modelled_qpu_seconds=2.0)
    >>> c["hw_reported_energy_j"], c["hw_reported_vs_modelled"]
    (30.0, 2.0)
    """
    seconds = usage.get("qpu_seconds")
    energy_s = usage.get("energy_seconds")
    method = usage.get("qpu_seconds_method") or ""
    if energy_s is not None and usage.get("energy_seconds_source"):
        method += f"; energy from {usage['energy_seconds_source']}"
    qpu = np.nan if seconds is None else float(seconds)
    energy = np.nan
    if energy_s is not None and power_w is not None and math.isfinite(power_w):
        energy = float(energy_s) * power_w
    ratio = np.nan
    if seconds is not None and not usage.get("jobs_reused") and modelled_qpu_seconds:
        ratio = qpu / modelled_qpu_seconds if modelled_qpu_seconds > 0 else np.nan
    return {"hw_reported_qpu_seconds": qpu, "hw_reported_energy_j": energy,
            "hw_reported_method": method, "hw_reported_vs_modelled": ratio}


def remember_usage(usage: dict, power_w: float, modelled: float) -> None:
    """Record in the run folder's :data:`~qvc.record.ibm.USAGE_FILE` what recomputing a model's
    ``hw_reported_*`` columns needs later (``qvc ibm fetch RUN --usage``)."""
    from qvc.quantum.ibm import current_context

    run_dir = current_context().run_dir
    if run_dir is None or not Path(run_dir).is_dir():
        return
    path = Path(run_dir) / USAGE_FILE
    data = json.loads(path.read_text()) if path.is_file() else {"owners": {}}
    data["owners"][usage["owner"]] = {
        "run_id": usage["run_id"], "backend": usage["backend"], "service": usage["service"],
        "store": usage["store"], "row_ids": usage["row_ids"], "jobs": usage["jobs"],
        "jobs_submitted": usage["jobs_submitted"],
        "power_w": power_w if math.isfinite(power_w) else None,
        "modelled_qpu_seconds": modelled if math.isfinite(modelled) else None,
    }
    write_json(data, path)

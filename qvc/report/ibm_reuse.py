"""The IBM section's note on jobs reused from the job store (issue 32, item 5).

A run on ``ibm:<backend>`` submits each distinct job once; a later identical run reads the
finished jobs from the job store instead of running them again. In local testing mode the
"backend" is Aer simulating the fake device in this process, inside the metered fit and
predict windows, so a run that reuses stored jobs measures far less local energy than the
run that submitted them. This note says which rows that is, and why.
"""

from __future__ import annotations

import pandas as pd

from qvc.report.columns import fmt, is_missing
from qvc.report.document import Cell, Table


def _local(backend: str) -> bool:
    """Whether ``backend`` runs in qiskit-ibm-runtime's local testing mode (fake backends, Aer)."""
    from qvc.quantum.ibm.service import is_local_backend

    return is_local_backend(backend)


def reuse_notes(rows: pd.DataFrame) -> list:
    """Blocks naming the rows whose jobs came (partly) from the job store; empty when none did.

    Examples
    --------
    >>> frame = pd.DataFrame({"model": ["qsvc"], "seed": [42], "ibm_backend": ["fake_manila"],
    ...                       "ibm_jobs": [2], "ibm_jobs_submitted": [0], "fit_energy_j": [2.07],
    ...                       "predict_energy_j": [0.5]})
    >>> text, table = reuse_notes(frame)
    >>> "not run again" in text, table.rows[0][2]
    (True, '2 of 2')
    """
    if not {"ibm_jobs", "ibm_jobs_submitted"} <= set(rows.columns):
        return []
    table_rows: list[list[Cell]] = []
    local_any = False
    for _, r in rows.iterrows():
        if is_missing(r.get("ibm_jobs")) or is_missing(r.get("ibm_jobs_submitted")):
            continue
        jobs, submitted = int(r["ibm_jobs"]), int(r["ibm_jobs_submitted"])
        if jobs <= submitted:
            continue
        local = _local(str(r.get("ibm_backend", "")))
        local_any |= local
        table_rows.append([
            str(r.get("model")), str(r.get("seed")), f"{jobs - submitted} of {jobs}",
            fmt(r.get("fit_energy_j")), fmt(r.get("predict_energy_j")),
            ("local testing mode: these jobs' Aer simulation is not in this run's local energy" if local
             else "QPU jobs: their results are read back; no QPU time is counted again"),
        ])
    if not table_rows:
        return []
    text = (f"{len(table_rows)} row(s) reused finished jobs from the job store (same circuits, backend and "
            "shots, submitted by an earlier run): their results were read, not run again, and each job's "
            "QPU time stays with the run that submitted it.")
    if local_any:
        text += (" In local testing mode the job *is* the local Aer simulation, metered inside the fit and "
                 "predict windows of the run that submits it; so the local fit/predict energy of these rows "
                 "leaves out the reused jobs and is lower than the submitting run's (compare "
                 "'qvc ibm status RUN'). For a like-for-like local energy, run with a fresh job store "
                 "(another --out, or --execution exact for the simulation alone). The modelled hardware "
                 "energy prices every circuit either way.")
    return [text, Table(["model", "seed", "jobs reused", "local fit energy [J]", "local predict energy [J]",
                         "what the reuse leaves out"], table_rows,
                        caption="Rows whose jobs came from the job store; local energies as measured/estimated "
                                "in this run.")]

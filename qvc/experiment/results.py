"""The result table: columns, atomic writes, typed loading."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from qvc.errors import QvcUsageError

#: Bumped when a column changes meaning or disappears.
SCHEMA_VERSION = 1

#: Result columns, in order, with their meaning (documented in docs/ARCHITECTURE.md).
COLUMNS: dict[str, str] = {
    "schema_version": "version of this table's layout",
    "run_id": "run folder name",
    "dataset": "dataset name",
    "model": "svm | qsvc | mlp | vqc",
    "pair": "svm (svm vs qsvc) or nn (mlp vs vqc)",
    "family": "classical | quantum",
    "seed": "seed of split, initialisation and sampling",
    "execution": "how the quantum model was computed (classical models: 'classical')",
    "qubits": "features = qubits",
    "n_train": "training samples",
    "n_test": "test samples",
    "n_params": "trainable parameters (0 for kernel methods)",
    "matching": "the matching rule that pairs this model with its partner",
    "accuracy_train": "accuracy on the training split",
    "accuracy_test": "accuracy on the test split",
    "f1_test": "macro F1 on the test split",
    "fit_seconds": "wall seconds of fit",
    "fit_cpu_seconds": "process CPU seconds of fit",
    "fit_energy_j": "local energy of fit in joules",
    "fit_energy_method": "measured | estimated",
    "predict_seconds": "wall seconds of predicting the test split",
    "predict_cpu_seconds": "process CPU seconds of predict",
    "predict_energy_j": "local energy of predict in joules",
    "predict_energy_method": "measured | estimated",
    "energy_meter": "meter backend that produced the local energy",
    "circuits_fit": "circuit executions a QPU would run for fit",
    "circuits_predict": "circuit executions a QPU would run for predict",
    "shots": "shots per circuit assumed for hardware",
    "device": "device preset that priced the ledger",
    "hw_jobs": "jobs the ledger would be split into",
    "hw_qpu_seconds": "modelled QPU seconds (fit + predict)",
    "hw_energy_j": "modelled hardware energy in joules (fit + predict)",
    "hw_energy_method": "modelled | hardware-reported",
    "point_id": "sweeps: stable hash of the point's settings (dataset, model, qubits, samples, seed, ...)",
    "samples": "sweeps: requested subsample size before the split (empty: all samples)",
    "worker": "sweeps: host:pid of the process that ran and metered the point",
    "point_seconds": "sweeps: wall seconds of the whole point in its worker (data, fit, predict, pricing)",
}

_INT_COLUMNS = {
    "schema_version", "seed", "qubits", "n_train", "n_test", "n_params",
    "circuits_fit", "circuits_predict", "shots", "hw_jobs", "samples",
}
_FLOAT_COLUMNS = {
    "accuracy_train", "accuracy_test", "f1_test", "fit_seconds", "fit_cpu_seconds",
    "fit_energy_j", "predict_seconds", "predict_cpu_seconds", "predict_energy_j",
    "hw_qpu_seconds", "hw_energy_j", "point_seconds",
}


def write_results(rows: list[dict], path: str | Path) -> None:
    """Write ``rows`` to ``path`` atomically (temp file + rename): a crash never leaves half a file."""
    path = Path(path)
    frame = pd.DataFrame(rows)
    ordered = [c for c in COLUMNS if c in frame.columns]
    frame = frame[ordered + [c for c in frame.columns if c not in COLUMNS]]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".results-", suffix=".csv")
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            frame.to_csv(fh, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_results(path: str | Path) -> pd.DataFrame:
    """Load a ``results.csv`` (or a run folder holding one) with typed columns.

    Raises
    ------
    QvcUsageError
        If the file is missing, unreadable, or from a newer schema version.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_results([{"schema_version": 1, "model": "svm", "accuracy_test": 0.9}], d / "results.csv")
    >>> load_results(d)["accuracy_test"].dtype.kind
    'f'
    """
    path = Path(path)
    if path.is_dir():
        path = path / "results.csv"
    if not path.is_file():
        raise QvcUsageError(f"no results file at {str(path)!r}; is this a qvc run folder?")
    try:
        frame = pd.read_csv(path)
    except Exception as exc:
        raise QvcUsageError(f"cannot read {str(path)!r}: {str(exc).splitlines()[0]}") from None
    if "schema_version" not in frame.columns or "model" not in frame.columns:
        raise QvcUsageError(f"{str(path)!r} is not a qvc results file (no schema_version/model)")
    newest = int(pd.to_numeric(frame["schema_version"], errors="coerce").max())
    if newest > SCHEMA_VERSION:
        raise QvcUsageError(
            f"{str(path)!r} has schema version {newest}, newer than this qvc "
            f"({SCHEMA_VERSION}); upgrade qvc"
        )
    for c in frame.columns:
        if c in _INT_COLUMNS:
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("Int64")
        elif c in _FLOAT_COLUMNS:
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    return frame

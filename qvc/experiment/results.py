"""The result table: columns, atomic writes, typed loading."""

from __future__ import annotations

import csv
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
    "execution": "how the quantum model was computed: exact | shots | noisy:<fake backend> | "
                 "ibm:<backend> (classical models: 'classical')",
    "qubits": "features = qubits",
    "n_train": "training samples",
    "n_test": "test samples",
    "n_params": "trainable parameters (0 for kernel methods)",
    "optimizer_steps": (
        "what the shared --max-iter budget bought: MLP L-BFGS iterations, VQC COBYLA objective "
        "evaluations (empty for kernel models)"
    ),
    "matching": "the matching rule that pairs this model with its partner",
    "accuracy_train": "accuracy on the training split",
    "accuracy_test": "accuracy on the test split",
    "f1_test": "macro F1 on the test split",
    "fit_seconds": "wall seconds of one fit (per call, averaged, when fit_repeats > 1)",
    "fit_cpu_seconds": "process CPU seconds of one fit (per call when fit_repeats > 1)",
    "fit_energy_j": "local energy of one fit in joules, total of non-overlapping domains",
    "fit_energy_method": "measured (RAPL/NVML counter) | estimated (CPU time x per-core power + memory)",
    "fit_repeats": "calls averaged into the fit figures: 1 = measured once; > 1 = one fit was shorter "
                   "than the meter's minimum window, so fresh clones were fitted in repeat batches",
    "fit_energy_spread": "relative std of per-call fit energy across repeat batches (NaN if measured once)",
    "fit_energy_above_idle_j": "fit energy minus idle power x fit seconds (NaN without --idle-baseline)",
    "fit_gco2e": "grams CO2e of fit_energy_j at carbon_intensity_g_per_kwh",
    "predict_seconds": "wall seconds of predicting the test split (per call when predict_repeats > 1)",
    "predict_cpu_seconds": "process CPU seconds of predict (per call when predict_repeats > 1)",
    "predict_energy_j": "local energy of predict in joules, total of non-overlapping domains",
    "predict_energy_method": "measured | estimated",
    "predict_repeats": "calls averaged into the predict figures (1 = measured once)",
    "predict_energy_spread": "relative std of per-call predict energy across repeat batches (NaN if once)",
    "predict_energy_above_idle_j": "predict energy minus idle power x seconds (NaN without --idle-baseline)",
    "predict_gco2e": "grams CO2e of predict_energy_j at carbon_intensity_g_per_kwh",
    "energy_meter": "meter backend(s) that produced the local energy",
    "idle_power_w": "idle power of the metered domains from --idle-baseline (NaN if none taken)",
    "carbon_intensity_g_per_kwh": "grid carbon intensity used for every gCO2e column of the row",
    "carbon_intensity_source": "where the intensity comes from: 'XX (Country) 2021', 'world default' "
                               "or 'user value' (metadata.json has the citation)",
    "circuits_fit": "circuit executions a QPU would run for fit",
    "circuits_predict": "circuit executions a QPU would run for predict",
    "shots": "shots per circuit assumed for hardware",
    "device": "device preset that priced the ledger",
    "hw_jobs": "jobs the ledger would be split into (fit and predict submitted separately)",
    "hw_qpu_seconds": "modelled QPU seconds, fit + predict (Monte Carlo median)",
    "hw_qpu_seconds_low": "modelled QPU seconds, 5th percentile (low end of the 90 % interval)",
    "hw_qpu_seconds_high": "modelled QPU seconds, 95th percentile (high end of the 90 % interval)",
    "hw_qpu_seconds_fit": "modelled QPU seconds of the fit phase (median)",
    "hw_qpu_seconds_predict": "modelled QPU seconds of the predict phase (median)",
    "hw_energy_j": "modelled hardware energy in joules, fit + predict (Monte Carlo median)",
    "hw_energy_j_low": "modelled hardware energy, 5th percentile (J)",
    "hw_energy_j_high": "modelled hardware energy, 95th percentile (J)",
    "hw_energy_fit_j": "modelled hardware energy of the fit phase (median, J)",
    "hw_energy_predict_j": "modelled hardware energy of the predict phase (median, J)",
    "hw_energy_typical_j": "modelled hardware energy at typical parameter values (J); the components add up to it",
    "hw_energy_cryogenics_j": "component energy at typical values: dilution refrigerator / cryostat (J)",
    "hw_energy_vacuum_j": "component energy at typical values: vacuum system (J)",
    "hw_energy_lasers_j": "component energy at typical values: lasers (J)",
    "hw_energy_control_j": "component energy at typical values: control electronics (J)",
    "hw_energy_readout_j": "component energy at typical values: readout chain (J)",
    "hw_energy_servers_j": "component energy at typical values: room-temperature servers (J)",
    "hw_energy_facility_j": "component energy at typical values: facility overhead, (PUE - 1) x the rest (J)",
    "hw_attribution": "attributional (whole machine while held) | marginal (added to an idle machine)",
    "hw_mitigation_factor": "error-mitigation sampling multiplier applied to shots",
    "hw_landauer_j": "Landauer floor of the QPU work: measured + reset bits x kT ln2 at 300 K (J)",
    "hw_energy_method": "modelled | hardware-reported",
    "hw_gco2e": "grams CO2e of hw_energy_j at the same carbon intensity (the QPU's own grid may differ)",
    "ibm_backend": "IBM backend the quantum side ran on with --execution ibm:<backend> ('' otherwise)",
    "ibm_jobs": "IBM jobs whose results the model used (reused ones included)",
    "ibm_jobs_submitted": "IBM jobs this run submitted (0 when every result came from the job ledger)",
    "ibm_trained_on": "where the model was trained: the ibm: execution, or 'local statevector engine (exact)' "
                      "(VQC inference on hardware after local training)",
    "hw_reported_qpu_seconds": "QPU seconds IBM reported (job.usage(), summed over ibm_jobs); NaN for "
                               "local testing mode, which runs on Aer and reports no QPU time",
    "hw_reported_energy_j": "hw_reported_qpu_seconds x the cost model's average power (hw_energy_typical_j "
                            "/ typical modelled seconds): reported time, modelled power",
    "hw_reported_method": "hardware-reported | 'none: local testing mode ...' | pending or unavailable",
    "hw_reported_vs_modelled": "hw_reported_qpu_seconds / modelled QPU seconds at typical values",
    "point_id": "sweeps: stable hash of the point's settings (dataset, model, qubits, samples, seed, ...)",
    "samples": "sweeps: requested subsample size before the split (empty: all samples)",
    "worker": "sweeps: host:pid of the process that ran and metered the point",
    "point_seconds": "sweeps: wall seconds of the whole point in its worker (data, fit, predict, pricing)",
    "entanglement": "kernel model: entanglement of the ZZ feature map (full | linear | ...)",
    "simulator": "kernel model: classical simulator that computed it: statevector (qvc engine) | mps (Aer "
                 "matrix-product states) | the sampler mode",
    "mps_truncation_threshold": "mps: Schmidt weight discarded per two-qubit gate (1e-16 = exact up to round-off)",
    "mps_max_bond_dimension": "mps: bond-dimension cap (empty: none)",
    "mps_bond_dimension_reached": "mps: largest bond dimension of any final state (intermediate swap bonds "
                                  "not logged)",
    "mps_target_fidelity": "mps: lower bound of each state's fidelity implied by the threshold "
                           "(fidelity-matched modes: the hardware's estimated circuit fidelity)",
    "mps_fidelity_method": "mps: how the target fidelity was set",
}

_INT_COLUMNS = {
    "schema_version", "seed", "qubits", "n_train", "n_test", "n_params",
    "circuits_fit", "circuits_predict", "shots", "hw_jobs", "fit_repeats", "predict_repeats",
    "ibm_jobs", "ibm_jobs_submitted",
    "samples",
}
_FLOAT_COLUMNS = {
    "accuracy_train", "accuracy_test", "f1_test", "fit_seconds", "fit_cpu_seconds",
    "fit_energy_j", "predict_seconds", "predict_cpu_seconds", "predict_energy_j", "optimizer_steps",
    "hw_qpu_seconds", "hw_energy_j", "hw_qpu_seconds_low", "hw_qpu_seconds_high",
    "hw_qpu_seconds_fit", "hw_qpu_seconds_predict", "hw_energy_j_low", "hw_energy_j_high",
    "hw_energy_fit_j", "hw_energy_predict_j", "hw_energy_typical_j", "hw_energy_cryogenics_j",
    "hw_energy_vacuum_j", "hw_energy_lasers_j", "hw_energy_control_j", "hw_energy_readout_j",
    "hw_energy_servers_j", "hw_energy_facility_j", "hw_mitigation_factor", "hw_landauer_j",
    "fit_energy_spread", "fit_energy_above_idle_j", "fit_gco2e",
    "predict_energy_spread", "predict_energy_above_idle_j", "predict_gco2e", "idle_power_w",
    "carbon_intensity_g_per_kwh", "hw_gco2e", "hw_reported_qpu_seconds", "hw_reported_energy_j",
    "hw_reported_vs_modelled",
    "point_seconds", "mps_truncation_threshold", "mps_max_bond_dimension", "mps_bond_dimension_reached",
    "mps_target_fidelity",
}
_TEXT_COLUMNS = {
    "run_id", "dataset", "model", "pair", "family", "execution", "matching",
    "fit_energy_method", "predict_energy_method", "energy_meter", "device", "hw_energy_method",
    "point_id", "worker", "entanglement", "simulator",
}
#: Columns a results file must have to be read at all.
REQUIRED_COLUMNS = ("schema_version", "model", "family", "seed", "accuracy_test")

# Columns added later (by any module) are typed by their name, so the loader does
# not need to be told about each one:
#   float : ends in _j, _gco2e, _seconds, _s, _w, _kwh, _low, _high, _median, _std,
#           _spread, _ratio, _orders, or starts with accuracy_/f1_
#   int   : ends in _repeats, _count, or starts with circuits_ / n_
#   text  : ends in _method, _mode, _reason, _source, _meter, _device
_FLOAT_SUFFIXES = ("_j", "_gco2e", "_seconds", "_s", "_w", "_kwh", "_low", "_high", "_median",
                   "_std", "_spread", "_ratio", "_orders")
_INT_SUFFIXES = ("_repeats", "_count")
_TEXT_SUFFIXES = ("_method", "_mode", "_reason", "_source", "_meter", "_device")


def column_kind(name: str) -> str | None:
    """The type ``load_results`` gives column ``name``: ``'int'``, ``'float'``, ``'text'`` or None.

    Declared columns have a fixed type; any other column is typed by its name
    (suffix rules above), and ``None`` leaves it to pandas' inference.

    Examples
    --------
    >>> column_kind("hw_energy_j_low"), column_kind("fit_energy_method"), column_kind("hw_jobs")
    ('float', 'text', 'int')
    """
    if name in _INT_COLUMNS:
        return "int"
    if name in _FLOAT_COLUMNS:
        return "float"
    if name in _TEXT_COLUMNS:
        return "text"
    if name.endswith(_TEXT_SUFFIXES):
        return "text"
    if name.endswith(_FLOAT_SUFFIXES) or name.startswith(("accuracy_", "f1_")):
        return "float"
    if name.endswith(_INT_SUFFIXES) or name.startswith(("circuits_", "n_")):
        return "int"
    return None


def _text_dtype():
    try:  # pandas >= 2.3: string dtype whose missing value is NaN (the default in pandas 3)
        return pd.StringDtype(na_value=float("nan"))
    except TypeError:  # pragma: no cover - older pandas
        return object


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


def _check_row_lengths(path: Path) -> None:
    """Every row has as many fields as the header (pandas would silently pad or shift)."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header:
            raise QvcUsageError(f"{str(path)!r} is empty; re-run the experiment or restore the file")
        for line_no, row in enumerate(reader, start=2):
            if row and len(row) != len(header):
                raise QvcUsageError(
                    f"cannot read {str(path)!r}: line {line_no} has {len(row)} fields, the header "
                    f"{len(header)}; the file is damaged (truncated or edited): re-run the "
                    "experiment or restore the file"
                )


def load_results(path: str | Path) -> pd.DataFrame:
    """Load a ``results.csv`` (or a run folder holding one) with typed columns.

    Integer columns become pandas ``Int64`` (missing values stay missing), float
    columns ``float64``, text columns pandas' string dtype with ``NaN`` for missing;
    columns this version does not declare are typed by their name (see
    :func:`column_kind`), so newer optional columns load without a code change.

    Parameters
    ----------
    path : str or Path
        A ``results.csv`` file or a run folder.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    QvcUsageError
        If the file is missing, empty, unreadable, lacks the required columns or
        rows, or is from a newer schema version.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_results([{"schema_version": 1, "model": "svm", "family": "classical", "seed": 1,
    ...                 "accuracy_test": 0.9}], d / "results.csv")
    >>> frame = load_results(d)
    >>> frame["accuracy_test"].dtype.kind, str(frame["seed"].dtype)
    ('f', 'Int64')
    """
    path = Path(path)
    if path.is_dir():
        path = path / "results.csv"
    if not path.is_file():
        raise QvcUsageError(f"no results file at {str(path)!r}; is this a qvc run folder?")
    try:
        _check_row_lengths(path)
        frame = pd.read_csv(path, index_col=False)
    except QvcUsageError:
        raise
    except Exception as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise QvcUsageError(
            f"cannot read {str(path)!r} ({first}); the file is damaged: re-run the experiment "
            "or restore the file"
        ) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise QvcUsageError(
            f"{str(path)!r} is not a qvc results file (missing column(s) {', '.join(missing)}); "
            "give a run folder written by 'qvc run'"
        )
    if frame.empty:
        raise QvcUsageError(f"{str(path)!r} has no result rows; re-run the experiment")
    versions = pd.to_numeric(frame["schema_version"], errors="coerce")
    if versions.isna().any():
        raise QvcUsageError(
            f"{str(path)!r} has rows without a numeric schema_version; the file is damaged: "
            "re-run the experiment or restore the file"
        )
    newest = int(versions.max())
    if newest > SCHEMA_VERSION:
        raise QvcUsageError(
            f"{str(path)!r} has schema version {newest}, newer than this qvc "
            f"({SCHEMA_VERSION}); upgrade qvc"
        )
    text = _text_dtype()
    for c in frame.columns:
        kind = column_kind(c)
        if kind == "int":
            values = pd.to_numeric(frame[c], errors="coerce")
            if (values.dropna() % 1 == 0).all():
                frame[c] = values.astype("Int64")
            else:  # a column named like a count holding fractions: keep the fractions
                frame[c] = values.astype(float)
        elif kind == "float":
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
        elif kind == "text":
            frame[c] = frame[c].astype(object).where(frame[c].notna(), float("nan")).astype(text)
    return frame

"""A run folder's files, read and written in one place.

A run folder holds ``metadata.json`` (provenance, written first and completed at
the end), ``results.csv`` (one row per model and seed) and the reports; a sweep
folder holds ``sweep.json`` instead of ``metadata.json`` plus ``points.jsonl``.
Every reader here turns a missing, damaged or too-new file into a one-line
:class:`~qvc.errors.QvcUsageError`; writers are atomic (:mod:`qvc._io`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qvc._io import write_json
from qvc.errors import QvcUsageError
from qvc.record.results import SCHEMA_VERSION, load_results

if TYPE_CHECKING:
    import pandas as pd


#: File names inside a run folder.
METADATA = "metadata.json"
RESULTS = "results.csv"
SWEEP = "sweep.json"


def _read_json_object(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise QvcUsageError(
            f"cannot read {str(path)!r} ({str(exc).splitlines()[0]}); restore the file or re-run"
        ) from None
    if not isinstance(data, dict):
        raise QvcUsageError(f"{str(path)!r} is not a qvc {what} object; restore the file or re-run")
    version = data.get("schema_version")
    if isinstance(version, (int, float)) and version > SCHEMA_VERSION:
        raise QvcUsageError(
            f"{str(path)!r} has schema version {version}, newer than this qvc ({SCHEMA_VERSION}); upgrade qvc"
        )
    return data


#: Keys of metadata.json whose JSON type the report relies on (absent or null is fine unless noted).
_META_TYPES: dict[str, tuple[type, ...]] = {
    "config": (dict,), "meter": (dict,), "device": (dict,), "carbon": (dict,),
    "hardware_model": (dict,), "machine": (dict,), "versions": (dict,), "preprocessing": (dict,),
    "ibm": (dict,), "analysis": (dict,), "seeds": (list,), "command": (list,),
    "run_id": (str,), "status": (str,), "started_utc": (str,), "finished_utc": (str,),
    "qvc_version": (str,), "git_revision": (str,), "kind": (str,), "resumed_utc": (list,),
}
_JSON_NAMES: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _check_metadata_types(path: Path, meta: dict) -> None:
    """One line naming the first key whose JSON type is wrong (``config: null``, ``meter: 5``)."""
    for key, types in _META_TYPES.items():
        if key not in meta:
            continue
        value = meta[key]
        if value is None and key in ("finished_utc", "git_revision"):
            continue
        if not isinstance(value, types):
            raise QvcUsageError(
                f"{str(path)!r}: '{key}' should be {_JSON_NAMES[types[0]]}, not {_json_type(value)}; "
                "the file was edited or damaged: restore it or re-run"
            )


def check_values(path: Path, frame: pd.DataFrame) -> None:
    """Refuse numbers qvc never writes: infinities anywhere, accuracies outside [0, 1].

    Raises
    ------
    QvcUsageError
        Naming the column and the row.
    """
    import numpy as np

    for col in frame.columns:
        values = frame[col]
        if values.dtype.kind != "f":
            continue
        bad = ~np.isfinite(values.to_numpy()) & values.notna().to_numpy()
        if col.startswith(("accuracy_", "f1_")):
            bad |= ((values < 0) | (values > 1)).fillna(False).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise QvcUsageError(
                f"{str(path)!r}: column {col!r}, row {row + 1} holds {values.iloc[row]!r}, which qvc "
                "never writes (" + ("a score must be in [0, 1]" if col.startswith(("accuracy_", "f1_"))
                                    else "not a finite number") + "); restore the file or re-run"
            )


def read_metadata(run_dir: str | Path) -> dict[str, Any]:
    """Read a run folder's ``metadata.json``.

    Raises
    ------
    QvcUsageError
        If it is missing, not JSON, not an object, from a newer schema version, or a key
        the readers rely on has the wrong JSON type (``config: null``, ``meter: 5``).
    """
    path = Path(run_dir) / METADATA
    if not path.is_file():
        raise QvcUsageError(f"no {METADATA} in {str(run_dir)!r}; give a run folder written by 'qvc run'")
    meta = _read_json_object(path, "metadata")
    _check_metadata_types(path, meta)
    return meta


def write_metadata(meta: dict[str, Any], run_dir: str | Path) -> None:
    """Write a run folder's ``metadata.json`` atomically."""
    write_json(meta, Path(run_dir) / METADATA)


def run_status(run_dir: str | Path) -> str | None:
    """The ``status`` a run folder's metadata records (``None`` if there is no readable one)."""
    try:
        return read_metadata(run_dir).get("status")
    except QvcUsageError:
        return None


def is_sweep_folder(path: str | Path) -> bool:
    """True for a folder ``qvc sweep`` created (it holds ``sweep.json``)."""
    return (Path(path) / SWEEP).is_file()


def read_sweep_meta(run_dir: str | Path) -> dict[str, Any]:
    """Read a sweep folder's ``sweep.json`` (spec, points, settings).

    Raises
    ------
    QvcUsageError
        If it is missing, damaged, does not describe a sweep, or is from a newer qvc.
    """
    path = Path(run_dir) / SWEEP
    if not path.is_file():
        raise QvcUsageError(f"{Path(run_dir)} has no {SWEEP}; give the folder a 'qvc sweep' created")
    meta = _read_json_object(path, "sweep")
    if meta.get("kind") != "sweep":
        raise QvcUsageError(f"{path} does not describe a sweep")
    return meta


def write_sweep_meta(meta: dict[str, Any], run_dir: str | Path) -> None:
    """Write a sweep folder's ``sweep.json`` atomically."""
    write_json(meta, Path(run_dir) / SWEEP)


@dataclass(frozen=True)
class Run:
    """A run folder as read from disk: its path, metadata and (when written) result table."""

    path: Path
    metadata: dict[str, Any]
    results: pd.DataFrame | None = None


def load_run(run_dir: str | Path, *, with_results: bool = True) -> Run:
    """Read a run folder: metadata and, with ``with_results``, the typed result table.

    Raises
    ------
    QvcUsageError
        If the folder does not exist or its files are missing, damaged or too new.

    Examples
    --------
    >>> import tempfile
    >>> from qvc.experiment import ExperimentSpec, run_experiment
    >>> done = run_experiment(ExperimentSpec("iris", models=("svm",), seeds=(42,), out_dir=tempfile.mkdtemp()),
    ...                       progress=None)
    >>> run = load_run(done.run_dir)
    >>> run.metadata["status"], len(run.results), run.metadata["config"]["models"]
    ('complete', 1, ['svm'])
    """
    path = Path(run_dir)
    if not path.exists():
        raise QvcUsageError(f"run folder {str(path)!r} does not exist")
    if not path.is_dir():
        raise QvcUsageError(f"{str(path)!r} is not a folder; give a run folder written by 'qvc run'")
    if not any(path.iterdir()):
        raise QvcUsageError(f"run folder {str(path)!r} is empty; give a run folder written by 'qvc run'")
    frame = load_results(path) if with_results else None
    if frame is not None:
        check_values(path / RESULTS, frame)
    return Run(path, read_metadata(path), frame)


#: The searches of a tuned run: each model's candidates with their costs (the report's Pareto front).
TUNING = "tuning.json"


def read_tuning(run_dir: str | Path) -> dict[str, Any]:
    """``{"tuning": [search, ...]}`` from a run folder's ``tuning.json`` (``{}`` when there is none).

    An unreadable file gives ``{"tuning_error": reason}`` instead: the report leaves the
    Pareto front out and says why, rather than failing.
    """
    path = Path(run_dir) / TUNING
    if not path.is_file():
        return {}
    try:
        return {"tuning": list(json.loads(path.read_text(encoding="utf-8")).get("searches", []))}
    except (OSError, ValueError, AttributeError, TypeError):
        return {"tuning_error": f"{path} is unreadable; the Pareto front is left out"}

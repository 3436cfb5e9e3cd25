"""A run's energy in the formats green-AI tools read: CodeCarbon, BoAmps, Hugging Face model cards.

``qvc export RUN --format codecarbon|boamps|hf-card`` (and :func:`export_run`) reads a run
folder's ``results.csv`` and ``metadata.json`` and writes:

``codecarbon``
    ``emissions.csv`` with exactly CodeCarbon's column set (:data:`CODECARBON_FIELDS`, the
    fields of ``codecarbon.output_methods.emissions_data.EmissionsData`` in CodeCarbon 3.3):
    one row per model x seed x phase (tune, fit, predict) of the **local** energy, in its units
    (kWh, kg CO2e, W, s), so CodeCarbon's own file output appends to it; and a sidecar
    ``emissions_qvc.csv`` keyed by ``run_id`` + ``experiment_id`` with what CodeCarbon has no
    column for (model, qubits, shots, accuracy, the energy method, and the modelled hardware
    energy of the same phase with its label). CodeCarbon has no field for a QPU, so the
    modelled hardware figures never enter its file.
``boamps``
    One BoAmps report (Boavizta's JSON schema, as CodeCarbon's ``boamps`` models define it) per
    model: task, algorithm, dataset, the measured test accuracy, and one measure per seed and
    figure -- the local energy (its qvc method: measured or estimated) and the hardware energy
    (modelled) as separate measures, each naming its method.
``hf-card``
    One Hugging Face model card per model (Markdown with YAML metadata, built with
    ``huggingface_hub``'s card API, offline): ``co2_eq_emissions`` in grams of the local
    training (tuning + fit) energy, its source saying which figure it is; the modelled hardware
    figure is in the card's text, labelled, never in the metadata.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from qvc import _io
from qvc.errors import QvcUsageError
from qvc.record.runfolder import load_run

#: Export formats.
FORMATS = ("codecarbon", "boamps", "hf-card")

#: CodeCarbon's ``emissions.csv`` columns, in its order: the fields of ``EmissionsData`` in
#: codecarbon 3.3.2 (``codecarbon/output_methods/emissions_data.py``); CodeCarbon appends only to a
#: file whose header set equals them exactly (tests/test_export.py checks against the installed one).
CODECARBON_FIELDS = (
    "timestamp", "project_name", "run_id", "experiment_id", "duration", "emissions", "emissions_rate",
    "cpu_power", "gpu_power", "ram_power", "cpu_energy", "gpu_energy", "ram_energy", "energy_consumed",
    "water_consumed", "country_name", "country_iso_code", "region", "cloud_provider", "cloud_region", "os",
    "python_version", "codecarbon_version", "cpu_count", "cpu_model", "gpu_count", "gpu_model", "longitude",
    "latitude", "ram_total_size", "tracking_mode", "cpu_utilization_percent", "gpu_utilization_percent",
    "ram_utilization_percent", "ram_used_gb", "on_cloud", "pue", "wue",
)
#: The CodeCarbon version whose file format :data:`CODECARBON_FIELDS` follows.
CODECARBON_FORMAT_VERSION = "3.3.2"
#: BoAmps format version and specification (as CodeCarbon 3.3.2's BoAmps mapper writes them).
BOAMPS_FORMAT_VERSION = "0.1"
BOAMPS_FORMAT_SPEC_URI = "https://github.com/Boavizta/BoAmps/tree/main/model"

#: Joules per kWh.
J_PER_KWH = 3.6e6
#: The phases exported, with their result-column prefixes and the hardware column of the same phase.
PHASES = (("tune", "tune", "hw_energy_tune_j"), ("fit", "fit", "hw_energy_fit_j"),
          ("predict", "predict", "hw_energy_predict_j"))
#: Columns of the sidecar next to ``emissions.csv``.
SIDECAR_FIELDS = (
    "run_id", "experiment_id", "model", "family", "seed", "phase", "dataset", "qubits", "shots", "accuracy_test",
    "local_energy_j", "local_energy_method", "local_gco2e", "hw_energy_j", "hw_energy_method", "hw_device",
    "hw_attribution", "note",
)
#: What every CodeCarbon row's energy split means (qvc records one local total per phase).
ENERGY_SPLIT_NOTE = ("cpu_energy holds qvc's whole local energy of the phase (CPU and memory together: qvc "
                     "records no split), ram_energy is left empty; pue 1: the meter's reading, no facility "
                     "overhead; the modelled QPU energy is in hw_energy_j here, not in emissions.csv")


@dataclass(frozen=True)
class Exported:
    """What :func:`export_run` wrote: the files and a one-line summary."""

    files: tuple[Path, ...]
    summary: str


def _num(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return math.nan
    return x


def _cell(v: Any) -> Any:
    """A CSV cell: empty for a missing number."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, float) and not math.isfinite(v):
        return ""
    return v


def _phase_rows(frame: pd.DataFrame) -> list[tuple[pd.Series, str, str, str]]:
    """``(row, phase, column prefix, hardware column)`` of every phase a row has energy for."""
    out = []
    for _, r in frame.iterrows():
        for phase, prefix, hw_col in PHASES:
            if math.isfinite(_num(r.get(f"{prefix}_energy_j"))):
                out.append((r, phase, prefix, hw_col))
    return out


def _experiment_id(r: pd.Series, phase: str) -> str:
    return f"{r.get('model')}-seed{int(_num(r.get('seed'))) if math.isfinite(_num(r.get('seed'))) else 'na'}-{phase}"


def _codecarbon(run, out: Path) -> list[Path]:
    meta, frame = run.metadata, run.results
    machine = meta.get("machine") or {}
    versions = meta.get("versions") or {}
    carbon = meta.get("carbon") or {}
    cfg = meta.get("config") or {}
    meter = meta.get("meter") or {}
    cores = _num(machine.get("logical_cpus"))
    tracking = "machine" if meter.get("method") == "measured" else "process"
    timestamp = str(meta.get("finished_utc") or meta.get("started_utc") or "")
    rows, side = [], []
    for r, phase, prefix, hw_col in _phase_rows(frame):
        energy_j = _num(r.get(f"{prefix}_energy_j"))
        grams = _num(r.get(f"{prefix}_gco2e"))
        wall = _num(r.get(f"{prefix}_seconds"))
        cpu_s = _num(r.get(f"{prefix}_cpu_seconds"))
        power = energy_j / wall if wall > 0 else math.nan
        util = 100.0 * cpu_s / (wall * cores) if wall > 0 and cores > 0 else math.nan
        exp_id = _experiment_id(r, phase)
        rows.append({
            "timestamp": timestamp, "project_name": f"qvc:{r.get('dataset', '')}", "run_id": str(r.get("run_id")),
            "experiment_id": exp_id, "duration": wall, "emissions": grams / 1000.0,
            "emissions_rate": grams / 1000.0 / wall if wall > 0 else math.nan,
            "cpu_power": power, "gpu_power": 0.0, "ram_power": math.nan,
            "cpu_energy": energy_j / J_PER_KWH, "gpu_energy": 0.0, "ram_energy": math.nan,
            "energy_consumed": energy_j / J_PER_KWH, "water_consumed": math.nan,
            "country_name": "", "country_iso_code": str(cfg.get("country") or ""), "region": "",
            "cloud_provider": "", "cloud_region": "", "os": str(machine.get("platform", "")),
            "python_version": str(versions.get("python", "")), "codecarbon_version": CODECARBON_FORMAT_VERSION,
            "cpu_count": cores, "cpu_model": str(machine.get("cpu_model", "")), "gpu_count": 0.0, "gpu_model": "",
            "longitude": math.nan, "latitude": math.nan, "ram_total_size": _num(machine.get("memory_gb")),
            "tracking_mode": tracking, "cpu_utilization_percent": util, "gpu_utilization_percent": 0.0,
            "ram_utilization_percent": math.nan, "ram_used_gb": math.nan, "on_cloud": "", "pue": 1.0, "wue": 0.0,
        })
        hw = _num(r.get(hw_col)) if hw_col in r.index else math.nan
        side.append({
            "run_id": str(r.get("run_id")), "experiment_id": exp_id, "model": r.get("model"),
            "family": r.get("family"), "seed": r.get("seed"), "phase": phase, "dataset": r.get("dataset"),
            "qubits": r.get("qubits"), "shots": r.get("shots"), "accuracy_test": r.get("accuracy_test"),
            "local_energy_j": energy_j, "local_energy_method": r.get(f"{prefix}_energy_method"),
            "local_gco2e": grams, "hw_energy_j": hw,
            "hw_energy_method": r.get("hw_energy_method") if math.isfinite(hw) else "",
            "hw_device": r.get("device") if math.isfinite(hw) else "",
            "hw_attribution": r.get("hw_attribution") if math.isfinite(hw) else "",
            "note": ENERGY_SPLIT_NOTE + f"; carbon intensity {carbon.get('g_per_kwh', '?')} gCO2e/kWh "
                                       f"({carbon.get('label', '?')})",
        })
    target = out if out.suffix else out / "emissions.csv"
    sidecar = target.with_name(target.stem + "_qvc.csv")
    _check_header(target, CODECARBON_FIELDS, "a CodeCarbon emissions file")  # both before either is written
    _check_header(sidecar, SIDECAR_FIELDS, "qvc's sidecar")
    _append_csv(target, CODECARBON_FIELDS, rows)
    _append_csv(sidecar, SIDECAR_FIELDS, side)
    return [target, sidecar]


def _read_header(path: Path) -> list[str] | None:
    with open(path, newline="") as f:
        return next(csv.reader(f), None)


def _check_header(path: Path, fields: tuple[str, ...], what: str) -> list[str] | None:
    """The header of an existing non-empty ``path``; a usage error when its column set is not ``fields``."""
    header = _read_header(path) if path.is_file() and path.stat().st_size > 0 else None
    if header is not None and sorted(header) != sorted(fields):
        raise QvcUsageError(f"{path} exists with other columns than {what}; give a new --out file (nothing was "
                            "written)")
    return header


def _append_csv(path: Path, fields: tuple[str, ...], rows: list[dict]) -> None:
    """Write ``rows`` to a new file, or append them in the existing file's column order."""
    header = _check_header(path, fields, "this export")
    order = header or list(fields)
    lines = [[_cell(row[k]) for k in order] for row in rows]
    if header is None:
        _io.atomic_write_text(path, _csv_text([order, *lines]))
    else:
        with open(path, "a", newline="") as f:
            csv.writer(f).writerows(lines)


def _csv_text(lines: list[list]) -> str:
    import io

    buf = io.StringIO()
    csv.writer(buf).writerows(lines)
    return buf.getvalue()


def _models(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    return [(str(m), frame[frame["model"].astype(str) == str(m)]) for m in dict.fromkeys(frame["model"].astype(str))]


def _per_model_path(out: Path, model: str, n_models: int, default_name: str) -> Path:
    from qvc._validation import check_file_name, check_inside

    if n_models == 1 and out.suffix:
        return out
    check_file_name(str(model), "model name in results.csv")  # the name becomes part of a file name
    if not out.suffix:
        return check_inside(out / default_name.format(model=model), out)
    return check_inside(out.with_name(f"{out.stem}-{model}{out.suffix}"), out.parent)


def _framework(family: str) -> str:
    return "qiskit" if family == "quantum" else "scikit-learn"


def _boamps_report(run, model: str, g: pd.DataFrame) -> dict:
    meta = run.metadata
    machine = meta.get("machine") or {}
    versions = meta.get("versions") or {}
    carbon = meta.get("carbon") or {}
    family = str(g["family"].iloc[0]) if "family" in g.columns else ""
    measures = []
    for _, r in g.iterrows():
        local_j = sum(_num(r.get(f"{p}_energy_j")) for p in ("tune", "fit", "predict")
                      if math.isfinite(_num(r.get(f"{p}_energy_j"))))
        local_s = sum(_num(r.get(f"{p}_seconds")) for p in ("tune", "fit", "predict")
                      if math.isfinite(_num(r.get(f"{p}_seconds"))))
        method = r.get("fit_energy_method") or "unlabelled"
        measures.append({
            "measurementMethod": f"qvc {meta.get('qvc_version', '')} local energy ({method}: "
                                 f"{(meta.get('meter') or {}).get('meter', 'meter')}), tuning + fit + predict, "
                                 f"seed {r.get('seed')}",
            "manufacturer": "qvc", "version": str(meta.get("qvc_version", "")),
            "cpuTrackingMode": "machine" if method == "measured" else "process",
            "powerConsumption": local_j / J_PER_KWH, "measurementDuration": local_s,
            "measurementDateTime": str(meta.get("finished_utc") or meta.get("started_utc") or ""),
        })
        hw = _num(r.get("hw_energy_j"))
        if math.isfinite(hw):
            tune_hw = _num(r.get("hw_energy_tune_j"))
            measures.append({
                "measurementMethod": f"qvc hardware cost model ({r.get('hw_energy_method') or 'modelled'}) on "
                                     f"{r.get('device')}, {r.get('hw_attribution')} attribution, fit + predict "
                                     f"circuits (tuning's circuits separately: "
                                     f"{tune_hw / J_PER_KWH if math.isfinite(tune_hw) else 'not priced'} kWh); "
                                     f"not a measurement, seed {r.get('seed')}",
                "manufacturer": "qvc", "version": str(meta.get("qvc_version", "")),
                "powerConsumption": hw / J_PER_KWH,
                "measurementDuration": _num(r.get("hw_qpu_seconds")),
            })
    acc = float(pd.to_numeric(g["accuracy_test"], errors="coerce").mean())
    n_params = _num(g["n_params"].iloc[0]) if "n_params" in g.columns else math.nan
    report: dict[str, Any] = {
        "header": {
            "formatVersion": BOAMPS_FORMAT_VERSION, "formatVersionSpecificationUri": BOAMPS_FORMAT_SPEC_URI,
            "reportId": f"{meta.get('run_id', '')}:{model}", "reportDatetime": str(meta.get("finished_utc") or ""),
            "reportStatus": "final" if meta.get("status") == "complete" else "draft",
            "publisher": {"name": "qvc", "projectName": str(meta.get("run_id", ""))},
        },
        "task": {
            "taskStage": "training", "taskFamily": "classification",
            "nbRequest": float(pd.to_numeric(g.get("n_test"), errors="coerce").sum()) if "n_test" in g else None,
            "algorithms": [{"trainingType": "supervisedLearning", "algorithmName": model,
                            "framework": _framework(family),
                            "frameworkVersion": str(versions.get(_framework(family), "")),
                            **({"parametersNumber": n_params} if math.isfinite(n_params) and n_params > 0 else {})}],
            "dataset": [{"dataUsage": "input", "dataType": "tabular", "source": str(g["dataset"].iloc[0]),
                         "dataQuantity": _num(g["n_train"].iloc[0]) if "n_train" in g.columns else None}],
            "measuredAccuracy": acc,
            "taskDescription": f"qvc matched experiment {meta.get('run_id', '')}: {model} ({family}), "
                               f"{len(g)} seed(s), mean test accuracy",
        },
        "measures": measures,
        "system": {"os": str(machine.get("platform", ""))},
        "software": {"language": "python", "version": str(versions.get("python", ""))},
        "infrastructure": {"infraType": "onPremise", "components": [
            {"componentName": str(machine.get("cpu_model", "")), "componentType": "cpu",
             "nbComponent": int(_num(machine.get("logical_cpus"))) if math.isfinite(
                 _num(machine.get("logical_cpus"))) else None},
            {"componentName": "RAM", "componentType": "ram", "nbComponent": 1,
             "memorySize": _num(machine.get("memory_gb"))}]},
        "environment": {"country": str((meta.get("config") or {}).get("country") or ""),
                        "powerSourceCarbonIntensity": _num(carbon.get("g_per_kwh"))},
    }
    return _strip_missing(report)


def _strip_missing(obj: Any) -> Any:
    """Drop ``None``, NaN and empty strings (BoAmps leaves unknown fields out)."""
    if isinstance(obj, dict):
        return {k: _strip_missing(v) for k, v in obj.items() if not _missing(v)}
    if isinstance(obj, list):
        return [_strip_missing(v) for v in obj]
    return obj


def _missing(v: Any) -> bool:
    return v is None or v == "" or (isinstance(v, float) and not math.isfinite(v))


def _boamps(run, out: Path) -> list[Path]:
    groups = _models(run.results)
    files = []
    for model, g in groups:
        path = _per_model_path(out, model, len(groups), "boamps_report_{model}.json")
        _io.atomic_write_text(path, _io.json_text(_boamps_report(run, model, g), indent=2) + "\n")
        files.append(path)
    return files


def _hf_card(run, out: Path) -> list[Path]:
    try:
        from huggingface_hub import ModelCard, ModelCardData
    except ImportError:
        raise QvcUsageError("--format hf-card needs huggingface_hub: pip install 'qvc[export]'") from None
    meta = run.metadata
    machine = meta.get("machine") or {}
    carbon = meta.get("carbon") or {}
    cfg = meta.get("config") or {}
    groups = _models(run.results)
    files = []
    for model, g in groups:
        grams = [sum(_num(r.get(f"{p}_gco2e")) for p in ("tune", "fit") if math.isfinite(_num(r.get(f"{p}_gco2e"))))
                 for _, r in g.iterrows()]
        method = " + ".join(dict.fromkeys(str(m) for m in g.get("fit_energy_method", pd.Series(dtype=str)).dropna()))
        mean_g = sum(grams) / len(grams) if grams else math.nan
        data = ModelCardData(
            model_name=f"qvc-{meta.get('run_id', '')}-{model}", library_name=_framework(str(g["family"].iloc[0])),
            tags=["qvc", "quantum-machine-learning" if str(g["family"].iloc[0]) == "quantum" else "classical-baseline"],
            datasets=[str(g["dataset"].iloc[0])],
            co2_eq_emissions={
                "emissions": mean_g,
                "source": f"qvc {meta.get('qvc_version', '')}: local training energy (tuning + fit) on the machine "
                          f"that ran it, {method or 'unlabelled'} ({(meta.get('meter') or {}).get('meter', '')}), "
                          f"mean over {len(grams)} seed(s), at {carbon.get('g_per_kwh', '?')} gCO2e/kWh "
                          f"({carbon.get('label', '')}); not the modelled quantum-hardware figure",
                "training_type": "pre-training",
                "geographical_location": str(cfg.get("country") or carbon.get("label") or ""),
                "hardware_used": f"{machine.get('logical_cpus', '?')} x {machine.get('cpu_model', 'CPU')} "
                                 "(logical CPUs)",
            },
        )
        acc = float(pd.to_numeric(g["accuracy_test"], errors="coerce").mean())
        hw = pd.to_numeric(g.get("hw_energy_j", pd.Series(dtype=float)), errors="coerce").dropna()
        body = [f"# {model} — qvc run {meta.get('run_id', '')}", "",
                f"Dataset {g['dataset'].iloc[0]}, {len(g)} seed(s), mean test accuracy {acc:.3g}.", "",
                f"`co2_eq_emissions` above: {mean_g:.3g} g CO2e, local training (tuning + fit), "
                f"{method or 'unlabelled'}."]
        if len(hw):
            hw_g = pd.to_numeric(g.get("hw_gco2e", pd.Series(dtype=float)), errors="coerce").dropna()
            body += ["", f"Modelled, not measured: on the device preset {g['device'].iloc[0]} "
                         f"({g['hw_attribution'].iloc[0]} attribution) the quantum workload of fit + predict would "
                         f"take {hw.mean():.2g} J" + (f" ({hw_g.mean():.2g} g CO2e)" if len(hw_g) else "")
                     + " (qvc's hardware cost model; see the run's report.md for its interval and method)."]
        card = ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(body) + "\n")
        path = _per_model_path(out, model, len(groups), "card_{model}.md")
        _io.atomic_write_text(path, str(card))
        files.append(path)
    return files


_WRITERS = {"codecarbon": _codecarbon, "boamps": _boamps, "hf-card": _hf_card}


def export_run(run_dir: str | Path, fmt: str, out: str | Path | None = None) -> Exported:
    """Write a run folder's energy in format ``fmt`` (one of :data:`FORMATS`).

    Parameters
    ----------
    run_dir : str or Path
        A run folder (``results.csv`` + ``metadata.json``).
    fmt : str
        ``codecarbon``, ``boamps`` or ``hf-card``.
    out : str or Path, optional
        The file to write (``codecarbon``: appended to when it is a CodeCarbon file already;
        ``boamps`` / ``hf-card`` with several models: one file per model, ``<stem>-<model><suffix>``).
        Default: the run folder's ``export/`` folder.

    Returns
    -------
    Exported

    Raises
    ------
    QvcUsageError
        Not a run folder, an unknown format, or an ``out`` that is a folder or a file of other columns;
        nothing is written then.
    """
    if fmt not in FORMATS:
        raise QvcUsageError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    run = load_run(run_dir)
    if run.results is None or run.results.empty:
        raise QvcUsageError(f"run folder {run_dir} has no results to export; finish or resume the run first")
    if fmt == "hf-card":
        try:
            import huggingface_hub  # noqa: F401
        except ImportError:
            raise QvcUsageError("--format hf-card needs huggingface_hub: pip install 'qvc[export]'") from None
    if out is None:
        target = Path(run_dir) / "export"
        target.mkdir(exist_ok=True)
    else:
        target = Path(out)
        if target.is_dir():
            raise QvcUsageError(f"--out {target} is a folder; give a file name (e.g. {target / 'emissions.csv'})")
        if not target.suffix:
            raise QvcUsageError(f"--out {target} has no file extension; give a file name such as emissions.csv, "
                                "report.json or card.md")
        if not target.parent.is_dir():
            raise QvcUsageError(f"--out {target}: folder {target.parent} does not exist; create it first")
    files = _WRITERS[fmt](run, target)
    return Exported(tuple(files), f"{fmt}: wrote {', '.join(str(f) for f in files)}")

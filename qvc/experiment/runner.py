"""Run matched experiments: spec -> data -> models -> metered fit/predict -> priced ledger -> rows."""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from qvc import __version__
from qvc.data import prepare_dataset
from qvc.energy.devices import get_device
from qvc.energy.hardware import price_entries
from qvc.energy.meter import EnergyMeter
from qvc.experiment import metadata as md
from qvc.experiment.results import SCHEMA_VERSION, write_results
from qvc.experiment.spec import ExperimentSpec
from qvc.models.registry import ModelConfig, build_model


@dataclass
class RunResult:
    """Where a run was written and the rows it produced."""

    run_dir: Path
    rows: list[dict]
    metadata: dict


def _stderr_progress(message: str) -> None:
    print(f"qvc: {message}", file=sys.stderr, flush=True)


def new_run_dir(out_dir: str | Path, dataset: str) -> Path:
    """Create ``<out_dir>/<dataset>-<UTC timestamp>/`` (suffixed if it already exists)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = Path(out_dir) / f"{dataset}-{stamp}"
    candidate, k = base, 1
    while True:
        try:
            candidate.mkdir(parents=True, exist_ok=False)
            return candidate
        except FileExistsError:
            k += 1
            candidate = base.with_name(f"{base.name}-{k}")


def run_experiment(
    spec: ExperimentSpec,
    *,
    meter: EnergyMeter | None = None,
    progress: Callable[[str], None] | None = _stderr_progress,
) -> RunResult:
    """Run every model of ``spec`` on every seed and write the run folder.

    The folder gets ``metadata.json`` first, then ``results.csv`` rewritten
    atomically after each model, so an interrupted run keeps its finished rows.

    Parameters
    ----------
    spec : ExperimentSpec
    meter : EnergyMeter, optional
        Local meter; defaults to the best one available.
    progress : callable, optional
        Receives one-line progress messages (default: stderr). ``None`` silences them.

    Returns
    -------
    RunResult

    Examples
    --------
    >>> import tempfile
    >>> spec = ExperimentSpec("iris", models=("svm",), out_dir=tempfile.mkdtemp())
    >>> result = run_experiment(spec, progress=None)
    >>> result.rows[0]["model"], result.rows[0]["fit_energy_method"]
    ('svm', 'estimated')
    """
    spec.validate()
    say = progress or (lambda _msg: None)
    meter = meter or EnergyMeter()
    device = get_device(spec.device)
    # Fail on bad data before creating the run folder.
    datasets = {
        seed: prepare_dataset(
            spec.dataset, n_features=spec.qubits, seed=seed, test_size=spec.test_size,
            max_samples=spec.max_samples, csv_path=spec.csv_path, target=spec.target,
        )
        for seed in spec.seeds
    }
    first = next(iter(datasets.values()))
    run_dir = new_run_dir(spec.out_dir, first.name)
    meta = {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_dir.name,
        "qvc_version": __version__,
        "started_utc": md.utc_now(),
        "finished_utc": None,
        "status": "running",
        "command": md.command_line(),
        "config": spec.to_dict(),
        "seeds": list(spec.seeds),
        "versions": md.versions(),
        "machine": md.machine(),
        "git_revision": md.git_revision(),
        "meter": meter.describe(),
        "device": {"name": device.name, "description": device.description,
                   "sources": device.sources},
        "preprocessing": {str(s): d.preprocessing for s, d in datasets.items()},
    }
    md.write_json(meta, run_dir / "metadata.json")
    rows: list[dict] = []
    total = len(spec.seeds) * len(spec.models)
    step = 0
    try:
        for seed, data in datasets.items():
            cfg = ModelConfig(
                n_features=data.n_features, n_classes=data.n_classes, seed=seed,
                max_iter=spec.max_iter, shots=spec.shots, execution=spec.execution,
            )
            for name in spec.models:
                step += 1
                say(f"[{step}/{total}] {data.name} seed={seed} {name}: fitting ...")
                t0 = time.perf_counter()
                row = _run_one(name, cfg, data, meter, device, spec, run_dir.name)
                rows.append(row)
                write_results(rows, run_dir / "results.csv")
                say(
                    f"[{step}/{total}] {name}: test accuracy {row['accuracy_test']:.3f} "
                    f"({time.perf_counter() - t0:.1f} s)"
                )
        meta["status"] = "complete"
    except BaseException as exc:
        meta["status"] = f"interrupted: {type(exc).__name__}"
        raise
    finally:
        meta["finished_utc"] = md.utc_now()
        md.write_json(meta, run_dir / "metadata.json")
        if rows:
            from qvc.report.markdown import write_markdown_report

            write_markdown_report(run_dir, rows, meta)
    return RunResult(run_dir, rows, meta)


def run_point(
    spec: ExperimentSpec,
    model: str,
    seed: int,
    *,
    meter: EnergyMeter | None = None,
    run_id: str = "",
    data=None,
) -> dict:
    """Train and price one model on one seed of ``spec``; return its result row.

    This is the unit of work of both :func:`run_experiment` and a sweep
    (:mod:`qvc.experiment.sweep`): it prepares the data (unless ``data`` is
    given), builds the model, meters fit and predict in *this* process, and
    prices the circuit ledger on ``spec.device``.

    Parameters
    ----------
    spec : ExperimentSpec
        Dataset, qubits, samples, shots, device, execution, budgets.
    model : str
        One of ``svm``, ``qsvc``, ``mlp``, ``vqc``.
    seed : int
        Seed of the split, initialisation and sampling.
    meter : EnergyMeter, optional
        Local meter; defaults to the best one available.
    run_id : str, optional
        Written into the row's ``run_id`` column.
    data : PreparedData, optional
        Already prepared data for ``seed`` (skips :func:`~qvc.data.prepare_dataset`).

    Returns
    -------
    dict
        One row with the columns of :data:`~qvc.experiment.results.COLUMNS`.

    Examples
    --------
    >>> row = run_point(ExperimentSpec("iris", qubits=2, models=("svm",)), "svm", 0)
    >>> row["model"], row["qubits"], row["hw_energy_method"]
    ('svm', 2, '')
    """
    meter = meter or EnergyMeter()
    device = get_device(spec.device)
    if data is None:
        data = prepare_dataset(
            spec.dataset, n_features=spec.qubits, seed=seed, test_size=spec.test_size,
            max_samples=spec.max_samples, csv_path=spec.csv_path, target=spec.target,
        )
    cfg = ModelConfig(
        n_features=data.n_features, n_classes=data.n_classes, seed=seed,
        max_iter=spec.max_iter, shots=spec.shots, execution=spec.execution,
    )
    return _run_one(model, cfg, data, meter, device, spec, run_id)


def _run_one(name, cfg, data, meter, device, spec, run_id) -> dict:
    built = build_model(name, cfg)
    est = built.estimator
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. sklearn ConvergenceWarning at the shared budget
        with meter.window(f"{name}-fit") as fit_w:
            est.fit(data.X_train, data.y_train)
        n_before = len(est.ledger_.entries) if hasattr(est, "ledger_") else 0
        with meter.window(f"{name}-predict") as pred_w:
            y_pred = est.predict(data.X_test)
        predict_entries = est.ledger_.entries[n_before:] if hasattr(est, "ledger_") else []
        fit_entries = est.ledger_.select(phase="fit") if hasattr(est, "ledger_") else []
        # Training accuracy is bookkeeping, not a phase we meter or price.
        y_train_pred = est.predict(data.X_train)
    fit_m, pred_m = fit_w.result, pred_w.result
    row = {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "dataset": data.name,
        "model": name,
        "pair": built.pair,
        "family": built.family,
        "seed": cfg.seed,
        "execution": cfg.execution if built.family == "quantum" else "classical",
        "qubits": data.n_features,
        "n_train": int(len(data.y_train)),
        "n_test": int(len(data.y_test)),
        "n_params": built.n_params,
        "matching": built.matching,
        "accuracy_train": float(accuracy_score(data.y_train, y_train_pred)),
        "accuracy_test": float(accuracy_score(data.y_test, y_pred)),
        "f1_test": float(f1_score(data.y_test, y_pred, average="macro")),
        "fit_seconds": fit_m.wall_s,
        "fit_cpu_seconds": fit_m.cpu_s,
        "fit_energy_j": fit_m.total_j,
        "fit_energy_method": fit_m.method,
        "predict_seconds": pred_m.wall_s,
        "predict_cpu_seconds": pred_m.cpu_s,
        "predict_energy_j": pred_m.total_j,
        "predict_energy_method": pred_m.method,
        "energy_meter": fit_m.meter,
    }
    if built.family == "quantum":
        cost = price_entries(list(fit_entries) + list(predict_entries), device)
        row.update({
            "circuits_fit": sum(e.n_circuits for e in fit_entries),
            "circuits_predict": sum(e.n_circuits for e in predict_entries),
            "shots": cfg.shots,
            "device": device.name,
            "hw_jobs": cost.jobs,
            "hw_qpu_seconds": cost.qpu_seconds,
            "hw_energy_j": cost.energy_j,
            "hw_energy_method": cost.method,
        })
    else:
        row.update({
            "circuits_fit": 0, "circuits_predict": 0, "shots": np.nan, "device": "",
            "hw_jobs": 0, "hw_qpu_seconds": np.nan, "hw_energy_j": np.nan,
            "hw_energy_method": "",
        })
    return row

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
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score

from qvc import __version__
from qvc.data import prepare_dataset
from qvc.energy.carbon import CarbonIntensity, carbon_intensity
from qvc.energy.devices import get_device
from qvc.energy.hardware import DEFAULT_DRAWS, DEFAULT_SEED, ENERGY_COMPONENTS, price_entries
from qvc.energy.meters import EnergyMeter, Measurement, detect_backends, load_cpu_tdp_table, measure_repeated
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


def stderr_progress(message: str) -> None:
    """Print a one-line progress message on stderr."""
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
    progress: Callable[[str], None] | None = stderr_progress,
    run_dir: Path | None = None,
) -> RunResult:
    """Run every model of ``spec`` on every seed and write the run folder.

    The folder gets ``metadata.json`` first, then ``results.csv`` rewritten
    atomically after each model, so an interrupted run keeps its finished rows.

    Parameters
    ----------
    spec : ExperimentSpec
    meter : EnergyMeter, optional
        Local meter; defaults to the best one available (probed once per process;
        with ``spec.cpu_tdp_table``, probed again with that table).
    progress : callable, optional
        Receives one-line progress messages (default: stderr). ``None`` silences them.
    run_dir : Path, optional
        Write into this existing run folder instead of a new one (``qvc ibm fetch``
        finishes a run this way; rows are computed again, IBM jobs come from the ledger).

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
    meter = meter or _meter_for(spec)
    carbon = carbon_intensity(spec.country, spec.carbon_intensity)
    device = get_device(spec.device, spec.device_file)
    # Fail on bad data before creating the run folder.
    datasets = {
        seed: prepare_dataset(
            spec.dataset, n_features=spec.qubits, seed=seed, test_size=spec.test_size,
            max_samples=spec.max_samples, csv_path=spec.csv_path, target=spec.target,
        )
        for seed in spec.seeds
    }
    first = next(iter(datasets.values()))
    if spec.execution.startswith("ibm:") and any(m in ("qsvc", "vqc") for m in spec.models):
        from qvc.quantum.ibm.service import preflight

        preflight(spec.execution, first.n_features)  # credentials, backend, size: before any folder
    if spec.idle_baseline_s > 0:
        say(f"measuring idle power for {spec.idle_baseline_s:g} s ...")
        meter.measure_idle(spec.idle_baseline_s)
        say(meter.idle_note)
    resumed = run_dir is not None
    run_dir = Path(run_dir) if resumed else new_run_dir(spec.out_dir, first.name)
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
        "carbon": {"g_per_kwh": carbon.g_per_kwh, "label": carbon.label, "source": carbon.source,
                   "applies_to": "local energy and modelled hardware energy alike"},
        "device": device.to_dict(),
        "hardware_model": {
            "method": "modelled", "attribution": spec.attribution,
            "mitigation_factor": spec.mitigation_factor, "draws": DEFAULT_DRAWS,
            "seed": DEFAULT_SEED, "interval": "5th-95th percentile (90 %)",
            "methodology": "docs/methodology.md",
        },
        "preprocessing": {str(s): d.preprocessing for s, d in datasets.items()},
    }
    ibm_scope = _ibm_scope(spec, run_dir, say)
    if ibm_scope is not None:
        meta["ibm"] = ibm_scope.describe
    if resumed:
        meta.update(_resumed_fields(run_dir))
    md.write_json(meta, run_dir / "metadata.json")
    rows: list[dict] = []
    total = len(spec.seeds) * len(spec.models)
    step = 0
    try:
        if ibm_scope is not None:
            ibm_scope.__enter__()
        for seed, data in datasets.items():
            cfg = ModelConfig(
                n_features=data.n_features, n_classes=data.n_classes, seed=seed,
                max_iter=spec.max_iter, shots=spec.shots, execution=spec.execution,
                entanglement=spec.entanglement, device=spec.device,
            )
            for name in spec.models:
                step += 1
                say(f"[{step}/{total}] {data.name} seed={seed} {name}: fitting ...")
                t0 = time.perf_counter()
                row = _run_one(name, cfg, data, meter, device, spec, run_dir.name, carbon)
                rows.append(row)
                write_results(rows, run_dir / "results.csv")
                say(
                    f"[{step}/{total}] {name}: test accuracy {row['accuracy_test']:.3f} "
                    f"({time.perf_counter() - t0:.1f} s)"
                )
        meta["status"] = "complete"
    except BaseException as exc:
        meta["status"] = f"interrupted: {type(exc).__name__}"
        if type(exc).__name__ == "IbmJobsPending":
            meta["status"] = "waiting for IBM jobs (qvc ibm fetch)"
        raise
    finally:
        if ibm_scope is not None:
            ibm_scope.__exit__(None, None, None)
        meta["finished_utc"] = md.utc_now()
        md.write_json(meta, run_dir / "metadata.json")
        if rows:
            _write_report(run_dir, say, failed=meta["status"] != "complete")
    return RunResult(run_dir, rows, meta)


class _IbmScope:
    """The IBM context of one run (ledger next to the run folders), as a re-enterable scope."""

    def __init__(self, spec: ExperimentSpec, run_dir: Path, say: Callable[[str], None]) -> None:
        from qvc.quantum.ibm import IbmRunContext, default_ledger_path, ibm_context

        ctx = IbmRunContext(
            ledger_path=default_ledger_path(spec.out_dir), run_id=run_dir.name,
            experiment=spec.dataset, run_dir=run_dir, train_on_hardware=spec.train_on_hardware,
            progress=say,
        )
        if spec.ibm_timeout_s is not None:
            ctx.timeout_s = spec.ibm_timeout_s
        self.ctx = ctx
        self._cm = ibm_context(ctx)
        self.describe = {
            "execution": spec.execution, "ledger": str(ctx.ledger_path),
            "results_dir": str(ctx.ledger_path.parent / "ibm_results"),
            "timeout_s": ctx.timeout_s, "train_on_hardware": spec.train_on_hardware,
            "credentials": "QiskitRuntimeService saved account or QISKIT_IBM_* environment "
                           "(never stored by qvc)",
        }

    def __enter__(self):
        return self._cm.__enter__()

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def _ibm_scope(spec: ExperimentSpec, run_dir: Path, say) -> _IbmScope | None:
    if not spec.execution.startswith("ibm:"):
        return None
    return _IbmScope(spec, run_dir, say)


def _resumed_fields(run_dir: Path) -> dict:
    """Keep the first start time of a run that is being finished in place."""
    import json

    try:
        old = json.loads((run_dir / "metadata.json").read_text())
    except (OSError, ValueError):
        return {}
    return {"started_utc": old.get("started_utc"),
            "resumed_utc": [*old.get("resumed_utc", []), md.utc_now()]}


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

    The unit of work of a sweep (:mod:`qvc.experiment.sweep`), doing what one step
    of :func:`run_experiment` does: prepare the data (unless ``data`` is given),
    build the model, meter fit and predict in *this* process, price the circuit
    ledger on ``spec.device``.

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
    meter = meter or _meter_for(spec)
    carbon = carbon_intensity(spec.country, spec.carbon_intensity)
    device = get_device(spec.device, spec.device_file)
    if data is None:
        data = prepare_dataset(
            spec.dataset, n_features=spec.qubits, seed=seed, test_size=spec.test_size,
            max_samples=spec.max_samples, csv_path=spec.csv_path, target=spec.target,
        )
    cfg = ModelConfig(
        n_features=data.n_features, n_classes=data.n_classes, seed=seed,
        max_iter=spec.max_iter, shots=spec.shots, execution=spec.execution,
        entanglement=spec.entanglement, device=spec.device,
    )
    return _run_one(model, cfg, data, meter, device, spec, run_id, carbon)


def _write_report(run_dir: Path, say: Callable[[str], None], *, failed: bool) -> None:
    """Render report.md and report.html from the files just written (as ``qvc report`` does).

    The report reads results.csv + metadata.json back from disk, so the report of a
    run and one regenerated later with ``qvc report RUN_DIR`` are the same file.
    (The one place the experiment layer calls the report layer, imported lazily.)
    When the run itself failed, a report error must not hide the run's error.
    """
    from qvc.report import write_report

    try:
        write_report(run_dir)
    except Exception as exc:
        if not failed:
            raise
        say(f"report not written ({exc}); the rows are in {run_dir / 'results.csv'}")


def _meter_for(spec: ExperimentSpec) -> EnergyMeter:
    """The default meter, or one whose estimate uses the spec's CPU TDP table."""
    if spec.cpu_tdp_table is None:
        return EnergyMeter()
    det = detect_backends(cpu_tdp_table=load_cpu_tdp_table(spec.cpu_tdp_table))
    return EnergyMeter(backends=det.backends, not_used=det.not_used)


def _optimizer_steps(est) -> float:
    """What the shared iteration budget bought: L-BFGS iterations of an MLP (``n_iter_``),
    objective evaluations of a VQC's COBYLA (``n_evaluations_``); NaN for kernel models."""
    for attr in ("n_evaluations_", "n_iter_"):
        value = getattr(est, attr, None)
        if isinstance(value, (int, np.integer)):
            return float(value)
    return np.nan


def _run_one(name, cfg, data, meter, device, spec, run_id, carbon: CarbonIntensity | None = None) -> dict:
    carbon = carbon or carbon_intensity()
    built = build_model(name, cfg)
    template = built.estimator
    # Quantum models are never repeated: their circuit ledger would count every repeat,
    # and a 40 s fit needs no repeating. Classical fits shorter than the meter's minimum
    # window are repeated on fresh clones (built outside the window), so the kept model
    # is the first fit and repeats cannot change it.
    repeatable = built.family != "quantum"
    cap = spec.max_repeats if repeatable else 1
    X_tr, y_tr, X_te = data.X_train, data.y_train, data.X_test
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. sklearn ConvergenceWarning at the shared budget
        if repeatable:
            est, fit_m = measure_repeated(
                meter, f"{name}-fit", lambda e: e.fit(X_tr, y_tr), setup=lambda: clone(template),
                min_duration_s=spec.min_window_s, max_repeats=cap,
            )
        else:
            est = template
            _, fit_m = measure_repeated(
                meter, f"{name}-fit", lambda _: est.fit(X_tr, y_tr), max_repeats=1,
                min_duration_s=spec.min_window_s,
            )
        n_before = len(est.ledger_.entries) if hasattr(est, "ledger_") else 0
        y_pred, pred_m = measure_repeated(
            meter, f"{name}-predict", lambda _: est.predict(X_te),
            min_duration_s=spec.min_window_s, max_repeats=cap,
        )
        predict_entries = est.ledger_.entries[n_before:] if hasattr(est, "ledger_") else []
        fit_entries = est.ledger_.select(phase="fit") if hasattr(est, "ledger_") else []
        # Training accuracy is bookkeeping, not a phase we meter or price.
        y_train_pred = est.predict(data.X_train)
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
        "optimizer_steps": _optimizer_steps(est),
        "accuracy_train": float(accuracy_score(data.y_train, y_train_pred)),
        "accuracy_test": float(accuracy_score(data.y_test, y_pred)),
        "f1_test": float(f1_score(data.y_test, y_pred, average="macro")),
        **_energy_columns("fit", fit_m, carbon),
        **_energy_columns("predict", pred_m, carbon),
        "energy_meter": fit_m.meter,
        "idle_power_w": np.nan if fit_m.idle_power_w is None else fit_m.idle_power_w,
        "carbon_intensity_g_per_kwh": carbon.g_per_kwh,
        "carbon_intensity_source": carbon.label,
    }
    if built.family == "quantum":
        cost = price_entries(
            list(fit_entries) + list(predict_entries), device,
            mode=spec.attribution, mitigation_factor=spec.mitigation_factor,
        )
        row.update({
            "circuits_fit": sum(e.n_circuits for e in fit_entries),
            "circuits_predict": sum(e.n_circuits for e in predict_entries),
            "shots": cfg.shots,
            "device": device.name,
        })
        row.update(hardware_columns(cost))
        row["hw_gco2e"] = carbon.grams(row["hw_energy_j"])
        row.update(ibm_columns(est, cost))
        if hasattr(est, "simulator_info"):  # kernel model: which simulator, entanglement, MPS settings
            row["entanglement"] = est.entanglement
            row.update(est.simulator_info())
    else:
        row.update({"circuits_fit": 0, "circuits_predict": 0, "shots": np.nan, "device": ""})
        row.update(hardware_columns(None))
        row["hw_gco2e"] = np.nan
        row.update(ibm_columns(None, None))
    return row


def ibm_columns(est, cost) -> dict:
    """The ``ibm_*`` and ``hw_reported_*`` columns: what ran on an IBM backend, and its QPU time.

    ``hw_reported_qpu_seconds`` is the sum of ``job.usage()`` over the jobs whose
    results the model used, labelled ``hardware-reported``; the energy next to it is
    those seconds times the cost model's average power (``cost.power_w``). Local
    testing mode (fake backends) reports no QPU time: the columns stay empty and
    the method says so.
    """
    usage = est.hardware_usage() if est is not None and hasattr(est, "hardware_usage") else None
    if usage is None:
        return {"ibm_backend": "", "ibm_jobs": 0, "ibm_jobs_submitted": 0, "ibm_trained_on": "",
                "hw_reported_qpu_seconds": np.nan, "hw_reported_energy_j": np.nan,
                "hw_reported_method": "", "hw_reported_vs_modelled": np.nan}
    seconds = usage["qpu_seconds"]
    reported = seconds is not None
    power = cost.power_w if cost is not None else float("nan")
    return {
        "ibm_backend": usage["backend"],
        "ibm_jobs": usage["jobs"],
        "ibm_jobs_submitted": usage["jobs_submitted"],
        "ibm_trained_on": getattr(est, "trained_on_", est.execution),
        "hw_reported_qpu_seconds": float(seconds) if reported else np.nan,
        "hw_reported_energy_j": float(seconds) * power if reported else np.nan,
        "hw_reported_method": usage["qpu_seconds_method"],
        "hw_reported_vs_modelled": (float(seconds) / cost.qpu_seconds
                                    if reported and cost is not None and cost.qpu_seconds > 0
                                    else np.nan),
    }


def hardware_columns(cost) -> dict:
    """The ``hw_*`` result columns of a :class:`~qvc.energy.hardware.HardwareCost` (``None``: empty).

    QPU seconds and joules are Monte Carlo medians with the 90 % interval; the
    per-component columns are at typical values and add up to ``hw_energy_typical_j``.
    """
    if cost is None:
        out = {"hw_jobs": 0, "hw_attribution": "", "hw_mitigation_factor": np.nan,
               "hw_energy_method": ""}
        for key in ("hw_qpu_seconds", "hw_qpu_seconds_low", "hw_qpu_seconds_high",
                    "hw_qpu_seconds_fit", "hw_qpu_seconds_predict", "hw_energy_j", "hw_energy_j_low",
                    "hw_energy_j_high", "hw_energy_fit_j", "hw_energy_predict_j",
                    "hw_energy_typical_j", "hw_landauer_j"):
            out[key] = np.nan
        for c in ENERGY_COMPONENTS:
            out[f"hw_energy_{c}_j"] = np.nan
        return out

    def phase_median(kind: str, key: str) -> float:
        vals = [p[key]["median"] for p in cost.phases if p["phase"].endswith(f":{kind}")]
        return float(sum(vals)) if vals else 0.0

    out = {
        "hw_jobs": cost.jobs,
        "hw_qpu_seconds": cost.qpu_seconds_interval.median,
        "hw_qpu_seconds_low": cost.qpu_seconds_interval.low,
        "hw_qpu_seconds_high": cost.qpu_seconds_interval.high,
        "hw_qpu_seconds_fit": phase_median("fit", "qpu_seconds_interval"),
        "hw_qpu_seconds_predict": phase_median("predict", "qpu_seconds_interval"),
        "hw_energy_j": cost.energy_interval.median,
        "hw_energy_j_low": cost.energy_interval.low,
        "hw_energy_j_high": cost.energy_interval.high,
        "hw_energy_fit_j": phase_median("fit", "energy_interval"),
        "hw_energy_predict_j": phase_median("predict", "energy_interval"),
        "hw_energy_typical_j": cost.energy_j,
        "hw_attribution": cost.mode,
        "hw_mitigation_factor": cost.mitigation_factor,
        "hw_landauer_j": cost.landauer_j,
        "hw_energy_method": cost.method,
    }
    for c in ENERGY_COMPONENTS:
        out[f"hw_energy_{c}_j"] = cost.components_j.get(c, 0.0)
    return out


def _energy_columns(phase: str, m: Measurement, carbon: CarbonIntensity) -> dict:
    """Per-call time, energy, label, repeats, spread, above-idle energy and gCO2e of one phase."""
    above = m.above_idle_j
    return {
        f"{phase}_seconds": m.wall_s,
        f"{phase}_cpu_seconds": m.cpu_s,
        f"{phase}_energy_j": m.total_j,
        f"{phase}_energy_method": m.method,
        f"{phase}_repeats": m.repeats,
        f"{phase}_energy_spread": m.spread,
        f"{phase}_energy_above_idle_j": np.nan if above is None else above,
        f"{phase}_gco2e": carbon.grams(m.total_j),
    }

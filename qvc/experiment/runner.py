"""Run matched experiments: spec -> data -> models -> metered fit/predict -> priced ledger -> rows."""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score

from qvc import _progress as progress
from qvc._io import write_json
from qvc.analysis.stats import declaration
from qvc.data import PreparedData
from qvc.energy.carbon import CarbonIntensity
from qvc.energy.devices import DevicePreset, circuit_fidelity, device_for_backend
from qvc.energy.hardware import HardwareCost, price_entries
from qvc.energy.host import HostPreset, get_host
from qvc.energy.meters import EnergyMeter, Measurement, detect_backends, measure_repeated
from qvc.errors import IbmJobsPending, QvcUsageError, interruption
from qvc.experiment.autoshots import auto_shots_for
from qvc.experiment.deviceaccuracy import Search
from qvc.experiment.shottraining import shot_trained
from qvc.experiment.spec import ExperimentSpec
from qvc.models.quantum import QuantumKernelSVC
from qvc.models.registry import PAIR_MEMBERS, QUANTUM_MODELS, BuiltModel, ModelConfig, build_model, get_model
from qvc.quantum.ledger import LedgerEntry
from qvc.record import metadata as md
from qvc.record.ibm import remember_usage
from qvc.record.results import (
    SCHEMA_VERSION,
    blank_columns,
    circuit_columns,
    device_accuracy_columns,
    energy_columns,
    ftqc_columns,
    hardware_columns,
    ibm_columns,
    local_attribution_columns,
    per_prediction_columns,
    scenario_columns,
    shot_training_columns,
    simulator_columns,
    write_results,
)
from qvc.record.runfolder import TUNING, read_metadata, write_metadata

#: BLAS/OpenMP threads of every metered process (``qvc run`` and each sweep worker): one, so a
#: fit's CPU time (and the energy estimated from it) does not depend on how many idle cores
#: BLAS spins on (seen: > 10x spread between 1 and 2 threads on small fits).
METERED_BLAS_THREADS = 1


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
    from qvc._validation import check_file_name, check_inside

    check_file_name(dataset, "run folder name")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = Path(out_dir) / f"{dataset}-{stamp}"
    candidate, k = base, 1
    while True:
        check_inside(candidate, out_dir)  # after resolving: a link in --out's place may not lead out
        try:
            candidate.mkdir(parents=True, exist_ok=False)
            return candidate
        except FileExistsError:
            k += 1
            candidate = base.with_name(f"{base.name}-{k}")


@dataclass(frozen=True)
class RunContext:
    """What every (model, seed) step of a run shares: the spec and the instruments it resolved.

    Built once per run (or per sweep point) by :func:`RunContext.for_spec`.
    """

    spec: ExperimentSpec
    meter: EnergyMeter
    device: DevicePreset
    carbon: CarbonIntensity
    run_id: str = ""
    host: HostPreset | None = None
    device_note: str = ""
    #: The search space ({model: {name: [values]}}) when tuning, else empty.
    space: dict = field(default_factory=dict)
    #: Candidates per model (the same for both of a pair).
    budgets: dict = field(default_factory=dict)
    #: Why a model gets fewer candidates than ``--tune-budget`` (absent: the whole budget).
    budget_notes: dict = field(default_factory=dict)
    #: The FTQC preset of ``--device ftqc:<name>`` (the projection beside ``device``'s price), else None.
    ftqc: Any = None

    @classmethod
    def for_spec(cls, spec: ExperimentSpec, *, meter: EnergyMeter | None = None, run_id: str = "") -> RunContext:
        """Resolve the spec's meter, device preset, host preset, carbon intensity and search space.

        An ``ibm:<backend>`` run is priced on the backend's own target (with the power
        budget of ``spec.device``) where one is available offline; otherwise
        ``device_note`` says which preset's target prices it instead.
        """
        resolved = spec.resolved()
        device, note = pricing_device(spec, resolved.device)
        space: dict = resolved.space
        budgets: dict = {}
        notes: dict = {}
        if spec.tune and spec.protocol == "bowles2024":
            from qvc.models.hyperparams import candidate_grid, grid_size

            # the study searches each model's whole grid: no budget cut and no pair rule
            for m in spec.models:
                budgets[m] = grid_size(candidate_grid(m, space, spec.params.get(m, {})))
                notes[m] = (f"protocol bowles2024: the study's whole grid ({budgets[m]} candidates), not "
                            "--tune-budget and the pair rule")
        elif spec.tune:
            from qvc.models.tuning import budget_plan

            # both members of every pair the run touches, so a sweep point (one model)
            # gets the budget its partner gets
            members = [m for pair in PAIR_MEMBERS.values() if set(pair) & set(spec.models) for m in pair]
            members += [m for m in spec.models if m not in members]  # frontier models: no partner
            plan = budget_plan(members, space, spec.params, spec.tune_budget)
            budgets = {m: n for m, (n, _) in plan.items()}
            notes = {m: why for m, (_, why) in plan.items() if why and m in spec.models}
        return cls(
            spec=spec,
            meter=meter or _meter_for(resolved.tdp_table),
            device=device,
            carbon=resolved.carbon,
            run_id=run_id,
            host=resolved.host,
            device_note=note,
            space=space,
            budgets=budgets,
            budget_notes=notes,
            ftqc=resolved.ftqc,
        )

    def price(self, entries: list[LedgerEntry]) -> HardwareCost:
        """Price ledger entries on the run's device with the run's attribution and mitigation."""
        return price_for(self.spec, entries, self.device)

    def model_config(self, data: PreparedData, seed: int) -> ModelConfig:
        """The model settings shared by every model of one seed."""
        return _model_config(self.spec, data, seed)


def pricing_device(spec: ExperimentSpec, base: DevicePreset | None = None) -> tuple[DevicePreset, str]:
    """The device that prices ``spec``'s circuits, and a note (empty unless a substitute prices it).

    An ``ibm:<backend>`` run is priced on the backend's own target (with the power budget of
    ``spec.device``) where one is available offline; otherwise the note says which preset's
    target prices it instead.
    """
    device, note = (base or spec.resolved().device), ""
    if spec.execution_mode.is_ibm:
        device, note = device_for_backend(device, spec.execution_mode.ibm_target.backend)
    return device, note


def price_for(spec: ExperimentSpec, entries: list[LedgerEntry], device: DevicePreset,
              mitigation: str | None = None) -> HardwareCost:
    """The one pricing call of qvc's runs and estimates: ``spec``'s attribution, mitigation factor
    and mitigation on ``device`` (:func:`qvc.energy.hardware.price_entries`).

    ``mitigation`` overrides the spec's (the on-device search's choice); without it ``--mitigation
    auto`` prices as ``none``.
    """
    return price_entries(entries, device, mode=spec.attribution, mitigation_factor=spec.mitigation_factor,
                         mitigation=mitigation or spec.priced_mitigation, packing=spec.packing,
                         utilisation=spec.utilisation)


def scenarios_for(spec: ExperimentSpec, entries: list[LedgerEntry], device: DevicePreset,
                  mitigation: str | None = None) -> dict[str, HardwareCost]:
    """The attribution scenarios beside :func:`price_for`'s figure (:mod:`qvc.energy.scenarios`)."""
    from qvc.energy.scenarios import price_scenarios

    return price_scenarios(entries, device, mode=spec.attribution, mitigation_factor=spec.mitigation_factor,
                           mitigation=mitigation or spec.priced_mitigation, packing=spec.packing,
                           utilisation=spec.utilisation)


def energy_of_configurations(spec: ExperimentSpec, entries: list[LedgerEntry], device: DevicePreset,
                             base_shots: int) -> Callable[[list[tuple[str, int]]], list[float]]:
    """The priced energy (Monte Carlo median, J) of ``entries`` at any (mitigation, shots).

    One pricing call at ``base_shots`` (:func:`price_for`), then its cost model
    (:class:`qvc.energy.costmodel.CostModel`, the one evaluation) on the same Monte Carlo draws with
    the shots scaled and the mitigation switched, so each figure equals what pricing that
    configuration gives.
    """
    from qvc.energy.costmodel import MITIGATION_ORDER
    from qvc.energy.hardware import DEFAULT_DRAWS, DEFAULT_SEED, draw_parameters

    model = price_for(spec, [replace(e, shots=base_shots) for e in entries], device, mitigation="none").cost_model
    assert model is not None
    draws = draw_parameters(device, DEFAULT_DRAWS, DEFAULT_SEED)

    def energy(configs: list[tuple[str, int]]) -> list[float]:
        k, n = len(configs), DEFAULT_DRAWS
        p: dict[str, Any] = {name: np.tile(v, k) for name, v in draws.items()}
        p["shots_scale"] = np.repeat([s / base_shots for _, s in configs], n)
        p["mitigation"] = np.repeat([float(MITIGATION_ORDER.index(m)) for m, _ in configs], n)
        e = model.energy(p).reshape(k, n)
        return [float(x) for x in np.percentile(e, 50.0, axis=1)]

    return energy


def _model_config(spec: ExperimentSpec, data: PreparedData, seed: int) -> ModelConfig:
    """The one mapping of a spec (and its data) onto the models' shared settings."""
    return ModelConfig(
        n_features=data.n_features, n_classes=data.n_classes, seed=seed,
        max_iter=spec.max_iter, shots=spec.simulation_shots, execution=spec.execution,
        entanglement=spec.entanglement, params=spec.params, train_on_hardware=spec.train_on_hardware,
        circuit_fidelity=partial(circuit_fidelity, device=spec.resolved().device.name, device_file=spec.device_file),
        feature_map=spec.feature_map, ansatz=spec.ansatz,
        threads=spec.threads,
    )


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
    check_seeds_for_comparison(spec)
    say = progress or (lambda _msg: None)
    ctx = RunContext.for_spec(spec, meter=meter)
    if ctx.device_note:
        say(ctx.device_note)
    for name, why in ctx.budget_notes.items():
        say(f"tuning {name}: {ctx.budgets[name]} candidate{'s' if ctx.budgets[name] != 1 else ''} instead of "
            f"--tune-budget {spec.tune_budget} ({why})")
    datasets = _prepare_datasets(spec)  # fail on bad data before creating the run folder
    first = next(iter(datasets.values()))
    const = first.preprocessing.get("constant_features")
    if const:
        say(f"note: {len(const)} feature column(s) hold one value in every row and carry no information: "
            f"{', '.join(map(repr, const[:5]))}{' ...' if len(const) > 5 else ''} (kept; consider dropping them)")
    _check_before_folder(spec, first, ctx.device, datasets.values())
    _ibm_preflight(spec, first.n_features)
    if spec.idle_baseline_s > 0:
        say(f"measuring idle power for {spec.idle_baseline_s:g} s ...")
        ctx.meter.measure_idle(spec.idle_baseline_s)
        say(ctx.meter.idle_note)
    resumed = run_dir is not None
    run_dir = Path(run_dir) if run_dir is not None else new_run_dir(spec.out_dir, first.name)
    ctx = replace(ctx, run_id=run_dir.name)
    meta = md.run_metadata(run_dir.name, ctx.spec, meter=ctx.meter.describe(), carbon=ctx.carbon, device=ctx.device,
                           device_note=ctx.device_note, host=ctx.host, datasets=datasets)
    meta["statistics"] = declaration(spec.equivalence_margin, spec.target_accuracy)
    if ctx.ftqc is not None:  # the fault-tolerant projection: its preset, every number's source, the estimator
        from qvc.quantum.resource_estimator import qdk_version

        meta["ftqc"] = {**ctx.ftqc.to_dict(), "estimator": f"qdk {qdk_version()} (qdk.qiskit.estimate)",
                        "energy_method": "projected"}
    ibm_scope = _IbmScope(spec, run_dir, say) if spec.execution_mode.is_ibm else None
    if ibm_scope is not None:
        meta["ibm"] = ibm_scope.describe
    if resumed:
        meta.update(_resumed_fields(run_dir))
    write_metadata(meta, run_dir)
    rows: list[dict] = []
    try:
        with ExitStack() as stack:
            stack.enter_context(blas_policy())
            if ibm_scope is not None:
                ibm_scope.enter(stack)
            warm_up(spec, first)
            _run_steps(ctx, datasets, run_dir, rows, say)
        meta["status"] = "complete"
    except IbmJobsPending:
        meta["status"] = "waiting for IBM jobs (qvc ibm fetch)"
        raise
    except BaseException as exc:
        meta["status"] = f"interrupted: {interruption(exc)}"
        if isinstance(exc, OSError):
            meta["status"] = f"failed: results not written ({exc.strerror or type(exc).__name__})"
        raise
    finally:
        meta["finished_utc"] = md.utc_now()
        _finish(run_dir, meta, rows, say)
    return RunResult(run_dir, rows, meta)


def _check_before_folder(spec: ExperimentSpec, data: PreparedData, device: DevicePreset,
                         datasets: Iterable[PreparedData] = ()) -> None:
    """Refusals that need the prepared data but no folder: CV folds against the class counts, memory
    (MPS with the final entanglement), device size, IBM job store."""
    from qvc._preflight import QUANTUM_MODELS, check_memory
    from qvc.experiment.spec import check_cv_folds

    if spec.tune:
        for seed_data in datasets:
            check_cv_folds(spec.cv_folds, seed_data.y_train, seed_data.name)
    quantum = [m for m in spec.models if m in QUANTUM_MODELS]
    if not quantum:
        return
    if spec.feature_map is not None:  # one parameter per feature, now that the features are known
        from qvc.quantum.usercircuit import check_circuit_source

        check_circuit_source(spec.feature_map, data.n_features)
    n_samples = len(data.y_train) + len(data.y_test)
    check_memory(quantum, data.n_features, n_samples, spec.test_size, spec.execution)
    if spec.execution_mode.kind == "mps":  # with the final entanglement (a --param wins) and every sample
        from qvc.models.registry import get_model
        from qvc.quantum.circuits import feature_map
        from qvc.quantum.mps import MpsSimulator

        opts = str(spec.execution).partition(":")[2] or None
        for m in quantum:
            entry = get_model(m)
            if entry.statevectors_held(2) > 1:
                fmap = feature_map(data.n_features, 2, spec.feature_map_entanglement(m))
                # the MPS simulator holds every sample's state (no blocked path as in the exact engine)
                MpsSimulator(fmap, opts).check_fits(max(n_samples, entry.statevectors_held(n_samples)))
    if data.n_features > device.num_qubits and not spec.execution_mode.is_ibm:  # ibm: preflight checks the backend
        raise QvcUsageError(
            f"{data.n_features} qubits exceed device preset {device.name!r} ({device.num_qubits} qubits), "
            "which prices the circuits; use fewer --qubits or a larger --device"
        )
    if spec.noise_model == "aer" and spec.execution_mode.kind in ("exact", "mps"):
        from qvc.experiment.deviceaccuracy import AER_MAX_QUBITS

        if not getattr(device, "fake_backend", None):
            raise QvcUsageError(f"--noise-model aer needs a device with a fake backend (Aer's noise model comes from "
                                f"it); {device.name} has none: use --noise-model esp-depolarizing or an IBM preset",
                                key="noise_model")
        if data.n_features > AER_MAX_QUBITS:
            raise QvcUsageError(f"--noise-model aer runs one density matrix per kernel circuit, affordable up to "
                                f"{AER_MAX_QUBITS} qubits (got {data.n_features}); use --noise-model esp-depolarizing "
                                "or fewer --qubits", key="noise_model")
    if spec.execution_mode.is_ibm:
        from qvc.quantum.ibm.jobstore import check_store_file, default_store_path

        check_store_file(default_store_path(spec.out_dir))


def _finish(run_dir: Path, meta: dict, rows: list[dict], say: Callable[[str], None]) -> None:
    """Write the report, then the final metadata: the status on disk never claims more than exists.

    The report is rendered from ``results.csv`` and the final metadata (in memory). If it
    cannot be written, a run that was otherwise complete is recorded as
    ``failed: report not written (...)`` and the error is raised. While another error is
    on its way out, failures here are only reported, so they do not hide it.
    """
    failing = meta["status"] != "complete"
    report_error: Exception | None = None
    if rows:
        try:
            _write_report(run_dir, say, failed=failing, meta=meta)
        except Exception as exc:
            report_error = exc
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0]
            meta["status"] = f"failed: report not written ({reason})"
    try:
        write_metadata(meta, run_dir)
    except OSError as exc:
        if not failing and report_error is None:
            raise
        say(f"metadata.json not updated ({exc.strerror or exc}); it still says the run is running, "
            "and 'qvc report' shows it as interrupted")
    if report_error is not None:
        raise report_error


def _prepare_datasets(spec: ExperimentSpec) -> dict[int, PreparedData]:
    """The prepared split of every seed (raises :class:`~qvc.errors.QvcUsageError` on bad data)."""
    return {seed: _prepare_one(spec, seed) for seed in spec.seeds}


def _prepare_one(spec: ExperimentSpec, seed: int) -> PreparedData:
    return spec.prepare(seed)


def _ibm_preflight(spec: ExperimentSpec, n_features: int) -> None:
    """Credentials, backend and size of an ``ibm:`` run, checked before any folder exists."""
    if spec.execution_mode.is_ibm and any(m in QUANTUM_MODELS for m in spec.models):
        from qvc.quantum.ibm.service import preflight

        preflight(spec.execution, n_features)


def _run_steps(
    ctx: RunContext,
    datasets: dict[int, PreparedData],
    run_dir: Path,
    rows: list[dict],
    say: Callable[[str], None],
) -> None:
    """Run every model on every seed, appending to ``rows`` and rewriting results.csv after each."""
    total = len(datasets) * len(ctx.spec.models)
    step = 0
    tuning_log: list[dict] = []
    eta = progress.StepEta([name for _ in datasets for name in ctx.spec.models])
    for seed, data in datasets.items():
        for name in ctx.spec.models:
            step += 1
            say(f"[{step}/{total}] {data.name} seed={seed} {name}: "
                f"{'tuning and ' if ctx.spec.tune else ''}fitting ...")
            t0 = time.perf_counter()
            with progress.reporting(say, f"[{step}/{total}] {name}"):  # done/total + ETA inside the step
                row = _run_one(ctx, name, data, seed, tuning_log)
            rows.append(row)
            write_results(rows, run_dir / "results.csv")
            if tuning_log:
                write_json({"schema_version": SCHEMA_VERSION, "searches": tuning_log}, run_dir / TUNING)
            shot = row.get("accuracy_test_shot_trained", np.nan)
            eta.done(name, time.perf_counter() - t0)
            say(
                f"[{step}/{total}] {name}: test accuracy {row['accuracy_test']:.3f} "
                + (f"(trained under shot noise at {int(row['shot_trained_shots'])} shots: {shot:.3f}) "
                   if isinstance(shot, float) and np.isfinite(shot) else "")
                + f"({time.perf_counter() - t0:.1f} s)"
            )
            for line in _device_lines(ctx.spec, row):
                say(f"[{step}/{total}] {name}: {line}")
            say(eta.line())


def _device_lines(spec: ExperimentSpec, row: dict) -> list[str]:
    """Console lines for a quantum row: its on-device accuracy, a decline, shots at the cap."""
    out = []
    acc, shots = row.get("device_accuracy", np.nan), row.get("shots", np.nan)
    if isinstance(acc, float) and np.isfinite(acc):
        out.append(f"on the device ({row['device_noise_model']}) {acc:.3f} (lower bound "
                   f"{row['device_accuracy_low']:.3f}, target {row['device_target_accuracy']:.3f}) at {int(shots)} "
                   f"shots with mitigation {row['hw_mitigation']}")
    if row.get("device_declined"):
        out.append(f"hardware energy declined: {row['device_declined']}")
    at_cap = bool(row.get("shots_at_cap")) or (
        spec.shots == "auto" and isinstance(shots, (int, float)) and np.isfinite(shots) and shots >= spec.shots_cap)
    if at_cap:
        out.append(f"the priced {int(shots)} shots per circuit are at the shot cap (--shots-cap {spec.shots_cap}, "
                   "device shots per circuit): the cap, not the accuracy, bounds the choice")
    return out


class _IbmScope:
    """The IBM context of one run (job store next to the run folders) and its provenance."""

    def __init__(self, spec: ExperimentSpec, run_dir: Path, say: Callable[[str], None]) -> None:
        from qvc.quantum.ibm import IbmRunContext, default_store_path

        ctx = IbmRunContext(
            store_path=default_store_path(spec.out_dir), run_id=run_dir.name,
            experiment=spec.dataset, run_dir=run_dir, progress=say,
        )
        if spec.ibm_timeout_s is not None:
            ctx.timeout_s = spec.ibm_timeout_s
        if spec.ibm_max_qpu_seconds is not None:
            ctx.max_execution_time = max(1, int(np.ceil(spec.ibm_max_qpu_seconds)))
        self.ctx = ctx
        self.describe = {
            "execution": spec.execution, "ledger": str(ctx.store_path),
            "results_dir": str(ctx.store_path.parent / "ibm_results"),
            "max_execution_time_s": ctx.max_execution_time,
            "timeout_s": ctx.timeout_s, "train_on_hardware": spec.train_on_hardware,
            "credentials": "QiskitRuntimeService saved account or QISKIT_IBM_* environment "
                           "(never stored by qvc)",
        }

    def enter(self, stack: ExitStack) -> None:
        """Make this the current IBM context until ``stack`` closes."""
        from qvc.quantum.ibm import ibm_context

        stack.enter_context(ibm_context(self.ctx))


def _resumed_fields(run_dir: Path) -> dict:
    """Keep the first start time of a run that is being finished in place."""
    try:
        old = read_metadata(run_dir)
    except QvcUsageError:
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
        One row with the columns of :data:`~qvc.record.results.COLUMNS`.

    Examples
    --------
    >>> row = run_point(ExperimentSpec("iris", qubits=2, models=("svm",)), "svm", 0)
    >>> row["model"], row["qubits"], row["hw_energy_method"]
    ('svm', 2, '')
    """
    ctx = RunContext.for_spec(spec, meter=meter, run_id=run_id)
    if data is None:
        data = _prepare_one(spec, seed)
    with blas_policy():
        warm_up(spec, data)
        return _run_one(ctx, model, data, seed)


def blas_policy():
    """Limit BLAS/OpenMP to :data:`METERED_BLAS_THREADS` threads (the one policy of runs and sweeps)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=METERED_BLAS_THREADS)


_WARMED: set[tuple] = set()


def warm_up(spec: ExperimentSpec, data: PreparedData) -> None:
    """Fit each model of ``spec`` once on a few training samples, outside every metered window.

    The first quantum fit of a process pays one-time costs (imports, circuit compilation,
    sympy lambdification, BLAS start-up) that would otherwise land in the first seed's
    numbers. Once per process and (model, qubits); never on IBM backends (it would submit jobs).
    """
    if spec.execution_mode.is_ibm:
        return
    idx = np.concatenate([np.flatnonzero(data.y_train == c)[:2] for c in np.unique(data.y_train)])
    X, y = data.X_train[idx], data.y_train[idx]
    # the run's own settings (feature map, fixed params, simulator): a warm-up of another circuit
    # warms nothing, and can cost far more (full entanglement under MPS at 26 qubits: minutes)
    cfg = replace(_model_config(spec, data, 0), max_iter=2, train_on_hardware=False)
    for name in spec.models:
        key = (name, data.n_features, spec.execution)
        if key in _WARMED:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                build_model(name, cfg).estimator.fit(X, y).predict(X)
            except Exception:  # a warm-up must never fail a run; the real fit reports errors
                pass
        _WARMED.add(key)


def _write_report(run_dir: Path, say: Callable[[str], None], *, failed: bool, meta: dict | None = None) -> None:
    """Render report.md and report.html from the files just written (as ``qvc report`` does).

    The report reads results.csv back from disk and takes the final metadata as it will
    be written (a JSON round trip of ``meta``), so the report of a run and one
    regenerated later with ``qvc report RUN_DIR`` are the same file.
    (The one place the experiment layer calls the report layer, imported lazily.)
    When the run itself failed, a report error must not hide the run's error.
    """
    import json

    from qvc.report import write_report

    try:
        write_report(run_dir, meta=None if meta is None else json.loads(json.dumps(meta, default=str)))
    except Exception as exc:
        if not failed:
            raise
        say(f"report not written ({exc}); the rows are in {run_dir / 'results.csv'}")


def _meter_for(tdp_table: dict | None) -> EnergyMeter:
    """The default meter, or one whose estimate uses the spec's (resolved) CPU TDP table."""
    if tdp_table is None:
        return EnergyMeter()
    det = detect_backends(cpu_tdp_table=tdp_table)
    return EnergyMeter(backends=det.backends, not_used=det.not_used)


def _optimizer_steps(est) -> float:
    """What the shared iteration budget bought: L-BFGS iterations of an MLP (``n_iter_``),
    objective evaluations of a VQC's COBYLA (``n_evaluations_``); NaN for kernel models."""
    for attr in ("n_evaluations_", "n_iter_"):
        value = getattr(est, attr, None)
        if isinstance(value, (int, np.integer)):
            return float(value)
    return np.nan


def _run_one(ctx: RunContext, name: str, data: PreparedData, seed: int, tuning_log: list | None = None) -> dict:
    """Tune (CV on the training split), build, fit, predict and price one model on one seed.

    Returns its result row; with ``tuning_log``, appends the search's candidates (with
    their apportioned local and modelled hardware energy) for the run's ``tuning.json``.
    """
    spec, carbon = ctx.spec, ctx.carbon
    data = data.for_family(get_model(name).family)  # a protocol may prepare the quantum side's features apart
    cfg = ctx.model_config(data, seed)
    load0 = _load_avg()
    tuned = _metered_tune(ctx, name, cfg, data) if spec.tune else None
    built = build_model(name, cfg, tuned[0].best_params if tuned else None)
    fitted = _metered_fit_predict(ctx, name, built, data)
    load1 = _load_avg()
    est, fit_m, pred_m, y_pred = fitted.estimator, fitted.fit, fitted.predict, fitted.y_pred
    fit_entries, predict_entries = fitted.fit_entries, fitted.predict_entries
    # Training accuracy is bookkeeping, not a phase we meter or price.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y_train_pred = est.predict(data.X_train)
    accuracy = float(accuracy_score(data.y_test, y_pred))
    majority = float(np.bincount(data.y_test).max() / len(data.y_test))
    load = float(np.nanmean([load0, load1]))
    row = {
        "schema_version": SCHEMA_VERSION,
        "run_id": ctx.run_id,
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
        "accuracy_test": accuracy,
        "f1_test": float(f1_score(data.y_test, y_pred, average="macro")),
        "majority_rate": majority,
        "above_majority": bool(accuracy > majority + 1e-12),
        "untrained": bool(accuracy_score(data.y_train, y_train_pred)
                          <= np.bincount(data.y_train).max() / len(data.y_train) + 1e-12),
        **energy_columns("fit", fit_m, carbon),
        **energy_columns("predict", pred_m, carbon),
        "energy_meter": fit_m.meter,
        "idle_power_w": np.nan if fit_m.idle_power_w is None else fit_m.idle_power_w,
        "carbon_intensity_g_per_kwh": carbon.g_per_kwh,
        "carbon_intensity_source": carbon.label,
        "load_avg": load,
        "load_per_core": load / max(1, os.cpu_count() or 1),
        "threads": int(getattr(est, "threads", 1) or 1),
        "hyperparameters": json.dumps(built.hyperparameters, sort_keys=True),
    }
    row.update(local_attribution_columns(
        fit_m, pred_m, ctx.host or get_host(), spec.attribution,
        ctx.device.pue.typical if spec.attribution == "attributional" else 1.0,
    ))
    mitigation: str | None = None
    if built.family == "quantum":
        found, why_not = _device_search(ctx, est, data, accuracy, fit_entries + predict_entries, seed)
        if found is None:
            shots, rule, tolerance, infeasible = _priced_shots(ctx, est, data, y_pred)
            declined = "declined: infeasible shots"
        else:
            mitigation, shots = found.chosen if found.chosen else (None, None)
            rule, tolerance, declined = _device_rule(spec, found), np.nan, "declined: device accuracy below target"
            infeasible = f"declined: {found.reason}" if found.chosen is None else ""
        n_fit, n_pred = sum(e.n_circuits for e in fit_entries), sum(e.n_circuits for e in predict_entries)
        row.update(circuit_columns(n_fit, n_pred, np.nan if shots is None else shots, ctx.device.name,
                                   rule=rule, tolerance=tolerance, infeasible=infeasible,
                                   protocol=str(getattr(est, "protocol", "")),
                                   circuit_source=_circuit_source(spec, name)))
        row.update(device_accuracy_columns(found, why_not))
        if found is None and spec.auto_shots and shots is not None and shots >= spec.shots_cap:
            row["shots_at_cap"] = True  # the reproduce-exact rule stopped at the cap
        if shots is None:  # declined: no shot count up to the cap reproduces the model / reaches the target
            cost = None
            row.update(hardware_columns(None))
            row["hw_energy_method"] = declined
        else:
            priced = [replace(e, shots=shots) for e in fit_entries + predict_entries]
            cost = price_for(spec, priced, ctx.device, mitigation)
            row.update(hardware_columns(cost, carbon))
            row.update(scenario_columns(scenarios_for(spec, priced, ctx.device, mitigation)))
            if found is not None:
                row.update(_shot_range_energy(found, mitigation or "none"))
        row.update(_ftqc_row(ctx, est, data, y_pred, fit_entries + predict_entries, shots,
                             noise_only=found is None))
        row.update(ibm_columns(est, cost, remember=remember_usage))
        row.update(simulator_columns(est))
        row.update(shot_training_columns(shot_trained(  # outside the meter windows, like auto shots
            est, data.X_train, data.y_train, data.X_test, data.y_test, shots, accuracy=accuracy)))
    else:
        row.update(blank_columns("circuits"))
        row.update(hardware_columns(None))
        row.update(ibm_columns(None, None))
        row.update(blank_columns("simulator"))
        row.update(blank_columns("ftqc"))
    row.update(per_prediction_columns(row))
    row.update(_tuning_columns(ctx, name, tuned, carbon, shots if built.family == "quantum" else None, mitigation))
    row.update(_kernel_columns(est, data))
    if tuning_log is not None and tuned is not None:
        tuning_log.append(_tuning_record(name, seed, tuned, row))
    return row


def check_seeds_for_comparison(spec: ExperimentSpec) -> None:
    """Refuse a seed list too short for the accuracy comparison of a run that compares models.

    One seed is a quick look (the report says nothing is tested); two give the corrected test one
    degree of freedom, which cannot resolve anything: a usage error naming the fix.
    """
    from qvc.analysis.stats import MIN_SEEDS_FOR_TEST

    if 1 < len(spec.seeds) < MIN_SEEDS_FOR_TEST and len(spec.models) > 1:
        raise QvcUsageError(
            f"{len(spec.seeds)} seeds are too few for the accuracy comparison (the corrected test needs at least "
            f"{MIN_SEEDS_FOR_TEST}); give one seed for a quick look without a test, or {MIN_SEEDS_FOR_TEST} or "
            "more (the default is ten)", key="seeds")


def _circuit_source(spec: ExperimentSpec, name: str) -> str:
    """Where model ``name``'s circuits come from: ``built-in`` or the user's sources."""
    from qvc.quantum.usercircuit import describe_source

    parts = [f"{key.replace('_', ' ')}: {describe_source(str(getattr(spec, key)))}"
             for key in get_model(name).user_circuits if getattr(spec, key, None)]
    return "; ".join(parts) or "built-in"


def _load_avg() -> float:
    try:
        return float(os.getloadavg()[0])
    except (OSError, AttributeError):  # pragma: no cover - not on every platform
        return float("nan")


def _metered_tune(ctx: RunContext, name: str, cfg: ModelConfig, data: PreparedData):
    """Run the search on the training split under the meter; return (TuneResult, Measurement)."""
    from qvc.models.tuning import tune_model

    X_tr, y_tr = data.X_train, data.y_train  # the test split never enters the search
    n = ctx.budgets.get(name, ctx.spec.tune_budget)
    if ctx.spec.execution_mode.is_ibm:
        # the search is simulated locally (submitting every fold would cost QPU time); its
        # circuits are still in the ledger and priced as if run on the device
        cfg = replace(cfg, execution="exact", train_on_hardware=False)
    return measure_repeated(
        ctx.meter, f"{name}-tune",
        lambda _: tune_model(name, cfg, X_tr, y_tr, space=ctx.space, n_candidates=n, folds=ctx.spec.folds,
                             shuffle=ctx.spec.cv_shuffle),
        max_repeats=1, min_duration_s=ctx.spec.min_window_s,
    )


def _tuning_columns(ctx: RunContext, name: str, tuned, carbon: CarbonIntensity, shots: int | None,
                    mitigation: str | None = None) -> dict:
    """The ``tuning`` columns; the search's circuits are priced at the model's priced ``shots``."""
    out = blank_columns("tuning")
    if tuned is None:
        return out
    result, m = tuned
    out.update({
        "tuned": True, "cv_accuracy": result.cv_accuracy, "cv_folds": result.folds,
        "tune_candidates": len(result.candidates), "tune_budget_note": ctx.budget_notes.get(name, ""),
        "tune_method": result.method,
        "tune_seconds": m.wall_s, "tune_cpu_seconds": m.cpu_s, "tune_energy_j": m.total_j,
        "tune_energy_method": m.method, "tune_gco2e": carbon.grams(m.total_j),
        "circuits_tune": result.circuits,
    })
    if get_model(name).quantum and result.entries and shots is not None:
        cost = price_for(ctx.spec, [replace(e, shots=shots) for e in result.entries], ctx.device, mitigation)
        if cost.energy_interval is not None:
            out["hw_energy_tune_j"] = cost.energy_interval.median
    return out


def _kernel_columns(est, data: PreparedData) -> dict:
    gram = getattr(est, "gram_", None)
    if gram is None:
        return blank_columns("kernel")
    from qvc.models.tuning import kernel_diagnostics

    return kernel_diagnostics(gram, data.y_train, len(est.svc_.support_))


def _tuning_record(name: str, seed: int, tuned, row: dict) -> dict:
    """The search's candidates with what each would cost alone (for the report's Pareto front).

    Local: the search's metered energy times the candidate's share of the search's wall time
    (its Gram matrix included for a kernel model). Hardware: the circuits the candidate alone
    needs at the search's modelled energy per circuit.
    """
    result, m = tuned
    wall = m.wall_s if m.wall_s and m.wall_s > 0 else (sum(c.seconds for c in result.candidates) or 1.0)
    hw = row.get("hw_energy_tune_j", np.nan)
    per_circuit = float(hw) / result.circuits if result.circuits and np.isfinite(hw) else np.nan
    cands = []
    for c in result.candidates:
        d = c.to_dict()
        d["local_energy_j"] = m.total_j * min(1.0, c.seconds / wall)
        d["hw_energy_j"] = per_circuit * c.circuits if c.circuits and np.isfinite(per_circuit) else None
        cands.append(d)
    return {
        "model": name, "seed": seed, "pair": row["pair"], "family": row["family"],
        "best": result.best_params, "cv_accuracy": result.cv_accuracy, "method": result.method,
        "kernel_evaluations": result.kernel_evaluations,
        "energy_note": (f"local energy: the search's {m.method} {m.total_j:.4g} J times each candidate's "
                        "share of its wall time; hardware (modelled): the circuits the candidate alone "
                        "needs at the search's mean energy per circuit"),
        "candidates": cands,
    }


def _priced_shots(ctx: RunContext, est: Any, data: PreparedData,
                  y_pred: np.ndarray) -> tuple[int | None, str, float, str]:
    """Shots per circuit to price, the rule that chose them, its tolerance, and why not (if infeasible)."""
    spec = ctx.spec
    if not spec.auto_shots:
        why = ("--shots auto applies to --execution exact or mps; this execution samples with "
               if spec.shots == "auto" else "")
        return spec.simulation_shots, f"fixed: {why}{spec.simulation_shots} shots per circuit", np.nan, ""
    choice = auto_shots_for(est, data.X_train, data.y_train, data.X_test, y_pred,
                            tolerance=spec.shots_tolerance, cap=spec.shots_cap)
    if choice is None:
        return spec.simulation_shots, f"fixed: {spec.simulation_shots} (no auto rule for this model)", np.nan, ""
    if not choice.feasible:
        return None, f"auto: {choice.rule}", choice.tolerance, (
            f"infeasible: no shot count up to {choice.cap} reproduces the exact model")
    return choice.shots, f"auto: {choice.rule}", choice.tolerance, ""


def _ftqc_shots(ctx: RunContext, est: Any, data: PreparedData, y_pred: np.ndarray,
                nisq_shots: int | None, noise_only: bool = True) -> tuple[int | None, str]:
    """Shots per circuit on the fault-tolerant machine, and the rule in words.

    No device noise: the count is the NISQ ``--shots auto`` rule (shot noise alone) wherever the
    model was simulated exactly; otherwise the priced NISQ count.
    """
    spec = ctx.spec
    if spec.auto_shots and not noise_only:  # the NISQ count came from the device-noise search
        shots, rule, _tol, infeasible = _priced_shots(ctx, est, data, y_pred)
        if shots is None:
            return None, infeasible or "declined: no shot count up to the cap reproduces the exact model"
        return shots, f"auto (shot noise alone, no device noise): {rule}"
    if spec.auto_shots:
        if nisq_shots is None:
            return None, "declined: no shot count up to the cap reproduces the exact model"
        return nisq_shots, "auto (shot noise alone, no device noise): the --shots auto rule of the NISQ price"
    if spec.execution_mode.kind in ("exact", "mps"):
        choice = auto_shots_for(est, data.X_train, data.y_train, data.X_test, y_pred,
                                tolerance=spec.shots_tolerance, cap=spec.shots_cap)
        if choice is not None:
            if not choice.feasible:
                return None, f"declined: no shot count up to {choice.cap} reproduces the exact model"
            return choice.shots, f"auto (shot noise alone, no device noise): {choice.rule}"
    return nisq_shots, f"fixed: the priced NISQ count ({nisq_shots}); no shot-noise rule for this execution"


def _ftqc_row(ctx: RunContext, est: Any, data: PreparedData, y_pred: np.ndarray,
              entries: list[LedgerEntry], nisq_shots: int | None, noise_only: bool = True) -> dict:
    """The ``ft_*`` columns of a quantum row (blank unless ``--device ftqc:<name>``).

    ``noise_only``: whether ``nisq_shots`` came from the shot-noise rule (else from the device-noise
    search, and the fault-tolerant count is worked out by the shot-noise rule here).
    """
    if ctx.ftqc is None:
        return blank_columns("ftqc")
    from qvc.energy.ftqc import price_ftqc

    shots, rule = _ftqc_shots(ctx, est, data, y_pred, nisq_shots, noise_only)
    if shots is None or not entries:
        out = blank_columns("ftqc")
        out.update(ft_device=ctx.ftqc.device_name, ft_energy_method="declined: infeasible shots",
                   ft_shots_rule=rule)
        return out
    cost = price_ftqc(entries, ctx.ftqc, shots=shots, mode=ctx.spec.attribution)
    return ftqc_columns(cost, shots_rule=rule)


def _device_search(ctx: RunContext, est: Any, data: PreparedData, accuracy: float,
                   entries: list[LedgerEntry], seed: int = 0) -> tuple[Search | None, str]:
    """The on-device accuracy and the cheapest configuration reaching the target
    (:mod:`qvc.experiment.deviceaccuracy`), or ``None`` and why it is not modelled."""
    from qvc.experiment import deviceaccuracy as da

    spec, device = ctx.spec, ctx.device
    why = da.not_modelled_reason(est, entries, device, spec.execution_mode.kind, data.y_train)
    if why:
        return None, why
    margin = float(spec.equivalence_margin)
    if spec.target_accuracy is not None:
        target, how = float(spec.target_accuracy), "--target-accuracy"
    else:
        target, how = accuracy - margin, f"the exact test accuracy {accuracy:.3f} minus the margin {margin:g}"
    ends = (target - (da.MARGIN_ENDS[0] - 1.0) * margin, target + (1.0 - da.MARGIN_ENDS[1]) * margin)
    noise, mitigations = da._noise_and_overheads(entries, device, spec.mitigation_choices)
    model = da.draws_for(est, data.X_train, data.y_train, data.X_test, data.y_test, noise, spec.noise_model,
                         device, seed=seed)
    energy = energy_of_configurations(spec, entries, device, da.LADDER_START)
    found = da.search(model, mitigations, target=target, targets_of_interest=ends, cap=spec.shots_cap,
                      fixed_shots=None if spec.shots == "auto" else int(spec.shots), energy=energy,
                      noise_model=(spec.noise_model if isinstance(est, QuantumKernelSVC) or spec.noise_model != "aer"
                                   else "esp-depolarizing (aer covers qsvc only)"),
                      target_rule=how, prune=seed != spec.seeds[0])  # the first seed's curves: the figure
    return found, ""


def _device_rule(spec: ExperimentSpec, found: Search) -> str:
    from qvc.experiment.deviceaccuracy import CONFIDENCE

    shots = "the shot ladder 16, 32, ... (device shots per circuit <= " + f"{spec.shots_cap})" \
        if spec.shots == "auto" else f"the fixed {spec.shots} shots"
    return (f"{'auto' if spec.shots == 'auto' else 'fixed'}: least modelled energy over {shots} x mitigation "
            f"({', '.join(found.curves)}) whose expected on-device test accuracy ({found.noise_model} noise, "
            f"{found.draws} seeded draws, one-sided {CONFIDENCE:.0%} lower bound, monotone envelope) reaches "
            f"the target {found.target:.3f} ({found.target_rule})")


def _shot_range_energy(found: Search, mitigation: str) -> dict:
    """The priced energy at ``shots_low`` / ``shots_high`` (the margin's ends), same draws as the search."""
    ends = [s for s in (found.shots_low, found.shots_high)]
    out = {"hw_energy_shots_low_j": np.nan, "hw_energy_shots_high_j": np.nan}
    configs = [(mitigation, int(s)) for s in ends if s is not None]
    if not configs or found.energy_fn is None:
        return out
    energy = found.energy_fn(configs)
    it = iter(energy)
    for key, s in zip(out, ends):
        if s is not None:
            out[key] = next(it)
    return out


@dataclass(frozen=True)
class _Fitted:
    """A fitted model, its metered fit and predict, and the circuits each phase ran."""

    estimator: Any
    fit: Measurement
    predict: Measurement
    y_pred: np.ndarray
    fit_entries: list[LedgerEntry]
    predict_entries: list[LedgerEntry]


def _metered_fit_predict(ctx: RunContext, name: str, built: BuiltModel, data: PreparedData) -> _Fitted:
    """Fit on the training split and predict the test split under the meter.

    Quantum models are never repeated: their circuit ledger would count every repeat,
    and a 40 s fit needs no repeating. Classical fits shorter than the meter's minimum
    window are repeated on fresh clones (built outside the window), so the kept model
    is the first fit and repeats cannot change it.
    """
    spec, meter = ctx.spec, ctx.meter
    template = built.estimator
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
        y_pred, pred_m = measure_repeated(
            meter, f"{name}-predict", lambda _: est.predict(X_te),
            min_duration_s=spec.min_window_s, max_repeats=cap,
        )
    ledger = getattr(est, "ledger_", None)
    # predict leaves ledger_ alone; predict_ledger(X) is what predicting X ran
    return _Fitted(
        estimator=est, fit=fit_m, predict=pred_m, y_pred=y_pred,
        fit_entries=list(ledger.select(phase="fit")) if ledger is not None else [],
        predict_entries=list(est.predict_ledger(X_te).entries) if hasattr(est, "predict_ledger") else [],
    )

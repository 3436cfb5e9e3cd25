"""Experiment specifications: what one run trains, on what, with which settings."""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from qvc._preflight import DEFAULT_MODELS, MODEL_NAMES  # the registry's names (light: no qiskit import)
from qvc._validation import check_choice, check_positive_int, check_statevector_fits
from qvc.errors import QvcUsageError

if TYPE_CHECKING:
    from qvc.quantum.execution import ExecutionMode
    from qvc.record.runfolder import Run

#: Shots a stochastic execution samples with under ``--shots auto`` (the former fixed default).
SIMULATION_SHOTS = 1024


@dataclass
class ExperimentSpec:
    """One matched experiment.

    Parameters
    ----------
    dataset : str
        Bundled dataset name, or the CSV's stem when ``csv_path`` is given.
    qubits : int or None
        Features = qubits; ``None`` uses the dataset's default.
    models : tuple of str
        Any of ``svm``, ``qsvc``, ``mlp``, ``vqc`` (default) and the frontier models.
    frontier : tuple of str
        Classical frontier models added to ``models`` (``("all",)``: every one of
        :data:`~qvc.models.registry.FRONTIER_MODELS`); each is tuned like the pairs and
        the report names the cheapest classical model that matches each quantum model.
    seeds : tuple of int
        One row per model and seed.
    shots : int or "auto"
        Shots per circuit for hardware pricing (and shot-based sampling). ``"auto"``
        (the default) prices the shots a hardware run needs to reproduce the exactly
        simulated model (:mod:`qvc.experiment.autoshots`); stochastic executions
        (``shots``, ``noisy:``, ``ibm:``) then sample, and are priced, at
        :data:`SIMULATION_SHOTS`.
    shots_tolerance : float
        ``auto``: share of test predictions allowed to differ from the exact model (0..1).
    shots_cap : int
        ``auto``: largest shot count priced; above it the row says infeasible.
    device : str
        Device preset that prices the circuit ledger.
    device_file : str or None
        TOML file with more device presets (see ``qvc devices``).
    attribution : str
        Hardware energy attribution, ``attributional`` or ``marginal``.
    mitigation_factor : float
        A further user multiplier on shots (>= 1), on top of ``mitigation``.
    mitigation : str
        Error-mitigation model priced per circuit from the device's error data:
        ``none``, ``zne`` or ``pec`` (see :mod:`qvc.energy.mitigation`).
    host, host_file : str, str or None
        Host preset of the classical side's attribution (see :mod:`qvc.energy.host`).
    execution : str
        Execution mode of the quantum models: ``exact``, ``shots`` or
        ``noisy:<fake backend>`` (see :mod:`qvc.quantum.execution`), or
        ``ibm:<backend>[:session]`` (see :mod:`qvc.quantum.ibm`).
    max_iter : int
        Shared iteration budget of the MLP and the VQC.
    entanglement : str
        Entanglement of the quantum models' ZZ feature map unless ``params`` fixes it:
        ``full`` (default), ``linear``, ``reverse_linear``, ``circular``, ``pairwise``
        or ``sca`` (``linear`` keeps MPS bond dimensions low, see ``--execution mps``).
    test_size : float
    max_samples : int or None
    csv_path, target : str or None
    out_dir : str
        Parent folder of the run folder.
    country : str or None
        ISO 3166 code whose grid carbon intensity prices gCO2e (default: world average).
    carbon_intensity : float or None
        gCO2e/kWh given by the user (overrides the table; not with ``country``).
    idle_baseline_s : float
        Seconds of idle power to measure before the run (RAPL/NVML only; 0 = none).
    min_window_s : float or None
        Shortest window trusted for one fit/predict; shorter ones are repeated
        (default: the meter's resolution).
    max_repeats : int
        Cap on calls when repeating a short fit/predict (1 = never repeat).
    cpu_tdp_table : str or None
        CSV of CPU TDPs (``model,tdp_w,cores,source``) for the estimate.
    ibm_timeout_s : float or None
        With ``execution="ibm:..."``: longest wait for job results (``None``: the default,
        ``$QVC_IBM_TIMEOUT_S`` or 3600 s; ``0``: submit and return).
    train_on_hardware : bool
        With ``execution="ibm:..."``: train the VQC on the backend too (the CLI asks for
        ``--confirm-qpu`` after showing an estimate).
    tune : bool
        Tune each model's hyperparameters by stratified k-fold cross-validation on the
        training split (``False``: the registry's untuned defaults, ``--no-tune``).
    tune_budget : int
        Candidates per model; both models of a pair get the same number (capped by the
        smaller of their grids).
    cv_folds : int
        Folds of the stratified cross-validation (capped by the smallest class's count).
    params : dict
        Fixed hyperparameters ``{model: {name: value}}`` (taken out of the search).
    search_space : str or None
        TOML file of candidate values (default: :data:`qvc.models.hyperparams.DEFAULT_SEARCH_SPACE`).
    target_accuracy : float or None
        Accuracy at which the report compares energies (default: the lower of the pair's).

    ibm_max_qpu_seconds : float or None
        With a real IBM backend: sent with every job as ``max_execution_time`` (the
        service cancels a job that would run longer); the CLI sets it from
        ``--max-qpu-seconds`` after checking the run's estimate against it.

    Every field's command-line flag is in its metadata (:data:`FLAGS`); validation errors
    carry the field name in :attr:`~qvc.errors.QvcUsageError.key`.

    Examples
    --------
    >>> ExperimentSpec("iris", models=("svm",)).validate().models
    ('svm',)
    """

    dataset: str = field(metadata={"flag": "DATASET"})
    qubits: int | None = field(default=None, metadata={"flag": "--qubits"})
    models: tuple[str, ...] = field(default=DEFAULT_MODELS, metadata={"flag": "--models"})
    frontier: tuple[str, ...] = field(default=(), metadata={"flag": "--frontier"})
    seeds: tuple[int, ...] = field(default=(42, 43, 44), metadata={"flag": "--seed"})
    shots: int | str = field(default="auto", metadata={"flag": "--shots"})
    device: str = field(default="ibm_heron", metadata={"flag": "--device"})
    device_file: str | None = field(default=None, metadata={"flag": "--device-file"})
    attribution: str = field(default="attributional", metadata={"flag": "--attribution"})
    mitigation_factor: float = field(default=1.0, metadata={"flag": "--mitigation-factor"})
    mitigation: str = field(default="none", metadata={"flag": "--mitigation"})
    shots_tolerance: float = field(default=0.02, metadata={"flag": "--shots-tolerance"})
    shots_cap: int = field(default=2**20, metadata={"flag": "--shots-cap"})
    host: str = field(default="this_machine", metadata={"flag": "--host"})
    host_file: str | None = field(default=None, metadata={"flag": "--host-file"})
    execution: str = field(default="exact", metadata={"flag": "--execution"})
    max_iter: int = field(default=100, metadata={"flag": "--max-iter"})
    entanglement: str = field(default="full", metadata={"flag": "--entanglement"})
    test_size: float = field(default=0.25, metadata={"flag": "--test-size"})
    max_samples: int | None = field(default=None, metadata={"flag": "--samples"})
    csv_path: str | None = field(default=None, metadata={"flag": "--csv"})
    target: str | None = field(default=None, metadata={"flag": "--target"})
    out_dir: str = field(default="reports", metadata={"flag": "--out"})
    country: str | None = field(default=None, metadata={"flag": "--country"})
    carbon_intensity: float | None = field(default=None, metadata={"flag": "--carbon-intensity"})
    idle_baseline_s: float = field(default=0.0, metadata={"flag": "--idle-baseline"})
    min_window_s: float | None = field(default=None, metadata={"flag": "--min-window"})
    max_repeats: int = field(default=5000, metadata={"flag": "--max-repeats"})
    cpu_tdp_table: str | None = field(default=None, metadata={"flag": "--cpu-tdp-table"})
    ibm_timeout_s: float | None = field(default=None, metadata={"flag": "--ibm-timeout"})
    train_on_hardware: bool = field(default=False, metadata={"flag": "--train-on-hardware"})
    ibm_max_qpu_seconds: float | None = field(default=None, metadata={"flag": "--max-qpu-seconds"})
    tune: bool = field(default=True, metadata={"flag": "--no-tune"})
    tune_budget: int = field(default=8, metadata={"flag": "--tune-budget"})
    cv_folds: int = field(default=3, metadata={"flag": "--cv-folds"})
    params: dict = field(default_factory=dict, metadata={"flag": "--param"})
    search_space: str | None = field(default=None, metadata={"flag": "--search-space"})
    target_accuracy: float | None = field(default=None, metadata={"flag": "--target-accuracy"})

    @property
    def execution_mode(self) -> ExecutionMode:
        """``execution`` parsed (a usage error if it is not a valid mode)."""
        from qvc.quantum.execution import parse_execution

        return parse_execution(self.execution)

    def validate(self) -> ExperimentSpec:
        """Check every field; raise :class:`~qvc.errors.QvcUsageError` naming the bad one (``key``)."""
        from qvc.data import DATASETS
        from qvc.energy.devices import get_device
        from qvc.energy.hardware import ATTRIBUTION_MODES
        from qvc.models.quantum import check_execution
        from qvc.models.registry import QUANTUM_MODELS, get_model
        from qvc.quantum.circuits import ENTANGLEMENTS

        if self.csv_path is None:
            _keyed("dataset", check_choice, self.dataset, DATASETS, "dataset")
        if not self.models:
            raise QvcUsageError("models is empty; give one or more of: " + ",".join(MODEL_NAMES), key="models")
        for m in self.models:
            get_model(m)
        self.frontier = check_frontier(self.frontier)
        self.models = tuple(dict.fromkeys((*self.models, *self.frontier)))
        if not self.seeds:
            raise QvcUsageError("seeds: at least one seed is needed", key="seeds")
        self.seeds = tuple(_keyed("seeds", check_positive_int, s, "seeds", minimum=0) for s in self.seeds)
        _keyed("entanglement", check_choice, self.entanglement, ENTANGLEMENTS, "entanglement")
        mps = str(self.execution).strip().lower().startswith("mps")
        if mps and "vqc" in self.models:
            raise QvcUsageError("the mps execution mode covers the kernel model (qsvc) only; "
                                "drop vqc from --models or use --execution exact", key="execution")
        if self.qubits is not None:
            self.qubits = _keyed("qubits", check_positive_int, self.qubits, "qubits")
            if any(m in QUANTUM_MODELS for m in self.models) and not mps:
                _keyed("qubits", check_statevector_fits, self.qubits)
            if mps and "qsvc" in self.models:  # one MPS at its bond-dimension bound must fit
                from qvc.quantum.circuits import feature_map
                from qvc.quantum.mps import MpsSimulator

                opts = str(self.execution).partition(":")[2] or None
                fmap = feature_map(self.qubits, 2, self.entanglement)
                _keyed("qubits", MpsSimulator(fmap, opts, device=self.device).check_fits, self.max_samples or 1)
        if self.shots != "auto":
            if isinstance(self.shots, str) and self.shots.strip().isdigit():
                self.shots = int(self.shots)
            self.shots = _keyed("shots", check_positive_int, self.shots, "shots")
        from qvc.energy.host import get_host
        from qvc.energy.mitigation import check_mitigation
        from qvc.experiment.autoshots import check_cap, check_tolerance

        self.shots_tolerance = _keyed("shots_tolerance", check_tolerance, self.shots_tolerance)
        self.shots_cap = _keyed("shots_cap", check_cap, self.shots_cap)
        self.mitigation = _keyed("mitigation", check_mitigation, self.mitigation)
        _keyed("host_file" if self.host_file else "host", get_host, self.host, self.host_file)
        self.max_iter = _keyed("max_iter", check_positive_int, self.max_iter, "max_iter")
        if self.max_samples is not None:
            self.max_samples = _keyed("max_samples", check_positive_int, self.max_samples, "max_samples",
                                      minimum=4)
        try:
            test_size = float(self.test_size)
        except (TypeError, ValueError):
            test_size = float("nan")
        if not 0.0 < test_size < 1.0:
            raise QvcUsageError(f"test_size must be between 0 and 1 (got {self.test_size!r})", key="test_size")
        self.test_size = test_size
        _keyed("device_file" if self.device_file else "device", get_device, self.device, self.device_file)
        _keyed("attribution", check_choice, self.attribution, ATTRIBUTION_MODES, "attribution")
        from qvc._validation import check_mitigation_factor

        self.mitigation_factor = _keyed("mitigation_factor", check_mitigation_factor, self.mitigation_factor)
        self.execution = _keyed("execution", check_execution, self.execution)
        if self.ibm_timeout_s is not None:
            from qvc._validation import check_nonnegative_float

            self.ibm_timeout_s = _keyed("ibm_timeout_s", check_nonnegative_float, self.ibm_timeout_s,
                                        "ibm_timeout_s")
        if self.ibm_max_qpu_seconds is not None:
            from qvc._validation import check_nonnegative_float

            self.ibm_max_qpu_seconds = _keyed("ibm_max_qpu_seconds", check_nonnegative_float,
                                              self.ibm_max_qpu_seconds, "ibm_max_qpu_seconds")
        if self.train_on_hardware and not self.execution_mode.is_ibm:
            raise QvcUsageError("train_on_hardware needs execution ibm:<backend>", key="train_on_hardware")
        self._validate_tuning()
        self._validate_energy()
        return self

    def _validate_tuning(self) -> None:
        from qvc.models.hyperparams import check_params, load_search_space

        self.params = check_params(self.params)
        self.tune = bool(self.tune)
        self.tune_budget = _keyed("tune_budget", check_positive_int, self.tune_budget, "tune_budget")
        self.cv_folds = _keyed("cv_folds", check_positive_int, self.cv_folds, "cv_folds", minimum=2)
        if self.tune:
            load_search_space(self.search_space)
        if self.target_accuracy is not None:
            try:
                acc = float(self.target_accuracy)
            except (TypeError, ValueError):
                acc = float("nan")
            if not 0.0 < acc <= 1.0:
                raise QvcUsageError(f"target_accuracy must be in (0, 1] (got {self.target_accuracy!r})",
                                    key="target_accuracy")
            self.target_accuracy = acc

    def _validate_energy(self) -> None:
        from qvc._validation import check_nonnegative_float
        from qvc.energy.carbon import carbon_intensity
        from qvc.energy.meters import load_cpu_tdp_table

        _keyed("carbon_intensity" if self.carbon_intensity is not None else "country",
               carbon_intensity, self.country, self.carbon_intensity)
        self.idle_baseline_s = _keyed("idle_baseline_s", check_nonnegative_float, self.idle_baseline_s,
                                      "idle_baseline_s")
        if self.min_window_s is not None:
            self.min_window_s = _keyed("min_window_s", check_nonnegative_float, self.min_window_s,
                                       "min_window_s")
        self.max_repeats = _keyed("max_repeats", check_positive_int, self.max_repeats, "max_repeats")
        if self.cpu_tdp_table is not None:
            _keyed("cpu_tdp_table", load_cpu_tdp_table, self.cpu_tdp_table)

    @property
    def simulation_shots(self) -> int:
        """Shots the models sample with: the fixed count, or :data:`SIMULATION_SHOTS` with ``auto``."""
        return SIMULATION_SHOTS if self.shots == "auto" else int(self.shots)

    @property
    def auto_shots(self) -> bool:
        """Whether the priced shots are found per model (``--shots auto`` on an exact or MPS execution)."""
        return self.shots == "auto" and self.execution_mode.kind in ("exact", "mps")

    def to_dict(self) -> dict:
        """Plain-JSON form for the metadata."""
        d = asdict(self)
        d["models"], d["seeds"] = list(self.models), list(self.seeds)
        d["frontier"] = list(self.frontier)
        return d


def check_frontier(names) -> tuple[str, ...]:
    """The frontier models named (``True``/``"all"``: every one); unknown or quantum names are usage errors.

    The tuned RBF SVM and MLP of the pairs may be named too.

    Examples
    --------
    >>> check_frontier("logreg,knn")
    ('logreg', 'knn')
    >>> check_frontier(True)[:2]
    ('logreg', 'linsvm')
    """
    from qvc.models.registry import FRONTIER_MODELS, MODELS

    if names is True or names == "all" or names == ("all",) or names == ["all"]:
        return FRONTIER_MODELS
    if names is False or names is None:
        return ()
    if isinstance(names, str):
        names = [t.strip() for t in names.split(",") if t.strip()]
    allowed = [m for m in MODEL_NAMES if not MODELS[m].quantum]
    out = []
    for name in names:
        if not isinstance(name, str) or name not in allowed:
            raise QvcUsageError(f"frontier: unknown classical model {name!r}; choose from: "
                                f"{', '.join(allowed)} (or all)", key="frontier")
        out.append(name)
    return tuple(dict.fromkeys(out))


def _keyed(key: str, check, *args, **kwargs):
    """Run ``check``; a usage error it raises gets ``key`` (the field at fault)."""
    try:
        return check(*args, **kwargs)
    except QvcUsageError as exc:
        if exc.key is None or exc.key != key:
            raise QvcUsageError(str(exc), key=key) from None
        raise


#: Field name -> command-line flag (from each field's metadata).
FLAGS: dict[str, str] = {f.name: f.metadata.get("flag", "") for f in fields(ExperimentSpec)}

#: Field name -> default value (the one place defaults are written).
def _default(f) -> Any:
    if f.default is not MISSING:
        return f.default
    return f.default_factory()


SPEC_DEFAULTS: dict[str, Any] = {
    f.name: _default(f) for f in fields(ExperimentSpec)
    if f.default is not MISSING or f.default_factory is not MISSING
}


def flag_message(exc: QvcUsageError) -> str:
    """The error's message with its leading field name replaced by the command-line flag.

    Examples
    --------
    >>> flag_message(QvcUsageError("max_iter must be >= 1 (got 0)", key="max_iter"))
    '--max-iter must be >= 1 (got 0)'
    """
    text = str(exc)
    flag = FLAGS.get(exc.key or "", "")
    if flag and flag.startswith("-") and text.startswith(f"{exc.key} "):
        return flag + text[len(exc.key or ""):]
    if flag and flag.startswith("-") and text.startswith(f"{exc.key}:"):
        return flag + text[len(exc.key or ""):]
    if exc.key in ("params", "search_space") and flag:
        return f"{flag}: {text}"
    return text


def spec_of_run(run: Run) -> ExperimentSpec:
    """The :class:`ExperimentSpec` recorded in a run folder's metadata (:func:`qvc.record.runfolder.load_run`).

    Keys this qvc does not know are ignored; ``out_dir`` is the folder's parent.
    """
    config = dict(run.metadata.get("config", {}))
    names = {f.name for f in fields(ExperimentSpec)}
    kwargs = {k: v for k, v in config.items() if k in names}
    for key in ("models", "seeds"):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key])
    spec = ExperimentSpec(**kwargs)
    spec.out_dir = str(run.path.parent)
    return spec

"""Experiment specifications: what one run trains, on what, with which settings.

Every field of :class:`ExperimentSpec` declares, once, how it is given from outside Python
(an :class:`Option` in its metadata): its command-line flag and help, its range with the
reason for the bound, and its spec-file key. The ``qvc run`` parser, the argument-only
checks of :mod:`qvc._preflight`, the spec-file schema of :mod:`qvc.experiment.specfile`
and :meth:`ExperimentSpec.validate` all read these declarations (:data:`OPTIONS`).
This module imports nothing heavy (no qiskit, scikit-learn or pandas) at import time.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from qvc._validation import check_choice, check_float, check_positive_int, check_statevector_fits
from qvc.errors import QvcUsageError

if TYPE_CHECKING:
    from qvc.quantum.execution import ExecutionMode
    from qvc.record.runfolder import Run

#: Seeds (random splits) of a run by default: ten, so the corrected accuracy test can resolve a few
#: percentage points (practice for repeated random splits is ten or more; docs/methodology.md).
DEFAULT_SEEDS = tuple(range(42, 52))
#: Shots a stochastic execution samples with under ``--shots auto`` (the former fixed default).
SIMULATION_SHOTS = 1024

# Static copies of the registry's name lists (qvc.models.registry imports scikit-learn and qiskit;
# this module must not). tests/test_reliability.py checks them against the registry.
#: Model names in display order (:data:`qvc.models.registry.MODEL_NAMES`).
MODEL_NAMES = ("svm", "qsvc", "iqp", "pqk", "mlp", "vqc", "reupload", "logreg", "linsvm", "knn", "gnb", "tree",
               "forest")
#: The models of a run by default (:data:`qvc.models.registry.DEFAULT_MODELS`).
DEFAULT_MODELS = ("svm", "qsvc", "mlp", "vqc")
#: The classical frontier models (:data:`qvc.models.registry.FRONTIER_MODELS`).
FRONTIER_MODELS = ("logreg", "linsvm", "knn", "gnb", "tree", "forest")
#: Models that simulate circuits (:data:`qvc.models.registry.QUANTUM_MODELS`).
QUANTUM_MODELS = ("qsvc", "iqp", "pqk", "vqc", "reupload")
#: Quantum models that hold one statevector per sample (the registry's ``statevectors_held(n) == n``).
KERNEL_MODELS = ("qsvc", "iqp", "pqk")

#: How an option's value is written: kind -> spec-file type (in words; see ``specfile``).
#: ``text`` a string, ``int``/``number`` a number, ``shots`` an integer or ``auto``, ``names``
#: comma-separated names, ``ints`` comma-separated integers, ``switch`` a flag without value
#: (``--no-X`` when the default is true), ``params`` repeated ``MODEL.NAME=VALUE``, ``frontier``
#: ``--frontier [MODEL,...]``, ``packing`` an integer, ``auto`` or ``none``.
KIND_FILE_TYPES = {"text": "string", "int": "integer", "number": "number", "shots": "shots", "names": "string",
                   "ints": "integer", "switch": "boolean", "params": "table", "frontier": "frontier",
                   "packing": "packing"}


@dataclass(frozen=True)
class Option:
    """How one :class:`ExperimentSpec` field is given from outside Python: the one declaration of it.

    Attributes
    ----------
    flag : str
        ``qvc run`` flag (``"DATASET"``: the positional argument).
    help : str
        Its ``--help`` text; ``{default}`` becomes the field's default.
    kind : str
        How the value is written (a key of :data:`KIND_FILE_TYPES`).
    metavar : str
        The value's name in ``--help`` (default: from the flag).
    minimum, bound : float or None
        The range checked at every entry point (:func:`check_option`); ``why`` says why the
        bound is where it is (shown when a value exceeds it).
    max_items, why_items : int or None, str
        For a list: most items, and why (a list is never empty).
    distinct : str
        For a list: why its items must differ (empty: repeats allowed).
    file_key : str
        Key in a spec file (``""``: not in spec files); ``file_help`` its meaning there
        (default: ``help``).
    aliases : tuple of str
        Old spellings of ``flag`` still accepted, each with a one-line deprecation message.
    """

    flag: str
    help: str
    kind: str = "text"
    metavar: str = ""
    minimum: float | None = None
    bound: float | None = None
    why: str = ""
    max_items: int | None = None
    why_items: str = ""
    distinct: str = ""
    file_key: str = ""
    file_help: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def integer(self) -> bool:
        """Whether the value (or each item) is an integer."""
        return self.kind in ("int", "ints", "shots", "packing")

    @property
    def file_type(self) -> str:
        """The spec-file type in words."""
        return KIND_FILE_TYPES[self.kind]


def _option(flag: str, help: str, **kwargs: Any) -> dict[str, Option]:
    """A field's metadata: its :class:`Option`."""
    return {"option": Option(flag, help, **kwargs)}


@dataclass(frozen=True)
class Resolved:
    """What a spec's names resolve to (:meth:`ExperimentSpec.resolved`): device and host presets,
    the search space (empty without tuning), the carbon intensity and the CPU TDP table."""

    device: Any
    host: Any
    space: dict
    carbon: Any
    tdp_table: Any = None
    #: The FTQC preset of ``--device ftqc:<name>`` (``device`` is then its NISQ reference), else None.
    ftqc: Any = None


@dataclass
class ExperimentSpec:
    """One matched experiment.

    Parameters
    ----------
    dataset : str
        Bundled dataset name, or the CSV's stem when ``csv_path`` is given.
    qubits : int or None
        Features = qubits; ``None`` uses the dataset's default.
    protocol : str
        ``qvc`` (default) or ``bowles2024``: the study's datasets, split, preprocessing per model,
        5-fold unshuffled CV and grids (:data:`qvc.models.hyperparams.BOWLES2024_SEARCH_SPACE`,
        each searched whole), so the classical rows reproduce its published CV scores.
    manifold_dim, degree, n_hyperplanes : int or None
        The scan parameter of hidden_manifold, two_curves and hyperplanes_parity (``None``: the
        family's default).
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
        ``auto`` (default: the cheapest of ``none``, ``zne`` and ``pec`` whose on-device accuracy
        reaches the target, :mod:`qvc.experiment.deviceaccuracy`), ``none``, ``zne`` or ``pec``
        (see :mod:`qvc.energy.mitigation`).
    noise_model : str
        Device noise model of the on-device accuracy (:mod:`qvc.energy.noise`):
        ``esp-depolarizing`` (default) or ``aer``.
    host, host_file : str, str or None
        Host preset of the classical side's attribution (see :mod:`qvc.energy.host`).
    execution : str
        Execution mode of the quantum models: ``exact``, ``shots`` or
        ``noisy:<fake backend>`` (see :mod:`qvc.quantum.execution`), or
        ``ibm:<backend>[:session]`` (see :mod:`qvc.quantum.ibm`).
    max_iter : int
        Shared iteration budget of the MLP and the VQC.
    threads : int
        Threads of the statevector engine for the kernel model (state build and Gram step);
        default 1. Each row records it (``threads``).
    entanglement : str
        Entanglement of the quantum models' ZZ feature map unless ``params`` fixes it:
        ``full`` (default), ``linear``, ``reverse_linear``, ``circular``, ``pairwise``
        or ``sca`` (``linear`` keeps MPS bond dimensions low, see ``--execution mps``).
    test_size : float
    samples : int or None
        Stratified subsample size before the split (``None``: all samples). Formerly
        ``max_samples``, still accepted with a deprecation message.
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
        Folds of the stratified cross-validation (at most the smallest class's count in the training
        split: checked before the run folder).
    params : dict
        Fixed hyperparameters ``{model: {name: value}}`` (taken out of the search).
    search_space : str or None
        TOML file of candidate values (default: :data:`qvc.models.hyperparams.DEFAULT_SEARCH_SPACE`).
    target_accuracy : float or None
        Accuracy at which the report compares energies (default: the lower of the pair's).
    equivalence_margin : float
        Accuracy difference (absolute) within which two models count as equivalent: the
        margin of the equivalence tests and of the default target accuracy, in (0, 1).

    ibm_max_qpu_seconds : float or None
        With a real IBM backend: sent with every job as ``max_execution_time`` (the
        service cancels a job that would run longer); the CLI sets it from
        ``--max-qpu-seconds`` after checking the run's estimate against it.

    Every field's flag, help, range and spec-file key are in its metadata (an :class:`Option`,
    all of them in :data:`OPTIONS`); :meth:`validate` enforces the declared ranges, and its
    errors carry the field name in :attr:`~qvc.errors.QvcUsageError.key`.

    Examples
    --------
    >>> ExperimentSpec("iris", models=("svm",)).validate().models
    ('svm',)
    """

    dataset: str = field(metadata=_option(
        "DATASET", "bundled dataset (see 'qvc datasets')", file_key="dataset", file_help="bundled dataset name"))
    qubits: int | None = field(default=None, metadata=_option(
        "--qubits", "features = qubits (default: per dataset)", kind="int", minimum=1, file_key="qubits",
        file_help="features = qubits"))
    protocol: str = field(default="qvc", metadata=_option(
        "--protocol", "data and tuning protocol: {default} (default: qvc's own, a fresh draw per seed) or bowles2024 "
        "(Bowles, Ahmed & Schuld 2024 replayed: the study's datasets and 240/60 split, raw features for the "
        "classical models, 5-fold CV, the study's grids; docs/methodology.md)", file_key="protocol",
        file_help="data and tuning protocol: qvc or bowles2024"))
    manifold_dim: int | None = field(default=None, metadata=_option(
        "--manifold-dim", "hidden_manifold: dimension of the hidden manifold (default 6; bowles2024: its scan, "
        "2..20 at 10 qubits)", kind="int", metavar="M", minimum=1, file_key="manifold_dim"))
    degree: int | None = field(default=None, metadata=_option(
        "--degree", "two_curves: degree of the Fourier curves, offset 1/(2 degree) as in the study (default 5; "
        "bowles2024: its scan, 2..20 at 10 qubits)", kind="int", metavar="K", minimum=1, file_key="degree"))
    n_hyperplanes: int | None = field(default=None, metadata=_option(
        "--n-hyperplanes", "hyperplanes_parity: hyperplanes whose parity is the label (default 2; bowles2024: "
        "its scan, 2..20 at 10 qubits)", kind="int", metavar="H", minimum=1, file_key="n_hyperplanes"))
    models: tuple[str, ...] = field(default=DEFAULT_MODELS, metadata=_option(
        "--models", f"comma-separated subset of {','.join(MODEL_NAMES)} (default: {{default}})", kind="names",
        file_key="models"))
    frontier: tuple[str, ...] = field(default=(), metadata=_option(
        "--frontier", "add the classical frontier models (all, or a comma-separated list of "
        f"{','.join(FRONTIER_MODELS)}); the report names the cheapest classical model that matches each "
        "quantum model", kind="frontier", metavar="MODEL,...", file_key="frontier",
        file_help='true (every classical frontier model) or a list of them, e.g. ["logreg", "knn"]: added to '
                  "every grid's models"))
    seeds: tuple[int, ...] = field(default=DEFAULT_SEEDS, metadata=_option(
        "--seeds", "seed, or comma-separated seeds (default {default})", kind="ints", minimum=0, bound=2**32 - 1,
        why="NumPy and scikit-learn seeds are 32-bit unsigned integers",
        max_items=1_000, why_items="each seed is a full run of every model",
        distinct="a repeated seed repeats the same split and initialisation: it would be run once but counted twice",
        file_key="seeds", file_help="seed of split, initialisation and sampling", aliases=("--seed",)))
    shots: int | str = field(default="auto", metadata=_option(
        "--shots", "shots per circuit priced for hardware: {default} (default: on a device with error rates, the "
        "cheapest shots x mitigation whose on-device accuracy reaches the target; else the shots that reproduce "
        "the exact model's predictions; see docs/methodology.md) or a number", kind="shots", minimum=1, bound=10**9,
        why="10^9 shots of one circuit already take over a day of QPU time at ~100 us per shot; "
            "price larger workloads with more circuits instead",
        file_key="shots", file_help='shots per circuit for hardware pricing: an integer, or "auto" (the fewest '
                                    "that reproduce the simulated model's test predictions; exact and mps "
                                    "executions)"))
    device: str = field(default="ibm_heron", metadata=_option(
        "--device", "device preset, or ftqc:<qubit model> for the fault-tolerant projection beside its NISQ "
        "reference preset (default {default})", file_key="device",
        file_help="device preset that prices the ledger, or ftqc:<qubit model or FTQC preset>"))
    device_file: str | None = field(default=None, metadata=_option(
        "--device-file", "TOML file with more device presets", file_key="device_file"))
    attribution: str = field(default="attributional", metadata=_option(
        "--attribution", "energy attribution of both sides: {default} (default; whole machine / host share, same "
        "PUE) or marginal (what the work adds, PUE 1)", file_key="attribution",
        file_help="hardware energy attribution: attributional or marginal"))
    mitigation_factor: float = field(default=1.0, metadata=_option(
        "--mitigation-factor", "a further user multiplier on shots (default {default})", kind="number", minimum=1.0,
        bound=10_000.0, why="error mitigation multiplies the shots; beyond 10^4 no QPU budget covers it",
        file_key="mitigation_factor", file_help="error-mitigation sampling multiplier on shots (>= 1)"))
    mitigation: str = field(default="auto", metadata=_option(
        "--mitigation", "error-mitigation model priced from each circuit's error data: {default} (default: the "
        "cheapest of none, zne and pec whose on-device accuracy reaches the target), none, zne or pec",
        file_key="mitigation",
        file_help="error-mitigation model priced per circuit: auto (the cheapest that reaches the target), "
                  "none, zne or pec"))
    noise_model: str = field(default="esp-depolarizing", metadata=_option(
        "--noise-model", "device noise model of the on-device accuracy: {default} (default: each circuit's "
        "gate success probability as a global depolarising weight plus readout flips) or aer (Aer density "
        "matrix with the fake backend's noise model, up to 5 qubits)"))
    packing: int | str = field(default="none", metadata=_option(
        "--packing", "copies of each circuit run side by side on disjoint qubits of the device, one job: {default} "
        "(default), auto (as many as the coupling map holds) or a number (capped there); the report shows the "
        "packed figure beside the default either way", kind="packing", minimum=1, bound=10_000,
        why="each copy needs at least one qubit and no device preset has 10^4 qubits"))
    utilisation: float = field(default=1.0, metadata=_option(
        "--utilisation", "share of the machine's idle power charged to the job, in (0, 1] (default {default}: the "
        "whole machine; attributional mode); the report shows a shared-machine figure beside the default either "
        "way", kind="number", metavar="U", minimum=0.0, bound=1.0,
        why="a share of the machine lies in (0, 1]"))
    shots_tolerance: float = field(default=0.02, metadata=_option(
        "--shots-tolerance", "--shots auto: share of test predictions allowed to differ from exact (default "
        "{default})", kind="number", file_key="shots_tolerance",
        file_help='shots = "auto": share of test predictions allowed to differ (0..1)'))
    shots_cap: int = field(default=2**20, metadata=_option(
        "--shots-cap", "--shots auto: largest shot count priced; above it the run is infeasible (default "
        "{default})", kind="int", file_key="shots_cap",
        file_help='shots = "auto": largest shot count priced (above it: infeasible, declined)'))
    host: str = field(default="this_machine", metadata=_option(
        "--host", "host preset of the classical side's attribution: {default} (default) or server_2s, or one from "
        "--host-file", file_key="host"))
    host_file: str | None = field(default=None, metadata=_option(
        "--host-file", "TOML file with more host presets", file_key="host_file"))
    execution: str = field(default="exact", metadata=_option(
        "--execution", "quantum execution mode: {default} (default), shots, noisy:<fake backend> (e.g. "
        "noisy:fake_torino), ibm:<backend>[:session] or mps[:chi=D,trunc=T,fidelity=F|matched] (qsvc only)",
        file_key="execution", file_help="execution mode of the quantum models (a list: each applicable simulator "
                                        "is measured per point; inapplicable ones are skipped)"))
    max_iter: int = field(default=100, metadata=_option(
        "--max-iter", "shared iteration budget of mlp and vqc (default {default})", kind="int", minimum=1,
        bound=100_000, why="the shared budget bounds the MLP's and the VQC's optimiser; 10^5 steps already take days",
        file_key="max_iter"))
    threads: int = field(default=1, metadata=_option(
        "--threads", "threads of the statevector engine for the kernel (qsvc): state build and Gram step; "
        "default {default}, one core, which keeps a metered window's energy attributable on a shared machine",
        kind="int", minimum=1, bound=1024, why="more threads than any single host has cores",
        file_key="threads"))
    entanglement: str = field(default="full", metadata=_option(
        "--entanglement", "entanglement of the quantum models' ZZ feature map: {default} (default), linear, "
        "reverse_linear, circular, pairwise, sca, or none (no two-qubit gates: the no-entanglement control; "
        "a --param MODEL.entanglement wins)", file_key="entanglement"))
    feature_map: str | None = field(default=None, metadata=_option(
        "--feature-map", "your own feature map for qsvc, pqk and vqc: module:function (importable, returns a "
        "qiskit QuantumCircuit with one parameter per feature) or an OpenQASM 3 file with 'input' parameters",
        metavar="SOURCE", file_key="feature_map"))
    ansatz: str | None = field(default=None, metadata=_option(
        "--ansatz", "your own VQC ansatz: module:function or an OpenQASM 3 file (every parameter a weight)",
        metavar="SOURCE", file_key="ansatz"))
    test_size: float = field(default=0.25, metadata=_option(
        "--test-size", "held-out fraction ({default})", kind="number", file_key="test_size"))
    samples: int | None = field(default=None, metadata=_option(
        "--samples", "subsample to at most N samples", kind="int", minimum=4, file_key="samples",
        file_help="stratified subsample size before the split (omit: all)"))
    csv_path: str | None = field(default=None, metadata=_option(
        "--csv", "a CSV file to use instead of a bundled dataset", metavar="CSV_PATH"))
    target: str | None = field(default=None, metadata=_option("--target", "label column of --csv"))
    out_dir: str = field(default="reports", metadata=_option(
        "--out", "parent folder of the run folder", file_key="out_dir"))
    country: str | None = field(default=None, metadata=_option(
        "--country", "ISO 3166 code whose grid carbon intensity prices gCO2e (see 'qvc carbon')", metavar="ISO",
        file_key="country"))
    carbon_intensity: float | None = field(default=None, metadata=_option(
        "--carbon-intensity", "grid carbon intensity in gCO2e/kWh (default: world average 475)", kind="number",
        metavar="G_PER_KWH", minimum=0.0, bound=2000.0,
        why="no grid is dirtier than its dirtiest fuel: life-cycle coal is about 740-1,690 gCO2e/kWh (IPCC AR5 "
            "WG3 Annex III, range as recalled: unverified) and the highest country in 'qvc carbon' is 716; "
            "2,000 leaves room", file_key="carbon_intensity",
        file_help="grid carbon intensity in gCO2e/kWh (overrides country)"))
    idle_baseline_s: float = field(default=0.0, metadata=_option(
        "--idle-baseline", "measure idle power first (RAPL/NVML only) and report above-idle energy", kind="number",
        metavar="SECONDS", minimum=0.0, bound=86_400.0, why="one day at most"))
    min_window_s: float | None = field(default=None, metadata=_option(
        "--min-window", "repeat a fit/predict shorter than this (default: the meter's resolution)", kind="number",
        metavar="SECONDS", minimum=0.0, bound=86_400.0, why="one day at most"))
    max_repeats: int = field(default=5000, metadata=_option(
        "--max-repeats", "cap on calls when repeating a short fit/predict (1 = never; default {default})",
        kind="int", metavar="N", minimum=1, bound=1_000_000, why="each repeat is one more metered fit or predict"))
    cpu_tdp_table: str | None = field(default=None, metadata=_option(
        "--cpu-tdp-table", "CSV 'model,tdp_w,cores,source' of CPU TDPs for the estimate", metavar="CSV"))
    ibm_timeout_s: float | None = field(default=None, metadata=_option(
        "--ibm-timeout", "seconds to wait for job results (default 3600; 0 = submit and return; 'qvc ibm fetch "
        "RUN' collects them later)", kind="number", minimum=0.0, bound=7 * 86_400.0,
        why="a week at most; 'qvc ibm fetch RUN' collects jobs later"))
    train_on_hardware: bool = field(default=False, metadata=_option(
        "--train-on-hardware", "train the VQC on the backend too (shows a QPU-time estimate; needs --confirm-qpu)",
        kind="switch"))
    ibm_max_qpu_seconds: float | None = field(default=None, metadata=_option(
        "--max-qpu-seconds", "QPU-time budget of a run on a real backend: the run's estimate must fit (else "
        "--confirm-qpu) and every job gets it as max_execution_time (default 600, the Open plan's monthly "
        "minutes)", kind="number", metavar="S", minimum=0.0))
    tune: bool = field(default=True, metadata=_option(
        "--no-tune", "keep the registry's untuned defaults (no search)", kind="switch", file_key="tune",
        file_help="tune hyperparameters by CV on the training split"))
    tune_budget: int = field(default=8, metadata=_option(
        "--tune-budget", "candidates per model, the same for both of a pair (default {default})", kind="int",
        metavar="N", minimum=1, file_key="tune_budget"))
    cv_folds: int = field(default=3, metadata=_option(
        "--cv-folds", "stratified CV folds (default {default})", kind="int", metavar="K", minimum=2,
        file_key="cv_folds"))
    params: dict = field(default_factory=dict, metadata=_option(
        "--param", "fix a hyperparameter (repeatable), e.g. qsvc.bandwidth=0.1; it is taken out of the search",
        kind="params", metavar="MODEL.NAME=VALUE", file_key="params",
        file_help="fixed hyperparameters: [params.MODEL] NAME = VALUE"))
    search_space: str | None = field(default=None, metadata=_option(
        "--search-space", "TOML file of candidate values (default: qvc/models/search_space.toml)", metavar="FILE",
        file_key="search_space"))
    target_accuracy: float | None = field(default=None, metadata=_option(
        "--target-accuracy", "accuracy at which the report compares energies (default: the lower of each pair's "
        "tuned accuracies)", kind="number", metavar="A"))
    equivalence_margin: float = field(default=0.05, metadata=_option(
        "--equivalence-margin", "accuracy difference (absolute, 0..1) within which two models count as "
        "equivalent, for the equivalence tests and the default target accuracy (default {default})", kind="number",
        metavar="M", minimum=0.0, bound=1.0, why="an accuracy difference lies between 0 and 1",
        file_key="equivalence_margin",
        file_help="accuracy difference within which two models count as equivalent; also the device-accuracy "
                  "search's target: the exact test accuracy minus it (default 0.05)"))

    @property
    def execution_mode(self) -> ExecutionMode:
        """``execution`` parsed (a usage error if it is not a valid mode)."""
        from qvc.quantum.execution import parse_execution

        return parse_execution(self.execution)

    def validate(self) -> ExperimentSpec:
        """Check every field; raise :class:`~qvc.errors.QvcUsageError` naming the bad one (``key``)."""
        from qvc.data import DATASETS
        from qvc.energy.hardware import ATTRIBUTION_MODES
        from qvc.models.quantum import check_execution
        from qvc.models.registry import MODELS, QUANTUM_MODELS, get_model
        from qvc.quantum.circuits import ENTANGLEMENTS

        if self.csv_path is None:
            _keyed("dataset", check_choice, self.dataset, DATASETS, "dataset")
        if not self.models:
            raise QvcUsageError("models is empty; give one or more of: " + ",".join(MODEL_NAMES), key="models")
        for m in self.models:
            get_model(m)
        self.frontier = check_frontier(self.frontier)
        self.models = tuple(dict.fromkeys((*self.models, *self.frontier)))
        self.seeds = _keyed("seeds", check_option, "seeds", self.seeds)
        _keyed("entanglement", check_choice, self.entanglement, ENTANGLEMENTS, "entanglement")
        from qvc.models.hyperparams import check_params

        self.params = check_params(self.params)  # before the MPS guard: a fixed entanglement wins
        self._validate_user_circuits()
        from qvc.quantum.execution import parse_execution

        kind = _keyed("execution", parse_execution, self.execution).kind
        mps = kind == "mps"
        quantum = [get_model(m) for m in self.models if get_model(m).quantum]
        unsupported = [e.name for e in quantum if not e.supports(kind)]
        if unsupported:
            covered = [e.name for e in MODELS.values() if e.quantum and e.supports(kind)]
            raise QvcUsageError(f"the {kind} execution mode covers {', '.join(covered) or 'no quantum model'} only; "
                                f"drop {', '.join(unsupported)} from --models or use --execution exact",
                                key="execution")
        if self.qubits is not None:
            self.qubits = _keyed("qubits", check_option, "qubits", self.qubits)
            if any(m in QUANTUM_MODELS for m in self.models) and not mps:
                _keyed("qubits", check_statevector_fits, self.qubits)
            for entry in (e for e in quantum if mps and e.statevectors_held(2) > 1):  # MPS at the bond bound must fit
                from qvc.quantum.circuits import feature_map
                from qvc.quantum.mps import MpsSimulator

                opts = str(self.execution).partition(":")[2] or None
                fmap = feature_map(self.qubits, 2, self.feature_map_entanglement(entry.name))
                _keyed("qubits", MpsSimulator(fmap, opts).check_fits, self.samples or 1)
        if self.shots != "auto":
            if isinstance(self.shots, str) and self.shots.strip().isdigit():
                self.shots = int(self.shots)
            self.shots = _keyed("shots", check_option, "shots", self.shots)
        from qvc.energy.host import get_host
        from qvc.energy.mitigation import check_mitigation
        from qvc.experiment.autoshots import check_cap, check_tolerance

        self.shots_tolerance = _keyed("shots_tolerance", check_tolerance, self.shots_tolerance)
        self.shots_cap = _keyed("shots_cap", check_cap, self.shots_cap)
        if self.mitigation != "auto":
            self.mitigation = _keyed("mitigation", check_mitigation, self.mitigation)
        from qvc.energy.noise import check_noise_model

        self.noise_model = _keyed("noise_model", check_noise_model, self.noise_model)
        self.packing = _keyed("packing", check_packing, self.packing)
        self.utilisation = _keyed("utilisation", check_utilisation, self.utilisation)
        host = _keyed("host_file" if self.host_file else "host", get_host, self.host, self.host_file)
        self.max_iter = _keyed("max_iter", check_option, "max_iter", self.max_iter)
        self.threads = _keyed("threads", check_option, "threads", self.threads)
        if self.samples is not None:
            self.samples = _keyed("samples", check_option, "samples", self.samples)
        try:
            test_size = float(self.test_size)
        except (TypeError, ValueError):
            test_size = float("nan")
        if not 0.0 < test_size < 1.0:
            raise QvcUsageError(f"test_size must be between 0 and 1 (got {self.test_size!r})", key="test_size")
        self.test_size = test_size
        from qvc.energy.ftqc import resolve_device

        device, ftqc = _keyed("device_file" if self.device_file else "device", resolve_device, self.device,
                              self.device_file)
        _keyed("attribution", check_choice, self.attribution, ATTRIBUTION_MODES, "attribution")
        from qvc._validation import check_mitigation_factor

        self.mitigation_factor = _keyed("mitigation_factor", check_mitigation_factor, self.mitigation_factor)
        self.mitigation_factor = _keyed("mitigation_factor", check_option, "mitigation_factor",
                                        self.mitigation_factor)
        self.execution = _keyed("execution", check_execution, self.execution)
        if self.ibm_timeout_s is not None:
            self.ibm_timeout_s = _keyed("ibm_timeout_s", check_option, "ibm_timeout_s", self.ibm_timeout_s)
        if self.ibm_max_qpu_seconds is not None:
            self.ibm_max_qpu_seconds = _keyed("ibm_max_qpu_seconds", check_option, "ibm_max_qpu_seconds",
                                              self.ibm_max_qpu_seconds)
        if self.train_on_hardware and not self.execution_mode.is_ibm:
            raise QvcUsageError("train_on_hardware needs execution ibm:<backend>", key="train_on_hardware")
        space = self._validate_tuning()
        carbon, tdp_table = self._validate_energy()
        self._resolved = (self._resolution_key(), Resolved(device, host, space, carbon, tdp_table, ftqc))
        return self

    def _validate_user_circuits(self) -> None:
        """``--feature-map`` / ``--ansatz``: the circuit loads, and a model of the run takes it."""
        from qvc.models.registry import get_model
        from qvc.quantum.usercircuit import check_circuit_source

        for key in ("feature_map", "ansatz"):
            source = getattr(self, key)
            if source is None:
                continue
            takers = [m for m in self.models if key in get_model(m).user_circuits]
            if not takers:
                from qvc.models.registry import MODELS

                can = ", ".join(m.name for m in MODELS.values() if key in m.user_circuits)
                raise QvcUsageError(f"--{key.replace('_', '-')} applies to {can}; none of them is in --models",
                                    key=key)
            _keyed(key, check_circuit_source, str(source), self.qubits, key)

    def _resolution_key(self) -> tuple:
        return (self.device, self.device_file, self.host, self.host_file, self.tune, self.search_space,
                self.protocol, self.country, self.carbon_intensity, self.cpu_tdp_table)

    def resolved(self) -> Resolved:
        """The presets, search space, carbon intensity and TDP table this spec names, resolved once.

        :meth:`validate` resolves them while it checks them; the run (``RunContext.for_spec``)
        takes that result instead of reading the files again. A spec changed since (or never
        validated) is resolved anew.
        """
        cached = getattr(self, "_resolved", None)
        if cached is not None and cached[0] == self._resolution_key():
            return cached[1]
        from qvc.energy.carbon import carbon_intensity
        from qvc.energy.ftqc import resolve_device
        from qvc.energy.host import get_host
        from qvc.energy.meters import load_cpu_tdp_table
        from qvc.models.hyperparams import protocol_search_space

        device, ftqc = resolve_device(self.device, self.device_file)
        out = Resolved(device, get_host(self.host, self.host_file),
                       protocol_search_space(self.protocol, self.search_space) if self.tune else {},
                       carbon_intensity(self.country, self.carbon_intensity),
                       None if self.cpu_tdp_table is None else load_cpu_tdp_table(self.cpu_tdp_table), ftqc)
        self._resolved = (self._resolution_key(), out)
        return out

    def _validate_protocol(self) -> None:
        """The protocol's name, the data parameters' family, and what ``bowles2024`` fixes itself."""
        from qvc.data import PROTOCOLS
        from qvc.data.benchmarks import FAMILY_PARAMETERS

        _keyed("protocol", check_choice, self.protocol, PROTOCOLS, "protocol")
        for key in DATA_PARAMETERS:
            value = getattr(self, key)
            if value is None:
                continue
            setattr(self, key, _keyed(key, check_option, key, value))
            owner = [f for f, (p, _) in FAMILY_PARAMETERS.items() if p == key][0]
            if self.csv_path is not None or self.dataset != owner:
                raise QvcUsageError(f"{key} applies to {owner}, not {self.dataset}", key=key)
        if self.protocol != "bowles2024":
            return
        fixed = {"test_size": (0.2, "the study's 240/60 split"), "cv_folds": (5, "the study's 5-fold CV")}
        for key, (value, why) in fixed.items():
            given = getattr(self, key)
            if given not in (SPEC_DEFAULTS[key], value):
                raise QvcUsageError(f"{key} is fixed by protocol bowles2024 ({why}: {value}); drop it (got {given})",
                                    key=key)
        for key, why in (("samples", "the study's 300 samples"), ("search_space", "the study's grids"),
                         ("csv_path", "the study's generated datasets")):
            if getattr(self, key) is not None:
                raise QvcUsageError(f"{key} cannot be given with protocol bowles2024, which uses {why}", key=key)

    @property
    def data_params(self) -> dict:
        """The scan parameters given (``manifold_dim``, ``degree``, ``n_hyperplanes``), for the data."""
        return {k: getattr(self, k) for k in DATA_PARAMETERS if getattr(self, k) is not None}

    @property
    def folds(self) -> int:
        """Cross-validation folds of the search: ``cv_folds``, or the study's 5 under ``bowles2024``."""
        return 5 if self.protocol == "bowles2024" else int(self.cv_folds)

    @property
    def cv_shuffle(self) -> bool:
        """Whether the CV folds are shuffled (``bowles2024``: no, scikit-learn's ``cv=5`` as the study)."""
        return self.protocol != "bowles2024"

    def prepare(self, seed: int):
        """The :class:`~qvc.data.PreparedData` of ``seed`` under this spec's dataset, protocol and parameters."""
        from qvc.data import prepare_dataset

        return prepare_dataset(
            self.dataset, n_features=self.qubits, seed=seed, test_size=self.test_size, max_samples=self.samples,
            csv_path=self.csv_path, target=self.target, protocol=self.protocol, data_params=self.data_params,
        )

    def _validate_tuning(self) -> dict:
        from qvc.models.hyperparams import check_params, protocol_search_space

        self.params = check_params(self.params)
        self.tune = bool(self.tune)
        self.tune_budget = _keyed("tune_budget", check_option, "tune_budget", self.tune_budget)
        self.cv_folds = _keyed("cv_folds", check_option, "cv_folds", self.cv_folds)
        self._validate_protocol()
        space = protocol_search_space(self.protocol, self.search_space) if self.tune else {}
        uncovered = [m for m in self.models if self.tune and m not in space]
        if uncovered:
            where = self.search_space or "the default search space"
            raise QvcUsageError(
                f"search space {where} has no table for {', '.join(uncovered)}, which this run tunes; add a "
                f"[{uncovered[0]}] table (NAME = [values]), drop it from --models, or use --no-tune",
                key="search_space")
        if self.target_accuracy is not None:
            try:
                acc = float(self.target_accuracy)
            except (TypeError, ValueError):
                acc = float("nan")
            if not 0.0 < acc <= 1.0:
                raise QvcUsageError(f"target_accuracy must be in (0, 1] (got {self.target_accuracy!r})",
                                    key="target_accuracy")
            self.target_accuracy = acc
        margin = _keyed("equivalence_margin", check_option, "equivalence_margin", self.equivalence_margin)
        if not 0.0 < margin < 1.0:
            raise QvcUsageError(f"equivalence_margin must be in (0, 1) (got {self.equivalence_margin!r}); "
                                "give an accuracy difference such as 0.02 or 0.05", key="equivalence_margin")
        self.equivalence_margin = margin
        return space

    def _validate_energy(self) -> tuple:
        from qvc.energy.carbon import carbon_intensity
        from qvc.energy.meters import load_cpu_tdp_table

        if self.carbon_intensity is not None:
            self.carbon_intensity = _keyed("carbon_intensity", check_option, "carbon_intensity",
                                           self.carbon_intensity)
        carbon = _keyed("carbon_intensity" if self.carbon_intensity is not None else "country",
                        carbon_intensity, self.country, self.carbon_intensity)
        self.idle_baseline_s = _keyed("idle_baseline_s", check_option, "idle_baseline_s", self.idle_baseline_s)
        if self.min_window_s is not None:
            self.min_window_s = _keyed("min_window_s", check_option, "min_window_s", self.min_window_s)
        self.max_repeats = _keyed("max_repeats", check_option, "max_repeats", self.max_repeats)
        tdp_table = None
        if self.cpu_tdp_table is not None:
            tdp_table = _keyed("cpu_tdp_table", load_cpu_tdp_table, self.cpu_tdp_table)
        return carbon, tdp_table

    def feature_map_entanglement(self, model: str = "qsvc") -> str:
        """The entanglement ``model``'s feature map runs with: a fixed ``params`` value wins over ``entanglement``.

        Examples
        --------
        >>> ExperimentSpec("iris", params={"qsvc": {"entanglement": "linear"}}).feature_map_entanglement()
        'linear'
        >>> ExperimentSpec("iris", entanglement="circular").feature_map_entanglement("vqc")
        'circular'
        """
        fixed = self.params.get(model) if isinstance(self.params, dict) else None
        value = fixed.get("entanglement") if isinstance(fixed, dict) else None
        return self.entanglement if value is None else str(value)

    @property
    def simulation_shots(self) -> int:
        """Shots the models sample with: the fixed count, or :data:`SIMULATION_SHOTS` with ``auto``."""
        return SIMULATION_SHOTS if self.shots == "auto" else int(self.shots)

    @property
    def priced_mitigation(self) -> str:
        """The mitigation a pricing call without a searched choice uses (``auto`` prices as ``none``)."""
        return "none" if self.mitigation == "auto" else self.mitigation

    @property
    def mitigation_choices(self) -> tuple[str, ...]:
        """The mitigations the on-device search may pick: all with ``auto``, else the one given."""
        from qvc.energy.mitigation import MITIGATION_MODELS

        return tuple(MITIGATION_MODELS) if self.mitigation == "auto" else (self.mitigation,)

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


def check_packing(value: object) -> int | str:
    """``--packing``: ``auto``, ``none`` or a number of copies in its declared range.

    Examples
    --------
    >>> check_packing("AUTO"), check_packing(" none"), check_packing("3")
    ('auto', 'none', 3)
    """
    if isinstance(value, str) and value.strip().lower() in ("auto", "none"):
        return value.strip().lower()
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise QvcUsageError(f"packing must be auto, none or a number of copies (got {value!r})") from None
    return check_option("packing", value)


def check_utilisation(value: object) -> float:
    """``--utilisation``: a share in (0, 1] (its declared range, zero excluded).

    Examples
    --------
    >>> check_utilisation("0.5")
    0.5
    """
    share = check_option("utilisation", value)
    if not share > 0.0:
        raise QvcUsageError(f"utilisation must be in (0, 1] (got {value!r}): a share of the machine lies in "
                            "(0, 1]; give e.g. 0.5")
    return share


def _keyed(key: str, check, *args, **kwargs):
    """Run ``check``; a usage error it raises gets ``key`` (the field at fault)."""
    try:
        return check(*args, **kwargs)
    except QvcUsageError as exc:
        if exc.key is None or exc.key != key:
            raise QvcUsageError(str(exc), key=key) from None
        raise


#: The generated families' scan parameters (fields of :class:`ExperimentSpec`).
DATA_PARAMETERS = ("manifold_dim", "degree", "n_hyperplanes")

#: Field name -> its :class:`Option` (each field's metadata): the one declaration of each option.
OPTIONS: dict[str, Option] = {f.name: f.metadata["option"] for f in fields(ExperimentSpec)}

#: Old Python names of :class:`ExperimentSpec` fields -> their name now. Accepted as keyword
#: arguments and attributes with a deprecation message (:func:`deprecation_line`); a run folder's
#: recorded config may carry them (:func:`spec_of_run` reads them silently).
DEPRECATED_NAMES: dict[str, str] = {"max_samples": "samples"}


def deprecation_line(old: str, new: str) -> str:
    """The one line said when an old spelling is used.

    Examples
    --------
    >>> deprecation_line("--seed", "--seeds")
    "'--seed' is deprecated: use '--seeds' (same meaning); the old spelling will be removed"
    """
    return f"{old!r} is deprecated: use {new!r} (same meaning); the old spelling will be removed"


def _warn_renamed(old: str) -> None:
    import warnings

    warnings.warn(deprecation_line(old, DEPRECATED_NAMES[old]), FutureWarning, stacklevel=3)


_dataclass_init = ExperimentSpec.__init__


def _init_accepting_old_names(self: ExperimentSpec, *args: Any, **kwargs: Any) -> None:
    for old, new in DEPRECATED_NAMES.items():
        if old in kwargs:
            _warn_renamed(old)
            if new in kwargs:
                raise QvcUsageError(f"give {new} only ({old} is its old name)", key=new)
            kwargs[new] = kwargs.pop(old)
    _dataclass_init(self, *args, **kwargs)


_init_accepting_old_names.__wrapped__ = _dataclass_init  # type: ignore[attr-defined]  # signature: the fields
_init_accepting_old_names.__doc__ = _dataclass_init.__doc__
ExperimentSpec.__init__ = _init_accepting_old_names  # type: ignore[method-assign]


def _renamed_property(old: str) -> property:
    new = DEPRECATED_NAMES[old]

    def get(self: ExperimentSpec) -> Any:
        _warn_renamed(old)
        return getattr(self, new)

    def put(self: ExperimentSpec, value: Any) -> None:
        _warn_renamed(old)
        setattr(self, new, value)

    return property(get, put, doc=f"Deprecated name of :attr:`{new}`.")


for _old in DEPRECATED_NAMES:
    setattr(ExperimentSpec, _old, _renamed_property(_old))

#: Field name -> command-line flag (from :data:`OPTIONS`).
FLAGS: dict[str, str] = {name: opt.flag for name, opt in OPTIONS.items()}


def _default(f) -> Any:
    """A field's default value (the one place defaults are written)."""
    if f.default is not MISSING:
        return f.default
    return f.default_factory()


#: Field name -> default value.
SPEC_DEFAULTS: dict[str, Any] = {
    f.name: _default(f) for f in fields(ExperimentSpec)
    if f.default is not MISSING or f.default_factory is not MISSING
}


def format_default(value: Any) -> str:
    """A default as ``--help`` writes it: lists comma-separated, numbers shortest.

    Examples
    --------
    >>> format_default((42, 43, 44)), format_default(1.0), format_default(2**20)
    ('42,43,44', '1', '1048576')
    """
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def help_text(name: str) -> str:
    """The ``--help`` text of field ``name``, its default filled in.

    Examples
    --------
    >>> help_text("max_iter")
    'shared iteration budget of mlp and vqc (default 100)'
    """
    text = OPTIONS[name].help
    return text.replace("{default}", format_default(SPEC_DEFAULTS.get(name))) if "{default}" in text else text


def check_option(name: str, value: Any, label: str | None = None) -> Any:
    """``value`` of field ``name`` checked against its declared range, converted to a number.

    ``label`` names it in the message (default: the field name; the command line passes the
    flag). A list (``seeds``) is checked item by item, and its length against ``max_items``.
    A value above the bound is refused with the declared reason.

    Examples
    --------
    >>> check_option("shots", 10**12)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qvc.errors.QvcUsageError: shots must be <= 1000000000 (got 1000000000000): 10^9 shots of one circuit ...
    >>> check_option("seeds", [1, 2])
    (1, 2)
    """
    opt = OPTIONS[name]
    label = label or name
    if opt.kind == "ints":
        items = list(value)
        if not items:
            raise QvcUsageError(f"{label} is empty; give at least one value (omit it for the default)")
        if opt.max_items is not None and len(items) > opt.max_items:
            raise QvcUsageError(f"{label} lists {len(items)} values; at most {opt.max_items}: {opt.why_items}")
        out = tuple(_check_one(opt, v, label) for v in items)
        if opt.distinct and len(set(out)) < len(out):
            twice = next(v for v in out if out.count(v) > 1)
            raise QvcUsageError(f"{label} lists {twice} more than once; give each value once ({opt.distinct})")
        return out
    return _check_one(opt, value, label)


def _check_one(opt: Option, value: Any, label: str) -> Any:
    if opt.integer:
        return check_positive_int(value, label, minimum=int(opt.minimum if opt.minimum is not None else 1),
                                  maximum=None if opt.bound is None else int(opt.bound), why=opt.why)
    return check_float(value, label, minimum=opt.minimum if opt.minimum is not None else 0.0,
                       maximum=opt.bound, why=opt.why)


def check_cv_folds(folds: int, y_train: Any, label: str = "the data") -> int:
    """``folds`` checked against the smallest class of the training split (stratified folds need
    one sample of each class per fold).

    Examples
    --------
    >>> check_cv_folds(3, [0, 0, 0, 1, 1, 1])
    3
    >>> check_cv_folds(4, [0, 0, 0, 1, 1, 1])
    Traceback (most recent call last):
    ...
    qvc.errors.QvcUsageError: cv_folds is 4, but the smallest class of the data's training split has 3 samples ...
    """
    import numpy as np

    counts = np.unique(np.asarray(y_train), return_counts=True)[1]
    smallest = int(counts.min()) if len(counts) else 0
    if smallest < 2:
        raise QvcUsageError(f"tuning by stratified CV needs at least 2 training samples of each class, but "
                            f"{label}'s smallest class has {smallest}; use more --samples or --no-tune",
                            key="cv_folds")
    if folds > smallest:
        raise QvcUsageError(f"cv_folds is {folds}, but the smallest class of {label}'s training split has "
                            f"{smallest} samples (stratified folds need one per fold); use --cv-folds {smallest} "
                            "or fewer, or more --samples", key="cv_folds")
    return int(folds)


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
    for old, new in DEPRECATED_NAMES.items():  # folders recorded before the rename
        if old in config:
            config.setdefault(new, config.pop(old))
    names = {f.name for f in fields(ExperimentSpec)}
    kwargs = {k: v for k, v in config.items() if k in names}
    for key in ("models", "seeds"):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key])
    spec = ExperimentSpec(**kwargs)
    spec.out_dir = str(run.path.parent)
    return spec

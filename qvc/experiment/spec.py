"""Experiment specifications: what one run trains, on what, with which settings."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from qvc._validation import check_choice, check_positive_int, check_statevector_fits
from qvc.errors import QvcUsageError
from qvc.models.registry import MODEL_NAMES

#: Entanglement patterns of the kernel model's ZZ feature map (qiskit's names).
ENTANGLEMENTS = ("full", "linear", "reverse_linear", "circular", "pairwise")

if TYPE_CHECKING:
    from qvc.quantum.execution import ExecutionMode

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
        Any of ``svm``, ``qsvc``, ``mlp``, ``vqc``.
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
        Entanglement of the kernel model's ZZ feature map: ``full`` (default),
        ``linear``, ``reverse_linear``, ``circular`` or ``pairwise``.
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
    ibm_max_qpu_seconds : float or None
        With a real IBM backend: sent with every job as ``max_execution_time`` (the
        service cancels a job that would run longer); the CLI sets it from
        ``--max-qpu-seconds`` after checking the run's estimate against it.

    Examples
    --------
    >>> ExperimentSpec("iris", models=("svm",)).validate().models
    ('svm',)
    """

    dataset: str
    qubits: int | None = None
    models: tuple[str, ...] = MODEL_NAMES
    seeds: tuple[int, ...] = (42,)
    shots: int | str = "auto"
    device: str = "ibm_heron"
    device_file: str | None = None
    attribution: str = "attributional"
    mitigation_factor: float = 1.0
    mitigation: str = "none"
    shots_tolerance: float = 0.02
    shots_cap: int = 2**20
    host: str = "this_machine"
    host_file: str | None = None
    execution: str = "exact"
    max_iter: int = 100
    entanglement: str = "full"
    test_size: float = 0.25
    max_samples: int | None = None
    csv_path: str | None = None
    target: str | None = None
    out_dir: str = "reports"
    country: str | None = None
    carbon_intensity: float | None = None
    idle_baseline_s: float = 0.0
    min_window_s: float | None = None
    max_repeats: int = 5000
    cpu_tdp_table: str | None = None
    ibm_timeout_s: float | None = None
    train_on_hardware: bool = False
    ibm_max_qpu_seconds: float | None = None

    @property
    def execution_mode(self) -> ExecutionMode:
        """``execution`` parsed (a usage error if it is not a valid mode)."""
        from qvc.quantum.execution import parse_execution

        return parse_execution(self.execution)

    def validate(self) -> ExperimentSpec:
        """Check every field; raise :class:`~qvc.errors.QvcUsageError` naming the bad one."""
        from qvc.data import DATASETS
        from qvc.energy.devices import get_device
        from qvc.energy.hardware import ATTRIBUTION_MODES
        from qvc.models.quantum import check_execution

        if self.csv_path is None:
            check_choice(self.dataset, DATASETS, "dataset")
        if not self.models:
            raise QvcUsageError("--models is empty; give one or more of: " + ",".join(MODEL_NAMES))
        for m in self.models:
            check_choice(m, MODEL_NAMES, "model")
        self.models = tuple(dict.fromkeys(self.models))
        if not self.seeds:
            raise QvcUsageError("at least one seed is needed")
        self.seeds = tuple(check_positive_int(s, "--seed", minimum=0) for s in self.seeds)
        check_choice(self.entanglement, ENTANGLEMENTS, "--entanglement")
        mps = str(self.execution).strip().lower().startswith("mps")
        if mps and "vqc" in self.models:
            raise QvcUsageError("the mps execution mode covers the kernel model (qsvc) only; "
                                "drop vqc from --models or use --execution exact")
        if self.qubits is not None:
            self.qubits = check_positive_int(self.qubits, "--qubits")
            if any(m in ("qsvc", "vqc") for m in self.models) and not mps:
                check_statevector_fits(self.qubits)
            if mps and "qsvc" in self.models:  # one MPS at its bond-dimension bound must fit
                from qvc.quantum.circuits import feature_map
                from qvc.quantum.mps import MpsSimulator

                opts = str(self.execution).partition(":")[2] or None
                MpsSimulator(feature_map(self.qubits, 2, self.entanglement), opts, device=self.device).check_fits(
                    self.max_samples or 1)
        if self.shots != "auto":
            if isinstance(self.shots, str) and self.shots.strip().isdigit():
                self.shots = int(self.shots)
            self.shots = check_positive_int(self.shots, "--shots")
        from qvc.energy.host import get_host
        from qvc.energy.mitigation import check_mitigation
        from qvc.experiment.autoshots import check_cap, check_tolerance

        self.shots_tolerance = check_tolerance(self.shots_tolerance)
        self.shots_cap = check_cap(self.shots_cap)
        self.mitigation = check_mitigation(self.mitigation)
        get_host(self.host, self.host_file)
        self.max_iter = check_positive_int(self.max_iter, "--max-iter")
        get_device(self.device, self.device_file)
        check_choice(self.attribution, ATTRIBUTION_MODES, "--attribution")
        try:
            self.mitigation_factor = float(self.mitigation_factor)
        except (TypeError, ValueError):
            raise QvcUsageError(f"--mitigation-factor must be a number >= 1 (got {self.mitigation_factor!r})") from None
        if not math.isfinite(self.mitigation_factor) or self.mitigation_factor < 1.0:
            raise QvcUsageError(
                f"--mitigation-factor must be a number >= 1 (got {self.mitigation_factor!r}); 1 means no mitigation"
            )
        self.execution = check_execution(self.execution)
        if self.ibm_timeout_s is not None:
            from qvc._validation import check_nonnegative_float

            self.ibm_timeout_s = check_nonnegative_float(self.ibm_timeout_s, "--ibm-timeout")
        if self.ibm_max_qpu_seconds is not None:
            from qvc._validation import check_nonnegative_float

            self.ibm_max_qpu_seconds = check_nonnegative_float(self.ibm_max_qpu_seconds,
                                                               "--max-qpu-seconds")
        if self.train_on_hardware and not self.execution_mode.is_ibm:
            raise QvcUsageError("--train-on-hardware needs --execution ibm:<backend>")
        self._validate_energy()
        return self

    def _validate_energy(self) -> None:
        from qvc._validation import check_nonnegative_float
        from qvc.energy.carbon import carbon_intensity
        from qvc.energy.meters import load_cpu_tdp_table

        carbon_intensity(self.country, self.carbon_intensity)
        self.idle_baseline_s = check_nonnegative_float(self.idle_baseline_s, "--idle-baseline")
        if self.min_window_s is not None:
            self.min_window_s = check_nonnegative_float(self.min_window_s, "--min-window")
        self.max_repeats = check_positive_int(self.max_repeats, "--max-repeats")
        if self.cpu_tdp_table is not None:
            load_cpu_tdp_table(self.cpu_tdp_table)

    @property
    def simulation_shots(self) -> int:
        """Shots the models sample with: the fixed count, or :data:`SIMULATION_SHOTS` with ``auto``."""
        return SIMULATION_SHOTS if self.shots == "auto" else int(self.shots)

    @property
    def auto_shots(self) -> bool:
        """Whether the priced shots are found per model (``--shots auto`` on an exact execution)."""
        return self.shots == "auto" and self.execution == "exact"

    def to_dict(self) -> dict:
        """Plain-JSON form for the metadata."""
        d = asdict(self)
        d["models"], d["seeds"] = list(self.models), list(self.seeds)
        return d

"""Checks that need only the command's arguments: run before any heavy import and any folder.

``qvc run nosuch`` must answer in a fraction of a second, and a run that cannot
fit in memory must be refused before it creates a run folder. This module
imports only the standard library and light qvc modules (:mod:`qvc.errors`,
:mod:`qvc._validation`, :mod:`qvc.experiment.spec`); the facts it needs about the
bundled datasets are static (a test checks them against the loaders), and the
options' ranges are their declarations (:data:`qvc.experiment.spec.OPTIONS`). The
full validation (:meth:`ExperimentSpec.validate`, which checks the same ranges, the
data loaders, the device presets) still runs later; these checks only make the
cheap refusals early.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

from qvc._validation import (
    MAX_GRAM_RECOMPUTE,
    available_memory_bytes,
    check_choice,
    engine_scratch_bytes,
    format_bytes,
    gram_recompute_factor,
    memory_limit_source,
)
from qvc._validation import check_float as check_float  # re-exported: qvc estimate's checks
from qvc.errors import QvcUsageError

# The registry's name lists (static, light copies kept with the spec's declarations) and the options.
from qvc.experiment.spec import DEFAULT_MODELS as DEFAULT_MODELS
from qvc.experiment.spec import FRONTIER_MODELS as FRONTIER_MODELS
from qvc.experiment.spec import KERNEL_MODELS as KERNEL_MODELS
from qvc.experiment.spec import MODEL_NAMES, OPTIONS, SPEC_DEFAULTS, check_option
from qvc.experiment.spec import QUANTUM_MODELS as QUANTUM_MODELS

#: Bundled datasets: (samples, features; 0 = generated in any number of features).
#: ``tests/test_reliability.py`` checks them against the loaders.
DATASET_SHAPES: dict[str, tuple[int, int]] = {
    "iris": (150, 4),
    "breast_cancer": (569, 30),
    "wine": (178, 13),
    "moons": (200, 2),
    "circles": (200, 2),
    "ad_hoc": (120, 3),
    # the benchmark families of qvc.data.benchmarks (Bowles et al. 2024)
    "linearly_separable": (300, 0),
    "hidden_manifold": (300, 0),
    "two_curves": (300, 0),
    "hyperplanes_parity": (300, 0),
    "bars_and_stripes": (300, 0),
}
#: Qubits (= features) of a bundled dataset when ``--qubits`` is not given
#: (:data:`qvc.data.DEFAULT_QUBITS`; ``tests/test_reliability.py`` checks them).
DEFAULT_QUBITS: dict[str, int] = {name: {"moons": 2, "circles": 2, "ad_hoc": 2,
                                         "bars_and_stripes": 16}.get(name, 4)
                                  for name in DATASET_SHAPES}

# Bounds of ``qvc estimate``'s own inputs, each with the reason shown when it is exceeded (the
# bounds of the run options, shots and seeds among them, are declared in qvc.experiment.spec.OPTIONS).
MAX_DRAWS = 1_000_000
WHY_DRAWS = ("each draw keeps ~200 bytes of Monte Carlo state (10^9 draws would need ~180 GiB), "
             "and the 90 % interval is stable to well under 1 % by 10^5 draws")
MAX_CIRCUITS = 10**12
WHY_CIRCUITS = "10^12 executions is years of QPU time; the model is not calibrated that far"
#: Memory a run takes besides its statevectors: Python, qiskit, scikit-learn, pandas, the
#: engine's tables, matplotlib for the report. Measured (peak RSS, /usr/bin/time): 593 MiB for
#: ``qvc run breast_cancer --qubits 16 --samples 40 --models qsvc``, 667 MiB at 80 samples,
#: so ~515 MiB besides the statevectors (260 MiB right after the imports).
RUNTIME_FOOTPRINT_BYTES = 512 * 2**20
#: Simulations smaller than this are never refused here (below the footprint's own uncertainty).
SMALL_SIMULATION_BYTES = 64 * 2**20
#: Share of the available memory a simulation may take (as in ``check_statevector_fits``).
MEMORY_FRACTION = 0.8


def check_out_dir(path: str | os.PathLike, flag: str = "--out") -> Path:
    """Refuse an output folder that is a file, sits below a file, or cannot be written.

    Nothing is created; the nearest existing folder of ``path`` must be writable.

    Examples
    --------
    >>> import tempfile
    >>> check_out_dir(tempfile.mkdtemp() + "/new/runs").name
    'runs'
    """
    p = Path(path)
    probe = p
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        what = "is a file" if probe == p else f"is below {str(probe)!r}, which is a file"
        raise QvcUsageError(f"{flag} {str(p)!r} {what}, not a folder; give a folder for the run folders")
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise QvcUsageError(f"{flag} {str(p)!r}: cannot write into {str(probe)!r} (read-only or no "
                            "permission); choose another --out")
    return p


def csv_shape(path: str | os.PathLike) -> tuple[int, int]:
    """(data rows, columns) of a CSV file, cheaply; usage errors for anything that is not one.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
    >>> _ = f.write_text("a,b,y\\n1,2,0\\n3,4,1\\n")
    >>> csv_shape(f)
    (2, 3)
    """
    p = Path(path)
    if p.is_dir():
        raise QvcUsageError(f"--csv {str(p)!r} is a folder, not a CSV file; give the file's path")
    if p.exists() and not p.is_file():
        raise QvcUsageError(f"--csv {str(p)!r} is not a regular file (a device or pipe?); give a CSV file")
    if not p.exists():
        raise QvcUsageError(f"CSV file {str(p)!r} does not exist; check the path given to --csv")
    try:
        with open(p, "rb") as fh:
            head = fh.readline()
            rows = sum(1 for line in fh if line.strip())
    except OSError as exc:
        raise QvcUsageError(f"cannot read CSV {str(p)!r} ({exc.strerror}); check its permissions") from None
    if not head.strip():
        raise QvcUsageError(f"CSV file {str(p)!r} is empty; it needs a header row and data rows")
    try:
        columns = next(csv.reader([head.decode("utf-8-sig")]))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        raise QvcUsageError(f"{p.name}: the header row is not UTF-8 text; save the file as UTF-8 CSV") from None
    if rows == 0:
        raise QvcUsageError(f"{p.name} has a header row but no data rows; add samples")
    return rows, len(columns)


def simulation_bytes(model: str, qubits: int, n_samples: int, test_size: float, available: float) -> float:
    """Bytes of exact simulation ``model`` cannot run without (0 for classical models).

    Mirrors the in-model checks: the kernel needs two statevectors plus the engine's scratch
    (:func:`~qvc._validation.engine_scratch_bytes`): it holds every state when they fit in
    its budget and otherwise builds the Gram matrix in blocks (``qvc.quantum.kernels.gram_blocks``);
    the QNN six statevectors per training sample. ``available`` is unused (kept for callers).
    """
    if model not in QUANTUM_MODELS:
        return 0.0
    per_state = 16 * 2.0 ** min(int(qubits), 4096)
    if model in ("qsvc", "iqp"):  # the fidelity kernels: two states + scratch, the Gram blocked beyond
        return per_state * 2 + engine_scratch_bytes(qubits, 2)
    if model in KERNEL_MODELS:  # pqk: every sample's state at once, and a rotated copy of it
        return per_state * 2 * n_samples + engine_scratch_bytes(qubits, 2)
    n_train = max(1, n_samples - math.ceil(n_samples * test_size))
    return per_state * 6 * n_train


def check_memory(models, qubits: int, n_samples: int, test_size: float, execution: str) -> None:
    """Refuse a run whose simulation cannot fit next to qvc in the memory this process may use
    (the host's available memory, or a container's cgroup limit when smaller)."""
    if execution.strip().lower() not in ("exact", "shots"):
        return  # only the statevector engine is sized here (hardware jobs, Aer and others are not)
    available = float(available_memory_bytes())
    try:
        import psutil

        rss = psutil.Process().memory_info().rss
    except Exception:  # pragma: no cover - psutil missing or restricted
        rss = 0
    reserve = max(0, RUNTIME_FOOTPRINT_BYTES - rss)
    budget = max(0.0, available - reserve) * MEMORY_FRACTION
    for m in models:
        need = simulation_bytes(m, qubits, n_samples, test_size, available)
        if need > budget and need > SMALL_SIMULATION_BYTES:
            raise QvcUsageError(
                f"{m} at {qubits} qubits on {n_samples} samples needs about {format_bytes(need)} for "
                f"exact simulation, but only {format_bytes(budget)} is available {memory_limit_source()} "
                f"(after ~{format_bytes(reserve)} for qvc itself); use fewer --qubits or --samples"
            )
        if m == "qsvc":  # fits only blocked: refused when the blocks would be recomputed too often
            n_train = max(1, n_samples - math.ceil(n_samples * test_size))
            factor = gram_recompute_factor(qubits, n_train, budget)
            if factor > MAX_GRAM_RECOMPUTE:
                held = int(budget // (16 * 2.0 ** min(int(qubits), 4096)))
                raise QvcUsageError(
                    f"qsvc at {qubits} qubits on {n_samples} samples: only {held} of its {n_train} training "
                    f"statevectors fit in the {format_bytes(budget)} available {memory_limit_source()}, so the "
                    f"blocked Gram step would simulate each state ~{factor:.0f} times (more than "
                    f"{MAX_GRAM_RECOMPUTE:g}); use fewer --qubits or --samples"
                )


def check_run_args(args) -> None:
    """Every check of ``qvc run`` that the arguments alone allow (see the module docstring)."""
    if args.dataset is None and args.csv_path is None:
        raise QvcUsageError("give a dataset name (see 'qvc datasets') or --csv PATH --target COLUMN")
    if args.dataset is not None and args.csv_path is not None:
        raise QvcUsageError("give either a dataset name or --csv, not both")
    if args.target is not None and args.csv_path is None:
        raise QvcUsageError("--target only applies with --csv PATH")
    if args.dataset is not None and args.dataset not in DATASET_SHAPES:
        raise QvcUsageError(f"unknown dataset {args.dataset!r}; choose one of: {', '.join(DATASET_SHAPES)} "
                            "(or --csv PATH --target COLUMN)")
    models = tuple(args.models) if getattr(args, "models", None) is not None else SPEC_DEFAULTS["models"]
    if not models:
        raise QvcUsageError("--models is empty; give one or more of: " + ",".join(MODEL_NAMES))
    for m in models:
        check_choice(m, MODEL_NAMES, "model")
    # Every declared range (the spec checks the same ones again; None: not given, the default applies).
    for name, opt in OPTIONS.items():
        value = getattr(args, name, None)
        if opt.minimum is None or value is None or str(value).strip().lower() in ("auto", "none"):
            continue
        check_option(name, value, opt.flag)
    test_size = (SPEC_DEFAULTS["test_size"] if getattr(args, "test_size", None) is None
                 else check_float(args.test_size, "--test-size"))
    if not 0.0 < test_size < 1.0:
        raise QvcUsageError(f"test size must be between 0 and 1 (got {args.test_size})")
    execution = str(getattr(args, "execution", None) or SPEC_DEFAULTS["execution"]).strip()  # checked in full later
    device = getattr(args, "device", None)
    if device is not None or getattr(args, "device_file", None) is not None:
        from qvc.energy.ftqc import resolve_device  # TOML files: no qiskit, unlike the runner

        resolve_device(device or SPEC_DEFAULTS["device"], getattr(args, "device_file", None))
    check_out_dir(getattr(args, "out_dir", None) or SPEC_DEFAULTS["out_dir"])
    samples = getattr(args, "samples", None)

    # Data shape: bundled datasets are known; a CSV is counted, not parsed.
    if args.csv_path is not None:
        rows, columns = csv_shape(args.csv_path)
        label, n_total, n_features = Path(args.csv_path).name, rows, columns - 1
        default_q = max(1, min(n_features, 4))
    else:
        label = args.dataset
        n_total, n_features = DATASET_SHAPES[args.dataset]
        default_q = DEFAULT_QUBITS[args.dataset]
    qubits = default_q if args.qubits is None else int(args.qubits)
    if args.dataset == "ad_hoc" and qubits not in (2, 3):
        raise QvcUsageError(f"ad_hoc data exists for 2 or 3 qubits only (got --qubits {qubits})")
    if n_features >= 1 and qubits > n_features:
        raise QvcUsageError(f"{label} has {n_features} features, so --qubits must be <= {n_features} "
                            f"(got {qubits})")
    if samples is not None:
        n_total = min(n_total, int(samples))
    check_memory(models, qubits, n_total, test_size, execution)

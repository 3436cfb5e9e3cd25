"""TOML experiment specs: one schema for single experiments and sweeps.

A spec file holds top-level defaults and, optionally, one or more ``[[grid]]``
tables. Every key of :data:`SPEC_KEYS` may appear at the top level; the axis
keys may also appear in a grid and may be a list there or at the top level.
The points of a sweep are the union over grids of the Cartesian product of
their axes (a file without ``[[grid]]`` is one grid made of the top level).
Each point is one model trained on one seed: a
:class:`~qvc.experiment.spec.ExperimentSpec` with a single model and seed.

Example::

    name = "scaling"
    dataset = "breast_cancer"
    models = ["svm", "qsvc"]
    seeds = [42]

    [[grid]]              # qubits axis at a small sample size
    qubits = [2, 4, 6, 8]
    samples = 40

    [[grid]]              # samples axis at a few qubits
    qubits = 4
    samples = [40, 80, 160, 400]

    [analysis]
    max_qubits = 200
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qvc._validation import check_file_name
from qvc.errors import QvcUsageError
from qvc.experiment.spec import OPTIONS, SPEC_DEFAULTS, flag_message
from qvc.models.registry import MODELS, get_model

if TYPE_CHECKING:
    from qvc.experiment.spec import ExperimentSpec

#: The sweep axes in the order a grid expands them (the product's order is the points' order:
#: changing it reorders every sweep). An axis may be a list at the top level or in a ``[[grid]]``.
_AXES = ("dataset", "models", "qubits", "samples", "seeds", "shots", "mitigation", "device", "execution",
         "entanglement", "attribution", "mitigation_factor", "max_iter", "test_size", "tune", "tune_budget",
         "protocol", "manifold_dim", "degree", "n_hyperplanes")

#: Keys of a spec file that are settings of the sweep, not of its points: key -> (type, meaning).
_SWEEP_KEYS: dict[str, tuple[str, str]] = {
    "name": ("string", "prefix of the run folder name (default: the file's stem)"),
    "workers": ("integer", "local worker processes (the command line's --workers wins)"),
    "concurrency": (
        "string",
        "'parallel' (points run concurrently, each metered in its own process) or 'exclusive' "
        "(one point at a time, so machine-wide counters see one point)",
    ),
}

#: Spec-file key -> ExperimentSpec field (each field's declared ``file_key``).
_FIELD_OF: dict[str, str] = {opt.file_key: name for name, opt in OPTIONS.items() if opt.file_key}
_KEY_OF: dict[str, str] = {name: key for key, name in _FIELD_OF.items()}

#: Keys of a spec file: key -> (expected type in words, is it an axis, meaning); the point settings
#: are the :class:`~qvc.experiment.spec.ExperimentSpec` fields that declare a spec-file key.
SPEC_KEYS: dict[str, tuple[str, bool, str]] = {
    **{key: (kind, False, meaning) for key, (kind, meaning) in _SWEEP_KEYS.items()},
    **{key: (OPTIONS[name].file_type, key in _AXES, OPTIONS[name].file_help or OPTIONS[name].help)
       for key, name in _FIELD_OF.items()},
}

#: Keys of the optional ``[analysis]`` table.
ANALYSIS_KEYS: dict[str, tuple[str, str]] = {
    "max_qubits": ("integer", "largest qubit count the break-even search extrapolates to (default 200)"),
    "max_samples": ("integer", "largest sample count the break-even search extrapolates to (default 1e6)"),
    "max_extrapolation": ("integer", "crossings more than this many qubits beyond the measured range are "
                                     "declined (default 10)"),
    "draws": ("integer", "draws of the break-even interval (default 200)"),
    "margin": ("number", "equivalence margin of the break-even's quality gate: a size enters only where the "
                         "quantum model's (on-device) accuracy is shown within it of the classical model's "
                         "(default 0.05)"),
}

CONCURRENCY_MODES = ("parallel", "exclusive")

def _defaults() -> dict[str, object]:
    """Axis defaults, from :data:`~qvc.experiment.spec.SPEC_DEFAULTS` (the one place they are written)."""
    from qvc.experiment.spec import SIMULATION_SHOTS

    out: dict[str, object] = {}
    for key in _AXES:
        if key != "dataset":
            value = SPEC_DEFAULTS[_FIELD_OF[key]]
            out[key] = list(value) if isinstance(value, tuple) else value
    # sweeps price a fixed shot count ('auto' shots is a per-run search): the spec's sampling default
    out["shots"] = SIMULATION_SHOTS
    return out


#: Point attributes read from its spec, by spec-file key (the field's name): every
#: spec-file setting but the point's own model and seed, the frontier (added to the models) and the
#: run folder's parent.
_POINT_FIELDS = tuple(key for key in _FIELD_OF if key not in ("models", "seeds", "frontier", "out_dir"))
#: Settings added after sweeps were first stored: left out of a point's dict (and id) at their default, so a
#: sweep stored before them keeps its point ids and resumes.
_OMITTED_AT_DEFAULT = ("protocol", "manifold_dim", "degree", "n_hyperplanes", "feature_map", "ansatz", "threads",
                       "equivalence_margin")
#: Point settings that are not axes: given once, at the top level.
_TOP_ONLY = tuple(key for key in _POINT_FIELDS if key not in _AXES)


@dataclass(frozen=True)
class Point:
    """One task of a sweep: one model on one seed of an :class:`~qvc.experiment.spec.ExperimentSpec`.

    The spec carries every setting (one model, one seed); the point's attributes
    (``qubits``, ``samples``, ``shots`` ...) read through to it.

    Examples
    --------
    >>> from qvc.experiment.spec import ExperimentSpec
    >>> p = Point.make(ExperimentSpec("iris", qubits=2, tune=False), "svm", 0)
    >>> p.attribution, p.samples
    ('attributional', None)
    >>> p.to_experiment_spec().models
    ('svm',)
    """

    model: str
    seed: int
    spec: ExperimentSpec = field(compare=False)

    @classmethod
    def make(cls, spec, model: str, seed: int) -> Point:
        """The point of ``model`` and ``seed`` with ``spec``'s other settings."""
        from dataclasses import replace

        single = replace(spec, models=(model,), seeds=(int(seed),), out_dir=SPEC_DEFAULTS["out_dir"])
        return cls(model, int(seed), single)

    def __getattr__(self, name: str):
        if name in _POINT_FIELDS:
            return getattr(self.spec, _FIELD_OF[name])
        raise AttributeError(name)

    @property
    def point_id(self) -> str:
        """Stable identifier: a hash of every setting (same point, same id, on any machine)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:12]

    def to_dict(self) -> dict:
        """Plain-JSON form (the settings of :data:`_OMITTED_AT_DEFAULT` only where they differ from it)."""
        return {"model": self.model, "seed": self.seed,
                **{k: getattr(self, k) for k in _POINT_FIELDS
                   if k not in _OMITTED_AT_DEFAULT or getattr(self, k) != SPEC_DEFAULTS[_FIELD_OF[k]]}}

    @classmethod
    def from_dict(cls, d: dict) -> Point:
        """Inverse of :meth:`to_dict`."""
        from qvc.experiment.spec import ExperimentSpec

        kwargs = {_FIELD_OF[k]: d[k] for k in _POINT_FIELDS if k in d}
        return cls.make(ExperimentSpec(**kwargs), d["model"], d["seed"])

    def to_experiment_spec(self):
        """The single-model, single-seed :class:`~qvc.experiment.spec.ExperimentSpec` of this point."""
        from dataclasses import replace

        return replace(self.spec)

    def label(self) -> str:
        """Short human-readable description for progress lines."""
        n = "all" if self.samples is None else self.samples
        return f"{self.dataset} q={self.qubits} n={n} seed={self.seed} {self.model}"


@dataclass
class SweepSpec:
    """A validated spec file: its points and settings.

    Attributes
    ----------
    path : Path
        The file it was read from.
    name, out_dir : str
    workers : int or None
    concurrency : str
    points : list of Point
        Unique points in file order.
    analysis : dict
        The ``[analysis]`` settings with defaults filled in.
    text : str
        The file's text (copied into the run folder).
    """

    path: Path
    name: str
    out_dir: str
    workers: int | None
    concurrency: str
    points: list[Point]
    analysis: dict = field(default_factory=dict)
    text: str = ""


def _err(path: Path, where: str, key: str, message: str) -> QvcUsageError:
    return QvcUsageError(f"{path}: {where}key {key!r}: {message}")


#: Words for a key type in errors (default: "a <type>", "<type>s").
_TYPE_WORDS = {"integer": ("an integer", "integers"), "shots": ('an integer or "auto"', 'integers or "auto"')}


def _type_ok(value: object, expected: str) -> bool:
    if expected == "string":
        return isinstance(value, str)
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "shots":
        return value == "auto" or (isinstance(value, int) and not isinstance(value, bool))
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "table":
        return isinstance(value, dict)
    return False  # pragma: no cover


def _check_value(path: Path, where: str, key: str, value: object) -> list:
    expected, axis, _ = SPEC_KEYS[key]
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not axis:
        raise _err(path, where, key, f"expected a {expected}, got a list")
    if isinstance(value, list) and not value:
        raise _err(path, where, key, f"is an empty list; give at least one {expected} (an empty sweep has no points)")
    for v in values:
        if not _type_ok(v, expected):
            one, many = _TYPE_WORDS.get(expected, (f"a {expected}", f"{expected}s"))
            raise _err(path, where, key,
                       f"expected {one}{' or a list of ' + many if axis else ''}, got {type(v).__name__} {v!r}")
    opt = OPTIONS.get(_FIELD_OF.get(key, ""))
    if isinstance(value, list) and opt is not None and opt.distinct and len(set(map(repr, values))) < len(values):
        twice = next(v for v in values if values.count(v) > 1)
        raise _err(path, where, key, f"lists {twice!r} more than once; give each value once ({opt.distinct})")
    return values


def _frontier(path: Path, value: object) -> tuple[str, ...]:
    """The ``frontier`` key: ``true``/``false`` or a list of classical model names."""
    from qvc.experiment.spec import check_frontier

    if not isinstance(value, (bool, list, tuple)):
        raise _err(path, "", "frontier", f"expected true or a list of model names, got {value!r}")
    try:
        return check_frontier(value)
    except QvcUsageError as exc:
        raise _err(path, "", "frontier", str(exc)) from None


def _check_table(path: Path, where: str, table: dict, allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise _err(path, where, key, f"unknown key; known keys: {known}")


def _is_ibm_execution(execution: object) -> bool:
    from qvc.quantum.execution import parse_execution

    try:
        return parse_execution(execution).is_ibm  # type: ignore[arg-type]  # checked by the parser
    except QvcUsageError:
        return False  # a bad mode is reported with the rest of the point's settings


def _validate_point(path: Path, where: str, p: Point, prepared: dict) -> None:
    """Check one point: its spec validates itself (errors carry the field at fault), then the data."""
    from qvc._validation import check_statevector_fits
    from qvc.energy.ftqc import resolve_device

    if _is_ibm_execution(p.execution):
        raise _err(path, where, "execution", "IBM hardware execution is not available in sweeps; "
                   "use 'qvc run --execution ibm:BACKEND' per experiment")
    try:
        p.to_experiment_spec().validate()
    except QvcUsageError as exc:
        key = exc.key or "dataset"
        raise _err(path, where, _KEY_OF.get(key, key), str(exc)) from None
    data_key = (p.dataset, p.qubits, p.samples, p.seed, p.test_size, p.protocol, tuple(p.spec.data_params.items()))
    if data_key not in prepared:
        try:
            data = p.spec.prepare(p.seed)
        except QvcUsageError as exc:
            msg = str(exc).replace("--qubits", "qubits").replace("--samples", "samples")
            key = "samples" if ("sample" in msg and "qubits" not in msg) else "qubits"
            raise _err(path, where, key, msg) from None
        prepared[data_key] = (data.n_features, len(data.y_train) + len(data.y_test), data.y_train)
    n_qubits, n_samples, y_train = prepared[data_key]
    if p.tune:
        from qvc.experiment.spec import check_cv_folds

        try:
            check_cv_folds(p.cv_folds, y_train, p.dataset)
        except QvcUsageError as exc:
            raise _err(path, where, "cv_folds", flag_message(exc).replace("--cv-folds", "cv_folds")
                       .replace("--samples", "samples").replace("--no-tune", "tune = false")) from None
    from qvc.quantum.execution import parse_execution

    mps = parse_execution(p.execution).kind == "mps"
    entry = get_model(p.model)
    if entry.quantum:
        # The kernel holds one statevector per sample (the VQC one at a time); MPS its MPS.
        try:
            if mps:
                from qvc.quantum.circuits import feature_map
                from qvc.quantum.mps import MpsSimulator

                fmap = feature_map(n_qubits, 2, p.spec.feature_map_entanglement(p.model))
                MpsSimulator(fmap, p.execution.partition(":")[2] or None).check_fits(n_samples)
            else:
                check_statevector_fits(n_qubits, entry.statevectors_held(n_samples))
        except QvcUsageError as exc:
            raise _err(path, where, "qubits" if not mps else "execution", str(exc)) from None
        device_qubits = resolve_device(p.device, p.device_file)[0].num_qubits  # ftqc: its NISQ reference
        if n_qubits > device_qubits:
            raise _err(path, where, "qubits",
                       f"{n_qubits} qubits exceed device {p.device!r} ({device_qubits} qubits)")


#: Most points one sweep may have, and why.
MAX_POINTS = 100_000
WHY_POINTS = ("each point is one metered fit and predict: even at 1 s each, 10^5 points take more than a day; "
              "split the sweep into several spec files")


def _check_size(path: Path, grid_axes: list[tuple[str, dict[str, list]]]) -> None:
    """Refuse a sweep with more than :data:`MAX_POINTS` points before listing them."""
    total = 0
    for _, axes in grid_axes:
        n = 1
        for values in axes.values():
            n *= len(values)
        total += n
    if total > MAX_POINTS:
        sizes = max(((k, len(v)) for _, axes in grid_axes for k, v in axes.items()), key=lambda kv: kv[1])
        raise QvcUsageError(f"{path}: the grid has {total:,} points (largest axis: {sizes[0]!r} with "
                            f"{sizes[1]:,} values); at most {MAX_POINTS:,}: {WHY_POINTS}")


class _PlanningProgress:
    """'checked N/M points' on the progress callback, at most once a second, for large sweeps."""

    def __init__(self, total: int, progress: Callable[[str], None] | None, *, every_s: float = 1.0) -> None:
        self.total, self.n, self.progress, self.every_s = total, 0, progress, every_s
        self.t0 = self.last = time.perf_counter()
        self.shown = False

    def tick(self) -> None:
        self.n += 1
        if self.progress is None:
            return
        now = time.perf_counter()
        if now - self.last >= self.every_s:
            self.last, self.shown = now, True
            rate = self.n / (now - self.t0)
            eta = (self.total - self.n) / rate if rate > 0 else float("nan")
            self.progress(f"planning the sweep: checked {self.n:,}/{self.total:,} points "
                          f"({100 * self.n / self.total:.0f} %, ETA {eta:.0f} s)")

    def done(self) -> None:
        if self.shown and self.progress is not None:
            self.progress(f"planning the sweep: checked {self.n:,}/{self.total:,} points (done)")


def _applicable(p: Point, executions: list, sizes: dict) -> bool:
    """With several execution modes in one grid: is ``p``'s simulator applicable to its point?

    Classical models run once (under the first mode); the VQC has no MPS mode; the
    statevector modes need the kernel's statevectors to fit in memory; an MPS mode
    needs its states at the bond-dimension bound to fit.
    """
    entry = get_model(p.model)
    if not entry.quantum:
        return p.execution == executions[0]
    from qvc.quantum.execution import parse_execution

    kind = parse_execution(p.execution).kind
    mps = kind == "mps"
    if not entry.supports(kind):  # e.g. the MPS mode simulates the kernel only
        return False
    if not mps and entry.statevectors_held(2) < 2:  # one state at a time: always fits
        return True
    key = (p.dataset, p.qubits, p.samples, p.seed, p.test_size, p.protocol, tuple(p.spec.data_params.items()))
    if key not in sizes:
        try:
            data = p.spec.prepare(p.seed)
        except QvcUsageError:
            return True  # let validation report it
        sizes[key] = len(data.y_train) + len(data.y_test)
    if mps:
        from qvc.quantum.circuits import feature_map
        from qvc.quantum.mps import MpsSimulator

        try:
            fmap = feature_map(p.qubits or 2, 2, p.spec.feature_map_entanglement(p.model))
            MpsSimulator(fmap, p.execution.partition(":")[2] or None).check_fits(sizes[key])
        except QvcUsageError:
            return False
        return True
    from qvc._validation import check_statevector_fits

    try:
        check_statevector_fits(p.qubits or 2, entry.statevectors_held(sizes[key]))
    except QvcUsageError:
        return False
    return True


def load_spec_file(path: str | Path, *, progress: Callable[[str], None] | None = None) -> SweepSpec:
    """Read and validate a TOML spec file.

    Parameters
    ----------
    path : str or Path
        The ``.toml`` file.
    progress : callable, optional
        Receives "checked N/M points" lines (at most one a second) while a large sweep is checked.

    Returns
    -------
    SweepSpec

    Raises
    ------
    QvcUsageError
        Naming the file, the table and the key at fault: unknown keys, wrong
        types, impossible qubit counts (more than the data's features, the
        memory, or the device), unknown names, and empty sweeps.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "s.toml"
    >>> _ = f.write_text('dataset = "iris"\\nmodels = ["svm"]\\nseeds = [1]\\nqubits = [2, 3]\\n')
    >>> [p.qubits for p in load_spec_file(f).points]
    [2, 3]
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    from qvc.experiment.spec import ExperimentSpec

    path = Path(path)
    if path.is_dir():
        raise QvcUsageError(f"spec file {str(path)!r} is a folder; give a .toml file")
    if not path.is_file():
        raise QvcUsageError(f"spec file {str(path)!r} does not exist; check the path")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise QvcUsageError(f"{path}: line {line} is not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                            "save the spec file as UTF-8") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise QvcUsageError(f"{path}: not valid TOML: {exc}") from None

    doc_keys = set(doc)
    grids = doc.pop("grid", None)
    analysis = doc.pop("analysis", {})
    _check_table(path, "", doc, set(SPEC_KEYS))
    if not isinstance(analysis, dict):
        raise _err(path, "", "analysis", "expected a table ([analysis])")
    _check_table(path, "[analysis] ", analysis, set(ANALYSIS_KEYS))
    for key, value in analysis.items():
        if key == "margin":
            if not _type_ok(value, "number") or not 0 < value < 1:
                raise _err(path, "[analysis] ", key, f"expected an accuracy difference in (0, 1), got {value!r}")
        elif not _type_ok(value, ANALYSIS_KEYS[key][0]) or value < 2:
            raise _err(path, "[analysis] ", key, f"expected an integer >= 2, got {value!r}")
    if grids is None:
        grids = [{}]
    elif not isinstance(grids, list) or not all(isinstance(g, dict) for g in grids):
        raise _err(path, "", "grid", "expected one or more [[grid]] tables")
    elif not grids:
        raise _err(path, "", "grid", "no [[grid]] tables; an empty sweep has no points")

    top = {k: v for k, v in doc.items()}
    if "name" in top:
        try:
            check_file_name(top["name"], "name")
        except QvcUsageError as exc:
            raise _err(path, "", "name", str(exc).partition(": ")[2]) from None
    frontier = _frontier(path, top.pop("frontier", ()))
    for key, value in top.items():
        _check_value(path, "", key, value)
    if "dataset" not in top and not all("dataset" in g for g in grids):
        raise _err(path, "", "dataset", "missing; give a dataset at the top level or in every [[grid]]")
    concurrency = top.get("concurrency", "parallel")
    if concurrency not in CONCURRENCY_MODES:
        raise _err(path, "", "concurrency", f"unknown value {concurrency!r}; choose one of: "
                   + ", ".join(CONCURRENCY_MODES))
    workers = top.get("workers")
    if workers is not None and workers < 1:
        raise _err(path, "", "workers", f"must be >= 1 (got {workers})")

    points: dict[str, tuple[Point, str]] = {}
    grid_axes = []
    prepared_sizes: dict[tuple, int] = {}
    for gi, grid in enumerate(grids, start=1):
        where = f"[[grid]] #{gi} " if len(grids) > 1 or grid else ""
        if not grid and "grid" in doc_keys:
            raise _err(path, f"[[grid]] #{gi} ", "grid", "is an empty table; give it at least one axis key "
                       "(e.g. qubits = [2, 3]) or delete it (a spec file without [[grid]] is one grid)")
        _check_table(path, where, grid, set(_AXES))
        merged = {**_defaults(), **{k: v for k, v in top.items() if k in _AXES}, **grid}
        if frontier:
            given = merged["models"] if isinstance(merged["models"], list) else [merged["models"]]
            merged["models"] = list(dict.fromkeys([*given, *frontier]))
        axes: dict[str, list] = {}
        for key in _AXES:
            value = merged[key]
            axes[key] = [None] if value is None else _check_value(path, where if key in grid else "", key, value)
        grid_axes.append((where, axes))
    _check_size(path, grid_axes)
    for where, axes in grid_axes:
        for combo in itertools.product(*(axes[k] for k in _AXES)):
            d = dict(zip(_AXES, combo))
            fixed = {_FIELD_OF[k]: v for k, v in d.items() if k not in ("models", "seeds")}
            for key in _TOP_ONLY:
                if key in top:
                    fixed[_FIELD_OF[key]] = top[key]
            if d["models"] in MODELS and not MODELS[d["models"]].quantum:  # the map concerns quantum models
                fixed["entanglement"] = "full"
            fixed["test_size"] = float(fixed["test_size"])
            fixed["mitigation_factor"] = float(fixed["mitigation_factor"])
            if fixed.get("carbon_intensity") is not None:
                fixed["carbon_intensity"] = float(fixed["carbon_intensity"])
            p = Point.make(ExperimentSpec(**fixed), d["models"], d["seeds"])
            if len(axes["execution"]) > 1 and not _applicable(p, axes["execution"], prepared_sizes):
                continue
            points.setdefault(p.point_id, (p, where))
    seen: set[tuple] = set()
    prepared: dict[tuple, tuple[int, int]] = {}
    plan = _PlanningProgress(len(points), progress)
    for p, where in points.values():
        # The seed changes no check but the split's and its range (both in the signature).
        sig = (where, p.dataset, p.model, p.qubits, p.samples, p.seed, p.device, p.execution,
               p.shots, p.max_iter, p.test_size, p.tune, p.tune_budget, p.entanglement, p.cv_folds)
        if sig not in seen:
            seen.add(sig)
            _validate_point(path, where, p, prepared)
        plan.tick()
    plan.done()
    analysis = {"max_qubits": 200, "max_samples": 1_000_000, **analysis}
    return SweepSpec(
        path=path,
        name=top.get("name", path.stem),
        out_dir=top.get("out_dir", SPEC_DEFAULTS["out_dir"]),
        workers=workers,
        concurrency=concurrency,
        points=[p for p, _ in points.values()],
        analysis=analysis,
        text=text,
    )

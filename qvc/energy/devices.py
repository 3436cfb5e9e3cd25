"""Quantum device presets of the hardware energy model, loaded from data.

The presets live in ``qvc/energy/devices.toml``: one table per device, every
number a ``{low, typical, high, source}`` table whose source says
``unverified`` where no primary source was found. Users add their own devices
with a file of the same layout (``--device-file``); it is validated key by key
and every mistake is a one-line :class:`~qvc.errors.QvcUsageError` naming the
file, the device, the key and what was expected.

IBM presets name a qiskit-ibm-runtime fake backend; qubit count, native gates,
coupling map and every gate, readout and reset duration are read from that
backend's ``Target`` when the device is first used: from the committed snapshot of
that Target (:mod:`qvc.energy.targets`, which cites the qiskit-ibm-runtime version)
where there is one, so pricing loads no fake backend. Other devices carry a
layered gate-time model (see :mod:`qvc.energy.hardware`).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from qvc._validation import MAX_FILE_QUBITS, WHY_FILE_QUBITS
from qvc.errors import QvcUsageError
from qvc.quantum.backends import fake_backend_by_class, fake_backend_class

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

#: The built-in preset file.
PRESET_FILE = Path(__file__).with_name("devices.toml")

#: Power components a device may list (fixed so that result columns are stable).
COMPONENTS = ("cryogenics", "vacuum", "lasers", "control", "readout", "servers")

#: Timing parameters every device needs, and those only devices without a Qiskit target need.
_TIMING_REQUIRED = ("rep_delay_s", "per_job_overhead_s", "per_circuit_overhead_s")
_LAYERED_REQUIRED = ("gate_1q_s", "gate_2q_s", "readout_s")
_LAYERED_OPTIONAL = ("reset_s", "layer_overhead_s")
#: Error rates of a device without a Qiskit target (optional, all three or none): average gate
#: infidelity of 1q and 2q gates and readout assignment error, for the ESP and mitigation overhead.
ERROR_KEYS = ("gate_1q_error", "gate_2q_error", "readout_error")
_KNOWN_KEYS = {*ERROR_KEYS,
    "description", "platform", "fake_backend", "target_errors_note", "num_qubits", "basis_gates", "basis_gates_source",
    "coupling", "coupling_source", "parallel_gates", "max_circuits_per_job",
    "max_executions_per_job", "pue", "power", *_TIMING_REQUIRED, *_LAYERED_REQUIRED,
    *_LAYERED_OPTIONAL,
}
_COMPONENT_KEYS = {"static_w", "per_qubit_w", "idle_fraction"}
_PARAM_KEYS = {"low", "typical", "high", "source"}
#: Platforms a device may name (the built-in presets use the first three).
PLATFORMS = ("superconducting", "trapped-ion", "neutral-atom", "photonic", "spin")
#: Gate names that need no look-up (qiskit standard names); any other is checked against
#: qiskit's own table (``get_standard_gate_name_mapping``), imported only then.
_COMMON_GATES = frozenset({"rz", "sx", "x", "cz", "cx", "rzz", "ecr", "id", "measure", "reset", "h", "rx",
                           "ry", "u", "p", "iswap", "swap", "y", "z", "s", "t"})
#: Target operations that are not gates a circuit is translated to.
_NOT_GATES = {"for_loop", "if_else", "switch_case", "while_loop", "delay", "measure_2", "reset_2"}


@dataclass(frozen=True)
class Param:
    """An uncertain number: ``(low, typical, high)`` and where it comes from.

    Examples
    --------
    >>> Param(1.0, 2.0, 4.0, "unverified").verified
    False
    """

    low: float
    typical: float
    high: float
    source: str

    @property
    def verified(self) -> bool:
        """False when the source says ``unverified`` (no primary source was found)."""
        return not self.source.strip().lower().startswith("unverified")

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {"low": self.low, "typical": self.typical, "high": self.high,
                "source": self.source, "verified": self.verified}


@dataclass(frozen=True)
class Fixed:
    """A number without a range (a count or a rule), with its source."""

    value: int
    source: str

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {"value": self.value, "source": self.source}


@dataclass(frozen=True)
class PowerComponent:
    """One part of the machine that draws power.

    Power of the whole machine in this component is ``static_w + per_qubit_w * qubits``;
    ``idle_fraction`` of it is drawn anyway by an idle, ready machine.
    """

    name: str
    static_w: Param
    per_qubit_w: Param
    idle_fraction: Param

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {"static_w": self.static_w.to_dict(), "per_qubit_w": self.per_qubit_w.to_dict(),
                "idle_fraction": self.idle_fraction.to_dict()}


_ZERO = Param(0.0, 0.0, 0.0, "not applicable (0)")


@dataclass(frozen=True)
class DevicePreset:
    """Timing, batching and power of one quantum computer (see ``devices.toml``).

    Attributes
    ----------
    name, description, platform : str
    fake_backend : str or None
        qiskit-ibm-runtime fake backend whose ``Target`` gives the timings (``timing == "target"``).
    timing_params : dict of str to Param
        ``rep_delay_s``, ``per_job_overhead_s``, ``per_circuit_overhead_s`` and, for devices
        without a target, ``gate_1q_s``, ``gate_2q_s``, ``readout_s``, ``reset_s``,
        ``layer_overhead_s``.
    power : dict of str to PowerComponent
    pue : Param
    max_circuits, max_executions : Fixed
        Batching rules: circuits, and circuits x shots, per job (``max_executions`` may be None).
    origin : str
        The file the preset was read from.
    target_errors_note : str
        A fake-backend device whose Target errors are not representative says so here (it is
        added to the source of its gate errors, hence of its ESP and mitigation overheads).
    """

    name: str
    description: str
    platform: str
    fake_backend: str | None
    timing_params: dict[str, Param]
    power: dict[str, PowerComponent]
    pue: Param
    max_circuits: Fixed
    max_executions: Fixed | None = None
    num_qubits_fixed: Fixed | None = None
    basis_gates_fixed: tuple[str, ...] | None = None
    basis_gates_source: str = ""
    coupling_spec: object = "all-to-all"
    coupling_source: str = ""
    parallel_gates: bool = True
    origin: str = ""
    error_params: dict[str, Param] = field(default_factory=dict)
    target_errors_note: str = ""

    # -- typical values under short names (used by the runner, CLI and IBM calibration) --
    @property
    def max_circuits_per_job(self) -> int:
        """Circuits that fit into one job."""
        return int(self.max_circuits.value)

    @property
    def max_executions_per_job(self) -> int | None:
        """Circuits x shots that fit into one job (``None``: no limit)."""
        return None if self.max_executions is None else int(self.max_executions.value)

    @property
    def rep_delay_s(self) -> float:
        """Typical per-shot time outside the circuit (s)."""
        return self.timing_params["rep_delay_s"].typical

    @property
    def per_job_overhead_s(self) -> float:
        """Typical fixed QPU time per job (s)."""
        return self.timing_params["per_job_overhead_s"].typical

    @property
    def per_circuit_overhead_s(self) -> float:
        """Typical fixed QPU time per circuit (s)."""
        return self.timing_params["per_circuit_overhead_s"].typical

    # -- timing source -------------------------------------------------------------------
    @property
    def timing(self) -> str:
        """``"target"`` (durations from a Qiskit Target) or ``"layered"`` (gate-time model)."""
        return "target" if self.fake_backend else "layered"

    def backend(self):
        """The fake backend instance (cached); ``None`` for devices without one."""
        return fake_backend_by_class(self.fake_backend) if self.fake_backend else None

    @property
    def target(self):
        """The Qiskit ``Target`` of a fake-backend device, else ``None``.

        Read from the committed snapshot of that backend's Target where one exists
        (:mod:`qvc.energy.targets`: pricing then imports no qiskit-ibm-runtime), else from
        the fake backend itself.
        """
        if not self.fake_backend:
            return None
        from qvc.energy.targets import snapshot_target

        target = snapshot_target(self.fake_backend)
        return target if target is not None else self.backend().target

    @property
    def target_source(self) -> str:
        """Where :attr:`target` comes from, for citations."""
        from qvc.energy.targets import snapshot_source

        snap = snapshot_source(self.fake_backend) if self.fake_backend else None
        if snap is not None:
            return f"{self.fake_backend} Target (snapshot of {snap})"
        return f"{self.fake_backend} Target (qiskit-ibm-runtime snapshot)"

    @property
    def num_qubits(self) -> int:
        """Qubits of the device (from the fake backend's Target where there is one)."""
        if self.fake_backend:
            return int(self.target.num_qubits)
        return int(self._fixed_qubits().value)

    @property
    def basis_gates(self) -> tuple[str, ...]:
        """Native gate names (Qiskit names)."""
        if self.fake_backend:
            return tuple(sorted(set(self.target.operation_names) - _NOT_GATES))
        return tuple(self.basis_gates_fixed or ())

    def _fixed_qubits(self) -> Fixed:
        """``num_qubits_fixed``; the loader requires it for devices without a fake backend."""
        if self.num_qubits_fixed is None:
            raise QvcUsageError(f"device {self.name!r} has no num_qubits; give one in its preset")
        return self.num_qubits_fixed

    def coupling_map(self):
        """A Qiskit ``CouplingMap``, or ``None`` for all-to-all connectivity."""
        from qiskit.transpiler import CouplingMap

        if self.fake_backend:
            return self.target.build_coupling_map()
        spec = self.coupling_spec
        if spec == "all-to-all":
            return None
        if isinstance(spec, str) and spec.startswith("grid:"):
            rows, cols = (int(v) for v in spec[5:].lower().split("x"))
            return CouplingMap.from_grid(rows, cols)
        return CouplingMap([list(map(int, pair)) for pair in spec])  # type: ignore[attr-defined]  # pairs

    def timing_key(self) -> str:
        """A string identifying everything that determines the transpiled timing."""
        if self.fake_backend:
            return f"target:{self.fake_backend}"
        times = ",".join(f"{k}={p.typical!r}" for k, p in sorted(self.timing_params.items()))
        return (f"layered:{self.num_qubits}:{','.join(self.basis_gates)}:{self.coupling_spec}:"
                f"{self.parallel_gates}:{times}")

    # -- uncertain parameters --------------------------------------------------------------
    def uncertain_params(self) -> dict[str, Param]:
        """Every ranged number, by flat name (``rep_delay_s``, ``power.control.per_qubit_w``, ``pue``)."""
        out = dict(self.timing_params)
        for cname, comp in self.power.items():
            out[f"power.{cname}.static_w"] = comp.static_w
            out[f"power.{cname}.per_qubit_w"] = comp.per_qubit_w
            out[f"power.{cname}.idle_fraction"] = comp.idle_fraction
        out["pue"] = self.pue
        return out

    @property
    def sources(self) -> dict[str, str]:
        """Source of every number, by flat name (for run metadata)."""
        out = {k: p.source for k, p in self.uncertain_params().items()}
        out["max_circuits_per_job"] = self.max_circuits.source
        if self.max_executions is not None:
            out["max_executions_per_job"] = self.max_executions.source
        for k, p in self.error_params.items():
            out[k] = p.source
        if self.fake_backend:
            out["gate_durations"] = out["gate_errors"] = self.target_source
            if self.target_errors_note:
                out["gate_errors"] = f"{self.target_source}; {self.target_errors_note}"
        else:
            out["num_qubits"] = self._fixed_qubits().source
            out["basis_gates"] = self.basis_gates_source
            out["coupling"] = self.coupling_source
        return out

    def attributional_power_w(self) -> float:
        """Whole-system wall power at typical values, PUE included (W).

        ``PUE * sum_c (static_c + per_qubit_c * num_qubits)``: the power that the
        ``attributional`` mode charges for every QPU second.

        Examples
        --------
        >>> round(get_device("ibm_heron").attributional_power_w())
        22253
        """
        n = self.num_qubits
        total = sum(c.static_w.typical + c.per_qubit_w.typical * n for c in self.power.values())
        return self.pue.typical * total

    def to_dict(self, *, resolve_backend: bool = True) -> dict:
        """Plain-JSON description with every number and its source."""
        d: dict = {
            "name": self.name,
            "description": self.description,
            "platform": self.platform,
            "timing": self.timing,
            "origin": self.origin,
        }
        if self.fake_backend:
            d["fake_backend"] = self.fake_backend
            if resolve_backend:
                d["num_qubits"] = {"value": self.num_qubits, "source": f"{self.fake_backend} Target"}
                d["basis_gates"] = {"value": list(self.basis_gates), "source": f"{self.fake_backend} Target"}
                d["target_durations_s"] = target_duration_summary(self)
                d["target_source"] = self.target_source
        else:
            d["num_qubits"] = self._fixed_qubits().to_dict()
            d["basis_gates"] = {"value": list(self.basis_gates), "source": self.basis_gates_source}
            d["coupling"] = {"value": self.coupling_spec, "source": self.coupling_source}
            d["parallel_gates"] = self.parallel_gates
        d["timing_params"] = {k: p.to_dict() for k, p in self.timing_params.items()}
        if self.error_params:
            d["error_params"] = {k: p.to_dict() for k, p in self.error_params.items()}
        elif self.fake_backend:
            d["error_params"] = {"source": f"{self.fake_backend} Target, per operation and physical qubit"
                                 + (f"; {self.target_errors_note}" if self.target_errors_note else "")}
        d["max_circuits_per_job"] = self.max_circuits.to_dict()
        d["max_executions_per_job"] = None if self.max_executions is None else self.max_executions.to_dict()
        d["power"] = {k: c.to_dict() for k, c in self.power.items()}
        d["pue"] = self.pue.to_dict()
        if not self.fake_backend or resolve_backend:
            d["attributional_power_w_typical"] = self.attributional_power_w()
        return d


def target_duration_summary(device: DevicePreset) -> dict:
    """Min / median / max duration (s) per operation of a fake backend's Target."""
    import numpy as np

    target = device.target
    out = {}
    for op in sorted(target.operation_names):
        props = target[op]
        if props is None:
            continue
        d = [p.duration for p in props.values() if p is not None and p.duration is not None]
        if d:
            out[op] = {"min": float(np.min(d)), "median": float(np.median(d)), "max": float(np.max(d)),
                       "source": f"{device.fake_backend} Target"}
    return out


# ---------------------------------------------------------------------------------------------
# Loading and validation
# ---------------------------------------------------------------------------------------------
class _Ctx:
    """Where a value sits, for error messages: file, device, key."""

    def __init__(self, path: str, device: str | None = None) -> None:
        self.path, self.device = path, device

    def fail(self, key: str, expected: str, got: object = None) -> QvcUsageError:
        where = f"{self.path}: device {self.device!r}" if self.device else self.path
        tail = "" if got is None else f" (got {got!r})"
        return QvcUsageError(f"{where}: {key}: expected {expected}{tail}")


def _number(ctx: _Ctx, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.fail(key, "a number", value)
    value = float(value)
    if not math.isfinite(value):
        raise ctx.fail(key, "a finite number", value)
    if value < 0:
        raise ctx.fail(key, "a non-negative number", value)
    return value


#: Largest value a device file may give, by the unit its key ends in, and why (checked at loading,
#: before any work: a value beyond these is a unit slip, and would overflow the cost model to inf).
FILE_VALUE_BOUNDS = {
    "_s": (86_400.0, "one day: no gate, shot, circuit or job overhead of a QPU takes longer; a larger value "
                     "is a unit slip (seconds are asked for)"),
    "_w": (1e7, "10 MW: a whole large data centre draws tens of MW, so one QPU component is far below "
                "(unverified order of magnitude); a larger value is a unit slip (watts are asked for)"),
    "pue": (5.0, "a power usage effectiveness above 5 is worse than any surveyed data centre (the 2023 average "
                 "is 1.58, Uptime Institute Global Data Center Survey 2023)"),
}
#: Most circuits per job a device file may give, and why.
MAX_CIRCUITS_PER_JOB = (10**7, "10^7 circuits: far above any provider's batching limit (IBM: 300 per job "
                               "in Qiskit Runtime's docs, unverified); the job count divides by it")


def _bound_of(key: str) -> tuple[float, str] | None:
    leaf = key.rsplit(".", 1)[-1]
    if leaf == "pue":
        return FILE_VALUE_BOUNDS["pue"]
    return next((b for suffix, b in FILE_VALUE_BOUNDS.items() if leaf.endswith(suffix)), None)


def _param(ctx: _Ctx, key: str, raw: object) -> Param:
    expected = "a table {low, typical, high, source} of non-negative numbers"
    if not isinstance(raw, Mapping):
        raise ctx.fail(key, expected, raw)
    missing = [k for k in ("low", "typical", "high", "source") if k not in raw]
    if missing:
        raise ctx.fail(key, f"{expected}; missing {', '.join(missing)}")
    extra = sorted(set(raw) - _PARAM_KEYS)
    if extra:
        raise ctx.fail(key, f"only low, typical, high, source; unknown {', '.join(extra)}")
    low, typ, high = (_number(ctx, f"{key}.{k}", raw[k]) for k in ("low", "typical", "high"))
    bound = _bound_of(key)
    if bound is not None and high > bound[0]:
        raise ctx.fail(f"{key}.high", f"at most {bound[0]:g} ({bound[1]})", high)
    if not low <= typ <= high:
        raise ctx.fail(key, "low <= typical <= high", (low, typ, high))
    source = raw["source"]
    if not isinstance(source, str) or not source.strip():
        raise ctx.fail(f"{key}.source", "a non-empty text naming the source, or 'unverified'", source)
    return Param(low, typ, high, source)


def _fixed(ctx: _Ctx, key: str, raw: object, *, minimum: int = 1) -> Fixed:
    if not isinstance(raw, Mapping) or "value" not in raw or "source" not in raw:
        raise ctx.fail(key, "a table {value, source}", raw)
    v = raw["value"]
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise ctx.fail(f"{key}.value", f"an integer >= {minimum}", v)
    if not isinstance(raw["source"], str) or not raw["source"].strip():
        raise ctx.fail(f"{key}.source", "a non-empty text naming the source, or 'unverified'")
    return Fixed(int(v), raw["source"])


def _bounded(ctx: _Ctx, key: str, fixed: Fixed, most: int, why: str) -> Fixed:
    if fixed.value > most:
        raise ctx.fail(f"{key}.value", f"at most {most} ({why})", fixed.value)
    return fixed


def _text(ctx: _Ctx, raw: Mapping, key: str, *, required: bool = True, default: str = "") -> str:
    if key not in raw:
        if required:
            raise ctx.fail(key, "a text", None) from None
        return default
    v = raw[key]
    if not isinstance(v, str) or not v.strip():
        raise ctx.fail(key, "a non-empty text", v)
    return v


def _parse_device(ctx: _Ctx, name: str, raw: object) -> DevicePreset:
    if not isinstance(raw, Mapping):
        raise ctx.fail("(device)", "a table of device keys", raw)
    unknown = sorted(set(raw) - _KNOWN_KEYS)
    if unknown:
        raise ctx.fail(unknown[0], f"one of the documented keys ({', '.join(sorted(_KNOWN_KEYS))})")
    for key in ("description", "platform", "pue", "max_circuits_per_job", "power", *_TIMING_REQUIRED):
        if key not in raw:
            raise ctx.fail(key, "this key (it is required)", None)
    fake = raw.get("fake_backend")
    if fake is not None and (not isinstance(fake, str) or not fake.strip()):
        raise ctx.fail("fake_backend", "the name of a qiskit_ibm_runtime.fake_provider class", fake)
    if fake is None and "target_errors_note" in raw:
        raise ctx.fail("target_errors_note", "fake_backend as well (the note qualifies its Target's errors)")
    timing = {k: _param(ctx, k, raw[k]) for k in _TIMING_REQUIRED}
    kwargs: dict = {}
    if fake is not None and any(k in raw for k in ERROR_KEYS):
        raise ctx.fail(next(k for k in ERROR_KEYS if k in raw),
                       "no error rates on a fake_backend device (they come from its Target)")
    if fake is None:
        for key in ("num_qubits", "basis_gates", *_LAYERED_REQUIRED):
            if key not in raw:
                raise ctx.fail(key, "this key (required for a device without fake_backend)", None)
        for key in _LAYERED_REQUIRED:
            timing[key] = _param(ctx, key, raw[key])
        for key in _LAYERED_OPTIONAL:
            timing[key] = _param(ctx, key, raw[key]) if key in raw else _ZERO
        if "reset_s" not in raw:
            timing["reset_s"] = Param(
                timing["readout_s"].low, timing["readout_s"].typical, timing["readout_s"].high,
                "reset_s not given: taken equal to readout_s",
            )
        basis = raw["basis_gates"]
        if not isinstance(basis, list) or not basis or not all(isinstance(g, str) for g in basis):
            raise ctx.fail("basis_gates", "a non-empty list of Qiskit gate names", basis)
        _check_gate_names(ctx, basis)
        qubits = _fixed(ctx, "num_qubits", raw["num_qubits"])
        if qubits.value > MAX_FILE_QUBITS:
            raise ctx.fail("num_qubits.value", f"at most {MAX_FILE_QUBITS} ({WHY_FILE_QUBITS})", qubits.value)
        coupling = raw.get("coupling", "all-to-all")
        if isinstance(coupling, str):
            ok = coupling == "all-to-all" or (
                coupling.startswith("grid:") and len(coupling[5:].lower().split("x")) == 2
                and all(p.isdigit() for p in coupling[5:].lower().split("x"))
            )
            if not ok:
                raise ctx.fail("coupling", "'all-to-all', 'grid:RxC' or a list of [a, b] pairs", coupling)
            if coupling.startswith("grid:"):
                rows, cols = (int(v[:6]) if len(v) <= 6 else 10**6 for v in coupling[5:].lower().split("x"))
                if not (rows >= 1 and cols >= 1 and qubits.value <= rows * cols <= MAX_FILE_QUBITS):
                    raise ctx.fail("coupling", f"a grid of at least num_qubits ({qubits.value}) and at most "
                                   f"{MAX_FILE_QUBITS} sites", coupling)
        elif not (isinstance(coupling, list) and all(
                isinstance(p, list) and len(p) == 2 and all(isinstance(q, int) and q >= 0 for q in p)
                for p in coupling)):
            raise ctx.fail("coupling", "'all-to-all', 'grid:RxC' or a list of [a, b] pairs", coupling)
        else:
            bad = next((p for p in coupling if max(p) >= qubits.value or p[0] == p[1]), None)
            if bad is not None:
                raise ctx.fail("coupling", f"pairs of two different qubits in 0..{qubits.value - 1} "
                               "(num_qubits)", bad)
            if len(coupling) > qubits.value * max(qubits.value - 1, 1):
                raise ctx.fail("coupling", f"at most one edge per ordered pair of qubits "
                               f"({qubits.value * (qubits.value - 1)})", f"{len(coupling)} pairs")
        parallel = raw.get("parallel_gates", True)
        if not isinstance(parallel, bool):
            raise ctx.fail("parallel_gates", "true or false", parallel)
        given = [k for k in ERROR_KEYS if k in raw]
        if given and len(given) != len(ERROR_KEYS):
            missing = [k for k in ERROR_KEYS if k not in raw]
            raise ctx.fail(missing[0], f"all of {', '.join(ERROR_KEYS)} or none of them", None)
        errors = {k: _param(ctx, k, raw[k]) for k in given}
        for k, p in errors.items():
            if p.high >= 1.0:
                raise ctx.fail(k, "an error probability below 1", p.high)
        kwargs.update(
            error_params=errors,
            num_qubits_fixed=qubits,
            basis_gates_fixed=tuple(basis),
            basis_gates_source=_text(ctx, raw, "basis_gates_source", required=False, default="unverified"),
            coupling_spec=coupling,
            coupling_source=_text(ctx, raw, "coupling_source", required=False, default="unverified"),
            parallel_gates=parallel,
        )
    power = {cname: PowerComponent(cname, c["static_w"], c["per_qubit_w"], c["idle_fraction"])
             for cname, c in component_params(ctx, raw["power"], COMPONENTS, ("static_w", "idle_fraction")).items()}
    platform = _text(ctx, raw, "platform")
    if platform not in PLATFORMS:
        raise ctx.fail("platform", f"one of {', '.join(PLATFORMS)}", platform)
    pue = _param(ctx, "pue", raw["pue"])
    if pue.low < 1.0:
        raise ctx.fail("pue", "a power usage effectiveness >= 1", pue.low)
    return DevicePreset(
        name=name,
        description=_text(ctx, raw, "description"),
        platform=platform,
        fake_backend=fake,
        timing_params=timing,
        power=power,
        pue=pue,
        max_circuits=_bounded(ctx, "max_circuits_per_job", _fixed(ctx, "max_circuits_per_job",
                                                                  raw["max_circuits_per_job"]), *MAX_CIRCUITS_PER_JOB),
        target_errors_note=_text(ctx, raw, "target_errors_note", required=False),
        max_executions=(
            _fixed(ctx, "max_executions_per_job", raw["max_executions_per_job"])
            if "max_executions_per_job" in raw else None
        ),
        origin=ctx.path,
        **kwargs,
    )


def _check_gate_names(ctx: _Ctx, names: list[str]) -> None:
    """Every basis gate is a gate qiskit knows by that name (the transpiler is given them)."""
    unknown = [g for g in names if g not in _COMMON_GATES]
    if unknown:
        from qiskit.circuit.library import get_standard_gate_name_mapping

        known = set(get_standard_gate_name_mapping())
        bad = [g for g in unknown if g not in known]
        if bad:
            raise ctx.fail("basis_gates", "Qiskit standard gate names (e.g. rz, sx, x, cz, cx, rzz, ecr); "
                           f"unknown {', '.join(map(repr, bad[:3]))}")


def load_device_file(path: str | Path) -> dict[str, DevicePreset]:
    """Read and validate a device file (same layout as the built-in ``devices.toml``).

    Raises
    ------
    QvcUsageError
        If the file is missing, not TOML, or any device has a missing, negative or
        malformed number; the message names the file, device, key and what was expected.

    Examples
    --------
    >>> sorted(load_device_file(PRESET_FILE))[:2]
    ['google_sycamore', 'ibm_eagle']
    """
    path = Path(path)
    shown = str(path)
    if not path.is_file():
        raise QvcUsageError(f"device file {shown!r} does not exist; give the path of a TOML device file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise QvcUsageError(f"{shown}: not valid TOML: {str(exc).splitlines()[0]}") from None
    ctx = _Ctx(shown)
    devices = data.get("devices")
    if not isinstance(devices, Mapping) or not devices:
        raise ctx.fail("devices", "a [devices.NAME] table for at least one device")
    return {name: _parse_device(_Ctx(shown, name), name, raw) for name, raw in devices.items()}


@cache
def _builtin() -> dict[str, DevicePreset]:
    return load_device_file(PRESET_FILE)


def list_devices(device_file: str | Path | None = None) -> dict[str, DevicePreset]:
    """Built-in presets, plus (overriding by name) those of ``device_file``.

    Examples
    --------
    >>> "ibm_heron" in list_devices()
    True
    """
    devices = dict(_builtin())
    if device_file is not None:
        devices.update(load_device_file(device_file))
    return devices


def get_device(name: str, device_file: str | Path | None = None) -> DevicePreset:
    """Return the preset ``name`` or raise a usage error listing the known ones.

    Examples
    --------
    >>> get_device("ibm_heron").fake_backend
    'FakeTorino'
    """
    devices = list_devices(device_file)
    try:
        return devices[name]
    except KeyError:
        raise QvcUsageError(
            f"unknown device {name!r}; choose one of: {', '.join(devices)} (or add it with --device-file)"
        ) from None


def circuit_fidelity(circuit, device: str = "ibm_heron", device_file: str | None = None) -> tuple[float, str]:
    """Estimated fidelity of ``circuit`` on device preset ``device``, and how it was estimated.

    The target of ``--execution mps:matched``: :func:`qvc.quantum.backends.estimated_circuit_fidelity`
    on the preset's fake backend. A preset without one: a usage error naming the fix.

    Examples
    --------
    >>> from qvc.quantum.circuits import feature_map
    >>> f, how = circuit_fidelity(feature_map(3, 1, "linear"))
    >>> 0.9 < f < 1.0, "FakeTorino" in how
    (True, True)
    """
    from qvc.quantum.backends import estimated_circuit_fidelity

    dev = get_device(device or "ibm_heron", device_file)
    if not dev.fake_backend:
        raise QvcUsageError(
            f"device {dev.name!r} has no calibration snapshot to estimate its circuit fidelity; "
            "give the target yourself with --execution mps:fidelity=F"
        )
    return estimated_circuit_fidelity(circuit, dev.fake_backend)


def device_for_backend(base: DevicePreset, backend: str) -> tuple[DevicePreset, str]:
    """The pricing device of an ``ibm:<backend>`` run: ``base``'s power budget on the backend's own Target.

    Returns ``(device, note)``. When the backend's Target is available offline (a
    qiskit-ibm-runtime snapshot), the device is ``base`` with that Target (timings,
    errors, qubits, coupling) and is named ``<base>@<backend>``; otherwise ``base``
    unchanged and a note saying that a different device's target prices the run.

    Examples
    --------
    >>> dev, note = device_for_backend(get_device("ibm_heron"), "fake_manila")
    >>> dev.name, dev.num_qubits
    ('ibm_heron@fake_manila', 5)
    """
    from dataclasses import replace

    cls = fake_backend_class(backend)
    if cls is None or base.fake_backend is None:
        why = ("no offline Target snapshot of that backend" if cls is None
               else f"preset {base.name} has no Qiskit target to replace")
        return base, (f"priced on preset {base.name} ({base.fake_backend or 'layered model'}), not on "
                      f"{backend}'s own target: {why}")
    if cls == base.fake_backend:
        return base, ""
    dev = replace(base, name=f"{base.name}@{backend}", fake_backend=cls,
                  description=f"{base.description}; timings, errors and qubits from {cls}")
    return dev, (f"priced on {backend}'s own Target ({cls}) with the power budget of preset {base.name}")


class _LazyDevices(Mapping):
    """``DEVICES``: the built-in presets, read on first access."""

    def __getitem__(self, key: str) -> DevicePreset:
        return _builtin()[key]

    def __iter__(self):
        return iter(_builtin())

    def __len__(self) -> int:
        return len(_builtin())


#: Built-in device presets by name.
DEVICES: Mapping[str, DevicePreset] = _LazyDevices()


def component_params(ctx: _Ctx, power_raw: object, components: Sequence[str],
                     required: Sequence[str]) -> dict[str, dict[str, Param]]:
    """A preset's ``power`` table checked: ``{component: {static_w, per_qubit_w, idle_fraction}}``.

    Shared by the NISQ device presets and the fault-tolerant power profiles (:mod:`qvc.energy.ftqc`):
    component names from ``components``, keys from :data:`_COMPONENT_KEYS` (``required`` ones must be
    given, the others default to 0), idle fractions between 0 and 1.
    """
    if not isinstance(power_raw, Mapping) or not power_raw:
        raise ctx.fail("power", f"a table of components (any of {', '.join(components)})", power_raw)
    power: dict[str, dict[str, Param]] = {}
    for cname, craw in power_raw.items():
        if cname not in components:
            raise ctx.fail(f"power.{cname}", f"a component name, one of {', '.join(components)}")
        if not isinstance(craw, Mapping):
            raise ctx.fail(f"power.{cname}", "a table {static_w, per_qubit_w, idle_fraction}", craw)
        extra = sorted(set(craw) - _COMPONENT_KEYS)
        if extra:
            raise ctx.fail(f"power.{cname}.{extra[0]}", "one of static_w, per_qubit_w, idle_fraction")
        for key in required:
            if key not in craw:
                raise ctx.fail(f"power.{cname}.{key}", "this key (it is required)", None)
        comp = {k: (_param(ctx, f"power.{cname}.{k}", craw[k]) if k in craw else _ZERO)
                for k in ("static_w", "per_qubit_w", "idle_fraction")}
        if comp["idle_fraction"].high > 1.0:
            raise ctx.fail(f"power.{cname}.idle_fraction", "fractions between 0 and 1", comp["idle_fraction"].high)
        power[cname] = comp
    return power

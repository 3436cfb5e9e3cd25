"""The fault-tolerant projection: what a ledger would cost on an error-corrected machine.

``--device ftqc:<name>`` names an FTQC preset (``qvc/energy/ftqc.toml``, or an ``[ftqc.NAME]``
table of a ``--device-file``): one of the resource estimator's qubit models, a QEC scheme, an
error budget, a power profile, and the NISQ preset whose price stands beside the projection.

Pipeline (``docs/methodology.md``, "Fault-tolerant projection")::

    each ledger template, one representative binding  -> Microsoft's resource estimator (qdk)
        -> physical qubits Q (algorithm + T factories), runtime of one shot T, code distance d,
           logical cycle time T_cycle, physical qubits per code patch Q_patch
    shots S: the NISQ shot rule under shot noise alone (no device noise on an FT machine)
    E = PUE * sum_entries n * S * [ sum_c a_c (static_c + per_qubit_c * Q) * T
                                    + decoding * (Q / Q_patch) * (T / T_cycle) ]

``a_c = 1`` in ``attributional`` mode (the machine the estimator sizes, held for the runtime)
and ``1 - idle_fraction_c`` in ``marginal`` mode. Every ranged number is drawn from a
triangular distribution (seeded) for the median and 90 % interval; energies are labelled
``projected``. Per-job and per-circuit overheads of a future machine are not known and are
left out (a lower bound on time).

Amplitude estimation (second scenario, a cost scaling): estimating a probability ``a`` to the
standard error ``eps = sqrt(a (1 - a) / S)`` that ``S`` shots give takes canonical amplitude
estimation ``M ~ 2 pi sqrt(a (1 - a)) / eps = 2 pi sqrt(S)`` Grover iterations (Brassard, Hoyer,
Mosca, Tapp, Contemp. Math. 305 (2002), Theorem 12, first-order term), each about two
applications of the circuit, so one coherent run of ``2M + 1`` circuit lengths replaces ``S``
shots: energy scales by ``(4 pi sqrt(S) + 1) / S``. The deeper circuit needs a larger code
distance, which this scaling ignores (so it is optimistic), and the success probability of
one run (>= 8 / pi^2) is not boosted.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qvc.energy.costmodel import FtCostModel, FtEntryModel
from qvc.energy.devices import DevicePreset, Param, _Ctx, _param, component_params, get_device
from qvc.errors import QvcUsageError

if TYPE_CHECKING:
    from qvc.energy.hardware import Interval
    from qvc.quantum.ledger import LedgerEntry

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

#: The built-in FTQC preset file.
FTQC_FILE = Path(__file__).with_name("ftqc.toml")
#: Prefix of an FTQC device name.
PREFIX = "ftqc:"
#: Power components an FTQC profile may list.
FT_COMPONENTS = ("cryogenics", "control", "lasers", "vacuum")
#: Label of every FTQC energy.
METHOD = "projected"
_ZERO = Param(0.0, 0.0, 0.0, "not applicable (0)")
_PRESET_KEYS = {"description", "qubit_model", "qec_scheme", "error_budget", "profile", "nisq_reference",
                "qubit_params"}
_PROFILE_KEYS = {"description", "pue", "decoding_j_per_patch_cycle", "power"}
_COMPONENT_KEYS = {"static_w", "per_qubit_w", "idle_fraction"}


@dataclass(frozen=True)
class FtProfile:
    """Power of a fault-tolerant machine per physical qubit and per code patch and logical cycle."""

    name: str
    description: str
    pue: Param
    decoding: Param
    power: dict[str, dict[str, Param]]

    def uncertain_params(self) -> dict[str, Param]:
        """Every ranged number by flat name (``power.cryogenics.per_qubit_w``, ``pue`` ...)."""
        out = {f"power.{c}.{k}": p for c, comp in self.power.items() for k, p in comp.items()}
        out["decoding_j_per_patch_cycle"] = self.decoding
        out["pue"] = self.pue
        return out


@dataclass(frozen=True)
class FtqcPreset:
    """One fault-tolerant machine of the projection (see ``ftqc.toml``)."""

    name: str
    description: str
    qubit_model: str
    qec_scheme: str
    error_budget: float
    error_budget_source: str
    profile: FtProfile
    nisq_reference: str
    qubit_params: dict = field(default_factory=dict)
    origin: str = ""

    @property
    def device_name(self) -> str:
        """``ftqc:<name>``, as the command line names it."""
        return PREFIX + self.name

    def estimator_params(self) -> dict:
        """The resource estimator's parameters (qubit model, QEC scheme, error budget)."""
        from qvc.quantum.resource_estimator import estimator_params

        return estimator_params(self.qubit_model, self.qec_scheme, self.error_budget, self.qubit_params)

    @property
    def sources(self) -> dict[str, str]:
        """Source of every number, by flat name (for run metadata)."""
        out = {k: p.source for k, p in self.profile.uncertain_params().items()}
        out["error_budget"] = self.error_budget_source
        out["physical_qubits, runtime_per_shot_s, code_distance"] = (
            f"Microsoft resource estimator (qdk.qiskit.estimate), qubit model {self.qubit_model}, "
            f"{self.qec_scheme}")
        return out

    def to_dict(self) -> dict:
        """Plain-JSON description with every number and its source."""
        return {"name": self.device_name, "description": self.description, "qubit_model": self.qubit_model,
                "qec_scheme": self.qec_scheme,
                "error_budget": {"value": self.error_budget, "source": self.error_budget_source},
                "qubit_params": self.qubit_params, "profile": self.profile.name,
                "nisq_reference": self.nisq_reference, "origin": self.origin,
                "params": {k: p.to_dict() for k, p in self.profile.uncertain_params().items()}}


# ---------------------------------------------------------------------------------------------
# Loading and validation
# ---------------------------------------------------------------------------------------------
def _parse_profile(ctx: _Ctx, name: str, raw: object) -> FtProfile:
    if not isinstance(raw, Mapping):
        raise ctx.fail("(profile)", "a table of profile keys", raw)
    unknown = sorted(set(raw) - _PROFILE_KEYS)
    if unknown:
        raise ctx.fail(unknown[0], f"one of {', '.join(sorted(_PROFILE_KEYS))}")
    for key in ("pue", "decoding_j_per_patch_cycle", "power"):
        if key not in raw:
            raise ctx.fail(key, "this key (it is required)", None)
    pue = _param(ctx, "pue", raw["pue"])
    if pue.low < 1.0:
        raise ctx.fail("pue", "a power usage effectiveness >= 1", pue.low)
    power = component_params(ctx, raw["power"], FT_COMPONENTS, ("per_qubit_w", "idle_fraction"))
    return FtProfile(name, str(raw.get("description", name)), pue,
                     _param(ctx, "decoding_j_per_patch_cycle", raw["decoding_j_per_patch_cycle"]), power)


def _parse_preset(ctx: _Ctx, name: str, raw: object, profiles: Mapping[str, FtProfile]) -> FtqcPreset:
    from qvc.quantum.resource_estimator import QEC_SCHEMES, QUBIT_MODELS

    if not isinstance(raw, Mapping):
        raise ctx.fail("(ftqc preset)", "a table of preset keys", raw)
    unknown = sorted(set(raw) - _PRESET_KEYS)
    if unknown:
        raise ctx.fail(unknown[0], f"one of {', '.join(sorted(_PRESET_KEYS))}")
    for key in ("description", "qubit_model", "qec_scheme", "error_budget", "profile"):
        if key not in raw:
            raise ctx.fail(key, "this key (it is required)", None)
    model = raw["qubit_model"]
    if model not in QUBIT_MODELS:
        raise ctx.fail("qubit_model", f"one of the estimator's qubit models ({', '.join(QUBIT_MODELS)})", model)
    scheme = raw["qec_scheme"]
    if scheme not in QEC_SCHEMES:
        raise ctx.fail("qec_scheme", f"one of {', '.join(QEC_SCHEMES)}", scheme)
    if scheme == "floquet_code" and not str(model).startswith("qubit_maj"):
        raise ctx.fail("qec_scheme", "surface_code for a gate-based qubit model (floquet_code needs qubit_maj_*)",
                       scheme)
    budget = raw["error_budget"]
    if not isinstance(budget, Mapping) or "value" not in budget or "source" not in budget:
        raise ctx.fail("error_budget", "a table {value, source}", budget)
    value = budget["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < float(value) < 1.0:
        raise ctx.fail("error_budget.value", "a probability between 0 and 1", value)
    prof = raw["profile"]
    if isinstance(prof, Mapping):
        profile = _parse_profile(ctx, f"{name} (inline)", prof)
    elif isinstance(prof, str) and prof in profiles:
        profile = profiles[prof]
    else:
        raise ctx.fail("profile", f"a profile name ({', '.join(profiles)}) or an inline profile table", prof)
    qparams = raw.get("qubit_params", {})
    if not isinstance(qparams, Mapping) or not all(
            isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in qparams.values()):
        raise ctx.fail("qubit_params", "a table of the estimator's qubit parameters (numbers or texts such "
                       "as twoQubitGateErrorRate = 0.003, twoQubitGateTime = '60 ns')", qparams)
    for k, v in qparams.items():
        if isinstance(v, (int, float)) and (not math.isfinite(v) or v < 0):
            raise ctx.fail(f"qubit_params.{k}", "a non-negative number", v)
    return FtqcPreset(name=name, description=str(raw["description"]), qubit_model=str(model),
                      qec_scheme=str(scheme), error_budget=float(value), error_budget_source=str(budget["source"]),
                      profile=profile, nisq_reference=str(raw.get("nisq_reference", "ibm_heron")),
                      qubit_params=dict(qparams), origin=ctx.path)


def load_ftqc_file(path: str | Path, base_profiles: Mapping[str, FtProfile] | None = None,
                   *, required: bool = True) -> tuple[dict[str, FtqcPreset], dict[str, FtProfile]]:
    """Read and validate the ``[ftqc.*]`` presets and ``[ftqc_profiles.*]`` of a TOML file.

    Examples
    --------
    >>> presets, profiles = load_ftqc_file(FTQC_FILE)
    >>> presets["qubit_gate_ns_e3"].profile.name, "superconducting" in profiles
    ('superconducting', True)
    """
    path = Path(path)
    shown = str(path)
    if not path.is_file():
        raise QvcUsageError(f"device file {shown!r} does not exist; give the path of a TOML device file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise QvcUsageError(f"{shown}: not valid TOML: {str(exc).splitlines()[0]}") from None
    profiles = dict(base_profiles or {})
    for pname, praw in (data.get("ftqc_profiles") or {}).items():
        profiles[pname] = _parse_profile(_Ctx(shown, f"ftqc_profiles.{pname}"), pname, praw)
    raw_presets = data.get("ftqc")
    if raw_presets is None and not required:
        return {}, profiles
    if not isinstance(raw_presets, Mapping) or not raw_presets:
        raise QvcUsageError(f"{shown}: ftqc: expected an [ftqc.NAME] table for at least one FTQC preset")
    presets = {n: _parse_preset(_Ctx(shown, f"ftqc.{n}"), n, r, profiles) for n, r in raw_presets.items()}
    return presets, profiles


@cache
def _builtin() -> tuple[dict[str, FtqcPreset], dict[str, FtProfile]]:
    return load_ftqc_file(FTQC_FILE)


def list_ftqc(device_file: str | Path | None = None) -> dict[str, FtqcPreset]:
    """Built-in FTQC presets, plus (overriding by name) the ``[ftqc.*]`` tables of ``device_file``.

    Examples
    --------
    >>> "qubit_gate_ns_e3" in list_ftqc()
    True
    """
    presets, profiles = _builtin()
    out = dict(presets)
    if device_file is not None:
        more, _ = load_ftqc_file(device_file, profiles, required=False)
        out.update(more)
    return out


def is_ftqc(name: object) -> bool:
    """Whether a ``--device`` value names an FTQC preset (``ftqc:<name>``).

    Examples
    --------
    >>> is_ftqc("ftqc:qubit_gate_ns_e3"), is_ftqc("ibm_heron")
    (True, False)
    """
    return isinstance(name, str) and name.startswith(PREFIX)


def get_ftqc(name: str, device_file: str | Path | None = None) -> FtqcPreset:
    """The FTQC preset ``ftqc:<name>`` (or bare ``<name>``), or a usage error listing the known ones."""
    key = name[len(PREFIX):] if is_ftqc(name) else name
    presets = list_ftqc(device_file)
    if key not in presets:
        raise QvcUsageError(f"unknown qubit model or FTQC preset {key!r} in --device {PREFIX}{key}; choose one of: "
                            f"{', '.join(PREFIX + n for n in presets)} (or add an [ftqc.NAME] preset with "
                            "--device-file)")
    return presets[key]


def resolve_device(name: str, device_file: str | Path | None = None) -> tuple[DevicePreset, FtqcPreset | None]:
    """The NISQ device preset that prices ``name``, and the FTQC preset when ``name`` is ``ftqc:<...>``.

    An FTQC device is priced twice: on its NISQ reference preset (the usual ``modelled`` price)
    and as the ``projected`` fault-tolerant cost.

    Examples
    --------
    >>> dev, ft = resolve_device("ftqc:qubit_gate_ns_e3")
    >>> dev.name, ft.qubit_model
    ('ibm_heron', 'qubit_gate_ns_e3')
    >>> resolve_device("ibm_heron")[1] is None
    True
    """
    if not is_ftqc(name):
        return get_device(name, device_file), None
    from qvc.quantum.resource_estimator import require_extra

    ft = get_ftqc(name, device_file)
    require_extra()
    return get_device(ft.nisq_reference, device_file if _has_devices(device_file) else None), ft


def _has_devices(device_file: str | Path | None) -> bool:
    """Whether a device file (already validated by :func:`get_ftqc`) has NISQ ``[devices.*]`` tables too."""
    if device_file is None:
        return False
    return "devices" in tomllib.loads(Path(device_file).read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# Pricing
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FtqcCost:
    """The projected cost of ledger entries on one FTQC preset.

    ``energy_j`` and ``seconds`` are at typical values, ``energy_interval`` the Monte Carlo
    median and 90 % interval; ``estimates`` the resource estimate of each priced template
    (largest first); ``ae_energy_j`` the amplitude-estimation scenario (a cost scaling).
    """

    device: str
    mode: str
    shots: int
    seconds: float
    energy_j: float
    energy_interval: Interval
    components_j: dict[str, float]
    estimates: tuple
    ae_energy_j: float
    ae_factor: float
    cost_model: FtCostModel
    method: str = METHOD
    n_draws: int = 0
    seed: int = 0

    @property
    def largest(self):
        """The resource estimate of the template with the most physical qubits."""
        return self.estimates[0]

    def to_dict(self) -> dict:
        """Plain-JSON form (``qvc estimate --json``)."""
        big = self.largest
        return {"device": self.device, "method": self.method, "mode": self.mode, "shots": self.shots,
                "physical_qubits": big.physical_qubits, "runtime_per_shot_s": big.runtime_per_shot_s,
                "logical_qubits": big.logical_qubits, "code_distance": big.code_distance,
                "machine_seconds": self.seconds, "energy_j": self.energy_j,
                "energy_interval": self.energy_interval.to_dict(),
                "components_j": self.components_j,
                "amplitude_estimation": {"energy_j": self.ae_energy_j, "factor": self.ae_factor,
                                         "rule": AE_RULE},
                "templates": [e.to_dict() for e in self.estimates],
                "n_draws": self.n_draws, "seed": self.seed}


#: The amplitude-estimation scaling in words.
AE_RULE = ("amplitude estimation instead of S shots: 2M+1 circuit lengths with M = 2 pi sqrt(S) Grover "
           "iterations (Brassard et al. 2002, Theorem 12, first order), energy x (4 pi sqrt(S) + 1) / S; "
           "code distance not re-estimated for the deeper circuit (optimistic)")


def ae_factor(shots: int) -> float:
    """Energy of amplitude estimation relative to ``shots`` shots at the same standard error.

    Examples
    --------
    >>> round(ae_factor(4096), 4)
    0.1966
    """
    s = float(shots)
    return (4.0 * math.pi * math.sqrt(s) + 1.0) / s


def draw_ft_parameters(preset: FtqcPreset, n_draws: int, seed: int) -> dict[str, np.ndarray]:
    """``n_draws`` independent triangular draws of every ranged number of the preset's profile."""
    from qvc.energy.hardware import _triangular

    rng = np.random.default_rng(seed)
    params = preset.profile.uncertain_params()
    u = rng.random((len(params), int(n_draws)))
    return {k: _triangular(u[i], p.low, p.typical, p.high) for i, (k, p) in enumerate(params.items())}


def ft_cost_model(entries: list[LedgerEntry], preset: FtqcPreset, shots: int, mode: str = "attributional"
                  ) -> tuple[FtCostModel, list]:
    """The :class:`FtCostModel` of ``entries`` at ``shots`` per circuit, and each entry's resource estimate."""
    from qvc.quantum.resource_estimator import estimate_resources

    params = preset.estimator_params()
    models, ests = [], []
    for e in entries:
        est = estimate_resources(e.template, params)
        ests.append(est)
        models.append(FtEntryModel(e.model, e.phase, int(e.n_circuits), int(shots), est.physical_qubits,
                                   est.runtime_per_shot_s, est.decoded_patches * est.logical_cycles_per_shot))
    prof = preset.profile
    model = FtCostModel(preset.device_name, mode, tuple(prof.power), tuple(models),
                        {k: (p.low, p.typical, p.high) for k, p in prof.uncertain_params().items()})
    return model, ests


def price_ftqc(entries: list[LedgerEntry], preset: FtqcPreset, *, shots: int, mode: str = "attributional",
               n_draws: int = 2000, seed: int = 0) -> FtqcCost:
    """Project the cost of ``entries`` at ``shots`` per circuit on the FTQC preset (labelled ``projected``).
    """
    from qvc.energy.hardware import ATTRIBUTION_MODES, Interval

    if mode not in ATTRIBUTION_MODES:
        raise QvcUsageError(f"attribution mode must be one of {', '.join(ATTRIBUTION_MODES)} (got {mode!r})")
    if not entries:
        raise QvcUsageError("nothing to project: the ledger has no circuits")
    if int(shots) < 1:
        raise QvcUsageError(f"shots must be >= 1 (got {shots})")
    model, ests = ft_cost_model(entries, preset, int(shots), mode)
    typ = model.evaluate(model.typical())
    mc = model.evaluate(draw_ft_parameters(preset, n_draws, seed))
    energy = float(typ["energy_j"][0])
    order = sorted(range(len(ests)), key=lambda i: -ests[i].physical_qubits)
    factor = ae_factor(int(shots))
    return FtqcCost(
        device=preset.device_name, mode=mode, shots=int(shots), seconds=float(typ["seconds"][0]),
        energy_j=energy, energy_interval=Interval.of(mc["energy_j"]),
        components_j={c: float(v[0]) for c, v in typ["components"].items()},
        estimates=tuple(ests[i] for i in order), ae_energy_j=energy * factor, ae_factor=factor,
        cost_model=model, n_draws=int(n_draws), seed=int(seed),
    )


__all__ = ["FTQC_FILE", "METHOD", "FtProfile", "FtqcPreset", "FtqcCost", "load_ftqc_file", "list_ftqc",
           "get_ftqc", "is_ftqc", "resolve_device", "price_ftqc", "ft_cost_model", "ae_factor", "AE_RULE"]

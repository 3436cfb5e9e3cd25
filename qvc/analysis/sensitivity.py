"""What moves the verdict: global sensitivity of the hardware-vs-classical energy ratio.

The ratio ``R = sum_seeds E_hw / sum_seeds E_classical`` (the headline's ratio of means) is
re-evaluated from each quantum row's priced ledger (:class:`qvc.energy.costmodel.CostModel`)
over every cost-model input that has a range:

* every ranged number of the device preset (component powers and idle fractions, PUE,
  repetition delay, per-job and per-circuit overheads, gate times): its ``low .. high``;
* ``packing``: 1 .. the copies the coupling map holds (:mod:`qvc.energy.packing`);
* ``utilisation`` (attributional mode): the share of idle power charged,
  :data:`qvc.energy.scenarios.SHARED_UTILISATION`'s low .. 1;
* ``mitigation``: the mitigation models the device's error data can price (none, zne, pec);
* ``shots_scale``: the shots' own range, when the rows record one (``shots_low``/``shots_high``).

The classical side is the recorded energy in the same attribution mode; where both sides carry
the same PUE (attributional), it moves with the hardware's PUE, so PUE cancels.

**Method.** Morris elementary effects (SALib ``sample.morris`` / ``analyze.morris``; 4 levels,
:data:`TRAJECTORIES` trajectories, fixed seed) of ``log10 R``: ``mu_star`` is the mean absolute
elementary effect, the change of ``log10 R`` per step (2/3 of the input's range) divided by the
step, i.e. scaled to the input's whole range, averaged over the other inputs' values; inputs
are ranked by it. For the tornado, each input is also set to its low
and high with the others typical. **Flip**: with the others typical, the value of the input at
which ``R`` crosses 1 (hardware as cheap as classical), searched on a grid over the input's
admissible domain (powers and times 0 .. 1000 x their high, fractions 0 .. 1, PUE 1 .. 10 x its
high, packing 1 .. the copies that fit, utilisation 0.001 .. 1) and refined by bisection.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from qvc.energy.costmodel import MITIGATION_ORDER, CostModel

#: Morris trajectories (each ``inputs + 1`` evaluations of the vectorised cost model).
TRAJECTORIES = 40
#: Morris grid levels.
LEVELS = 4
#: Seed of the Morris design.
SEED = 0
#: How far beyond its high a power or time is searched for a flip.
_STRETCH = 1000.0


@dataclass(frozen=True)
class Input:
    """One input of the analysis: range, typical value, kind and the domain a flip is searched in."""

    name: str
    low: float
    typical: float
    high: float
    kind: str = "continuous"  # continuous | integer | choice
    domain: tuple[float, float] = (0.0, math.inf)
    choices: tuple[str, ...] = ()

    def show(self, value: float) -> str:
        """``value`` as the input is read (a model name for ``mitigation``)."""
        if self.kind == "choice":
            return self.choices[int(round(value))]
        if self.kind == "integer":
            return str(int(value))
        return f"{value:.3g}"


@dataclass(frozen=True)
class Effect:
    """What one input does to the ratio."""

    input: Input
    mu_star: float
    sigma: float
    ratio_at_low: float
    ratio_at_high: float
    flip_value: float | None = None
    flips_within_range: bool = False

    @property
    def name(self) -> str:
        return self.input.name

    def flip_text(self, verdict_dearer: bool) -> str:
        """How far the input must move for the verdict to flip, in words."""
        i = self.input
        if self.flip_value is None:
            lo, hi = i.domain
            where = (f"{i.show(lo)} .. {i.show(hi)}" if i.kind != "choice" else ", ".join(i.choices))
            return f"{i.name} cannot flip it anywhere in {where}"
        v = self.flip_value
        scale = (f", {v / i.typical:.3g}x its typical {i.show(i.typical)}"
                 if i.kind == "continuous" and i.typical > 0 else f" (typical {i.show(i.typical)})")
        if self.flips_within_range:
            return f"{i.name} flips it at {i.show(v)} inside its range {i.show(i.low)} .. {i.show(i.high)}{scale}"
        return (f"{i.name} would have to reach {i.show(v)}{scale}, outside its range "
                f"{i.show(i.low)} .. {i.show(i.high)}")


@dataclass
class VerdictSensitivity:
    """The analysis of one (classical, quantum) pair."""

    ratio_typical: float
    effects: list[Effect]
    share_flipped: float
    evaluations: int
    method: str
    notes: list[str] = field(default_factory=list)

    @property
    def dearer(self) -> bool:
        """Whether hardware takes more energy than classical at typical values."""
        return self.ratio_typical > 1.0

    @property
    def top(self) -> Effect | None:
        return self.effects[0] if self.effects else None


def inputs_of(models: Sequence[CostModel], shots_range: tuple[float, float] | None = None) -> list[Input]:
    """The ranged inputs of the rows' cost models (the first model's ranges; see the module docstring)."""
    from qvc.energy.scenarios import SHARED_UTILISATION

    first = models[0]
    out: list[Input] = []
    for name, (lo, typ, hi) in first.params.items():
        if not hi > lo:
            continue
        if name.endswith("idle_fraction"):
            domain = (0.0, 1.0)
        elif name == "pue":
            domain = (1.0, 10.0 * hi)
        else:
            domain = (0.0, _STRETCH * hi)
        out.append(Input(name, lo, typ, hi, domain=domain))
    cap = min(m.capacity for m in models)
    if cap > 1:
        asked = first.packing if first.packing > 0 else cap
        out.append(Input("packing", 1.0, float(min(asked, cap)), float(cap), kind="integer", domain=(1.0, float(cap))))
    if first.mode == "attributional":
        u = first.utilisation
        out.append(Input("utilisation", min(SHARED_UTILISATION.low, u), u, 1.0, domain=(1e-3, 1.0)))
    choices = [c for c in MITIGATION_ORDER if all(c in m.mitigation_choices() for m in models)]
    if len(choices) > 1 and first.mitigation in choices:
        out.append(Input("mitigation", 0.0, float(choices.index(first.mitigation)), float(len(choices) - 1),
                         kind="choice", domain=(0.0, float(len(choices) - 1)), choices=tuple(choices)))
    if shots_range is not None and shots_range[1] > shots_range[0]:
        lo_s, hi_s = shots_range
        out.append(Input("shots_scale", lo_s, 1.0, hi_s, domain=(min(lo_s, 1.0) / 100.0, _STRETCH * hi_s)))
    return out


class _Ratio:
    """``R(x)`` for a batch of input values (the hardware side from the cost models)."""

    def __init__(self, models: Sequence[CostModel], classical_j: Sequence[float],
                 pue_linked: Sequence[bool], inputs: list[Input]) -> None:
        self.models, self.inputs = list(models), inputs
        self.classical = np.asarray(classical_j, dtype=float)
        self.linked = np.asarray(pue_linked, dtype=bool)
        self.pue_typical = models[0].params["pue"][1] if "pue" in models[0].params else 1.0
        self.calls = 0

    def __call__(self, values: dict[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(values.values())))
        base = {k: np.full(n, v[1]) for k, v in self.models[0].params.items()}
        extra: dict[str, np.ndarray] = {}
        for inp in self.inputs:
            if inp.name not in values:
                continue
            v = np.asarray(values[inp.name], dtype=float)
            if inp.name in base:
                base[inp.name] = v
            elif inp.name == "mitigation":
                picked = np.clip(np.round(v).astype(int), 0, len(inp.choices) - 1)
                extra["mitigation"] = np.array([MITIGATION_ORDER.index(inp.choices[i]) for i in picked], dtype=float)
            elif inp.name == "packing":
                extra["packing"] = np.maximum(1.0, np.floor(v + 1e-9))
            else:
                extra[inp.name] = v
        p = {**base, **extra}
        hw = np.zeros(n)
        for model in self.models:
            hw = hw + model.energy(p)
            self.calls += n
        pue_scale = base["pue"] / self.pue_typical if "pue" in base else np.ones(n)
        den = np.zeros(n)
        for c, linked in zip(self.classical, self.linked):
            den = den + (c * pue_scale if linked else c)
        with np.errstate(divide="ignore", invalid="ignore"):
            return hw / den

    def at(self, name: str, grid: np.ndarray) -> np.ndarray:
        """``R`` with input ``name`` on ``grid`` and every other input typical."""
        vals = {i.name: np.full(len(grid), i.typical) for i in self.inputs}
        vals[name] = grid
        return self(vals)


def _flip(ratio: _Ratio, inp: Input, r0: float) -> float | None:
    """The value of ``inp`` nearest its typical at which ``R`` crosses 1 (others typical), or None."""
    lo, hi = inp.domain
    if inp.kind in ("integer", "choice"):
        grid = np.arange(math.ceil(lo), math.floor(hi) + 1, dtype=float)
    else:
        pos = max(lo, min(1e-12, hi), (inp.low if inp.low > 0 else hi * 1e-9))
        grid = np.unique(np.concatenate([np.linspace(lo, hi, 801), np.geomspace(pos, hi, 801),
                                         [inp.typical]]))
    side = np.sign(ratio.at(inp.name, grid) - 1.0)
    want = -np.sign(r0 - 1.0)
    hits = np.flatnonzero(side == want)
    if hits.size == 0:
        return None
    if inp.kind in ("integer", "choice"):
        return float(grid[hits[np.argmin(np.abs(grid[hits] - inp.typical))]])
    j = int(hits[np.argmin(np.abs(grid[hits] - inp.typical))])
    k = int(np.searchsorted(grid, inp.typical))  # the typical's place in the grid
    a, b = (float(grid[j - 1]), float(grid[j])) if j >= k else (float(grid[j + 1]), float(grid[j]))
    for _ in range(3):  # refine between the last point on the verdict's side (a) and the first across (b)
        fine = np.linspace(a, b, 101)
        across = np.flatnonzero(np.sign(ratio.at(inp.name, fine) - 1.0) == want)
        first = int(across[0]) if across.size else 100
        a, b = float(fine[max(first - 1, 0)]), float(fine[first])
    return b


def verdict_sensitivity(models: Sequence[CostModel], classical_j: Sequence[float], *,
                        pue_linked: Sequence[bool] | None = None,
                        shots_range: tuple[float, float] | None = None,
                        trajectories: int = TRAJECTORIES, seed: int = SEED) -> VerdictSensitivity:
    """Morris sensitivity of the hardware-vs-classical ratio and each input's flip point.

    Parameters
    ----------
    models : sequence of CostModel
        The quantum rows' priced ledgers (one per seed, the same device).
    classical_j : sequence of float
        The classical partner's energy per seed (same order), in the hardware side's mode.
    pue_linked : sequence of bool, optional
        Per seed, whether the classical energy carries the device's PUE (attributional on
        both sides): it then moves with the PUE (default: all False).
    shots_range : (float, float), optional
        Low and high of the shots as multiples of the priced shots.

    Returns
    -------
    VerdictSensitivity

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> from qvc.energy.devices import get_device
    >>> from qvc.energy.hardware import price_entries
    >>> from qvc.quantum.ledger import LedgerEntry
    >>> qc = QuantumCircuit(2); _ = qc.h(0); _ = qc.cx(0, 1); _ = qc.measure_all()
    >>> cost = price_entries([LedgerEntry("m", "fit", qc, 100, 1000, "kernel")], get_device("ibm_heron"))
    >>> out = verdict_sensitivity([cost.cost_model], [1.0])
    >>> out.dearer, out.top.name  # 100 tiny circuits: packing them is what matters
    (True, 'packing')
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    models = list(models)
    if not models or len(models) != len(classical_j):
        raise ValueError("one classical energy per cost model is needed")
    inputs = inputs_of(models, shots_range)
    ratio = _Ratio(models, classical_j, pue_linked or [False] * len(models), inputs)
    typical = {i.name: np.array([i.typical]) for i in inputs} or {"pue": np.array([models[0].params["pue"][1]])}
    r0 = float(ratio(typical)[0])
    notes: list[str] = []
    if not inputs:
        return VerdictSensitivity(r0, [], 0.0, ratio.calls, "no ranged input", notes)
    problem = {"num_vars": len(inputs), "names": [i.name for i in inputs],
               "bounds": [[i.low, i.high] for i in inputs]}
    X = morris_sample.sample(problem, N=int(trajectories), num_levels=LEVELS, seed=seed)
    R = ratio({i.name: X[:, k] for k, i in enumerate(inputs)})
    Y = np.log10(np.clip(R, 1e-300, None))
    res = morris_analyze.analyze(problem, X, Y, num_levels=LEVELS, seed=seed, print_to_console=False)
    share = float(np.mean(np.sign(R - 1.0) != np.sign(r0 - 1.0))) if np.isfinite(r0) else float("nan")
    effects = []
    for k, inp in enumerate(inputs):
        ends = ratio.at(inp.name, np.array([inp.low, inp.high]))
        flip = _flip(ratio, inp, r0) if np.isfinite(r0) and r0 != 1.0 else None
        within = flip is not None and inp.low - 1e-12 <= flip <= inp.high + 1e-12
        effects.append(Effect(inp, float(res["mu_star"][k]), float(res["sigma"][k]), float(ends[0]),
                              float(ends[1]), flip, within))
    effects.sort(key=lambda e: (-e.mu_star, -abs(math.log10(max(e.ratio_at_high, 1e-300))
                                                 - math.log10(max(e.ratio_at_low, 1e-300))), e.name))
    method = (f"Morris elementary effects of log10(ratio) (SALib {_salib_version()}, {LEVELS} levels, "
              f"{int(trajectories)} trajectories, seed {seed}; {len(X)} points) over {len(inputs)} inputs; "
              "flip points one at a time, the others typical")
    return VerdictSensitivity(r0, effects, share, ratio.calls, method, notes)


def _salib_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("SALib")
    except PackageNotFoundError:  # pragma: no cover - imported above, so installed
        return "?"

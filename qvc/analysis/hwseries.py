"""The hardware series of a break-even: the cost model evaluated at every size, not a fitted law.

A sweep prices its measured points with :func:`qvc.energy.hardware.price_entries` (the cost
model of :mod:`qvc.energy.costmodel`). Between and beyond them the break-even needs the same
figure at sizes nobody ran; fitting a growth law to a deterministic model's seed-noisy output
(the auto-shot rule swings by orders of magnitude between seeds) gives laws that *fall* with
qubits. Here the cost model itself is evaluated at each size, and only the inputs it cannot
know there are extrapolated, each with its own stated law and interval:

* **circuits**: the kernel model's planned ledger at ``n`` qubits (fit ``N(N-1)/2``, predict
  ``M x n_support``, ``n_support`` = the measured support-vector share at the largest measured
  size times ``N``), the feature map of the measured rows (entanglement, repetitions);
* **ESP and mitigation**: computed, not extrapolated: the transpiled ``n``-qubit circuit's
  per-operation errors on the device (:mod:`qvc.energy.mitigation`, :mod:`qvc.energy.noise`);
* **shots** (:class:`ShotLaw`): ``S(n) = max(S_pred, (1 - K(n)) / (K(n) eps^2)) / D(n)^2``.
  ``S_pred`` is the geometric mean of the measured auto shots (the prediction rule of
  :mod:`qvc.experiment.autoshots`; interval: their 5-95 % range), ``K(n) = exp(a + b n)`` the
  measured median test-vs-support fidelity fitted by OLS on ``ln K`` (statsmodels; 90 %
  confidence band; ``b`` capped at 0: kernels do not de-concentrate with qubits), ``eps`` the
  rule's 10 % relative error, and ``D(n)`` the device's damping of the kernel signal under the
  ``esp-depolarizing`` model (gate weight ``w`` times the readout survival ``r0``; ZNE's
  extrapolated damping for ``zne``; 1 for ``pec``, whose ``gamma^2`` the cost model charges):
  the same signal-to-noise under device noise needs ``D^-2`` times the shots. ``D(n)`` is taken
  as the largest damping of the sizes ``>= n`` evaluated (:meth:`EspShotPricer.prepare`): the
  ``n``-qubit map is a sub-circuit of every larger one and could run on its qubits, whatever
  (worse) layout the transpiler picked at ``n`` (an optimistic choice for the hardware).

A size is **declined** (no price) when the shots exceed the cap, when PEC's ``gamma^2`` exceeds
:data:`~qvc.energy.mitigation.PRACTICAL_MAX_OVERHEAD` (100) under ``pec`` or ``zne``, when the
ESP is 0, or beyond the device's qubits. The whole configuration crosses one boundary,
:data:`HardwarePricer` (``(qubits, samples) -> PricedConfig``), so a pricer that searches shots
and mitigation against an on-device accuracy target can replace :class:`EspShotPricer`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qvc.energy.costmodel import CostModel

if TYPE_CHECKING:
    from qvc.energy.devices import DevicePreset

#: Confidence of the shot law's band (the same 90 % as the cost model's interval).
SHOT_LAW_CONFIDENCE = 0.90


@dataclass(frozen=True)
class PricedConfig:
    """What the device would run at one size, and what it costs (or why it is declined).

    Attributes
    ----------
    qubits, n_train, n_test : int
    shots, shots_low, shots_high : float
        Shots per circuit (central and the shot law's band); NaN when declined before pricing.
    mitigation : str
    esp : float
        Estimated success probability of the transpiled kernel circuit.
    pec_overhead : float
        Its PEC ``gamma^2`` (whatever the mitigation).
    energy_j, energy_low, energy_high : float
        The cost model's Monte Carlo median and 5-95 % range (the low/high also span the shot band).
    declined : str
        Empty when priced, else the reason.
    cost_model : CostModel or None
        The evaluated model (re-price it: ``Interval.of(cost_model.energy(draws)).median``).
    circuits_fit, circuits_predict : int
        The planned ledger priced: ``N(N-1)/2`` fit circuits and ``M x n_support`` predict circuits,
        each of ``shots`` shots (re-price by hand with :func:`qvc.energy.hardware.price_entries`).
    """

    qubits: int
    n_train: int
    n_test: int
    shots: float
    shots_low: float
    shots_high: float
    mitigation: str
    esp: float
    pec_overhead: float
    energy_j: float
    energy_low: float
    energy_high: float
    declined: str = ""
    cost_model: CostModel | None = None
    circuits_fit: int = 0
    circuits_predict: int = 0

    @property
    def priced(self) -> bool:
        """True when the size has a price."""
        return not self.declined


#: The one boundary: ``pricer(qubits, n_train, n_test) -> PricedConfig``.
HardwarePricer = Callable[[int, int, int], PricedConfig]


@dataclass(frozen=True)
class ShotLaw:
    """Noiseless shots at any size, from the measured points (see the module docstring)."""

    s_pred: float
    s_pred_low: float
    s_pred_high: float
    k_intercept: float
    k_slope: float
    k_cov: tuple[tuple[float, float], tuple[float, float]]
    k_df: int
    eps: float = 0.1
    cap: float = 2.0**20
    n_points: int = 0
    notes: tuple[str, ...] = ()

    def concentration(self, n: float) -> tuple[float, float, float]:
        """``K(n)`` central, low and high (the OLS 90 % confidence band of ``ln K``)."""
        from scipy import stats

        mu = self.k_intercept + self.k_slope * n
        v = np.array([1.0, n])
        var = float(v @ np.asarray(self.k_cov) @ v)
        q = float(stats.t.ppf(0.5 + SHOT_LAW_CONFIDENCE / 2, max(self.k_df, 1))) if self.k_df > 0 else 0.0
        half = q * math.sqrt(max(var, 0.0)) if math.isfinite(var) else 0.0
        return tuple(min(1.0, math.exp(x)) for x in (mu, mu - half, mu + half))  # type: ignore[return-value]

    def entry(self, n: float) -> tuple[float, float, float]:
        """The concentration term ``(1 - K(n)) / (K(n) eps^2)``: central, low, high."""
        k, k_lo, k_hi = self.concentration(n)

        def term(kk: float) -> float:
            return (1.0 - kk) / (kk * self.eps**2) if kk > 0 else math.inf

        return term(k), term(k_hi), term(k_lo)

    def growth(self, n: float, n0: float) -> tuple[float, float, float]:
        """How much more the concentration term asks at ``n`` than at ``n0`` (central, low, high; 1 if unmeasured)."""
        base = self.entry(n0)[0]
        if not (math.isfinite(base) and base > 0):
            return 1.0, 1.0, 1.0
        return tuple(v / base for v in self.entry(n))  # type: ignore[return-value]

    def noiseless(self, n: float) -> tuple[float, float, float]:
        """Noiseless shots at ``n``: central, low, high."""
        e, e_lo, e_hi = self.entry(n)
        return max(self.s_pred, e), max(self.s_pred_low, e_lo), max(self.s_pred_high, e_hi)

    def describe(self) -> str:
        """The law with its fitted numbers, in one line."""
        return (f"S(n) = max(S_pred, (1 - K(n))/(K(n) x {self.eps:g}^2)) / D(n)^2; S_pred = {self.s_pred:.3g} "
                f"[{self.s_pred_low:.3g}, {self.s_pred_high:.3g}] (geometric mean and 5-95 % range of "
                f"{self.n_points} measured auto shots); K(n) = exp({self.k_intercept:.3g} + {self.k_slope:.3g} n) "
                f"(OLS on ln K, {SHOT_LAW_CONFIDENCE:.0%} band); D(n) = device damping of the kernel signal "
                "(esp-depolarizing); cap "
                f"{self.cap:.4g}" + ("; " + "; ".join(self.notes) if self.notes else ""))


_K_RE = re.compile(r"fidelity K = ([-+0-9.e]+)")
_CAP_RE = re.compile(r"<= (\d+) whose")


def fit_shot_law(rows: pd.DataFrame) -> ShotLaw:
    """The :class:`ShotLaw` of a pair's quantum rows (``qubits``, ``shots``, ``shots_rule``).

    ``K`` is read from the auto rule's text (the median test-vs-support fidelity it resolved),
    else the row's ``kernel_offdiag_mean``. Fixed-shot rows give ``S_pred`` = those shots.

    Examples
    --------
    >>> rows = pd.DataFrame({"qubits": [2, 4, 6], "shots": [64, 128, 256],
    ...                      "kernel_offdiag_mean": [0.5, 0.25, 0.125]})
    >>> law = fit_shot_law(rows)
    >>> round(law.concentration(8)[0], 4), law.noiseless(8)[0] > 256
    (0.0625, True)
    """
    import statsmodels.api as sm

    rules = rows["shots_rule"].astype(str) if "shots_rule" in rows else pd.Series("", index=rows.index)
    k = []
    for (_, r), rule in zip(rows.iterrows(), rules):
        m = _K_RE.search(rule)
        val = float(m.group(1)) if m else float(r.get("kernel_offdiag_mean", math.nan))
        k.append(val)
    kk = np.array(k, dtype=float)
    x = rows["qubits"].to_numpy(float)
    ok = np.isfinite(kk) & (kk > 0) & np.isfinite(x)
    notes = []
    caps = {int(c) for c in (_CAP_RE.findall(" ".join(rules)))}
    cap = float(max(caps)) if caps else float(2**20)
    if ok.sum() >= 3 and len(np.unique(x[ok])) >= 2:
        res = sm.OLS(np.log(kk[ok]), sm.add_constant(x[ok])).fit()
        a, b = (float(v) for v in res.params)
        cov = np.asarray(res.cov_params(), dtype=float)
        df = int(res.df_resid)
        if b > 0:
            notes.append(f"fitted K slope {b:.3g} > 0 capped at 0 (kernels do not de-concentrate with qubits)")
            a, b = float(np.mean(np.log(kk[ok]))), 0.0
            cov = np.array([[float(np.var(np.log(kk[ok]), ddof=1)) / ok.sum(), 0.0], [0.0, 0.0]])
    elif ok.any():
        a, b, cov, df = float(np.mean(np.log(kk[ok]))), 0.0, np.zeros((2, 2)), 0
        notes.append("K measured at fewer than 2 sizes: taken constant")
    else:
        a, b, cov, df = 0.0, 0.0, np.zeros((2, 2)), 0
        notes.append("no kernel concentration measured: the entry rule is not applied")
    shots = rows["shots"].to_numpy(float) if "shots" in rows else np.array([])
    shots = shots[np.isfinite(shots) & (shots > 0)]
    if shots.size:
        ls = np.log(shots)
        s, lo, hi = math.exp(ls.mean()), float(np.quantile(shots, 0.05)), float(np.quantile(shots, 0.95))
    else:
        s = lo = hi = 1.0
    return ShotLaw(s, lo, hi, a, b, ((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1]))),
                   df, cap=cap, n_points=int(shots.size), notes=tuple(notes))


@dataclass
class EspShotPricer:
    """Prices the kernel model at any size with the cost model and the :class:`ShotLaw`.

    Implements :data:`HardwarePricer` with what the cost model and the noise model give today;
    ``declined`` names the first input beyond its limit.
    """

    device: DevicePreset
    law: ShotLaw
    entanglement: str = "full"
    reps: int = 2
    support_share: float = 1.0
    mode: str = "attributional"
    mitigation: str = "none"
    packing: int = 1
    utilisation: float = 1.0
    n_draws: int = 400
    seed: int = 0
    _cache: dict = field(default_factory=dict, repr=False, init=False)
    _raw: dict = field(default_factory=dict, repr=False, init=False)
    _suffix: dict = field(default_factory=dict, repr=False, init=False)

    def __call__(self, qubits: int, n_train: int, n_test: int) -> PricedConfig:
        return self.price_shots(qubits, n_train, n_test, None)

    def price_shots(self, qubits: int, n_train: int, n_test: int,
                    shots: tuple[float, float, float] | None) -> PricedConfig:
        """The cost model at one size with given shots per circuit ``(central, low, high)``.

        ``shots=None``: the :class:`ShotLaw`'s shots scaled by the damping (what ``__call__`` does).
        The same checks decline the size (device qubits, ESP 0, mitigation limits, shot cap).
        """
        from qvc.errors import QvcUsageError

        key = (int(qubits), int(n_train), int(n_test), shots)
        if key not in self._cache:
            try:
                self._cache[key] = self._price(*key[:3], shots=shots)
            except QvcUsageError as e:  # the device cannot take the circuit: declined, with the reason
                nan = math.nan
                self._cache[key] = PricedConfig(*key[:3], nan, nan, nan, self.mitigation, nan, nan, nan, nan,
                                                nan, f"not priceable on {self.device.name}: {e}")
        return self._cache[key]

    def damping(self, n: int) -> float:
        """The damping the pricing applies at ``n``: the suffix maximum of :meth:`prepare` (else raw)."""
        top = int(self.device.num_qubits)
        return max(self.raw_damping(n), self._suffix.get(n, self.raw_damping(min(n + 1, top))))

    def raw_damping(self, n: int) -> float:
        """Damping of the transpiled ``n``-qubit kernel circuit alone (1 without error data; cached)."""
        from qvc.energy.hardware import template_timing
        from qvc.quantum.circuits import feature_map, kernel_template

        if n not in self._raw:
            rates = template_timing(kernel_template(feature_map(n, self.reps, self.entanglement)),
                                    self.device).error_rates(self.device)
            self._raw[n] = 1.0 if rates is None else self._damping(rates)
        return self._raw[n]

    def prepare(self, start: int, stop: int, *, confirm: int = 3) -> None:
        """Damping at every size ``start..stop`` as the maximum over that size and all larger ones.

        Raw dampings are computed upwards until ``confirm`` sizes in a row need more shots than the
        cap even noiselessly scaled (the pricing declines there anyway); then the suffix maximum.
        """
        from qvc.energy.hardware import template_timing
        from qvc.energy.mitigation import PRACTICAL_MAX_OVERHEAD, mitigation_cost
        from qvc.quantum.circuits import feature_map, kernel_template

        if self.mitigation == "pec":  # no damping under PEC (its gamma^2 is charged): nothing to prepare
            return
        top = min(int(stop), int(self.device.num_qubits))
        run, sizes = 0, []
        for n in range(int(start), top + 1):
            d = self.raw_damping(n)
            sizes.append(n)
            need = self.law.noiseless(n)[0] / d**2 if d > 0 else math.inf
            over = not need <= self.law.cap
            if self.mitigation == "zne" and not over:  # ZNE is declined past PEC's practical gamma^2 too
                rates = template_timing(kernel_template(feature_map(n, self.reps, self.entanglement)),
                                        self.device).error_rates(self.device)
                over = rates is not None and not mitigation_cost("none", *rates).pec_overhead <= \
                    PRACTICAL_MAX_OVERHEAD
            run = run + 1 if over else 0
            if run >= confirm:
                break
        best = 0.0
        for n in reversed(sizes):
            best = max(best, self._raw[n])
            self._suffix[n] = best

    def _damping(self, rates) -> float:
        """Damping of the kernel signal under the esp-depolarizing model and this mitigation."""
        from qvc.energy.noise import CircuitNoise

        if self.mitigation == "pec":
            return 1.0
        noise = CircuitNoise.from_errors(*rates)
        return noise.damping(self.mitigation) * math.prod(1.0 - e for e in noise.readout)

    def _price(self, n: int, n_train: int, n_test: int, *,
               shots: tuple[float, float, float] | None = None) -> PricedConfig:
        from qvc.energy.hardware import Interval, draw_parameters, price_entries, template_timing
        from qvc.energy.mitigation import PRACTICAL_MAX_OVERHEAD, mitigation_cost
        from qvc.quantum.circuits import feature_map, kernel_template
        from qvc.quantum.ledger import LedgerEntry

        dev = self.device
        nan = math.nan

        def declined(reason: str, esp: float = nan, pec: float = nan,
                     shots: tuple[float, float, float] = (nan, nan, nan)) -> PricedConfig:
            return PricedConfig(n, n_train, n_test, shots[0], shots[1], shots[2], self.mitigation, esp, pec,
                                nan, nan, nan, reason)

        if n > int(dev.num_qubits):
            return declined(f"the circuit needs {n} qubits, beyond the device's {dev.num_qubits}")
        template = kernel_template(feature_map(n, self.reps, self.entanglement))
        timing = template_timing(template, dev)
        rates = timing.error_rates(dev)
        if rates is None:
            damping, esp_v, pec2 = 1.0, nan, nan
        else:
            m = mitigation_cost("none", *rates)
            esp_v, pec2 = m.esp, m.pec_overhead
            # the n-qubit map is a sub-circuit of every larger one: run on a larger one's qubits it is
            # damped no more, whatever layout the transpiler picked at n (suffix maximum, prepare())
            damping = self.damping(n)
        if rates is not None and not (esp_v > 0):
            return declined("the ESP of the transpiled circuit is 0 (a gate or readout error of 1 on the "
                            "device's qubits)", esp_v, pec2)
        if self.mitigation in ("pec", "zne") and not pec2 <= PRACTICAL_MAX_OVERHEAD:
            return declined(f"the mitigation needed exceeds practical limits: PEC gamma^2 = {pec2:.3g} > "
                            f"{PRACTICAL_MAX_OVERHEAD:g} (IBM Runtime's default max_overhead)", esp_v, pec2)
        if shots is None:
            s0, s0_lo, s0_hi = self.law.noiseless(n)
            scale = 1.0 / damping**2 if damping > 0 else math.inf
            shots = tuple(float(math.ceil(min(v * scale, 1e300))) if math.isfinite(v * scale) else math.inf
                          for v in (s0, s0_lo, s0_hi))  # type: ignore[assignment]
            how = f"noiseless {s0:.3g} x device damping^-2 {scale:.3g}, ESP {esp_v:.3g}"
        else:
            shots = tuple(float(math.ceil(v)) if math.isfinite(v) else math.inf for v in shots)  # type: ignore
            how = f"extrapolated from the device-accuracy search, ESP {esp_v:.3g}"
        assert shots is not None
        if not shots[0] <= self.law.cap:
            return declined(f"the shots needed exceed the cap: {shots[0]:.3g} > {self.law.cap:.4g} ({how})",
                            esp_v, pec2, shots)
        n_sv = max(1, int(round(self.support_share * n_train)))
        entries = [LedgerEntry("qsvc", "fit", template, n_train * (n_train - 1) // 2, int(shots[0]), "kernel"),
                   LedgerEntry("qsvc", "predict", template, n_test * n_sv, int(shots[0]), "kernel")]
        cost = price_entries(entries, dev, mode=self.mode, mitigation=self.mitigation,
                             n_draws=self.n_draws, seed=self.seed, packing=self.packing,
                             utilisation=self.utilisation)
        model = cost.cost_model
        assert model is not None and cost.energy_interval is not None
        draws = draw_parameters(dev, self.n_draws, self.seed)
        rng = np.random.default_rng(self.seed + 1)
        lo_r, hi_r = shots[1] / shots[0], shots[2] / shots[0]
        u = rng.random(self.n_draws)
        band = dict(draws, shots_scale=np.exp(np.log(lo_r) + u * (np.log(hi_r) - np.log(lo_r))))
        spread = Interval.of(model.energy(band))
        return PricedConfig(n, n_train, n_test, shots[0], shots[1], shots[2], self.mitigation, esp_v, pec2,
                            cost.energy_interval.median, min(spread.low, cost.energy_interval.low),
                            max(spread.high, cost.energy_interval.high), "", model,
                            entries[0].n_circuits, entries[1].n_circuits)


def _chosen_by_size(rows: pd.DataFrame) -> tuple[dict[int, list[tuple[str, float]]], dict[int, str]]:
    """Per measured size: the seeds' searched ``(mitigation, shots)`` and the decline reasons.

    Read from the rows' ``device_search`` JSON (:meth:`qvc.experiment.deviceaccuracy.Search.to_json`)
    and ``device_declined``. A size is declined when most of its searched seeds were declined.
    """
    chosen: dict[int, list[tuple[str, float]]] = {}
    declined: dict[int, list[str]] = {}
    searched: dict[int, int] = {}
    for _, r in rows.iterrows():
        text = r.get("device_search")
        if not isinstance(text, str) or not text.strip():
            continue
        try:
            d = json.loads(text)
        except ValueError:
            continue
        n = int(r["qubits"])
        searched[n] = searched.get(n, 0) + 1
        pick = d.get("chosen")
        if pick:
            chosen.setdefault(n, []).append((str(pick[0]), float(pick[1])))
        else:
            why = r.get("device_declined")
            declined.setdefault(n, []).append(str(why) if isinstance(why, str) and why.strip()
                                              else "no configuration reaches the on-device accuracy target")
    out_declined = {n: f"the device-accuracy search declined {len(why)} of {searched[n]} searches (seeds x "
                       f"simulators): {why[0]}"
                    for n, why in declined.items() if len(why) * 2 > searched[n]}
    return {n: c for n, c in chosen.items() if n not in out_declined}, out_declined


@dataclass
class SearchedPricer:
    """The hardware priced with the device-accuracy search's configurations (:data:`HardwarePricer`).

    A measured size's configuration is the mitigation most seeds' searches chose there and the
    geometric mean of those seeds' searched shots (band: their smallest and largest). At any size
    ``n`` every measured size ``n0 <= n`` (else the smallest measured) carries its configuration to
    ``n`` and the most expensive one is priced, by the cost model at the requested samples: a
    larger kernel circuit is no cheaper to run to the same accuracy (more gates, a lower ESP, a
    more concentrated kernel), so the seeds' search noise - a smaller size that happened to need
    more shots - cannot make the series fall with qubits. Carrying a configuration extrapolates
    only the shot count:
    ``S(n) = S(n0) x [E(n) / E(n0)] x [D(n0) / D(n)]^2``, with ``E`` the :class:`ShotLaw`'s
    concentration term :meth:`ShotLaw.entry` (its 90 % band widens the shot band) and ``D`` the
    damping under the chosen mitigation (1 under PEC, whose ``gamma^2`` the cost model charges).
    A size above a declined measured one is declined too (more qubits only add noise); the same
    limits as :class:`EspShotPricer` apply.
    """

    base: EspShotPricer
    chosen: dict[int, list[tuple[str, float]]]
    declined_at: dict[int, str] = field(default_factory=dict)
    _by_mitigation: dict = field(default_factory=dict, repr=False, init=False)

    @property
    def device(self) -> DevicePreset:
        return self.base.device

    @property
    def law(self) -> ShotLaw:
        return self.base.law

    def _pricer(self, mitigation: str) -> EspShotPricer:
        from dataclasses import replace

        if mitigation not in self._by_mitigation:
            self._by_mitigation[mitigation] = (self.base if mitigation == self.base.mitigation
                                               else replace(self.base, mitigation=mitigation))
        return self._by_mitigation[mitigation]

    def prepare(self, start: int, stop: int, *, confirm: int = 3) -> None:
        """Dampings for every mitigation chosen at a measured size (:meth:`EspShotPricer.prepare`)."""
        if self.declined_at:  # every size from the first search-declined one is declined anyway
            stop = min(int(stop), min(self.declined_at) - 1)
        for m in sorted({self.configuration(n)[0] for n in self.chosen}):
            self._pricer(m).prepare(start, stop, confirm=confirm)

    def configuration(self, n0: int) -> tuple[str, tuple[float, float, float]]:
        """The mitigation and the shots ``(geometric mean, min, max)`` searched at measured size ``n0``."""
        from collections import Counter

        picks = self.chosen[n0]
        counts = Counter(m for m, _ in picks)
        mitigation = max(sorted(counts), key=lambda m: counts[m])  # ties: alphabetical first
        shots = np.array([v for m, v in picks if m == mitigation], dtype=float)
        return mitigation, (float(math.exp(np.log(shots).mean())), float(shots.min()), float(shots.max()))

    def describe(self) -> str:
        """The rule in one line, with the measured configurations."""
        configs = {n: self.configuration(n) for n in sorted(self.chosen)}
        sizes = ", ".join(f"{n}: {m} {shots[0]:.3g}" for n, (m, shots) in configs.items())
        return ("device-accuracy search's configurations at the measured sizes (mitigation, geometric-mean "
                f"shots: {sizes}), each carried to n by S(n) = S(n0) x E(n)/E(n0) x (D(n0)/D(n))^2 and the most "
                "expensive of those with n0 <= n priced; E = (1 - K(n))/(K(n) x "
                f"{self.law.eps:g}^2), K(n) = exp({self.law.k_intercept:.3g} + {self.law.k_slope:.3g} n) (OLS on "
                f"ln K, {SHOT_LAW_CONFIDENCE:.0%} band), D = device damping under the chosen mitigation"
                + (f"; declined by the search at n = {', '.join(map(str, sorted(self.declined_at)))}"
                   if self.declined_at else ""))

    def __call__(self, qubits: int, n_train: int, n_test: int) -> PricedConfig:
        n, nan = int(qubits), math.nan
        below_declined = [k for k in self.declined_at if k <= n]
        if below_declined:
            k = min(below_declined)
            return PricedConfig(n, n_train, n_test, nan, nan, nan, "", nan, nan, nan, nan, nan,
                                self.declined_at[k] + ("" if k == n else f" (at n = {k} <= {n})"))
        if not self.chosen:
            return self.base(n, n_train, n_test)
        sources = [k for k in self.chosen if k <= n] or [min(self.chosen)]
        best: PricedConfig | None = None
        for n0 in sorted(sources):
            c = self.extrapolated(n0, n, n_train, n_test)
            if not c.priced:  # some measured configuration cannot be carried to n: declined
                return c
            if best is None or c.energy_j > best.energy_j:
                best = c
        assert best is not None
        return best

    def extrapolated(self, n0: int, n: int, n_train: int, n_test: int) -> PricedConfig:
        """Measured size ``n0``'s configuration carried to ``n`` (itself at ``n = n0``), priced."""
        mitigation, (s, lo, hi) = self.configuration(n0)
        pricer = self._pricer(mitigation)
        if n == n0:
            return pricer.price_shots(n, n_train, n_test, (s, lo, hi))
        g, g_lo, g_hi = self.law.growth(n, n0)
        d0, d = pricer.damping(n0), pricer.damping(n)
        damp = (d0 / d) ** 2 if d > 0 else math.inf
        return pricer.price_shots(n, n_train, n_test, (s * g * damp, lo * g_lo * damp, hi * g_hi * damp))


def pricer_for(rows: pd.DataFrame, *, n_draws: int = 400) -> EspShotPricer | SearchedPricer | None:
    """The pricer of a pair's quantum rows (their device, cost model, feature map).

    A :class:`SearchedPricer` when the rows carry the device-accuracy search (``device_search``),
    else an :class:`EspShotPricer` (the shot law scaled by the device damping).
    ``None`` when the rows carry no device preset that can be loaded, or no priced cost model.
    """
    from qvc.energy.devices import get_device

    if "device" not in rows or rows["device"].dropna().empty:
        return None
    priced = rows[rows.get("hw_cost_model", pd.Series(dtype=object)).notna()] if "hw_cost_model" in rows else rows
    try:
        dev = get_device(str(rows["device"].dropna().iloc[0]))
    except Exception:  # noqa: BLE001 - a custom device file not at hand: cannot re-price
        return None
    mode, mitigation, packing, utilisation = "attributional", "none", 1, 1.0
    if "hw_cost_model" in priced and priced["hw_cost_model"].notna().any():
        d = json.loads(str(priced["hw_cost_model"].dropna().iloc[0]))
        mode, mitigation = str(d.get("mode", mode)), str(d.get("mitigation", mitigation))
        packing, utilisation = int(d.get("packing", 1)), float(d.get("utilisation", 1.0))
    elif "hw_attribution" in rows and rows["hw_attribution"].notna().any():
        mode = str(rows["hw_attribution"].dropna().iloc[0])
    reps, ent = 2, str(rows["entanglement"].dropna().iloc[0]) if "entanglement" in rows and \
        rows["entanglement"].notna().any() else "full"
    if "hyperparameters" in rows and rows["hyperparameters"].notna().any():
        try:
            hp = json.loads(str(rows["hyperparameters"].dropna().iloc[0]))
            reps = int(hp.get("feature_map_reps", reps))
            ent = str(hp.get("entanglement", ent))
        except (ValueError, TypeError):
            pass
    share = 1.0
    if "support_vector_share" in rows and rows["support_vector_share"].notna().any():
        top = rows[rows["qubits"] == rows["qubits"].max()]["support_vector_share"].dropna()
        share = float(top.mean()) if len(top) else share
    base = EspShotPricer(dev, fit_shot_law(rows), ent, reps, share, mode, mitigation, packing, utilisation,
                         n_draws=n_draws)
    chosen, declined = _chosen_by_size(rows)
    if chosen or declined:
        return SearchedPricer(base, chosen, declined)
    return base


@dataclass
class EvaluatedSeries:
    """A pricer evaluated along qubits: the priced sizes and where pricing stops."""

    configs: list[PricedConfig]
    declined_from: float = math.inf
    reason: str = ""

    @property
    def x(self) -> np.ndarray:
        return np.array([c.qubits for c in self.configs if c.priced], dtype=float)

    def column(self, name: str) -> np.ndarray:
        return np.array([getattr(c, name) for c in self.configs if c.priced], dtype=float)


def evaluate_qubits(pricer: HardwarePricer, start: int, stop: int, n_train: int, n_test: int,
                    *, confirm: int = 3) -> EvaluatedSeries:
    """Evaluate ``pricer`` at every size ``start..stop``; stop after ``confirm`` declines in a row.

    ``declined_from`` is the first size from which every evaluated size is declined (with the
    first such size's reason).
    """
    out: list[PricedConfig] = []
    run = 0
    prepare = getattr(pricer, "prepare", None)
    if callable(prepare):
        prepare(int(start), int(stop), confirm=confirm)
    for n in range(int(start), int(stop) + 1):
        c = pricer(n, n_train, n_test)
        out.append(c)
        run = 0 if c.priced else run + 1
        if run >= confirm:
            break
    first = math.inf
    reason = ""
    for c in reversed(out):
        if c.priced:
            break
        first, reason = float(c.qubits), c.declined
    return EvaluatedSeries(out, first, reason)

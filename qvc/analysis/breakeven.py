"""Break-even of modelled hardware against the cheapest classical simulator, with an honest interval.

The kernel pair's quantum model (qsvc) can be simulated classically in more than
one way; a sweep measures each applicable simulator per point (the row's
``simulator`` column: ``statevector`` = qvc's CPU engine, ``mps`` = Aer
matrix-product states) and this module adds a *modelled* GPU statevector series
(:func:`gpu_statevector_energy`, sourced constants in :data:`GPU`). Each series is
fitted with laws that respect its physics:

- CPU statevector: ``c + a*G(n)*2^n`` (``G`` = gates of the feature map),
  ``c + a*n*2^n`` (fused layers) and ``c + a*2^(b*n)`` with ``b >= 1`` (the
  exponent's lower bound);
- MPS: ``c + a*n*chi(n)^3`` (one SVD of a ``2chi x 2chi`` matrix per two-qubit
  gate), with ``chi(n)`` the measured bond dimension (constant when it is
  constant over the largest measured sizes, else ``2^(n/2)``), and the
  polynomial laws;
- hardware and the classical model: polynomial laws (``linear``, ``quadratic``,
  ``power``) and ``exp+floor``.

The break-even is the first qubit count where the hardware law falls below the
*envelope*: at each ``x`` the cheapest simulator that is available there (walls:
:data:`WALLS`) and meets the precision (exact, or MPS fidelity-matched to the
hardware). The interval is a 5-95 % range over draws that each (i) drop 0-2 of the
largest and smallest measured sizes, (ii) bootstrap-resample the remaining points,
(iii) pick each series' law among those the full data finds plausible, (iv) draw the fit's parameters
from their covariance, and (v) draw the hardware cost model and the GPU model
between their low and high bounds. A crossing further beyond the measured range
than ``max_extrapolation`` is declined: the table then gives the laws instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from qvc.analysis.laws import LAWS, GrowthFit, Law, fit_law

_INF = np.inf
_LN2 = math.log(2.0)

#: Modelled GPU statevector simulator: a current data-centre GPU (NVIDIA H200 SXM).
#: Sources: /work/shared/reference/classical-simulation-anchors.md section 1.
GPU: dict[str, Any] = {
    "name": "NVIDIA H200 SXM (modelled)",
    "board_w": (700.0, "H200 SXM TDP 700 W: vendor spec pages (saulelectric, aiminingco, openmetal) [secondary]"),
    "bandwidth_b_per_s": (4.8e12, "H200 HBM3e 4.8 TB/s: same spec pages [secondary]"),
    "memory_b": (141e9, "H200 HBM 141 GB: same spec pages [secondary]"),
    "bandwidth_efficiency": ((0.5, 1.0), "achieved share of peak bandwidth, 50-100 % [assumption]"),
    "launch_s": (1e-5, "kernel launch + sync per pass, 10 us [assumption]; dominates below ~25 qubits"),
    "fusion_width": (5, "gates fused into one pass: a layer of 1-qubit gates in groups of 5 qubits, each "
                        "diagonal layer in one pass (cuStateVec-style fusion) [assumption]"),
    "node_factor": ((1.0, 3.0), "34-36 qubits on one 8-GPU node: energy factor for NVLink exchange [assumption]"),
    "distributed_factor": ((2.0, 10.0), "37-50 qubits across nodes: energy factor for interconnect and host "
                                        "power [assumption, unverified]"),
    "host_w": ((100.0, 250.0, 600.0), "host share of a GPU node per GPU (CPUs, memory, NICs, fans of an 8-GPU "
                                      "node shared over its GPUs), low/typical/high [assumption, unverified: "
                                      "no node wall-power figure in the reference; its section 5 asks for whole-"
                                      "node power, not board TDP]"),
}

#: Statevector walls in qubits (fp64, one state): beyond them the statevector series stops.
WALLS = {
    "single GPU (H200, 141 GB)": (33, "2^33 x 16 B = 137 GB fits 141 GB [derived]"),
    "large single node (8 x H200, 1.13 TB)": (36, "2^36 x 16 B = 1.1 TB [derived]"),
    "largest published distributed simulation (JUQCS-50, JUPITER, 16,384 GH200)": (
        50, "De Raedt et al., arXiv:2511.03359, via FZ Juelich news and reviews [secondary]"),
}


def local_wall() -> tuple[int, str]:
    """Largest qubit count whose statevector (complex128) fits this machine's available memory."""
    from qvc._validation import available_memory_bytes, format_bytes

    mem = available_memory_bytes()
    return int(math.floor(math.log2(0.8 * mem / 16))), f"this machine ({format_bytes(mem)} available)"


def zz_gates(n, entanglement: str = "full", reps: int = 2):
    """Gates of qiskit's ZZ feature map after decomposition (checked at n=10: 310 full, 94 linear)."""
    n = np.asarray(n, dtype=float)
    pairs = n * (n - 1) / 2 if entanglement in ("full",) else np.maximum(n - 1, 0) + (
        1.0 if entanglement == "circular" else 0.0) * (n > 2)
    return reps * (2 * n + 3 * pairs)


def gpu_statevector_energy(n, n_train: float, n_test: float, n_support: float,
                           entanglement: str = "full", reps: int = 2, *, pue: float = 1.0,
                           host: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Modelled energy (J) of the kernel model's fit + predict on GPU statevectors: typical, low, high.

    ``host=True`` adds the node's host share per GPU (:data:`GPU` ``host_w``) to the board power
    and ``pue`` multiplies the whole (the attributional mode: the same facility PUE as the
    hardware side); the default is the board alone (marginal: a floor for the node).

    ``n_train + n_test`` states are simulated, each in ``passes`` memory-bound passes
    of ``2^n x 32 B`` (read + write complex128) at the board's power, plus
    ``n_train(n_train-1)/2 + n_test*n_support`` inner products (one read of two
    states each). Passes: low = fused (``reps * (ceil(n/fusion_width) + 1)``), high =
    one per gate (no fusion), typical = twice the fused count [assumption]. States that
    do not fit the GPU together are recomputed per block of the Gram matrix. Beyond
    one GPU the energy is multiplied by the node / distributed factors of :data:`GPU`;
    beyond the largest published simulation (50 qubits) it is ``inf``. Board power only
    (host, network and cooling excluded): a floor for the node.

    Examples
    --------
    >>> t, lo, hi = gpu_statevector_energy(30, 30, 10, 10)
    >>> bool(lo < t < hi), f"{float(t):.2g} J"
    (True, '4.9e+04 J')
    """
    n = np.asarray(n, dtype=float)
    p = GPU["board_w"][0]
    bw = GPU["bandwidth_b_per_s"][0]
    eff_lo, eff_hi = GPU["bandwidth_efficiency"][0]
    width = GPU["fusion_width"][0]
    fused = reps * (np.ceil(n / width) + 1)
    gates = zz_gates(n, entanglement, reps)
    pass_s = (2.0**n) * 32.0 / bw
    states = n_train + n_test
    overlaps = n_train * (n_train - 1) / 2 + n_test * n_support
    fit_in = np.maximum(1.0, np.floor(0.9 * GPU["memory_b"][0] / (2.0**n * 16.0)))
    recompute = np.ceil(states / fit_in)

    def energy(passes, eff, host_w):
        t = states * recompute * passes * (pass_s / eff + GPU["launch_s"][0]) + overlaps * pass_s / eff
        return float(pue) * (p + (host_w if host else 0.0)) * t

    node_lo, node_hi = GPU["node_factor"][0]
    dist_lo, dist_hi = GPU["distributed_factor"][0]
    single, node, dist = (WALLS[k][0] for k in WALLS)
    h_lo, h_typ, h_hi = GPU["host_w"][0]
    out = []
    for passes, eff, f_node, f_dist, h in ((2 * fused, 0.75, math.sqrt(node_lo * node_hi),
                                            math.sqrt(dist_lo * dist_hi), h_typ),
                                           (fused, eff_hi, node_lo, dist_lo, h_lo),
                                           (gates, eff_lo, node_hi, dist_hi, h_hi)):
        e = energy(passes, eff, h) * np.where(n > node, f_dist, np.where(n > single, f_node, 1.0))
        out.append(np.where(n > dist, np.inf, e))
    typical, low, high = out
    return typical, low, high


# --------------------------------------------------------------------------- laws
def statevector_laws(entanglement: str = "full") -> list[Law]:
    """Physical laws of CPU statevector cost along qubits (see the module docstring)."""
    def g(x):
        return zz_gates(x, entanglement)

    def p0_gates(x, y):
        a = max((y[-1] - y[0]) / max(g(x[-1]) * 2.0 ** x[-1], 1e-300), 1e-300)
        return [max(y.min() * 0.5, 1e-300), a]

    def p0_n2n(x, y):
        return [max(y.min() * 0.5, 1e-300), max(y[-1] / (x[-1] * 2.0 ** x[-1]), 1e-300)]

    def p0_exp(x, y):
        return [max(y.min() * 0.5, 1e-300), max(y[-1] / 2.0 ** x[-1], 1e-300), 1.0 + 1e-6]

    return [
        Law("sv: c + a*G(n)*2^n", "c + a * G(n) * 2^n", 2,
            lambda x, c, a: c + a * g(x) * np.exp(_LN2 * x), p0_gates, ([0, 0], [_INF, _INF])),
        Law("sv: c + a*n*2^n", "c + a * n * 2^n", 2,
            lambda x, c, a: c + a * x * np.exp(_LN2 * x), p0_n2n, ([0, 0], [_INF, _INF])),
        Law("sv: c + a*2^(b*n), b>=1", "c + a * 2^(b*n)", 3,
            lambda x, c, a, b: c + a * np.exp(_LN2 * b * x), p0_exp, ([0, 0, 1.0], [_INF, _INF, 4.0])),
    ]


def mps_laws(chi: Callable[[np.ndarray], np.ndarray], chi_text: str) -> list[Law]:
    """MPS cost laws along qubits: polynomial in the bond dimension, and the polynomial laws."""
    def p0(x, y):
        a = max((y[-1] - y[0]) / max(x[-1] * chi(x[-1]) ** 3, 1e-300), 1e-300)
        return [max(y.min() * 0.5, 1e-300), a]

    return [
        Law("mps: c + a*n*chi^3", f"c + a * n * chi(n)^3, chi(n) = {chi_text}", 2,
            lambda x, c, a: c + a * x * chi(x) ** 3, p0, ([0, 0], [_INF, _INF])),
        LAWS["linear"], LAWS["power"],
    ]


POLY_LAWS = [LAWS["linear"], LAWS["quadratic"], LAWS["power"]]
HARDWARE_LAWS = [*POLY_LAWS, LAWS["exp+floor"]]


def chi_function(x: np.ndarray, chi: np.ndarray, cap: float | None = None) -> tuple[Callable, str]:
    """``chi(n)`` for the MPS law: constant when the largest three sizes share it, else ``2^(n/2)``."""
    order = np.argsort(x)
    top = np.asarray(chi, dtype=float)[order][-3:]
    if len(top) and np.all(np.isfinite(top)) and np.all(top == top[0]):
        c = float(top[0])
        return (lambda n: np.full_like(np.asarray(n, dtype=float), c)), f"{c:g} (constant over the measured sizes)"
    cap_v = cap if cap and np.isfinite(cap) else np.inf
    return (lambda n: np.minimum(2.0 ** np.floor(np.asarray(n, dtype=float) / 2), cap_v)), "2^floor(n/2)"


# --------------------------------------------------------------------------- quality
@lru_cache(maxsize=512)
def _majority_rate(dataset: str, qubits: int, samples: int | None, seed: int, test_size: float) -> float:
    from qvc.data import prepare_dataset

    try:
        d = prepare_dataset(dataset, n_features=int(qubits), seed=int(seed), test_size=float(test_size),
                            max_samples=None if samples is None else int(samples))
    except Exception:  # noqa: BLE001 - not a bundled dataset: unknown
        return math.nan
    _, counts = np.unique(d.y_test, return_counts=True)
    return float(counts.max() / counts.sum())


def majority_rates(frame: pd.DataFrame) -> pd.Series:
    """Test-split majority-class share of each row (``majority_rate`` column when the rows have it)."""
    if "majority_rate" in frame.columns and frame["majority_rate"].notna().any():
        return frame["majority_rate"].astype(float)
    out = []
    for _, r in frame.iterrows():
        n_tr, n_te = float(r.get("n_train", np.nan)), float(r.get("n_test", np.nan))
        samples = r.get("samples")
        samples = None if samples is None or pd.isna(samples) else int(samples)
        if (not (np.isfinite(n_tr) and np.isfinite(n_te)) or pd.isna(r.get("seed"))
                or pd.isna(r.get("dataset")) or pd.isna(r.get("qubits"))):
            out.append(math.nan)
            continue
        out.append(_majority_rate(str(r.get("dataset")), int(r["qubits"]), samples, int(r["seed"]),
                                  round(n_te / (n_tr + n_te), 4)))
    return pd.Series(out, index=frame.index, dtype=float)


def learns(frame: pd.DataFrame) -> pd.Series:
    """True where the model's test accuracy is above the majority-class rate.

    Uses the rows' ``above_majority`` column when present (the fair-fight diagnostics),
    else computes the majority rate of the same test split (:func:`majority_rates`).
    Unknown (NaN) rates count as learning, with a note in the report.
    """
    if "above_majority" in frame.columns and frame["above_majority"].notna().all():
        return frame["above_majority"].astype(str).str.lower().isin(("true", "1", "yes"))
    rate = majority_rates(frame)
    return (frame["accuracy_test"].astype(float) > rate) | rate.isna()


# --------------------------------------------------------------------------- series
def simulator_name(row: pd.Series) -> str:
    """The simulator of a quantum row: ``statevector``, ``mps``, ``mps:matched`` ... (from ``execution``)."""
    ex = str(row.get("execution", "exact"))
    if ex in ("exact", "shots", "nan"):
        return "statevector"
    return ex


def _precise(sim: str) -> bool:
    """Simulators whose result meets the precision: exact, or MPS with a bounded fidelity (no bond cap)."""
    if sim in ("statevector", "mps"):
        return True
    if sim.startswith("mps:"):
        from qvc.quantum.mps import parse_mps_options

        return parse_mps_options(sim[4:]).max_bond_dimension is None
    return False


@dataclass
class Series:
    """One measured (or modelled) cost curve: energies vs qubits and the laws it may follow."""

    name: str
    x: np.ndarray
    y: np.ndarray
    y_low: np.ndarray | None = None
    y_high: np.ndarray | None = None
    laws: list[Law] = field(default_factory=list)
    label: str = ""
    model: Callable | None = None      # modelled series: (x, u in [0,1] or None) -> energy
    wall: float = np.inf               # largest x this simulator can reach
    wall_note: str = ""
    extra: dict = field(default_factory=dict)

    def fits(self, x=None, y=None) -> list[GrowthFit]:
        """The laws fitted to the points, best (AICc) first; laws that fall with size are rejected.

        Every cost here grows with qubits and samples (more gates, amplitudes, circuits, shots),
        so a fit whose curve decreases anywhere over its range and one range beyond contradicts
        the physics: it is left out and named in ``extra["rejected"]``.
        """
        x = self.x if x is None else x
        y = self.y if y is None else y
        out, rejected = [], []
        for f in (fit_law(x, y, law) for law in self.laws):
            if f is None:
                continue
            if _falls(f):
                rejected.append(f"{f.law} ({f.describe()}) falls with size")
                continue
            out.append(f)
        self.extra["rejected"] = rejected
        return sorted(out, key=lambda f: (f.aicc, -f.r2_log))


def _falls(f: GrowthFit) -> bool:
    """True when the fitted curve decreases between ``x_min`` and ``x_max + (x_max - x_min)``."""
    span = max(f.x_max - f.x_min, 1.0)
    g = np.linspace(f.x_min, f.x_max + span, 64)
    y = np.asarray(f.predict(g), dtype=float)
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return False
    y = y[ok]
    return bool(np.any(np.diff(y) < -1e-9 * np.maximum(np.abs(y[:-1]), 1e-300)))


#: Laws within this AICc distance of the best are plausible; the interval picks among them uniformly.
PLAUSIBLE_DAICC = 10.0


def _akaike_pick(fits: list[GrowthFit], rng) -> GrowthFit:
    """A law for one draw: uniform over the plausible laws (AICc within :data:`PLAUSIBLE_DAICC` of the best).

    Uniform rather than Akaike-weighted on purpose: with a handful of sizes the weights
    concentrate on one law that the next two sizes can overturn, and the laws differ most
    exactly where the break-even is (beyond the data).
    """
    a = np.array([f.aicc for f in fits], dtype=float)
    if not np.any(np.isfinite(a)):
        return fits[int(rng.integers(len(fits)))]
    ok = [f for f, v in zip(fits, a) if np.isfinite(v) and v <= np.nanmin(a) + PLAUSIBLE_DAICC]
    return ok[int(rng.integers(len(ok)))]


def _draw_params(f: GrowthFit, rng) -> np.ndarray:
    """One draw of a fit's parameters from its covariance, in log space above each lower bound.

    A parameter with a finite lower bound ``L`` is drawn as ``L + exp(z)``, ``z`` normal around
    ``ln(p - L)`` with the delta-method spread ``sd(p) / (p - L)`` (so a draw never sits on the
    bound: clipping normal draws at 0 made whole curves identically 0 J in about 12 % of draws);
    unbounded ones (exponents) are drawn as they are. A parameter fitted onto its bound stays there.
    """
    p = np.asarray(f.params, dtype=float)
    if not np.all(np.isfinite(f.cov)):
        return p
    lower = np.asarray(f.law_spec.bounds[0], dtype=float)
    bounded = np.isfinite(lower)
    gap = np.where(bounded, p - np.where(bounded, lower, 0.0), 1.0)
    on_bound = bounded & (gap <= 1e-9 * np.maximum(1.0, np.abs(p)))
    scale = np.where(bounded & ~on_bound, 1.0 / np.maximum(gap, 1e-300), 1.0)
    cov = np.asarray(f.cov, dtype=float) * np.outer(scale, scale)
    keep = ~on_bound
    mean = np.where(bounded & ~on_bound, np.log(np.maximum(gap, 1e-300)), p)
    z = mean.copy()
    if keep.any():
        sub = cov[np.ix_(keep, keep)]
        z[keep] = rng.multivariate_normal(mean[keep], sub, check_valid="ignore")
    with np.errstate(over="ignore"):
        out = np.where(bounded & ~on_bound, np.where(bounded, lower, 0.0) + np.exp(np.minimum(z, 700.0)), z)
    upper = np.asarray(f.law_spec.bounds[1], dtype=float)
    return np.minimum(np.where(on_bound, p, out), upper)  # an upper bound (e.g. b <= 4) holds too


def _first_below(grid: np.ndarray, a: np.ndarray, b: np.ndarray, start: float = -math.inf) -> float:
    """First ``grid`` point at or after ``start`` where curve ``a`` (hardware) is at or below ``b``.

    Points where ``a`` is not a positive finite energy are no hardware (never below): a draw
    whose curve is identically 0 J or NaN gives no crossing rather than the first grid point.
    """
    a = np.asarray(a, dtype=float)
    valid = np.isfinite(a) & (a > 0) & (grid >= start)
    below = valid & (a <= b)
    if not below.any():
        return math.nan
    i = int(np.argmax(below))
    if i == 0 or not valid[i - 1] or not np.isfinite(b[i - 1]) or not (b[i - 1] > 0):
        return float(grid[i])
    if not np.isfinite(b[i]):
        return float(grid[i])
    g0 = math.log(a[i - 1]) - math.log(b[i - 1])
    g1 = math.log(max(a[i], 1e-300)) - math.log(max(b[i], 1e-300))
    return float(grid[i - 1] + (grid[i] - grid[i - 1]) * g0 / (g0 - g1)) if g0 != g1 else float(grid[i])


def _envelope(grid, curves: dict[str, np.ndarray], walls: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    names = list(curves)
    stack = np.stack([np.where(grid <= walls[k], np.where(np.isfinite(curves[k]) & (curves[k] > 0), curves[k],
                                                            np.inf), np.inf) for k in names])
    idx = np.argmin(stack, axis=0)
    return stack[idx, np.arange(len(grid))], np.array(names, dtype=object)[idx]


@dataclass
class Crossing:
    """Result of :func:`find_break_even` (``x`` NaN when none, or when declined)."""

    x: float
    low: float
    high: float
    simulator: str
    status: str
    extrapolation: float
    never_share: float
    draws: int
    laws: str
    sources: str
    notes: list[str] = field(default_factory=list)


def find_break_even(hw: Series, sims: list[Series], *, x_to: float, max_extrapolation: float,
                    n_draws: int = 200, seed: int = 0) -> Crossing:
    """Where the hardware law falls below the cheapest available simulator, with the interval.

    Parameters
    ----------
    hw : Series
        Hardware energies (``y_low``/``y_high``: the cost model's 90 % bounds).
    sims : list of Series
        Simulator series (measured ones are fitted; modelled ones carry ``model``).
    x_to : float
        Search limit.
    max_extrapolation : float
        Crossings (or interval ends) further than this beyond the measured range are declined.
    n_draws : int
        Draws for the interval (see the module docstring for what each draw varies).
    seed : int

    Returns
    -------
    Crossing

    Examples
    --------
    >>> x = np.arange(4.0, 17.0, 2); noise = np.exp(np.random.default_rng(0).normal(0, 0.1, x.size))
    >>> hw = Series("hardware", x, 1e3 + 10 * x, laws=POLY_LAWS)
    >>> sv = Series("statevector", x, (1e-3 + 1e-7 * x * 2.0 ** x) * noise, laws=statevector_laws())
    >>> c = find_break_even(hw, [sv], x_to=60, max_extrapolation=40, n_draws=50)
    >>> c.simulator, 25 < c.x < 31, c.low < c.x < c.high
    ('statevector', True, True)
    """
    x_lo = min(float(np.min(s.x)) for s in [hw, *sims] if len(s.x))
    grid = np.linspace(x_lo, max(x_to, x_lo + 1), 2000)
    walls = {s.name: s.wall for s in sims}
    hw_meas_x = np.asarray(hw.extra.get("measured_x", hw.x if hw.model is None else []), dtype=float)
    hw_meas_y = np.asarray(hw.extra.get("measured_y", hw.y if hw.model is None else []), dtype=float)
    meas_max = float(np.max(hw_meas_x)) if len(hw_meas_x) else float(np.max(hw.x))
    sim_meas = [float(np.max(s.x)) for s in sims if s.model is None and len(s.x)]
    if sim_meas:
        meas_max = min(meas_max, max(sim_meas)) if hw.model is None else max(sim_meas)

    hw_fits = hw.fits() if hw.model is None else []
    best: dict[str, list[GrowthFit]] = {s.name: (s.fits() if s.model is None else []) for s in sims}
    if (hw.model is None and not hw_fits) or any(s.model is None and not best[s.name] for s in sims):
        return Crossing(math.nan, math.nan, math.nan, "", "no fit (too few points)", math.nan, math.nan, 0,
                        "", "")

    def curve(s: Series, f: GrowthFit | None, params=None, u=None):
        if s.model is not None:
            return s.model(grid, u)
        assert f is not None  # measured series always have a fit here
        return f.predict(grid, params)

    hw_central = hw.model(grid, None) if hw.model is not None else hw_fits[0].predict(grid)
    # no crossing where the measured points say the hardware is costlier: search from there on
    floor = _measured_floor(hw_meas_x, hw_meas_y, sims)
    central_env, central_name = _envelope(
        grid, {s.name: curve(s, best[s.name][0] if best[s.name] else None) for s in sims}, walls)
    x_star = _first_below(grid, hw_central, central_env, floor)
    sim_at = ""
    at_wall = False
    if np.isfinite(x_star):
        i_star = min(int(np.searchsorted(grid, x_star)), len(grid) - 1)
        at_wall = not np.isfinite(central_env[i_star])
        sim_at = "none (beyond every wall)" if at_wall else str(central_name[i_star])

    # --- draws (each series' draws are made once per grid and reused across comparisons)
    curves_by = {s.name: _series_draws(s, grid, n_draws, seed) for s in [hw, *sims]}
    xs = []
    for d in range(n_draws):
        if any(curves_by[s.name][d] is None for s in [hw, *sims]):
            continue
        env, _ = _envelope(grid, {s.name: curves_by[s.name][d] for s in sims}, walls)
        xs.append(_first_below(grid, curves_by[hw.name][d], env, floor))
    xs_arr = np.array([v if np.isfinite(v) else np.inf for v in xs])
    never = float(np.mean(np.isinf(xs_arr))) if len(xs_arr) else math.nan
    low = float(np.quantile(xs_arr, 0.05, method="nearest")) if len(xs_arr) else math.nan
    high = float(np.quantile(xs_arr, 0.95, method="nearest")) if len(xs_arr) else math.nan
    fitted = [s for s in [hw, *sims] if s.model is None]
    src = ["fit parameter covariance",
           f"law choice (uniform over the laws within AICc {PLAUSIBLE_DAICC:g} of the best, among "
           + ", ".join(sorted({law.name for s in fitted for law in s.laws})) + ")",
           "point range (drop 0-2 of the largest and smallest sizes) and bootstrap over points"]
    if hw.model is not None:
        src.append("hardware: the cost model evaluated at each size, between its low/high (device draws "
                   "and the shot law's band)")
    elif hw.y_low is not None and hw.y_high is not None:
        src.append("hardware cost model low/high (hw_energy_j_low/high)")
    if any(s.model is not None for s in sims):
        src.append("GPU model low/high (fusion, bandwidth, node factors)")
    sources = "; ".join(src)
    laws = " | ".join([f"hardware: {hw_fits[0].describe() if hw_fits else hw.label}"]
                     + [f"{s.name}: " + (best[s.name][0].describe() if best[s.name] else s.label)
                        for s in sims])
    c = Crossing(x_star, low, high, sim_at, "", x_star - meas_max if np.isfinite(x_star) else math.nan,
                 never, len(xs), laws, sources)
    hi_dist = high - meas_max
    declined_from = float(hw.extra.get("declined_from", math.inf))
    if floor > grid[0]:
        c.notes.append(f"every measured size up to {floor:g} has the hardware costlier: crossings searched "
                       "from there")
    if not np.isfinite(x_star) and declined_from <= x_to:
        at = hw.extra.get("declined_at") or f"n ≥ {declined_from:g}"
        c.status = (f"no NISQ break-even: at {at} {hw.extra.get('declined_reason', 'declined')}"
                    "; below that the hardware costs more than the compared series")
    elif not np.isfinite(x_star):
        c.status = f"no crossing up to {x_to:g} qubits"
        if never < 0.95 and np.isfinite(low):
            c.notes.append(f"{1 - never:.0%} of draws cross (from {low:.3g}); the central laws do not")
    elif x_star <= grid[0] + 1e-9 and floor < grid[0]:
        c.status = "hardware already below at the smallest size"
    elif c.extrapolation > max_extrapolation:
        c.status = (f"declined: the central crossing lies {c.extrapolation:.1f} qubits beyond the measured range "
                    f"(limit {max_extrapolation:g}); the laws are given instead")
        c.x = c.low = c.high = math.nan
    elif not np.isfinite(hi_dist) or hi_dist > max_extrapolation:
        c.status = ("crossing quoted, interval open: its upper end lies beyond the extrapolation limit "
                    f"({max_extrapolation:g} qubits past the measured range)")
        c.high = math.inf
    else:
        c.status = "crossing"
    if at_wall and np.isfinite(c.x):
        free = {k: np.inf for k in walls}
        env_free, _ = _envelope(grid, {s.name: curve(s, best[s.name][0] if best[s.name] else None)
                                       for s in sims}, free)
        law_x = _first_below(grid, hw_central, env_free, floor)
        c.status = ("wall: the compared simulator(s) stop at "
                    f"{min(walls[s.name] for s in sims):g} qubits before the hardware law falls below them"
                    + (f" (the laws alone would cross at {law_x:.3g})" if np.isfinite(law_x) else "")
                    + "; the value is the wall, not a crossing")
    if never > 0.05 and np.isfinite(c.x):
        c.high = math.inf
        c.notes.append(f"{never:.0%} of draws never cross up to {x_to:g}")
    return c


def _measured_floor(hw_x: np.ndarray, hw_y: np.ndarray, sims: list[Series]) -> float:
    """Largest measured size up to which every measured size has the hardware costlier than all sims.

    Compared where the hardware and a series are both known (measured simulators at their measured
    sizes, modelled ones evaluated there); ``-inf`` when the smallest such size already has the
    hardware cheaper or nothing is comparable.
    """
    floor = -math.inf
    for x, y in sorted(zip(np.asarray(hw_x, dtype=float), np.asarray(hw_y, dtype=float))):
        others = []
        for s in sims:
            if s.model is not None:
                v = float(np.asarray(s.model(np.array([x]), None), dtype=float)[0])
                if x <= s.wall and np.isfinite(v) and v > 0:
                    others.append(v)
            else:
                at = np.asarray(s.y, dtype=float)[np.isclose(np.asarray(s.x, dtype=float), x)]
                if at.size:
                    others.append(float(np.mean(at)))
        if not others or not np.isfinite(y):
            continue
        if y > min(others):
            floor = x
        else:
            break
    return floor


_DRAWS: dict = {}


def clear_draw_cache() -> None:
    """Forget cached series draws (:func:`find_break_even` reuses them per series and grid)."""
    _DRAWS.clear()


def _series_draws(s: Series, grid: np.ndarray, n_draws: int, seed: int) -> list:
    """``n_draws`` curves of series ``s`` on ``grid`` (None where a draw could not be fitted)."""
    key = (id(s), float(grid[0]), float(grid[-1]), len(grid), n_draws, seed)
    hit = _DRAWS.get(key)
    if hit is not None and hit[0] is s:
        return hit[1]
    rng = np.random.default_rng([seed, sum(map(ord, s.name))])
    central = s.fits() if s.model is None else []
    out = []
    for _ in range(n_draws):
        u = rng.random()
        if s.model is not None:
            out.append(s.model(grid, u))
            continue
        y = s.y
        if s.y_low is not None and s.y_high is not None and np.all(np.isfinite(s.y_low)):
            y = np.exp(np.log(s.y_low) + u * (np.log(s.y_high) - np.log(s.y_low)))
        f0 = _akaike_pick(central, rng)  # law choice among the laws the full data finds plausible
        xd, yd = _resample(s.x, y, rng, min_points=f0.law_spec.n_params + 1)
        f = fit_law(xd, yd, f0.law_spec, p0=f0.params)
        if f is None:
            out.append(None)
            continue
        out.append(f.predict(grid, _draw_params(f, rng)))
    _DRAWS[key] = (s, out)
    return out


def _resample(x: np.ndarray, y: np.ndarray, rng, *, min_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Drop 0-2 of the largest and smallest sizes, then bootstrap the rest (keeping enough distinct x)."""
    order = np.argsort(x)
    x, y = np.asarray(x, dtype=float)[order], np.asarray(y, dtype=float)[order]
    n = len(x)
    k_hi = int(rng.integers(0, 3))
    k_lo = int(rng.integers(0, 3))
    while n - k_hi - k_lo < max(min_points + 1, 4) and (k_hi or k_lo):
        if k_hi >= k_lo:
            k_hi -= 1
        else:
            k_lo -= 1
    x, y = x[k_lo:n - k_hi], y[k_lo:n - k_hi]
    for _ in range(20):
        idx = rng.integers(0, len(x), len(x))
        if len(np.unique(x[idx])) >= min_points:
            return x[idx], y[idx]
    return x, y

"""Accuracy on the device, and the cheapest configuration that reaches the target (modelled).

A quantum model simulated exactly is credited with the accuracy a QPU would *deliver*: the
device's noise (a named model of :mod:`qvc.energy.noise`) damps every circuit's outcome
probabilities, error mitigation (``none``, ``zne``, ``pec``) undoes part or all of it at a
sampling overhead (:mod:`qvc.energy.mitigation`), and the shots add binomial / multinomial
noise on top. For every mitigation and every shot count ``S`` of the ladder ``16, 32, ...``:

* **qsvc**: the expected (noisy, mitigated) kernel entries of the training Gram matrix (off the
  diagonal: the diagonal is not run, as qiskit-ml's ``evaluate_duplicates="off_diagonal"``) and of
  the test-vs-training kernel are drawn with ``S`` shots each, the Gram matrix projected onto the
  PSD cone (as the engine's shots mode), the SVM refitted, the test split predicted;
* **vqc**: the trained weights' test outcome distributions under the noise model are drawn with
  ``S`` shots and the class read off as the model reads it (training is not re-simulated here).

``S`` is the *effective* shot count: a mitigated estimate with ``S x overhead`` device shots has
the variance of ``S`` plain shots, so the row prices ``S x overhead`` (the mitigation's
multiplier in the cost model) and the draws use ``S``. :data:`DEVICE_DRAWS` seeded draws per rung
(the same seeds on every rung and mitigation) give the mean test accuracy and its one-sided
:data:`CONFIDENCE` lower bound (Student t, scipy), ``mean - t_{0.95, R-1} sd / sqrt(R)``.

**Monotone search.** A rung is credited with ``min(limit, low(S), low(2S))``: the lower bound
must hold at that count *and* the next one up, and nothing is credited above the shot-free limit
(the noisy expectation itself), so one lucky rung does not pass. The shots chosen for a target are
the first rung credited with it, climbing the ladder from the bottom: a fixed criterion, so a
lower target (a larger margin) never needs more shots. Per mitigation the ladder ends where the
*device* shots per circuit, ``S x overhead``, would exceed the shot cap; PEC is left out when a
circuit's ``gamma^2`` exceeds the practical cap (100, IBM Runtime's default ``max_overhead``).
Mitigations are tried cheapest first and a climb stops where its next rung would cost more than
the best configuration found (the first seed of a run evaluates every curve, for the report's
figure). Of the configurations that reach the target the least priced energy (Monte Carlo median
of the one cost model, :class:`qvc.energy.costmodel.CostModel`) is chosen; when none does the
row's hardware energy is declined with the reason.

**Target**: ``--target-accuracy`` where given, else the row's exact test accuracy minus
``--equivalence-margin``. **Shots in the uncertainty**: ``shots_low`` / ``shots_high`` are the
chosen mitigation's shots for the target at the margin's ends, ``margin x 1.5`` (easier) and
``margin x 0.5`` (harder) (:data:`MARGIN_ENDS`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from qvc.energy.mitigation import MITIGATION_MODELS, PRACTICAL_MAX_OVERHEAD
from qvc.energy.noise import CircuitNoise

#: Seeded noisy draws per (rung, mitigation): tens, for a usable confidence bound.
DEVICE_DRAWS = 20
#: One-sided confidence of the lower bound on the expected on-device accuracy.
CONFIDENCE = 0.95
#: First rung of the shot ladder (doubling).
LADDER_START = 16
#: The margin's ends for ``shots_low`` (easier target) and ``shots_high`` (harder target).
MARGIN_ENDS = (1.5, 0.5)
#: Largest qubit count at which ``--noise-model aer`` is run (Aer density matrices grow as 4^n).
AER_MAX_QUBITS = 5


def lower_bound(accuracies: Sequence[float], confidence: float = CONFIDENCE) -> float:
    """One-sided lower confidence bound of the mean of ``accuracies`` (Student t).

    Examples
    --------
    >>> lower_bound([0.9, 0.9, 0.9])
    0.9
    >>> round(lower_bound([0.8, 0.9, 1.0]), 4)  # 0.9 - t(0.95, 2) * 0.1 / sqrt(3)
    0.7314
    """
    from scipy import stats

    a = np.asarray(accuracies, dtype=float)
    mean = float(a.mean())
    if a.size < 2:
        return mean
    sd = float(a.std(ddof=1))
    if sd == 0.0:
        return mean
    return mean - float(stats.t.ppf(confidence, a.size - 1)) * sd / math.sqrt(a.size)


def ladder(cap: float, start: int = LADDER_START) -> list[int]:
    """The doubling shot ladder ``start, 2 start, ... <= cap``.

    Examples
    --------
    >>> ladder(100)
    [16, 32, 64]
    """
    out, s = [], int(start)
    while s <= cap:
        out.append(s)
        s *= 2
    return out


@dataclass
class Curve:
    """The on-device accuracy of one mitigation over the shot ladder.

    Attributes
    ----------
    mitigation : str
    overhead : float
        Device shots per effective shot (the largest over the row's circuits).
    limit : float
        Accuracy at infinitely many shots (the noisy, mitigated expectation).
    rungs : list of (shots, mean, low)
        Evaluated rungs, ascending (the search climbs from the bottom and stops early).
    excluded : str
        Why this mitigation was not searched ('' when it was).
    """

    mitigation: str
    overhead: float
    limit: float = math.nan
    rungs: list[tuple[int, float, float]] = field(default_factory=list)
    excluded: str = ""
    #: Whether the last evaluated rung is the ladder's last (it then needs no next rung).
    top: bool = False

    def credited(self) -> list[float]:
        """The accuracy each evaluated rung is credited with: ``min(limit, low(S), low(next rung))``.

        The lower bound must hold at the rung *and* at the next one up (the ladder's last rung needs
        only its own), and no rung is credited above the shot-free limit: a lucky rung alone does
        not pass. A rung whose next one was not evaluated is credited NaN.
        """
        out = []
        for i, (_, _, low) in enumerate(self.rungs):
            nxt = self.rungs[i + 1][2] if i + 1 < len(self.rungs) else (low if self.top else math.nan)
            out.append(min(self.limit, low, nxt) if math.isfinite(nxt) else math.nan)
        return out

    def shots_for(self, target: float) -> int | None:
        """The fewest shots credited with ``target`` (``None``: no evaluated rung is).

        The first rung passing a fixed criterion: a lower target never needs more shots.
        """
        if self.excluded:
            return None
        for (shots, _, _), acc in zip(self.rungs, self.credited()):
            if math.isfinite(acc) and acc >= target - 1e-12:
                return shots
        return None

    def at(self, shots: int) -> tuple[float, float]:
        """(mean, low) at an evaluated rung (NaN when not evaluated)."""
        for s, mean, low in self.rungs:
            if s == shots:
                return mean, low
        return math.nan, math.nan

    def to_dict(self) -> dict:
        return {"mitigation": self.mitigation, "overhead": _num(self.overhead), "limit": _num(self.limit),
                "credited": [_num(x) for x in self.credited()],
                "excluded": self.excluded, "shots": [r[0] for r in self.rungs],
                "mean": [r[1] for r in self.rungs], "low": [r[2] for r in self.rungs]}


def _num(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


class KernelDraws:
    """Test accuracy of a precomputed-kernel SVM whose entries a noisy device estimates.

    Parameters
    ----------
    gram, test_kernel : ndarray
        Exact training Gram matrix ``(N, N)`` and test-vs-training kernel ``(M, N)``.
    y_train, y_test : ndarray
    noisy : callable
        ``noisy(entries, mitigation)`` -> the device's expected entries (e.g.
        :meth:`qvc.energy.noise.CircuitNoise.fidelity`); called with the training Gram's
        upper triangle and with the test kernel.
    C : float
    """

    def __init__(self, gram, test_kernel, y_train, y_test, noisy: Callable[[np.ndarray, str], np.ndarray],
                 *, C: float = 1.0, seed: int = 0) -> None:
        self.y_train, self.y_test = np.asarray(y_train), np.asarray(y_test)
        gram = np.clip(np.asarray(gram, dtype=float), 0.0, 1.0)
        self._iu = np.triu_indices(gram.shape[0], 1)
        self._upper = gram[self._iu]
        self._test = np.clip(np.asarray(test_kernel, dtype=float), 0.0, 1.0)
        self._noisy = noisy
        self._expected: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.C, self.seed = float(C), int(seed)

    def expected(self, mitigation: str) -> tuple[np.ndarray, np.ndarray]:
        """The device's expected (upper-triangle, test) entries under ``mitigation``."""
        hit = self._expected.get(mitigation)
        if hit is None:
            up = np.clip(self._noisy(self._upper, mitigation), 0.0, 1.0)
            te = np.clip(self._noisy(self._test, mitigation), 0.0, 1.0)
            hit = self._expected[mitigation] = (up, te)
        return hit

    def _accuracy(self, upper: np.ndarray, test: Callable[[np.ndarray], np.ndarray]) -> float:
        from sklearn.svm import SVC

        n = len(self.y_train)
        g = np.zeros((n, n))
        g[self._iu] = upper
        g = g + g.T
        np.fill_diagonal(g, 1.0)
        w, v = np.linalg.eigh(g)  # nearest PSD matrix (the engine's shots mode projects the same way)
        g = (v * np.maximum(w, 0.0)) @ v.T
        svc = SVC(kernel="precomputed", C=self.C).fit(g, self.y_train)
        sv = svc.support_
        t = np.zeros((len(self.y_test), n))
        t[:, sv] = test(sv)
        return float(np.mean(svc.predict(t) == self.y_test))

    def limit(self, mitigation: str) -> float:
        """Accuracy at infinitely many shots."""
        up, te = self.expected(mitigation)
        return self._accuracy(up, lambda sv: te[:, sv])

    def draw(self, mitigation: str, shots: int, r: int) -> float:
        """Accuracy of draw ``r`` with ``shots`` effective shots per entry."""
        up, te = self.expected(mitigation)
        rng = np.random.default_rng([self.seed, r])
        noisy_up = rng.binomial(shots, up) / shots
        return self._accuracy(noisy_up, lambda sv: rng.binomial(shots, te[:, sv]) / shots)


class ProbabilityDraws:
    """Test accuracy of a classifier reading the argmax of measured class counts (VQC).

    ``outcomes`` are the exact test outcome distributions ``(M, 2^n)``, ``projector`` maps
    outcomes to outputs, ``classes`` the labels of outputs ``0 .. len(classes) - 1``.
    """

    def __init__(self, outcomes, projector, classes, y_test, noise: CircuitNoise, *, seed: int = 0) -> None:
        self._p = np.asarray(outcomes, dtype=float)
        self._proj = np.asarray(projector, dtype=float)
        self.classes, self.y_test = np.asarray(classes), np.asarray(y_test)
        self.noise, self.seed = noise, int(seed)
        self._expected: dict[str, np.ndarray] = {}

    def expected(self, mitigation: str) -> np.ndarray:
        hit = self._expected.get(mitigation)
        if hit is None:
            q = np.clip(self.noise.distribution(self._p, mitigation) @ self._proj, 0.0, None)
            q = q / np.maximum(q.sum(axis=1, keepdims=True), 1e-300)
            hit = self._expected[mitigation] = q
        return hit

    def _accuracy(self, scores: np.ndarray) -> float:
        k = len(self.classes)
        return float(np.mean(self.classes[np.argmax(scores[:, :k], axis=1)] == self.y_test))

    def limit(self, mitigation: str) -> float:
        return self._accuracy(self.expected(mitigation))

    def draw(self, mitigation: str, shots: int, r: int) -> float:
        rng = np.random.default_rng([self.seed, r])
        return self._accuracy(rng.multinomial(shots, self.expected(mitigation)))


@dataclass
class Search:
    """What :func:`search` found for one row.

    ``chosen`` is ``(mitigation, shots)`` or ``None`` (declined, ``reason`` says why);
    ``energy`` maps ``(mitigation, shots)`` to the priced energy's Monte Carlo median.
    """

    noise_model: str
    target: float
    target_rule: str
    draws: int
    curves: dict[str, Curve]
    chosen: tuple[str, int] | None
    reason: str = ""
    energy: dict[tuple[str, int], float] = field(default_factory=dict)
    shots_low: int | None = None
    shots_high: int | None = None
    at_cap: bool = False
    cap: int = 2**20
    #: (mean, lower bound) of every searched mitigation at the chosen shots.
    at_priced: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: The priced-energy function the search used (for further configurations of the same row).
    energy_fn: Callable[[list[tuple[str, int]]], list[float]] | None = field(default=None, repr=False,
                                                                              compare=False)

    def accuracy(self, mitigation: str) -> tuple[float, float]:
        """(mean, lower bound) of ``mitigation`` at the chosen shots (NaN when declined or not searched)."""
        return self.at_priced.get(mitigation, (math.nan, math.nan))

    def to_json(self) -> str:
        """The curves (with each rung's energy) as compact JSON, for the report's trade-off figure."""
        curves = []
        for name, c in self.curves.items():
            d = c.to_dict()
            d["energy_j"] = [_num(self.energy.get((name, s), math.nan)) for s in d["shots"]]
            curves.append(d)
        return json.dumps({"noise_model": self.noise_model, "target": self.target, "draws": self.draws,
                           "confidence": CONFIDENCE,
                           "chosen": list(self.chosen) if self.chosen else None, "curves": curves},
                          separators=(",", ":"))


def search(draws_model, mitigations: dict[str, tuple[float, float]], *, target: float, targets_of_interest=(),
           cap: int, fixed_shots: int | None = None, energy: Callable[[list[tuple[str, int]]], list[float]],
           noise_model: str, target_rule: str = "", n_draws: int = DEVICE_DRAWS, prune: bool = True) -> Search:
    """Search shots x mitigation for the least energy whose on-device accuracy reaches ``target``.

    Parameters
    ----------
    draws_model : KernelDraws or ProbabilityDraws
    mitigations : dict
        ``{mitigation: (overhead, pec_gamma_squared)}`` of the mitigations allowed.
    target : float
    targets_of_interest : sequence of float
        Further targets (the margin's ends): the top-down search goes down far enough for them too.
    cap : int
        Largest *device* shots per circuit (effective shots x overhead).
    fixed_shots : int, optional
        Search only this shot count (``--shots N``).
    energy : callable
        Priced energy (J) of each ``(mitigation, shots)``.
    prune : bool, default True
        Skip a mitigation whose cheapest rung already costs more than the best configuration found
        (mitigations are tried cheapest first); ``False`` evaluates every curve (the report's figure).

    Examples
    --------
    >>> class Toy:  # accuracy rises with the shots and is capped by the mitigation's limit
    ...     def limit(self, m): return {"none": 0.8, "pec": 1.0}[m]
    ...     def draw(self, m, s, r): return min(self.limit(m), 0.5 + 0.1 * math.log2(s) / 2)
    >>> s = search(Toy(), {"none": (1.0, 4.0), "pec": (4.0, 4.0)}, target=0.9, cap=2**12,
    ...            energy=lambda cands: [s * o for m, s in cands for o in [{"none": 1, "pec": 4}[m]]],
    ...            noise_model="toy")
    >>> s.chosen, s.reason
    (('pec', 256), '')
    """
    curves: dict[str, Curve] = {}
    ladders: dict[str, list[int]] = {}
    for name in MITIGATION_MODELS:
        if name not in mitigations:
            continue
        overhead, pec2 = mitigations[name]
        curve = curves[name] = Curve(name, overhead)
        if not math.isfinite(overhead):
            curve.excluded = "no finite sampling overhead from the device's error data"
        elif name == "pec" and pec2 > PRACTICAL_MAX_OVERHEAD:
            curve.excluded = (f"PEC gamma^2 = {pec2:.3g} above the practical cap {PRACTICAL_MAX_OVERHEAD:g} "
                              "(IBM Runtime's default max_overhead)")
        else:
            ladders[name] = [fixed_shots] if fixed_shots is not None else ladder(cap / overhead)
            if not ladders[name]:
                curve.excluded = f"even {LADDER_START} shots x overhead {overhead:.3g} exceed the shot cap {cap}"
                del ladders[name]
    cands = [(m, s) for m, rungs in ladders.items() for s in rungs]
    priced = dict(zip(cands, energy(cands))) if cands else {}
    highest = max([target, *targets_of_interest])

    def climb(name: str, goal: float, budget: float = math.inf) -> None:
        """Evaluate ``name``'s rungs upwards until one is credited with ``goal`` (or the energy budget ends)."""
        curve, rungs = curves[name], ladders[name]
        if not math.isfinite(curve.limit):
            curve.limit = float(draws_model.limit(name))
        if curve.limit < goal - 1e-12:
            if prune:
                return  # no shot count passes the shot-free limit
            goal = curve.limit - 0.02  # the figure: how the curve approaches its ceiling
        while curve.shots_for(goal) is None and len(curve.rungs) < len(rungs):
            s = rungs[len(curve.rungs)]
            if curve.rungs and priced[(name, curve.rungs[-1][0])] >= budget:
                return  # a rung passing from here on costs more than the best found
            acc = [draws_model.draw(name, s, r) for r in range(n_draws)]
            curve.rungs.append((s, float(np.mean(acc)), lower_bound(acc)))
            curve.top = len(curve.rungs) == len(rungs)

    best: tuple[float, str, int] | None = None
    # cheapest first, so a mitigation that cannot undercut the best found is not evaluated (with prune)
    for name in sorted(ladders, key=lambda m: priced[(m, ladders[m][0])]):
        curve, rungs = curves[name], ladders[name]
        if prune and best is not None and priced[(name, rungs[0])] >= best[0]:
            curve.excluded = f"not evaluated: costs more at {rungs[0]} shots than {best[1]} at {best[2]}"
            continue
        climb(name, target if prune else highest, best[0] if prune and best is not None else math.inf)
        found = curve.shots_for(target)
        if found is not None and (best is None or priced[(name, found)] < best[0]):
            best = (priced[(name, found)], name, found)
    if best is not None:
        climb(best[1], highest)  # the chosen curve up to the margin's hard end (shots_high)
    out = Search(noise_model, target, target_rule, n_draws, curves, None, energy=priced, cap=cap, energy_fn=energy)
    if best is None:
        out.reason = _decline_reason(curves, target, cap, fixed_shots)
        return out
    out.chosen = (best[1], best[2])
    for m, c in curves.items():  # every mitigation that is priceable at the priced shots, for the row
        if m in ladders and (not c.excluded or c.excluded.startswith("not evaluated")):
            if not math.isfinite(c.limit):
                c.limit = float(draws_model.limit(m))
            mean, low = c.at(best[2])
            if not math.isfinite(mean):
                acc = [draws_model.draw(m, best[2], r) for r in range(n_draws)]
                mean, low = float(np.mean(acc)), lower_bound(acc)
            out.at_priced[m] = (mean, low)
    chosen_curve = curves[best[1]]
    ends = list(targets_of_interest)
    if len(ends) == 2:
        out.shots_low, out.shots_high = chosen_curve.shots_for(ends[0]), chosen_curve.shots_for(ends[1])
    out.at_cap = best[2] * chosen_curve.overhead * 2 > cap and fixed_shots is None
    return out


def _decline_reason(curves: dict[str, Curve], target: float, cap: int, fixed: int | None) -> str:
    parts = []
    for m, c in curves.items():
        if c.excluded:
            parts.append(f"{m}: {c.excluded}")
        elif c.limit < target - 1e-12:
            parts.append(f"{m}: {c.limit:.3f} even without shot noise")
        else:
            best = max((x for x in c.credited() if math.isfinite(x)), default=math.nan)
            where = f"at {fixed} shots" if fixed is not None else f"within {cap} device shots per circuit"
            parts.append(f"{m}: lower bound {best:.3f} {where}")
    return f"no configuration reaches the target accuracy {target:.3f} on the device ({'; '.join(parts)})"


# ---------------------------------------------------------------------------------------------
# One row: the fitted model, its ledger and the device
# ---------------------------------------------------------------------------------------------
def not_modelled_reason(est, entries, device, execution_kind: str, y_train) -> str:
    """Why a quantum row gets no on-device accuracy ('' when it gets one)."""
    from qvc.energy.hardware import template_timing
    from qvc.models.quantum import QuantumKernelSVC, VQCClassifier
    from qvc.quantum.qnn import StatevectorQNN

    if execution_kind not in ("exact", "mps"):
        return (f"not modelled: the model was computed under --execution {execution_kind}, whose accuracy "
                "already carries that execution's noise")
    if not entries:
        return "not modelled: no circuits"
    if isinstance(est, QuantumKernelSVC):
        if getattr(est, "gram_", None) is None:
            return "not modelled: no exact training Gram matrix"
    elif isinstance(est, VQCClassifier):
        if not isinstance(getattr(est, "qnn_", None), StatevectorQNN):
            return "not modelled: the VQC was not simulated by the statevector engine"
    else:
        return "not modelled: no device model for this estimator"
    if len(np.unique(y_train)) < 2:
        return "not modelled: a single training class (predictions do not depend on the circuits)"
    if template_timing(entries[0].template, device).error_rates(device) is None:
        return f"not modelled: device {device.name} has no error rates"
    return ""


def _noise_and_overheads(entries, device, allowed: Sequence[str]):
    from qvc.energy.hardware import template_timing
    from qvc.energy.mitigation import mitigation_cost

    rates: dict[int, tuple[list, list, list] | None] = {}
    for e in entries:
        t = template_timing(e.template, device)
        rates.setdefault(id(t), t.error_rates(device))
    predict = [e for e in entries if e.phase == "predict"] or list(entries)
    own = template_timing(predict[0].template, device).error_rates(device)
    if own is None:  # not_modelled_reason rules this out
        raise ValueError(f"device {device.name} has no error rates")
    noise = CircuitNoise.from_errors(*own)
    out = {}
    for m in allowed:
        costs = [mitigation_cost(m, *r) for r in rates.values() if r is not None]
        out[m] = (max(c.overhead for c in costs), max(c.pec_overhead for c in costs))
    return noise, out


def _aer_kernel_entries(est, X_train, X_test, device) -> dict[str, np.ndarray]:
    """Aer's noisy all-zeros probability of every training pair (upper triangle) and test-vs-train pair."""
    from qvc.quantum.backends import fake_backend_names
    from qvc.quantum.circuits import kernel_template
    from qvc.quantum.execution import NoisyDistribution, parse_execution

    backend = {cls: name for name, cls in fake_backend_names().items()}.get(device.fake_backend, device.fake_backend)
    template = kernel_template(est.kernel_.feature_map)
    model = NoisyDistribution(parse_execution(f"noisy:{backend}"), template)
    params = list(template.parameters)
    i, j = np.triu_indices(len(X_train), 1)
    train = model.probabilities(params, np.hstack([X_train[i], X_train[j]]))[:, 0]
    a, b = np.meshgrid(np.arange(len(X_test)), np.arange(len(X_train)), indexing="ij")
    test = model.probabilities(params, np.hstack([X_test[a.ravel()], X_train[b.ravel()]]))[:, 0]
    return {"train": train, "test": test.reshape(len(X_test), len(X_train))}


def draws_for(est, X_train, y_train, X_test, y_test, noise: CircuitNoise, noise_model: str, device, *,
              seed: int = 0):
    """The :class:`KernelDraws` or :class:`ProbabilityDraws` of a fitted qsvc / vqc."""
    from qvc.models.quantum import QuantumKernelSVC

    X_train, X_test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)
    if isinstance(est, QuantumKernelSVC):
        gram = est.gram_
        test_kernel = est.kernel_.evaluate(X_test, X_train)
        noisy: Callable[[np.ndarray, str], np.ndarray] = noise.fidelity
        if noise_model == "aer":
            aer = _aer_kernel_entries(est, X_train, X_test, device)
            w, d = noise.weight, 2.0**noise.bits

            def noisy_aer(k: np.ndarray, m: str) -> np.ndarray:
                base = aer["train"] if k.ndim == 1 else aer["test"]
                if m == "pec":
                    return k
                if m == "zne":  # Aer's damping taken as global depolarising of weight w, re-damped to ZNE's g
                    g = noise.damping("zne")
                    return g / w * (base - (1.0 - w) / d) + (1.0 - g) / d
                return base

            noisy = noisy_aer
        return KernelDraws(gram, test_kernel, y_train, y_test, noisy, C=est.C, seed=seed)
    qnn = est.qnn_
    outcomes = qnn.outcome_probabilities(X_test, est.weights_)
    return ProbabilityDraws(outcomes, qnn.measured_projector, est.classes_, y_test, noise, seed=seed)

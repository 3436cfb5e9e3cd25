"""The classical frontier: for each quantum model, the least-energy classical model that does as well.

A classical model *matches* a quantum model when its test accuracy is not significantly
worse: a paired t-test across the seeds both ran (:func:`~qvc.analysis.stats.paired_difference`)
finds no significant deficit, or the classical mean is at least the quantum mean. With a
single shared seed no test is possible; then the classical accuracy must be at least the
quantum one. Among the matching classical models of the run the one with the least local
energy (fit + predict) is the verdict's rival; its energy ratio is quoted twice, each time
under one attribution on both sides:

* local: the quantum model simulated on this machine vs the classical model, same meter;
* hardware: the quantum workload priced on the device preset vs the classical model's local
  energy in the *same* attribution mode (``*_energy_attributed_j`` in ``local_attribution``
  equal to ``hw_attribution``) when the table has it; otherwise the ratio is quoted with the
  warning that the two sides are not attributed alike.

Deployment: training (fit) energy against energy per prediction, and the number of
predictions after which a model's lower per-prediction energy repays a higher training
energy (:func:`break_even_predictions`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qvc.analysis.stats import CONFIDENCE, paired_difference, summarize
from qvc.report.columns import fmt, labels_of
from qvc.report.groups import group_name, model_groups


@dataclass(frozen=True)
class Match:
    """One classical model judged against one quantum model."""

    model: str
    accuracy: float
    matches: bool
    test_note: str
    local_j: float
    attributed_j: float


@dataclass(frozen=True)
class Verdict:
    """The frontier verdict for one quantum model.

    Attributes
    ----------
    quantum : str
    accuracy : float
        Mean test accuracy of the quantum model.
    at_chance : bool
        The quantum model did not beat the majority-class rate on some seed (no ratio quoted).
    cheapest : Match or None
        The least-energy matching classical model (``None``: none reaches it).
    candidates : list of Match
        Every classical model of the run, judged.
    sentence : str
        The report's first sentence for this quantum model.
    """

    quantum: str
    accuracy: float
    at_chance: bool
    cheapest: Match | None
    candidates: list
    sentence: str


def break_even_predictions(train_a: float, per_pred_a: float, train_b: float, per_pred_b: float) -> float:
    """Predictions after which model ``a`` (more training energy, less per prediction) has cost less than ``b``.

    ``inf`` when ``a`` never repays (it costs at least as much per prediction); ``0`` when ``a`` is
    no more expensive to train and no more expensive per prediction; NaN when a value is missing.

    Examples
    --------
    >>> round(break_even_predictions(10.0, 0.001, 1.0, 0.01), 6)
    1000.0
    >>> break_even_predictions(10.0, 0.01, 1.0, 0.001)
    inf
    """
    vals = (train_a, per_pred_a, train_b, per_pred_b)
    if not all(v is not None and np.isfinite(v) for v in vals):
        return math.nan
    d_train, d_pred = train_a - train_b, per_pred_b - per_pred_a
    if d_train <= 0 and d_pred >= 0:
        return 0.0
    if d_pred <= 0:
        return math.inf
    return max(0.0, d_train / d_pred)


def _count(n: float) -> str:
    """A break-even count in words."""
    if n == 0:
        return "cheaper from the first prediction"
    if not np.isfinite(n):
        return "never (it costs more per prediction too)" if n == math.inf else "-"
    return f"after {n:,.0f} predictions" if n < 1e6 else f"after {n:.2g} predictions"


def _by_seed(g: pd.DataFrame, col: str) -> dict[int, float]:
    out: dict[int, list[float]] = {}
    for s, v in zip(g["seed"], g[col].astype(float)):
        if pd.notna(s):
            out.setdefault(int(s), []).append(float(v))
    return {s: float(np.mean(v)) for s, v in out.items()}


def _local(g: pd.DataFrame) -> pd.Series:
    pred = g["predict_energy_j"].astype(float) if "predict_energy_j" in g.columns else 0.0
    return g["fit_energy_j"].astype(float) + pred


def _attributed(g: pd.DataFrame, mode: str) -> float:
    """Mean fit + predict energy in attribution ``mode`` (NaN when the table does not have it)."""
    cols = ("fit_energy_attributed_j", "predict_energy_attributed_j", "local_attribution")
    if not mode or not all(c in g.columns for c in cols):
        return math.nan
    same = g[g["local_attribution"].astype(str) == mode]
    if same.empty:
        return math.nan
    return float((same[cols[0]].astype(float) + same[cols[1]].astype(float)).mean())


def _at_chance(g: pd.DataFrame) -> bool:
    if "above_majority" not in g.columns or not g["above_majority"].notna().any():
        return False
    return bool((~g["above_majority"].fillna(True).astype(bool)).any())


def _ratio(a: float, b: float) -> str:
    if not (np.isfinite(a) and np.isfinite(b)) or b <= 0:
        return "-"
    r = a / b
    return f"{r:.3g}×" if r < 1e4 else f"{r:.2g}×"


def classical_models(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """``(model, rows)`` of every classical model of the run, in first-seen order."""
    c = frame[frame["family"] == "classical"]
    return [(str(m), c[c["model"] == m]) for m in dict.fromkeys(c["model"].astype(str))]


def has_frontier(frame: pd.DataFrame) -> bool:
    """Whether the run added frontier models (``pair == "frontier"``) next to a quantum model."""
    return ("pair" in frame.columns and "family" in frame.columns
            and bool((frame["pair"] == "frontier").any()) and bool((frame["family"] == "quantum").any()))


def judge(q: pd.DataFrame, c: pd.DataFrame, name: str, mode: str = "") -> Match:
    """Whether classical rows ``c`` are not significantly less accurate than quantum rows ``q``."""
    qa, ca = _by_seed(q, "accuracy_test"), _by_seed(c, "accuracy_test")
    seeds = sorted(set(qa) & set(ca))
    acc = float(c["accuracy_test"].astype(float).mean())
    diff = paired_difference([qa[s] for s in seeds], [ca[s] for s in seeds], what="accuracy")
    if diff.significant is None:  # one shared seed (or none): no test, the classical must be as accurate
        ok = bool(seeds) and diff.diff.mean >= -1e-12
        note = (f"one shared seed: {name} {'at least as' if ok else 'less'} accurate, no test possible"
                if seeds else "no shared seed")
    else:
        ok = diff.diff.mean >= -1e-12 or not diff.significant
        if diff.diff.mean > 1e-12:
            verdict = "significantly better" if diff.significant else "not significantly different"
        else:
            verdict = "not significantly worse" if ok else "significantly worse"
        mean = 0.0 if abs(diff.diff.mean) < 1e-12 else diff.diff.mean  # float noise of equal accuracies
        note = (f"{verdict}: mean difference {mean:+.3g}, paired t-test over {diff.n} seeds"
                + (f", p = {diff.p_value:.2g}" if np.isfinite(diff.p_value) else ""))
    return Match(name, acc, ok, note, float(_local(c).mean()), _attributed(c, mode))


def verdicts(frame: pd.DataFrame) -> list[Verdict]:
    """One :class:`Verdict` per quantum model configuration of ``frame``.

    Examples
    --------
    >>> rows = []
    >>> for seed, (aq, a1, a2) in enumerate([(0.9, 0.9, 0.95), (0.92, 0.91, 0.94), (0.88, 0.9, 0.96)]):
    ...     rows += [dict(model="qsvc", family="quantum", pair="svm", seed=seed, accuracy_test=aq,
    ...                   fit_energy_j=1.0, predict_energy_j=0.1, hw_energy_j=1e6),
    ...              dict(model="cheap", family="classical", pair="frontier", seed=seed, accuracy_test=a1,
    ...                   fit_energy_j=0.01, predict_energy_j=0.0),
    ...              dict(model="dear", family="classical", pair="frontier", seed=seed, accuracy_test=a2,
    ...                   fit_energy_j=0.5, predict_energy_j=0.0)]
    >>> verdicts(pd.DataFrame(rows))[0].cheapest.model
    'cheap'
    """
    if "family" not in frame.columns or "accuracy_test" not in frame.columns:
        return []
    classical = classical_models(frame)
    out = []
    for qkey, q in model_groups(frame[frame["family"] == "quantum"]):
        name = group_name(qkey, frame)
        mode = str(q["hw_attribution"].dropna().iloc[0]) if (
            "hw_attribution" in q.columns and q["hw_attribution"].notna().any()) else ""
        cands = [judge(q, g, m, mode) for m, g in classical]
        matching = [c for c in cands if c.matches and np.isfinite(c.local_j)]
        cheapest = min(matching, key=lambda c: c.local_j) if matching else None
        acc = summarize(q["accuracy_test"].astype(float).rename("accuracy_test"))
        out.append(Verdict(name, acc.mean, _at_chance(q), cheapest, cands,
                           _sentence(name, q, acc, cheapest, cands, classical, mode, qkey)))
    return out


def _sentence(name, q, acc, cheapest, cands, classical, mode, qkey) -> str:
    n = acc.n
    if n >= 2 and acc.std <= 1e-12:
        acc_text = f"test accuracy {acc.text()}, the same on all {n} seeds"
    else:
        acc_text = f"test accuracy {acc.text()} ({CONFIDENCE:.0%} CI, {n} seed{'s' if n != 1 else ''})"
    if _at_chance(q):
        return (f"{name} ({acc_text}) did not beat the majority-class rate on every seed, so no classical "
                "model is priced against it: a model at chance is flagged, not compared.")
    if not cands:
        return f"{name} ({acc_text}): no classical model ran in this run, so there is no frontier to compare."
    if cheapest is None:
        best = max(cands, key=lambda c: c.accuracy)
        return (f"{name} ({acc_text}): no classical model of this run reaches its accuracy (every one is "
                f"significantly less accurate by a paired test across seeds; the best, {best.model}, "
                f"reaches {fmt(best.accuracy)}), so no energy ratio at matched accuracy is quoted.")
    c_rows = dict(classical)[cheapest.model]
    lbl_c = " + ".join(dict.fromkeys(labels_of(c_rows, k) for k in ("fit_energy_j", "predict_energy_j")))
    lbl_q = " + ".join(dict.fromkeys(labels_of(q, k) for k in ("fit_energy_j", "predict_energy_j")))
    local_q = float(_local(q).mean())
    text = (f"{name} ({acc_text}): the least-energy classical model that does as well is {cheapest.model} "
            f"(test accuracy {fmt(cheapest.accuracy)}; {cheapest.test_note}); simulated on this machine "
            f"{name} used {_ratio(local_q, cheapest.local_j)} the energy of {cheapest.model} "
            f"(fit + predict, local energy, both sides marginal: the same meter's readings, PUE 1; "
            f"{lbl_q} vs {lbl_c})")
    if "hw_energy_j" in q.columns and q["hw_energy_j"].notna().any():
        hw = float(q["hw_energy_j"].astype(float).mean())
        device = qkey.get("device") or "the device preset"
        if np.isfinite(cheapest.attributed_j):
            text += (f"; priced on {device} it would use {_ratio(hw, cheapest.attributed_j)} the energy of "
                     f"{cheapest.model}, both in {mode} attribution ({labels_of(q, 'hw_energy_j')} vs "
                     f"{lbl_c})")
        else:
            text += (f"; priced on {device} ({mode or 'unstated'} attribution, {labels_of(q, 'hw_energy_j')}) "
                     f"it would use {_ratio(hw, cheapest.local_j)} the local energy of {cheapest.model}, "
                     "whose energy is the meter's figure, not attributed in the same mode (no "
                     "*_energy_attributed_j columns in this run), so this ratio is not like for like")
    return text + "."


def _per_prediction(g: pd.DataFrame, col: str, total: str) -> float:
    if col in g.columns and g[col].notna().any():
        return float(g[col].astype(float).mean())
    if total in g.columns and "n_test" in g.columns:
        v = g[total].astype(float) / g["n_test"].astype(float).replace(0, np.nan)
        return float(v.mean())
    return math.nan


def deployment_rows(frame: pd.DataFrame, verdict_list: list[Verdict]) -> tuple[list[str], list[list]]:
    """Training vs per-prediction energy per model, and break-even counts against the verdict's rival.

    Returns table columns and rows (cells are strings or ``(text, label)``).
    """
    cols = ["model", "family", f"test accuracy [{CONFIDENCE:.0%} CI]", "training (fit) energy [J]",
            "energy per prediction [J]", "hardware fit [J]", "hardware per prediction [J]",
            "repays its extra training energy"]
    rivals = {v.quantum: v.cheapest.model for v in verdict_list if v.cheapest is not None and not v.at_chance}
    classical = dict(classical_models(frame))
    rows = []
    groups = list(model_groups(frame))

    def train_pp(g: pd.DataFrame) -> tuple[float, float]:
        fit = float(g["fit_energy_j"].astype(float).mean()) if "fit_energy_j" in g.columns else math.nan
        return fit, _per_prediction(g, "predict_energy_per_prediction_j", "predict_energy_j")

    costs = {group_name(k, frame): train_pp(g) for k, g in groups}
    finite = {n: c for n, c in costs.items() if np.isfinite(c[0])}
    cheapest_train = min(finite, key=lambda n: finite[n][0]) if finite else None
    for key, g in groups:
        name = group_name(key, frame)
        fit, pp = costs[name]
        hw_fit = float(g["hw_energy_fit_j"].astype(float).mean()) if "hw_energy_fit_j" in g.columns else math.nan
        hw_pp = _per_prediction(g, "hw_energy_per_prediction_j", "hw_energy_predict_j")
        notes = []
        rival = rivals.get(name)
        if rival is not None:
            r = classical[rival]
            r_fit = float(r["fit_energy_j"].astype(float).mean())
            r_pp = _per_prediction(r, "predict_energy_per_prediction_j", "predict_energy_j")
            n_local = break_even_predictions(fit, pp, r_fit, r_pp)
            notes.append(f"vs {rival} (local): {_count(n_local)}")
            if np.isfinite(hw_fit):
                n_hw = break_even_predictions(hw_fit, hw_pp, r_fit, r_pp)
                notes.append(f"vs {rival} (quantum on hardware, classical local): {_count(n_hw)}")
        if cheapest_train is not None and name != cheapest_train:
            t_fit, t_pp = costs[cheapest_train]
            notes.append(f"vs {cheapest_train} (cheapest to train, local): "
                         f"{_count(break_even_predictions(fit, pp, t_fit, t_pp))}")
        lbl = labels_of(g, "fit_energy_j")
        hw_lbl = labels_of(g, "hw_energy_j") if "hw_energy_j" in g.columns else ""
        rows.append([
            name, str(g.iloc[0].get("family", "")),
            summarize(g["accuracy_test"].astype(float).rename("accuracy_test")).text(),
            (fmt(fit), lbl), (fmt(pp), labels_of(g, "predict_energy_j")),
            (fmt(hw_fit), hw_lbl) if np.isfinite(hw_fit) else "-",
            (fmt(hw_pp), hw_lbl) if np.isfinite(hw_pp) else "-",
            "; ".join(notes) or "-",
        ])
    return cols, rows

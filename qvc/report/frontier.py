"""The classical frontier: for each quantum model, the least-energy classical model shown to do as well.

A classical model *does as well* as a quantum model when, over the seeds both ran (random
re-splits), its test accuracy is shown **equivalent within the declared margin** or **better**
(:func:`~qvc.analysis.stats.compare_accuracy`: Nadeau & Bengio's corrected resampled test, TOST for
equivalence, Holm across the classical models judged against the same quantum model). An
inconclusive comparison is not evidence of equality: such a model is listed with its minimum
detectable difference and never named the match. Among those shown, the one with the least local
energy in scope (search + fit + predict) is the verdict's rival; its energy ratio is quoted twice,
each time under one attribution on both sides:

* local: the quantum model simulated on this machine vs the classical model, same meter (marginal, PUE 1);
* hardware: the quantum workload priced on the device preset (search included) vs the classical
  model's local energy in the *same* attribution mode and PUE (:func:`~qvc.report.groups.scoped_energy`).

Deployment: training (fit) energy against energy per prediction, and the number of
predictions after which a model's lower per-prediction energy repays a higher training
energy (:func:`break_even_predictions`), both sides in the same attribution mode.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qvc.analysis.stats import CONFIDENCE, Comparison, Summary, compare_accuracy, judge_family, log_ci, summarize
from qvc.report.columns import fmt, labels_of
from qvc.report.groups import attributed_energy, group_name, model_groups, scoped_energy

#: Equivalence margin of runs whose metadata does not record one (before ``--equivalence-margin``).
DEFAULT_MARGIN = 0.05


@dataclass(frozen=True)
class Match:
    """One classical model judged against one quantum model.

    ``local_j``: mean local energy, search + fit + predict (the meter's figure); ``attributed_j``: the
    same scope in the hardware side's attribution mode (NaN when the table lacks it).
    """

    model: str
    accuracy: float
    comparison: Comparison
    local_j: float
    attributed_j: float
    #: Per-seed hardware / classical ratios (search included, both sides in the hardware's mode):
    #: geometric mean and log-scale interval (n = 0 without hardware figures).
    hw_ratio: Summary | None = None

    @property
    def matches(self) -> bool:
        """Shown equivalent within the margin or better."""
        return self.comparison.shown_equal_or_better

    @property
    def test_note(self) -> str:
        return self.comparison.text()


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
        The least-energy classical model shown to do as well (``None``: none shown).
    candidates : list of Match
        Every classical model of the run, judged.
    sentence : str
        The report's one-sentence verdict for this quantum model.
    margin : float
        The equivalence margin used.
    """

    quantum: str
    accuracy: float
    at_chance: bool
    cheapest: Match | None
    candidates: list
    sentence: str
    margin: float = DEFAULT_MARGIN


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


def _by_seed(g: pd.DataFrame, values: pd.Series | str) -> dict[int, float]:
    """``{seed: mean}`` of a column (or a per-row Series) over the rows of ``g``."""
    vals = g[values].astype(float) if isinstance(values, str) else values.astype(float)
    out: dict[int, list[float]] = {}
    for s, v in zip(g["seed"], vals):
        if pd.notna(s):
            out.setdefault(int(s), []).append(float(v))
    return {s: float(np.mean(v)) for s, v in out.items()}


def _at_chance(g: pd.DataFrame) -> bool:
    if "above_majority" not in g.columns or not g["above_majority"].notna().any():
        return False
    return bool((~g["above_majority"].fillna(True).astype(bool)).any())


def ratio_text(r: float) -> str:
    """A ratio to two significant figures (``-`` when undefined).

    Examples
    --------
    >>> [ratio_text(x) for x in (183.3, 0.3712, 4.31, 7.91e10, float("nan"))]
    ['180×', '0.37×', '4.3×', '7.9e+10×', '-']
    """
    if not np.isfinite(r) or r <= 0:
        return "-"
    if r >= 1e4:
        return f"{r:.2g}×"
    return f"{float(f'{r:.2g}'):g}×"


def _ratio(a: float, b: float) -> str:
    return ratio_text(a / b) if np.isfinite(a) and np.isfinite(b) and b > 0 else "-"


def classical_models(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """``(model, rows)`` of every classical model of the run, in first-seen order."""
    c = frame[frame["family"] == "classical"]
    return [(str(m), c[c["model"] == m]) for m in dict.fromkeys(c["model"].astype(str))]


def has_frontier(frame: pd.DataFrame) -> bool:
    """Whether the run added frontier models (``pair == "frontier"``) next to a quantum model."""
    return ("pair" in frame.columns and "family" in frame.columns
            and bool((frame["pair"] == "frontier").any()) and bool((frame["family"] == "quantum").any()))


def hw_mode(q: pd.DataFrame) -> str:
    """The hardware side's attribution mode (``""`` when not recorded)."""
    if "hw_attribution" in q.columns and q["hw_attribution"].notna().any():
        return str(q["hw_attribution"].dropna().iloc[0])
    return ""


def _mean_of(g: pd.DataFrame, col: str, default: float) -> float:
    if col in g.columns and g[col].notna().any():
        return float(g[col].astype(float).mean())
    return default


def compare(q: pd.DataFrame, c: pd.DataFrame, margin: float) -> Comparison:
    """Classical rows ``c`` against quantum rows ``q`` over their shared seeds (uncorrected)."""
    qa, ca = _by_seed(q, "accuracy_test"), _by_seed(c, "accuracy_test")
    seeds = sorted(set(qa) & set(ca))
    rows = pd.concat([q, c])
    # a table without split sizes cannot be corrected: n_test 0 leaves the plain paired variance
    n_test, n_train = _mean_of(rows, "n_test", math.nan), _mean_of(rows, "n_train", math.nan)
    if not (np.isfinite(n_test) and np.isfinite(n_train) and n_train > 0):
        n_test, n_train = 0.0, 1.0
    return compare_accuracy([qa[s] for s in seeds], [ca[s] for s in seeds], n_test=n_test, n_train=n_train,
                            margin=margin)


def _attributed_in(c: pd.DataFrame, mode: str) -> float:
    """Mean search + fit + predict energy of ``c`` in attribution ``mode`` (NaN when not in that mode)."""
    if not mode or "local_attribution" not in c.columns:
        return math.nan
    same = c[c["local_attribution"].astype(str) == mode]
    if same.empty:
        return math.nan
    return float(scoped_energy(same, "attributed", search=True).mean())


def verdicts(frame: pd.DataFrame, margin: float = DEFAULT_MARGIN) -> list[Verdict]:
    """One :class:`Verdict` per quantum model configuration of ``frame``.

    Examples
    --------
    >>> rows = []
    >>> accs = [(0.9, 0.9, 0.95), (0.92, 0.92, 0.94), (0.88, 0.89, 0.96), (0.9, 0.9, 0.95)]
    >>> for seed, (aq, a1, a2) in enumerate(accs):
    ...     rows += [dict(model="qsvc", family="quantum", pair="svm", seed=seed, accuracy_test=aq, n_test=38,
    ...                   n_train=112, fit_energy_j=1.0, predict_energy_j=0.1, hw_energy_j=1e6),
    ...              dict(model="cheap", family="classical", pair="frontier", seed=seed, accuracy_test=a1,
    ...                   n_test=38, n_train=112, fit_energy_j=0.01, predict_energy_j=0.0),
    ...              dict(model="dear", family="classical", pair="frontier", seed=seed, accuracy_test=a2,
    ...                   n_test=38, n_train=112, fit_energy_j=0.5, predict_energy_j=0.0)]
    >>> verdicts(pd.DataFrame(rows))[0].cheapest.model
    'cheap'
    """
    if "family" not in frame.columns or "accuracy_test" not in frame.columns:
        return []
    classical = classical_models(frame)
    out = []
    for qkey, q in model_groups(frame[frame["family"] == "quantum"]):
        name = group_name(qkey, frame)
        mode = hw_mode(q)
        judged = judge_family([compare(q, g, margin) for _, g in classical])
        cands = [Match(m, float(g["accuracy_test"].astype(float).mean()), cmp,
                       float(scoped_energy(g, "local", search=True).mean()), _attributed_in(g, mode),
                       hardware_ratio(q, g, mode))
                 for (m, g), cmp in zip(classical, judged)]
        matching = [c for c in cands if c.matches and np.isfinite(c.local_j)]
        cheapest = min(matching, key=lambda c: c.local_j) if matching else None
        acc = summarize(q["accuracy_test"].astype(float).rename("accuracy_test"))
        out.append(Verdict(name, acc.mean, _at_chance(q), cheapest, cands,
                           _sentence(name, q, acc, cheapest, cands, mode, qkey, margin), margin))
    return out


def hardware_ratio(q: pd.DataFrame, c: pd.DataFrame, mode: str):
    """Per-seed hardware / classical-attributed energy ratios (search included): their geometric mean
    and log-scale interval (:func:`~qvc.analysis.stats.log_ci`)."""
    same = c[c["local_attribution"].astype(str) == mode] if mode and "local_attribution" in c.columns else c.iloc[:0]
    hw = _by_seed(q, scoped_energy(q, "hardware", search=True))
    den = _by_seed(same, scoped_energy(same, "attributed", search=True)) if len(same) else {}
    return log_ci([hw[s] / den[s] for s in hw if s in den and den[s] > 0 and np.isfinite(hw[s])])


def local_ratio(q: pd.DataFrame, c: pd.DataFrame):
    """Per-seed local (simulated) / classical energy ratios, search included: geometric mean and interval."""
    a, b = _by_seed(q, scoped_energy(q, "local", search=True)), _by_seed(c, scoped_energy(c, "local", search=True))
    return log_ci([a[s] / b[s] for s in a if s in b and b[s] > 0 and np.isfinite(a[s])])


def _sentence(name, q, acc, cheapest, cands, mode, qkey, margin) -> str:
    n = acc.n
    acc_text = f"accuracy {fmt(acc.mean)}, {n} seed{'s' if n != 1 else ''}"
    if _at_chance(q):
        return f"{name} ({acc_text}) did not beat the majority-class rate on every seed: flagged, not priced."
    if not cands:
        return f"{name} ({acc_text}): no classical model ran, so there is no frontier to compare."
    if cheapest is None:
        judged = [c for c in cands if c.comparison.verdict != "not judged"]
        if not judged:
            return (f"{name} ({acc_text}): no classical model is shown to do as well, because a comparison needs "
                    "at least 3 seeds.")
        worse = sum(c.comparison.verdict == "worse" for c in judged)
        inconclusive = [c for c in judged if c.comparison.verdict == "inconclusive"]
        why = ", ".join(x for x in (f"{worse} worse" if worse else "", f"{len(inconclusive)} inconclusive, the "
                                    f"smallest detectable difference {min(c.comparison.mdd for c in inconclusive):.2g}"
                                    if inconclusive else "") if x)
        return f"{name} ({acc_text}): no classical model is shown equivalent within ±{margin:.2g} or better: {why}."
    what = f"equivalent within ±{margin:.2g}" if cheapest.comparison.verdict == "equivalent" else "better"
    text = (f"{name} ({acc_text}): the least-energy classical model shown {what} is {cheapest.model}; "
            f"simulated, {name} uses {_ratio(float(scoped_energy(q, 'local', search=True).mean()), cheapest.local_j)} "
            "its energy (local, marginal")
    if "hw_energy_j" in q.columns and q["hw_energy_j"].notna().any():
        device = qkey.get("device") or "the device"
        if np.isfinite(cheapest.attributed_j):
            hw = float(scoped_energy(q, "hardware", search=True).mean())
            text += f"), on {device} {_ratio(hw, cheapest.attributed_j)} ({mode} both sides"
        else:
            text += f"; on {device} not quoted: {cheapest.model} is not attributed like the hardware here"
    return text + "; search included)."


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
            if np.isfinite(hw_fit):  # like for like: the rival's local energy in the hardware side's mode
                mode = hw_mode(g)
                same = r[r["local_attribution"].astype(str) == mode] if "local_attribution" in r.columns else r.iloc[:0]
                ra_fit = float(attributed_energy(same, "fit").mean()) if len(same) else math.nan
                ra_pp = float((attributed_energy(same, "predict") / same["n_test"].astype(float)).mean()) if (
                    len(same) and "n_test" in same.columns) else math.nan
                if np.isfinite(ra_fit) and np.isfinite(ra_pp):
                    n_hw = break_even_predictions(hw_fit, hw_pp, ra_fit, ra_pp)
                    notes.append(f"vs {rival} (quantum on hardware, classical local, both {mode}): {_count(n_hw)}")
                else:
                    notes.append(f"vs {rival} on hardware: not quoted ({rival}'s energy is not attributed "
                                 f"{mode or 'in the hardware mode'} in this table)")
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

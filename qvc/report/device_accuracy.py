"""The report's "Accuracy on the device" section: what a QPU would deliver at the priced shots.

Reads the ``device_*`` columns (written by :mod:`qvc.experiment.deviceaccuracy`): the expected
on-device test accuracy under the named noise model, unmitigated and with each mitigation, at
the shots each row is priced at; the target it had to reach; the configuration chosen (the least
energy that reaches it) or why the row's hardware energy is declined; the shots at the margin's
ends (``shots_low`` / ``shots_high``); shot counts at the cap. The trade-off figure plots, for
the first seed of each quantum model, the expected on-device accuracy and the priced energy
against the shots per circuit, per mitigation, the chosen point marked. Run folders without the
columns get no section.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from qvc.analysis.stats import summarize
from qvc.report.columns import fmt
from qvc.report.document import Cell, Figure, Table
from qvc.report.groups import group_name, model_groups

#: The label of an on-device accuracy (a model of the device, not a measurement).
LABEL = "modelled: device noise model"
_COLOURS = {"none": "#4c72b0", "zne": "#dd8452", "pec": "#55a868"}


def _num(g: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(g[col], errors="coerce") if col in g.columns else pd.Series(np.nan, index=g.index)


def _text(g: pd.DataFrame, col: str) -> pd.Series:
    return g[col].fillna("").astype(str) if col in g.columns else pd.Series("", index=g.index)


def _mean(values: pd.Series) -> str:
    v = values.dropna()
    return "-" if v.empty else summarize(v.astype(float).rename("accuracy_x")).text()


def _range(values: pd.Series) -> str:
    v = values.dropna()
    if v.empty:
        return "-"
    lo, hi = int(v.min()), int(v.max())
    return f"{lo}" if lo == hi else f"{lo} to {hi}"


def _ends(priced: pd.DataFrame) -> str:
    """Geometric-mean ratio of the energy at shots_low and shots_high to the priced energy."""
    e = _num(priced, "hw_energy_j")
    parts = []
    for col in ("hw_energy_shots_low_j", "hw_energy_shots_high_j"):
        r = (_num(priced, col) / e).replace([np.inf, -np.inf], np.nan).dropna()
        r = r[r > 0]
        parts.append("-" if r.empty else f"x{fmt(float(np.exp(np.log(r).mean())))}")
    return " / ".join(parts)


def device_accuracy_blocks(frame: pd.DataFrame) -> tuple[list, list[str]]:
    """The section's blocks and the sentences the run's summary repeats: declined rows and shots at
    the cap (``([], [])`` when no row has the columns).

    Examples
    --------
    >>> f = pd.DataFrame({"model": ["qsvc"], "seed": [1], "accuracy_test": [0.9], "shots": [64],
    ...                   "device_noise_model": ["esp-depolarizing"], "device_accuracy": [0.88],
    ...                   "device_accuracy_low": [0.86], "device_accuracy_none": [0.88],
    ...                   "device_target_accuracy": [0.85], "hw_mitigation": ["none"],
    ...                   "device_declined": [""], "hw_mitigation_overhead": [1.0]})
    >>> blocks, summary = device_accuracy_blocks(f)
    >>> "0.88" in blocks[1] and "esp-depolarizing" in blocks[1], summary
    (True, [])
    """
    if "device_noise_model" not in frame.columns:
        return [], []
    rows: list[list[Cell]] = []
    sentences: list[str] = []
    notes: list[str] = []
    cap_sentences: list[str] = []
    warnings_: list[str] = []  # declines and shots at the cap: the run's summary says them too
    for key, g in model_groups(frame):
        modelled = g[_text(g, "device_noise_model") != ""]
        skipped = g[(_text(g, "device_noise_model") == "") & (_text(g, "device_accuracy_note") != "")]
        name = group_name(key, frame)
        if not skipped.empty:
            notes.append(f"{name}: on-device accuracy {_text(skipped, 'device_accuracy_note').iloc[0]} "
                         f"({len(skipped)} of {len(g)} seed(s)).")
        at_cap = g[g["shots_at_cap"].astype(str).str.lower().isin(("true", "1"))] \
            if "shots_at_cap" in g.columns else g.iloc[0:0]
        for _, r in at_cap.iterrows():
            cap_sentences.append(f"{name} seed {r.get('seed')}: the priced {int(r['shots'])} shots per circuit are at "
                                 "the shot cap (the next rung's device shots would exceed --shots-cap): the cap, not "
                                 "the accuracy, bounds the choice.")
        if modelled.empty:
            continue
        declined = modelled[_text(modelled, "device_declined") != ""]
        priced = modelled[_text(modelled, "device_declined") == ""]
        noise = "; ".join(sorted(set(_text(modelled, "device_noise_model"))))
        mits = ", ".join(sorted(set(_text(priced, "hw_mitigation")))) or "-"
        over = _num(priced, "hw_mitigation_overhead").dropna()
        rows.append([
            name, str(len(modelled)), _mean(_num(modelled, "accuracy_test")), noise,
            (_mean(_num(priced, "device_accuracy_none")), LABEL), (_mean(_num(priced, "device_accuracy")), LABEL),
            (_mean(_num(priced, "device_accuracy_low")), LABEL), mits,
            "-" if over.empty else (fmt(over.min()) if over.min() == over.max() else
                                    f"{fmt(over.min())} to {fmt(over.max())}"),
            _range(_num(priced, "shots")),
            f"{_range(_num(priced, 'shots_low'))} / {_range(_num(priced, 'shots_high'))}",
            _ends(priced),
            _mean(_num(modelled, "device_target_accuracy")), f"{len(priced)} / {len(declined)}",
        ])
        if len(priced):
            exact = _num(priced, "accuracy_test").mean()
            sentences.append(
                f"{name}: on the device ({noise} noise) the expected test accuracy at the priced shots "
                f"({_range(_num(priced, 'shots'))} per circuit) is {fmt(_num(priced, 'device_accuracy_none').mean())} "
                f"unmitigated and {fmt(_num(priced, 'device_accuracy').mean())} as priced (mitigation {mits}; "
                f"lower bound {fmt(_num(priced, 'device_accuracy_low').mean())}) against {fmt(exact)} exact; "
                f"{len(priced)} of {len(modelled)} seed(s) priced at the cheapest configuration reaching the target.")
        for _, r in declined.iterrows():
            warnings_.append(f"{name} seed {r.get('seed')}: hardware energy declined, not priced at an accuracy "
                             f"the device cannot deliver: {r['device_declined']}.")
    warnings_ += cap_sentences
    if not rows:
        return ([*warnings_, *notes], warnings_) if notes or warnings_ else ([], [])
    table = Table(
        ["model", "seeds", "test accuracy, exact", "noise model", "on device, unmitigated",
         "on device, as priced", "as priced, 95 % lower bound", "mitigation priced", "shot overhead",
         "shots per circuit", "shots at margin x1.5 / x0.5", "hardware energy there / as priced",
         "target", "priced / declined"], rows,
        caption=("Accuracy on the device (qvc.experiment.deviceaccuracy): the test accuracy a QPU would "
                 "deliver at the priced shots under the named noise model, mean of 20 seeded noisy draws "
                 "per seed, then the mean over seeds with its t interval. Each row is priced at the least "
                 "energy over shots x mitigation whose one-sided 95 % lower bound (at that count and the next "
                 "rung up, never above the shot-free limit) reaches the target; 'shot overhead' multiplies "
                 "the shots the device runs. The shots at the margin's ends (the target at margin x1.5 "
                 "and x0.5) and the energy there (geometric mean of "
                 "the ratios to the priced energy; '-' where x0.5 is out of reach) are the shot component of "
                 "the energy's uncertainty, which the sensitivity analysis carries as its shots input."))
    blocks: list = [table, *sentences, *warnings_, *notes]
    for key, g in model_groups(frame):
        svg = tradeoff_figure(g)
        if svg:
            blocks.append(Figure(svg, f"{group_name(key, frame)}, seed {g['seed'].iloc[0]}: expected on-device "
                                      "test accuracy (solid: mean, dashed: 95 % lower bound; dotted: the "
                                      "shot-free limit) and priced hardware energy (median) against the "
                                      "shots per circuit, per mitigation (effective shots: the device runs shots "
                                      "x the mitigation's overhead); the star is the priced point, the red line "
                                      "the target."))
    return blocks, warnings_


def tradeoff_figure(g: pd.DataFrame) -> str | None:
    """Accuracy and energy against shots for the first row of ``g`` with a ``device_search``."""
    if "device_search" not in g.columns:
        return None
    texts = [t for t in _text(g, "device_search") if t.strip()]
    if not texts:
        return None
    data = json.loads(texts[0])
    curves = [c for c in data.get("curves", []) if c.get("shots")]
    if not curves:
        return None
    from matplotlib.figure import Figure as MplFigure

    from qvc.report.plots import to_svg

    fig = MplFigure(figsize=(10.0, 3.6))
    ax_a, ax_e = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    chosen = data.get("chosen")
    for c in curves:
        colour = _COLOURS.get(c["mitigation"], "#8c8c8c")
        x = np.asarray(c["shots"], dtype=float)
        label = f"{c['mitigation']} (x{fmt(c['overhead'])} shots)" if c.get("overhead") else c["mitigation"]
        ax_a.plot(x, c["mean"], color=colour, marker="o", ms=3, label=label)
        ax_a.plot(x, c["low"], color=colour, ls="--", lw=1)
        if c.get("limit") is not None:
            ax_a.axhline(c["limit"], color=colour, ls=":", lw=1)
        e = np.array([np.nan if v is None else v for v in c.get("energy_j", [])], dtype=float)
        if e.size == x.size and np.isfinite(e).any():
            ax_e.plot(x, e, color=colour, marker="o", ms=3, label=label)
        if chosen and chosen[0] == c["mitigation"] and int(chosen[1]) in c["shots"]:
            i = c["shots"].index(int(chosen[1]))
            ax_a.plot([x[i]], [c["mean"][i]], marker="*", ms=14, color=colour, mec="black", ls="none")
            if e.size == x.size and math.isfinite(e[i]):
                ax_e.plot([x[i]], [e[i]], marker="*", ms=14, color=colour, mec="black", ls="none")
    ax_a.axhline(float(data["target"]), color="#c44e52", lw=1.5, label=f"target {fmt(data['target'])}")
    for ax in (ax_a, ax_e):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("shots per circuit (effective)")
        ax.grid(True, alpha=0.3)
    ax_e.set_yscale("log")
    ax_a.set_ylabel(f"test accuracy on the device ({data.get('noise_model', '')})")
    ax_e.set_ylabel("hardware energy, median [J] (modelled)")
    ax_a.legend(fontsize=7, loc="lower right")
    return to_svg(fig)

"""The "what moves the verdict" section: global sensitivity of the hardware-vs-classical ratio.

For each matched pair whose quantum rows carry their priced ledger (``hw_cost_model``),
:func:`qvc.analysis.sensitivity.verdict_sensitivity` ranks every ranged cost-model input by
its Morris effect on the ratio and finds where each would flip the verdict; this module
draws the tornado figure and writes the sentence. Older run folders (no ``hw_cost_model``)
get no section.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd

from qvc.analysis.sensitivity import VerdictSensitivity, verdict_sensitivity
from qvc.report.attribution import classical_energy
from qvc.report.columns import fmt
from qvc.report.document import Cell, Figure, Table
from qvc.report.groups import group_name, model_groups, pair_groups

#: Inputs drawn in the tornado figure (the most influential first).
TORNADO_INPUTS = 12
_LOW, _HIGH = "#4c72b0", "#dd8452"  # the report's phase colours (plots._PHASE_COLOURS)


def _float(value: object) -> float:
    """A cell as a float (NaN for a missing one, e.g. an empty integer column's ``pd.NA``)."""
    return float("nan") if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _by_seed(g: pd.DataFrame, values: pd.Series) -> dict[int, float]:
    return {int(s): float(v) for s, v in zip(g["seed"], values) if pd.notna(s)}


def analyse_pair(c: pd.DataFrame, q: pd.DataFrame) -> VerdictSensitivity | None:
    """The sensitivity of one (classical rows, quantum rows) pair over their common seeds."""
    from qvc.energy.costmodel import CostModel

    if "hw_cost_model" not in q.columns or "seed" not in q.columns or "seed" not in c.columns:
        return None
    mode = str(q["hw_attribution"].dropna().iloc[0]) if "hw_attribution" in q.columns and \
        q["hw_attribution"].notna().any() else "attributional"
    den, _ = classical_energy(c, mode)
    den_by_seed = _by_seed(c, den)
    pue_by_seed = _by_seed(c, c["local_pue"]) if "local_pue" in c.columns else {}
    local_mode = (str(c["local_attribution"].dropna().iloc[0])
                  if "local_attribution" in c.columns and c["local_attribution"].notna().any() else "")
    models, classical, linked, lo, hi = [], [], [], [], []
    for _, row in q.iterrows():
        text, seed = row.get("hw_cost_model"), row.get("seed")
        if not isinstance(text, str) or not text.strip() or pd.isna(seed) or int(seed) not in den_by_seed:
            continue
        if not np.isfinite(den_by_seed[int(seed)]) or den_by_seed[int(seed)] <= 0:
            continue
        model = CostModel.from_dict(json.loads(text))
        pue_typ = model.params.get("pue", (1.0, 1.0, 1.0))[1]
        models.append(model)
        classical.append(den_by_seed[int(seed)])
        local_pue = pue_by_seed.get(int(seed), float("nan"))
        linked.append(mode == "attributional" and local_mode == mode and math.isclose(local_pue, pue_typ,
                                                                                      rel_tol=1e-9))
        shots = _float(row.get("shots"))
        if "shots_low" in q.columns and "shots_high" in q.columns and shots > 0:
            # NaN where the margin's end is out of reach (shots_high empty): nanmean skips it
            lo.append(_float(row["shots_low"]) / shots)
            hi.append(_float(row["shots_high"]) / shots)
    if not models:
        return None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: no shot range
        rng = (float(np.nanmean(lo)), float(np.nanmean(hi))) if lo else None
    if rng is not None and not (np.isfinite(rng[0]) and np.isfinite(rng[1])):
        rng = None
    return verdict_sensitivity(models, classical, pue_linked=linked, shots_range=rng)


def tornado(result: VerdictSensitivity, title: str) -> str | None:
    """Tornado figure: the ratio with each input at its low and high end (others typical), log axis."""
    from matplotlib.figure import Figure as MplFigure

    from qvc.report.plots import to_svg

    effects = [e for e in result.effects if np.isfinite(e.ratio_at_low) and np.isfinite(e.ratio_at_high)]
    effects = effects[:TORNADO_INPUTS]
    if not effects or not (result.ratio_typical > 0):
        return None
    r0 = result.ratio_typical
    fig = MplFigure(figsize=(8.5, 0.42 * len(effects) + 1.8))
    ax = fig.add_subplot()
    y = np.arange(len(effects))[::-1]
    for yi, e in zip(y, effects):
        for value, colour in ((e.ratio_at_low, _LOW), (e.ratio_at_high, _HIGH)):
            if value > 0:
                ax.barh(yi, math.log10(value) - math.log10(r0), left=math.log10(r0), height=0.6, color=colour,
                        alpha=0.9)
    ax.axvline(math.log10(r0), color="black", lw=1, ls="--")
    xs = [math.log10(v) for e in effects for v in (e.ratio_at_low, e.ratio_at_high) if v > 0] + [math.log10(r0)]
    lo, hi = min(xs), max(xs)
    ax.axvline(0.0, color="#c44e52", lw=1.5)
    ax.set_xlim(min(lo, 0.0) - 0.3, max(hi, 0.0) + 0.3)
    ax.set_yticks(y, [f"{e.name} ({e.input.show(e.input.low)} .. {e.input.show(e.input.high)})" for e in effects],
                  fontsize=8)
    ax.set_xlabel("log10(hardware / classical energy), the other inputs typical")
    ax.legend(handles=[_patch(_LOW, "input at its low end"), _patch(_HIGH, "input at its high end"),
                       _line("black", "--", f"typical ratio {r0:.3g}"),
                       _line("#c44e52", "-", "ratio 1: verdict flips")],
              fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(f"What moves the verdict: {title}\n(inputs ranked by Morris mu*, most influential on top)",
                 fontsize=10)
    ax.grid(True, axis="x", alpha=0.3)
    return to_svg(fig)


def _patch(colour: str, label: str):
    from matplotlib.patches import Patch

    return Patch(color=colour, label=label)


def _line(colour: str, style: str, label: str):
    from matplotlib.lines import Line2D

    return Line2D([0], [0], color=colour, ls=style, label=label)


def sentence(result: VerdictSensitivity, title: str, mode_words: str = "the same attribution both sides") -> str:
    """The inputs that matter and how far each would have to move for the verdict to flip.

    ``mode_words`` says how the two sides are attributed (from :func:`classical_energy`).
    """
    side = "dearer" if result.dearer else "cheaper"
    ranked = [e for e in result.effects if e.mu_star > 0][:3]
    matter = ", ".join(f"{e.name} (mu* {e.mu_star:.2g})" for e in ranked) or "none of them"
    flips = [e for e in result.effects if e.flip_value is not None]
    flips.sort(key=lambda e: (not e.flips_within_range, -e.mu_star))
    if flips:
        flip = "; ".join(e.flip_text(result.dearer) for e in flips[:4])
        flip = f"Alone (the others typical): {flip}."
    else:
        top = result.effects[0] if result.effects else None
        ends = (top.ratio_at_low, top.ratio_at_high) if top else (float("nan"),)
        best = min(ends) if result.dearer else max(ends)
        flip = ("No input flips the verdict on its own anywhere in its admissible domain"
                + (f"; even {top.name} at its most favourable end leaves the ratio at {best:.3g}" if top else "") + ".")
    together = (f" Varied together within their ranges, {result.share_flipped:.0%} of the Morris points fall on the "
                "other side." if np.isfinite(result.share_flipped) else "")
    top_name = result.effects[0].name if result.effects else "-"
    return (f"What moves the verdict ({title}): at typical values the hardware takes {result.ratio_typical:.2g}× "
            f"the classical energy ({mode_words}; hardware {side}). The input that matters most is {top_name}; "
            f"the largest Morris effects on log10 of the ratio: {matter}. {flip}{together}")


def sensitivity_blocks(frame: pd.DataFrame) -> tuple[list, list[str]]:
    """The section's blocks and its sentences (empty for results without ``hw_cost_model``)."""
    if "hw_cost_model" not in frame.columns or "family" not in frame.columns:
        return [], []
    blocks: list = []
    sentences: list[str] = []
    for key, g in pair_groups(frame):
        classical, quantum = g[g["family"] == "classical"], g[g["family"] == "quantum"]
        if classical.empty or quantum.empty or key.get("pair") == "frontier":
            continue
        c_name = str(classical["model"].iloc[0])
        for qkey, q in model_groups(quantum):
            result = analyse_pair(classical, q)
            if result is None:
                continue
            device = str(q["device"].dropna().iloc[0]) if "device" in q.columns else "the device"
            title = f"{group_name(qkey, frame)} on {device} vs {c_name}"
            mode = str(q["hw_attribution"].dropna().iloc[0]) if "hw_attribution" in q.columns and \
                q["hw_attribution"].notna().any() else "attributional"
            text = sentence(result, title, classical_energy(classical, mode)[1])
            if "above_majority" in q.columns and not q["above_majority"].astype(bool).any():
                text += f" ({group_name(qkey, frame)} did not beat the majority-class rate: the ratio prices a " \
                        "model that did not learn.)"
            sentences.append(text)
            blocks.append(text)
            svg = tornado(result, title)
            if svg:
                blocks.append(Figure(svg, "Tornado: the hardware-vs-classical energy ratio with each input at "
                                          "the low (blue) and high (orange) end of its range, the others at "
                                          "their typical values; red line: ratio 1, where the verdict flips. "
                                          + result.method + "."))
            blocks.append(_table(result))
    return blocks, sentences


def _small(x: float) -> str:
    """An effect, rounding noise (below 1e-9 in log10) shown as 0."""
    return "0" if abs(x) < 1e-9 else f"{x:.3g}"


def _table(result: VerdictSensitivity) -> Table:
    rows: list[list[Cell]] = []
    for e in result.effects:
        i = e.input
        rows.append([e.name, f"{i.show(i.low)} / {i.show(i.typical)} / {i.show(i.high)}", _small(e.mu_star),
                     _small(e.sigma), fmt(e.ratio_at_low), fmt(e.ratio_at_high),
                     e.flip_text(result.dearer)])
    return Table(["input", "low / typical / high", "Morris mu*", "Morris sigma", "ratio at low", "ratio at high",
                  "flip (others typical)"], rows,
                 caption="Every ranged cost-model input, most influential first. mu*: mean absolute elementary "
                         "effect of log10(ratio), scaled to the input's whole range (Morris steps of 2/3 of it); "
                         "sigma: how much that effect depends on the other inputs (interactions); 0 for PUE "
                         "where both sides carry it (it cancels). Ratio: modelled hardware energy at typical "
                         "values over the classical energy in the same attribution (PUE shared where both sides "
                         "carry it).")

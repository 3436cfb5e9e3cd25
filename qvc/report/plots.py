"""Report figures, rendered to standalone SVG text for embedding in HTML.

Figures are built on :class:`matplotlib.figure.Figure` directly (no ``pyplot``),
so rendering uses the non-interactive Agg/SVG canvases and never touches a
user's GUI backend. The SVG is deterministic (fixed hash salt, no date), glyphs
are drawn as paths (the page looks the same whatever fonts the browser has),
and the XML prolog, DOCTYPE and RDF metadata are removed so the embedded
markup references no URL.

Every function takes the typed result table (:func:`qvc.experiment.load_results`)
and returns SVG text, or ``None`` when the table has nothing to draw.
"""

from __future__ import annotations

import io
import math
import re
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from qvc.analysis.stats import summarize
from qvc.report.columns import (
    component_columns,
    interval_columns,
    is_missing,
    labels_of,
)
from qvc.report.groups import group_keys, group_name, local_energy, model_groups

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from qvc.analysis.scaling import ScalingAnalysis

#: Colour per matched pair, marker per family; hardware projections are hollow squares.
_PAIR_COLOURS = {"svm": "#1f77b4", "nn": "#2ca02c"}
_OTHER_COLOURS = ["#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
_MARKERS = {"classical": "o", "quantum": "^"}
_TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf"]
_PHASE_COLOURS = {"fit": "#4c72b0", "predict": "#dd8452"}
_COMPONENT_COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860",
                      "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd"]

_RC = {"svg.hashsalt": "qvc-report", "svg.fonttype": "path", "font.size": 10}

def _colour(key: dict, frame_row: pd.Series | None, k: int) -> str:
    pair = None if frame_row is None else frame_row.get("pair")
    return _PAIR_COLOURS.get(str(pair), _OTHER_COLOURS[k % len(_OTHER_COLOURS)])


def _new_figure(**kwargs: Any) -> Figure:
    # matplotlib is imported when the first figure is drawn (~0.25 s), not with the report
    # package: commands that stop at a usage error never draw one
    from matplotlib.figure import Figure


    return Figure(**kwargs)


def _line2d(*args: Any, **kwargs: Any):
    from matplotlib.lines import Line2D

    return Line2D(*args, **kwargs)


def to_svg(fig: Figure) -> str:
    """Render ``fig`` to SVG text that is safe to inline in an HTML page."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]  # matplotlib types rc keys as Literals
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None,
                                                 "Type": None}, bbox_inches="tight")
    svg = buf.getvalue()
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg, flags=re.S)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    # Namespace declarations are identifiers, not requests; the HTML parser puts
    # inline <svg> in the SVG namespace and maps xlink:href without them.
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    return svg.strip()


def prefix_ids(svg: str, prefix: str) -> str:
    """Make element ids unique per figure when several SVGs share one page."""
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', svg)
    return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", svg)


def _positive(x: float) -> bool:
    return x is not None and np.isfinite(x) and x > 0


def _asym_err(s, centre: float) -> tuple[float, float]:
    if s.n < 2 or not np.isfinite(s.low) or s.std <= 1e-12 * abs(s.mean):
        return 0.0, 0.0
    low = max(s.low, centre * 1e-3) if centre > 0 else s.low
    return max(centre - low, 0.0), max(s.high - centre, 0.0)


def pareto_front(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points not beaten by another with lower-or-equal energy and higher-or-equal accuracy.

    Examples
    --------
    >>> pareto_front([(1.0, 0.9), (2.0, 0.8), (3.0, 0.95)])
    [(1.0, 0.9), (3.0, 0.95)]
    """
    front, best = [], -math.inf
    for e, a in sorted(points, key=lambda p: (p[0], -p[1])):
        if a > best:
            front.append((e, a))
            best = a
    return front


def accuracy_vs_energy(frame: pd.DataFrame) -> str | None:
    """Test accuracy against energy per model on a log energy axis (the Pareto view).

    Filled markers: local energy of fit + predict (label from the ``*_energy_method``
    columns). Hollow squares: the quantum workload priced on the device preset
    (label from ``hw_energy_method``), joined to the same model's simulated point.
    Error bars: 95 % t intervals across seeds (accuracy, local energy) and the
    modelled low/high interval (hardware), when present.
    """
    if "accuracy_test" not in frame.columns:
        return None
    fig = _new_figure(figsize=(9.5, 5.6))
    ax = fig.add_subplot()
    points: list[tuple[float, float]] = []
    local_label = labels_of(frame, "fit_energy_j")
    hw_label = labels_of(frame, "hw_energy_j") if "hw_energy_j" in frame.columns else None
    drew_hw = False
    groups = list(model_groups(frame))
    many = len(groups) > 4  # too many to annotate: one colour and legend entry per configuration
    group_handles = []
    for k, (key, g) in enumerate(groups):
        acc = summarize(g["accuracy_test"])
        loc = summarize(local_energy(g))
        colour = _TAB10[k % len(_TAB10)] if many else _colour(key, g.iloc[0], k)
        family = str(g.iloc[0].get("family", ""))
        name = group_name(key, frame)
        if many:
            group_handles.append(_line2d([], [], marker=_MARKERS.get(family, "D"), ls="",
                                                         color=colour, label=name))
        if acc.n and _positive(loc.mean):
            xerr = np.array(_asym_err(loc, loc.mean)).reshape(2, 1)
            yerr = np.array(_asym_err(acc, acc.mean)).reshape(2, 1)
            ax.errorbar(loc.mean, acc.mean, xerr=xerr, yerr=yerr, fmt=_MARKERS.get(family, "D"),
                        color=colour, ms=9, capsize=3, zorder=3)
            if not many:
                ax.annotate(name, (loc.mean, acc.mean), textcoords="offset points", xytext=(7, 6),
                            fontsize=9, color=colour)
            points.append((loc.mean, acc.mean))
        if "hw_energy_j" in g.columns:
            hw = summarize(g["hw_energy_j"])
            if acc.n and _positive(hw.mean):
                drew_hw = True
                iv = interval_columns(g.columns, "hw_energy_j")
                if iv:
                    lo, hi = float(g[iv[0]].mean()), float(g[iv[1]].mean())
                    xerr = np.array([[max(hw.mean - lo, 0.0)], [max(hi - hw.mean, 0.0)]])
                else:
                    xerr = np.array(_asym_err(hw, hw.mean)).reshape(2, 1)
                ax.errorbar(hw.mean, acc.mean, xerr=xerr, fmt="s", mfc="white", mec=colour,
                            mew=2, color=colour, ms=9, capsize=3, zorder=3)
                device = key.get("device") or "device"
                if not many:
                    ax.annotate(f"{name} on {device}", (hw.mean, acc.mean), textcoords="offset points",
                                xytext=(7, -13), fontsize=9, color=colour)
                if _positive(loc.mean):
                    ax.plot([loc.mean, hw.mean], [acc.mean, acc.mean], ls=":", color=colour, lw=1)
                points.append((hw.mean, acc.mean))
    if not points:
        return None
    front = pareto_front(points)
    if len(front) > 1:
        xs = [p[0] for p in front]
        ys = [p[1] for p in front]
        ax.step(xs, ys, where="post", color="#999999", lw=1, ls="--", zorder=1)
    ax.set_xscale("log")
    xs = [p[0] for p in points]
    ax.set_xlim(min(xs) / 4, max(xs) * 30)
    ax.set_ylim(min(-0.02, min(p[1] for p in points) - 0.05), 1.05)
    ax.set_xlabel("energy of fit + predict [J], log scale")
    ax.set_ylabel("test accuracy")
    ax.grid(True, which="major", alpha=0.3)
    handles = [
        _line2d([], [], marker="o", ls="", color="#444444",
                                label=f"classical, run locally ({local_label})"),
        _line2d([], [], marker="^", ls="", color="#444444",
                                label=f"quantum, simulated locally ({local_label})"),
    ]
    if drew_hw:
        handles.append(_line2d([], [], marker="s", ls="", mfc="white", mec="#444444",
                                               mew=2, label=f"quantum, projected on hardware ({hw_label})"))
    if len(front) > 1:
        handles.append(_line2d([], [], ls="--", color="#999999",
                                               label="Pareto front (less energy, more accuracy)"))
    if many:
        ax.legend(handles=handles + group_handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    else:
        ax.legend(handles=handles, loc="lower right", fontsize=9, framealpha=0.9)
    ax.set_title("Test accuracy vs energy per model (error bars: 95% CI across seeds"
                 + ("; hardware: modelled interval)" if interval_columns(frame.columns, "hw_energy_j")
                    else ")"), fontsize=10)
    return to_svg(fig)


def hardware_components(frame: pd.DataFrame) -> str | None:
    """Stacked bar of modelled hardware energy by component, one bar per quantum model.

    Needs ``hw_energy_<component>_j`` columns; returns ``None`` without them.
    """
    from qvc.report.components import chart_title, headline_components

    comps = {n: c for n, c in component_columns(frame.columns).items()
             if (frame[c].astype(float).fillna(0) > 0).any()}
    if not comps:
        return None
    parts, how = headline_components(frame)  # the bars add up to the headline's hw_energy_j
    bars = []
    for key, g in model_groups(frame):
        vals = {name: float(parts.loc[g.index, name].mean()) for name in comps}
        if not any(np.isfinite(v) and v > 0 for v in vals.values()):
            continue
        bars.append((group_name(key, frame) + (f"\n{key['device']}" if key.get("device") else ""),
                     vals, g))
    if not bars:
        return None
    fig = _new_figure(figsize=(max(7.5, 1.8 * len(bars) + 3.5), 4.6))
    ax = fig.add_subplot()
    x = np.arange(len(bars))
    bottom = np.zeros(len(bars))
    for i, name in enumerate(comps):
        h = np.array([np.nan_to_num(b[1][name]) for b in bars])
        ax.bar(x, h, bottom=bottom, width=0.55, label=name,
               color=_COMPONENT_COLOURS[i % len(_COMPONENT_COLOURS)])
        bottom += h
    iv = interval_columns(frame.columns, "hw_energy_j")
    if "hw_energy_j" in frame.columns:
        mid = np.array([float(b[2]["hw_energy_j"].mean()) for b in bars])
        if iv:
            lo = np.array([float(b[2][iv[0]].mean()) for b in bars])
            hi = np.array([float(b[2][iv[1]].mean()) for b in bars])
            yerr = [np.maximum(mid - lo, 0), np.maximum(hi - mid, 0)]
        else:
            yerr = None
        typical = "hw_energy_typical_j" in frame.columns
        ax.errorbar(x, mid, yerr=yerr, fmt="D", color="black", ms=5, capsize=5,
                    label=("hw_energy_j" + (" (Monte Carlo median, the headline)" if typical else ""))
                    + (", 90 % interval" if iv else ""))
    ax.set_xticks(x, [b[0] for b in bars])
    ax.set_ylabel(f"hardware energy [J] ({labels_of(frame, next(iter(comps.values())))})")
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("Projected hardware energy by component (mean across seeds)\n" + chart_title(how), fontsize=10)
    ax.grid(True, axis="y", alpha=0.3)
    return to_svg(fig)


def phases(frame: pd.DataFrame) -> str | None:
    """Wall time and local energy of fit and predict per model (log axes)."""
    have = [p for p in ("fit", "predict") if f"{p}_seconds" in frame.columns]
    if not have:
        return None
    groups = list(model_groups(frame))
    fig = _new_figure(figsize=(11, 4.3))
    axes = fig.subplots(1, 2)
    x = np.arange(len(groups))
    width = 0.8 / len(have)
    for ax, unit, what in ((axes[0], "seconds", "wall time [s]"), (axes[1], "energy_j", "local energy [J]")):
        drew = False
        for i, phase in enumerate(have):
            col = f"{phase}_{unit}"
            if col not in frame.columns:
                continue
            stats = [summarize(g[col]) for _, g in groups]
            means = np.array([s.mean if s.n else np.nan for s in stats])
            errs = np.array([_asym_err(s, s.mean) if s.n else (0, 0) for s in stats]).T
            label = phase if unit == "seconds" else f"{phase} ({labels_of(frame, col)})"
            ok = np.isfinite(means) & (means > 0)
            if ok.any():
                drew = True
                yerr = errs[:, ok] if np.any(errs[:, ok] > 0) else None
                ax.bar(x[ok] + (i - (len(have) - 1) / 2) * width, means[ok], width=width,
                       yerr=yerr, capsize=3, label=label, color=_PHASE_COLOURS.get(phase))
        if drew:
            ax.set_yscale("log")
        ax.set_xticks(x, [group_name(k, frame) for k, _ in groups], rotation=20 if len(groups) > 4 else 0)
        ax.set_ylabel(what + ", log scale")
        ax.grid(True, axis="y", which="major", alpha=0.3)
        if drew:
            ax.legend(fontsize=9)
    axes[0].set_title("Wall time per phase (mean, 95% CI across seeds)", fontsize=10)
    axes[1].set_title("Local energy per phase (mean, 95% CI across seeds)", fontsize=10)
    fig.tight_layout()
    return to_svg(fig)


def sweep(frame: pd.DataFrame) -> str | None:
    """Energy against qubits (or training samples) per model, with uncertainty bands.

    Drawn only when the run varies ``qubits`` or ``n_train``. Solid lines: local
    energy (band: 95 % CI across seeds); dashed: modelled hardware energy (band:
    the modelled low/high interval when present, else the CI across seeds).
    """
    axis = next((c for c in ("qubits", "n_train") if c in frame.columns and frame[c].nunique() > 1), None)
    if axis is None:
        return None
    rest = [k for k in group_keys(frame) if k not in (axis, "n_train", "qubits")]
    fig = _new_figure(figsize=(9.5, 5.2))
    ax = fig.add_subplot()
    iv = interval_columns(frame.columns, "hw_energy_j")
    drew = False
    filled = frame[rest].astype(object).where(frame[rest].notna(), "")
    for k, (values, g) in enumerate(frame.groupby([filled[c] for c in rest], sort=False)):
        values = values if isinstance(values, tuple) else (values,)
        name = " ".join(str(v) for v in values if v not in ("", "classical"))
        colour = _colour({}, g.iloc[0], k) if g["model"].nunique() == 1 else None
        colour = _OTHER_COLOURS[k % len(_OTHER_COLOURS)] if colour is None else colour
        if str(g.iloc[0].get("family")) == "quantum" and colour in _PAIR_COLOURS.values():
            colour = {"#1f77b4": "#ff7f0e", "#2ca02c": "#d62728"}[colour]
        xs = sorted(v for v in g[axis].dropna().unique())
        loc = [summarize(local_energy(g[g[axis] == v])) for v in xs]
        m = np.array([s.mean for s in loc])
        if np.isfinite(m).any():
            drew = True
            ax.plot(xs, m, marker="o", color=colour, label=f"{name}: local ({labels_of(g, 'fit_energy_j')})")
            lo = np.array([s.low if s.n > 1 else s.mean for s in loc])
            hi = np.array([s.high if s.n > 1 else s.mean for s in loc])
            ax.fill_between(xs, np.maximum(lo, m * 1e-3), hi, color=colour, alpha=0.18)
        if "hw_energy_j" in g.columns and g["hw_energy_j"].notna().any():
            hw = [summarize(g.loc[g[axis] == v, "hw_energy_j"]) for v in xs]
            hm = np.array([s.mean for s in hw])
            if iv:
                lo = np.array([float(g.loc[g[axis] == v, iv[0]].mean()) for v in xs])
                hi = np.array([float(g.loc[g[axis] == v, iv[1]].mean()) for v in xs])
            else:
                lo = np.array([s.low if s.n > 1 else s.mean for s in hw])
                hi = np.array([s.high if s.n > 1 else s.mean for s in hw])
            drew = True
            ax.plot(xs, hm, marker="s", ls="--", color=colour, mfc="white",
                    label=f"{name}: hardware ({labels_of(g, 'hw_energy_j')})")
            ax.fill_between(xs, lo, hi, color=colour, alpha=0.10, hatch="//")
    if not drew:
        return None
    ax.set_yscale("log")
    ax.set_xlabel("qubits (= features)" if axis == "qubits" else "training samples")
    ax.set_ylabel("energy of fit + predict [J], log scale")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(f"Energy vs {'qubits' if axis == 'qubits' else 'training samples'} "
                 "(bands: 95% CI across seeds; hardware: modelled interval when present)", fontsize=10)
    return to_svg(fig)


def compare_accuracy_energy(frames: dict[str, pd.DataFrame]) -> str | None:
    """Accuracy vs local energy of two (or more) runs on one log axis, one marker fill per run.

    No text sits on the data: a model is its colour and marker, a run its marker fill, both
    explained by a legend outside the axes; a faint line joins a model's points across runs.
    """
    fig = _new_figure(figsize=(9.5, 5.4))
    ax = fig.add_subplot()
    fills: list[Literal["full", "none", "left", "bottom"]] = ["full", "none", "left", "bottom"]
    allx = []
    style: dict[str, tuple[str, str]] = {}  # model name -> (colour, marker), the same in every run
    points: dict[str, list[tuple[float, float]]] = {}
    for r, frame in enumerate(frames.values()):
        for key, g in model_groups(frame):
            acc, loc = summarize(g["accuracy_test"]), summarize(local_energy(g))
            if not (acc.n and _positive(loc.mean)):
                continue
            name = group_name(key, frame)
            colour, marker = style.setdefault(name, (_colour(key, g.iloc[0], len(style)),
                                                     _MARKERS.get(str(g.iloc[0].get("family")), "D")))
            ax.plot(loc.mean, acc.mean, marker=marker, fillstyle=fills[r % len(fills)], color=colour, ms=10, ls="")
            points.setdefault(name, []).append((loc.mean, acc.mean))
            allx.append(loc.mean)
    if not allx:
        return None
    for name, pts in points.items():
        if len(pts) > 1:
            ax.plot(*zip(*pts), color=style[name][0], lw=0.8, alpha=0.35, zorder=1)
    ax.set_xscale("log")
    ax.set_xlim(min(allx) / 4, max(allx) * 4)
    ax.set_xlabel("local energy of fit + predict [J], log scale")
    ax.set_ylabel("test accuracy")
    ax.grid(True, alpha=0.3)
    runs = [_line2d([], [], marker="o", ls="", color="#444444", fillstyle=fills[i % len(fills)],
                    label=f"run {'AB'[i] if i < 2 else i}: {n}") for i, n in enumerate(frames)]
    models = [_line2d([], [], marker=m, ls="", color=c, ms=8, label=name) for name, (c, m) in style.items()]
    ax.legend(handles=runs + models, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              title="marker fill: run; colour and shape: model", title_fontsize=8)
    ax.set_title("Test accuracy vs local energy, both runs (mean across seeds)", fontsize=10)
    return to_svg(fig)


__all__ = [
    "accuracy_vs_energy",
    "compare_accuracy_energy",
    "hardware_components",
    "is_missing",
    "pareto_front",
    "phases",
    "prefix_ids",
    "sweep",
    "to_svg",
]


def _frontier_points(frame: pd.DataFrame, total: bool) -> tuple[list, list]:
    """(local points, hardware points) as (name, family, energy, accuracy) per model configuration."""
    local, hw = [], []
    for key, g in model_groups(frame):
        acc = float(g["accuracy_test"].astype(float).mean())
        name, family = group_name(key, frame), str(g.iloc[0].get("family", ""))
        if total:
            e_loc = float(local_energy(g).mean())
            e_hw = float(g["hw_energy_j"].astype(float).mean()) if "hw_energy_j" in g.columns else math.nan
        else:
            n = g["n_test"].astype(float).replace(0, np.nan) if "n_test" in g.columns else np.nan
            e_loc = float((g["predict_energy_j"].astype(float) / n).mean()) if "predict_energy_j" in g.columns \
                else math.nan
            e_hw = float((g["hw_energy_predict_j"].astype(float) / n).mean()) \
                if "hw_energy_predict_j" in g.columns else math.nan
        if np.isfinite(acc) and _positive(e_loc):
            local.append((name, family, e_loc, acc))
        if np.isfinite(acc) and _positive(e_hw):
            hw.append((name, family, e_hw, acc))
    return local, hw


#: Label offsets tried around a point (points; x, y, horizontal alignment), nearest first.
_LABEL_OFFSETS = [(6, 4, "left"), (6, -10, "left"), (-6, 4, "right"), (-6, -10, "right"), (6, 14, "left"),
                  (-6, 14, "right"), (6, -20, "left"), (-6, -20, "right"), (0, 22, "center"), (0, -28, "center"),
                  (14, 26, "left"), (-14, 26, "right"), (14, -34, "left"), (-14, -34, "right")]


def _place_labels(ax, items: list[tuple[str, float, float, str]], fontsize: float = 8) -> list:
    """Label the points ``(name, x, y, colour)`` so that no two labels overlap each other or a marker.

    Each label takes the first offset of :data:`_LABEL_OFFSETS` whose text box (measured by the
    renderer) meets no label already placed and no other point's marker; a label with no free
    offset goes further out on a leader line. Returns the annotations.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = ax.figure
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()  # limits and transforms final
    renderer = canvas.get_renderer()
    to_px = fig.dpi / 72.0
    centres = [ax.transData.transform((x, y)) for _, x, y, _ in items]
    marker_r = 6 * to_px
    placed: list = []
    boxes: list = []

    def free(bb, own: int) -> bool:
        if any(bb.overlaps(b) for b in boxes):
            return False
        return not any(j != own and bb.x0 - marker_r < cx < bb.x1 + marker_r and bb.y0 - marker_r < cy < bb.y1
                       + marker_r for j, (cx, cy) in enumerate(centres))

    for i, (name, x, y, colour) in enumerate(items):
        chosen = None
        for dx, dy, ha in _LABEL_OFFSETS:
            ann = ax.annotate(name, (x, y), textcoords="offset points", xytext=(dx, dy), ha=ha, fontsize=fontsize,
                              color=colour)
            bb = ann.get_window_extent(renderer)
            if free(bb, i):
                chosen = ann
                break
            ann.remove()
        if chosen is None:  # crowded: further out, with a leader line, still clear of the others
            for k in range(1, 12):
                dy = (18 + 12 * k) * (1 if k % 2 else -1)
                ann = ax.annotate(name, (x, y), textcoords="offset points", xytext=(24, dy), ha="left",
                                  fontsize=fontsize, color=colour,
                                  arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.6})
                bb = ann.get_window_extent(renderer)
                if free(bb, i) or k == 11:
                    chosen = ann
                    break
                ann.remove()
        assert chosen is not None  # the last leader-line offset is always taken
        boxes.append(chosen.get_window_extent(renderer))
        placed.append(chosen)
    return placed


def frontier(frame: pd.DataFrame) -> str | None:
    """The classical frontier as SVG (:func:`frontier_figure`), or ``None`` with nothing to plot."""
    fig = frontier_figure(frame)
    return None if fig is None else to_svg(fig)


def frontier_figure(frame: pd.DataFrame):
    """The classical frontier: test accuracy against energy for every model of the run.

    Top row: fit + predict; bottom row: energy per prediction. Left: everything run on this
    machine (classical models and the quantum models simulated); right: the quantum
    workloads priced on the device preset (modelled), on their own log axis so the local
    panel is not squeezed by the many decades between them. In each panel the
    Pareto-optimal models (no other has both less energy and higher accuracy) are joined.
    """
    if "accuracy_test" not in frame.columns or "fit_energy_j" not in frame.columns:
        return None
    panels = [_frontier_points(frame, True), _frontier_points(frame, False)]
    if not any(p[0] for p in panels):
        return None
    with_hw = any(p[1] for p in panels)
    import matplotlib.ticker

    fig = _new_figure(figsize=(11.0 if with_hw else 7.0, 8.4))
    axes = fig.subplots(2, 2 if with_hw else 1, squeeze=False, sharey=True)
    local_lbl = labels_of(frame, "fit_energy_j")
    hw_lbl = labels_of(frame, "hw_energy_j") if "hw_energy_j" in frame.columns else ""
    accs = [p[3] for pts in panels for side in pts for p in side]
    labels: list = []
    for r, (loc, hw) in enumerate(panels):
        what = "fit + predict" if r == 0 else "per prediction"
        sides = [(loc, f"this machine: {what} [J] ({local_lbl})")]
        if with_hw:
            sides.append((hw, f"quantum on the device preset: {what} [J] ({hw_lbl})"))
        for c, (pts, xlabel) in enumerate(sides):
            ax = axes[r][c]
            for k, (_name, family, e, a) in enumerate(pts):
                colour = _TAB10[k % len(_TAB10)] if family == "classical" else "#d62728"
                marker = ("s" if c == 1 else _MARKERS.get(family, "D"))
                ax.plot([e], [a], marker=marker, ls="", ms=8, color=colour,
                        mfc="white" if c == 1 else colour, mew=2, zorder=3)
            labels.append((ax, [(name, e, a, _TAB10[k % len(_TAB10)] if family == "classical" else "#d62728")
                                for k, (name, family, e, a) in enumerate(pts)]))
            front = pareto_front([(p[2], p[3]) for p in pts])
            if len(front) > 1:
                ax.plot([p[0] for p in front], [p[1] for p in front], color="#555555", lw=1.2, ls="--",
                        zorder=2)
            if pts:
                xs = [p[2] for p in pts]
                ax.set_xscale("log")
                lo, hi = min(xs) / 3, max(xs) * 3
                if hi / lo < 100:  # at least two decades, so the log axis has labelled major ticks
                    mid = math.sqrt(lo * hi)
                    lo, hi = mid / 10, mid * 10
                ax.set_xlim(lo, hi)
                ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            else:
                ax.text(0.5, 0.5, "nothing to plot", transform=ax.transAxes, ha="center")
            ax.set_xlabel(xlabel, fontsize=9)
            ax.grid(True, which="major", alpha=0.3)
        axes[r][0].set_ylabel("test accuracy (mean over seeds)")
    if accs:
        axes[0][0].set_ylim(max(0.0, min(accs) - 0.05), min(1.02, max(accs) + 0.03))
    handles = [
        _line2d([], [], marker="o", ls="", color="#444444", label="classical (local)"),
        _line2d([], [], marker="^", ls="", color="#d62728", label="quantum, simulated (local)"),
        _line2d([], [], ls="--", color="#555555", label="Pareto front of the panel"),
    ]
    if with_hw:
        handles.insert(2, _line2d([], [], marker="s", ls="", mfc="white", mec="#d62728",
                                                  mew=2, color="#d62728", label="quantum, modelled hardware"))
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=9, frameon=False)
    import matplotlib

    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]  # the fonts the SVG is written with
        for ax, items in labels:  # after every limit is set: labels are placed in final display coordinates
            _place_labels(ax, items)
    return fig


#: Colours of a sweep's cost-curve series (further series take _MORE_COLOURS in turn).
_SERIES_COLOURS = {"classical": "#1f77b4", "simulation:statevector": "#ff7f0e", "hardware": "#2ca02c",
                   "simulation:gpu (modelled)": "#9467bd"}
_MORE_COLOURS = ["#d62728", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]


def _series_colour(series: str, k: int) -> str:
    return _SERIES_COLOURS.get(series, _MORE_COLOURS[k % len(_MORE_COLOURS)])


def scaling_curves(analysis: ScalingAnalysis, pair: str, axis: str, fixed: float) -> str | None:
    """A sweep's energy curves with laws, walls and break-even (left) beside test accuracy (right).

    ``analysis`` is :func:`qvc.analysis.scaling.analyse`'s result; one figure per pair, axis and
    fixed value of the other axis, or None when that block is empty.
    """
    from qvc.analysis.breakeven import WALLS
    from qvc.analysis.scaling import DEFAULT_MAX_EXTRAPOLATION

    curves = analysis.curves
    block = curves[(curves.pair == pair) & (curves.axis == axis) & (curves.fixed == fixed)]
    if block.empty:
        return None
    be = analysis.breakeven
    other = "samples" if axis == "qubits" else "qubits"
    if not be.empty:
        be = be[(be.pair == pair) & (be.axis == axis) & (be.fixed == f"{other} = {fixed:g}")]
    measured = block[~block.series.str.contains("modelled")]
    x_hi = float(measured["x"].max()) if not measured.empty else float(block["x"].max())
    x_lo = float(block["x"].min())
    lim = analysis.settings.get("max_extrapolation", DEFAULT_MAX_EXTRAPOLATION)
    if axis == "qubits":
        finite = [float(v) for v in (list(be.get("x", [])) + list(be.get("high", []))) if
                  isinstance(v, float) and math.isfinite(v)]
        x_end = min(max([x_hi + lim] + [v + 2 for v in finite]), analysis.settings.get("max_qubits", 200))
        grid = np.linspace(x_lo, x_end, 300)
    else:
        x_end = x_hi * 10
        grid = np.geomspace(x_lo, x_end, 300)
    fig = _new_figure(figsize=(12.5, 4.8))
    ax, acc = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    fig.subplots_adjust(wspace=0.28)
    for k, (series, c) in enumerate(block.groupby("series", sort=False)):
        col = _series_colour(series, k)
        if "modelled" in series and axis == "qubits":
            ent = str(c["entanglement"].iloc[0] or "full") if "entanglement" in c else "full"
            from qvc.analysis.breakeven import gpu_statevector_energy

            hw_c = block[block.series == "hardware"]
            n_tr, n_te = float(hw_c["n_train"].mean()), float(hw_c["n_test"].mean())
            n_sv = float((hw_c["circuits_predict"] / hw_c["n_test"]).mean())
            attributed = "gpu_pue" in c and bool(c["gpu_pue"].notna().any())
            t, lo, hi = gpu_statevector_energy(grid, n_tr, n_te, n_sv, ent,
                                               pue=float(c["gpu_pue"].iloc[0]) if attributed else 1.0,
                                               host=bool(c["gpu_host"].iloc[0]) if attributed else False)
            ax.plot(grid, t, color=col, lw=1.2, label=f"{series} (typical; band low-high)")
            ax.fill_between(grid, lo, hi, color=col, alpha=0.12)
            continue
        learn = c["learns"].astype(bool) if "learns" in c else pd.Series(True, index=c.index)
        ax.errorbar(c["x"][learn], c["y"][learn], yerr=c["y_std"][learn].fillna(0), fmt="o", color=col,
                    ms=4, capsize=2, label=f"{series} ({c['label'].iloc[0] or '-'})")
        if (~learn).any():
            ax.plot(c["x"][~learn], c["y"][~learn], "o", mfc="white", color=col, ms=5,
                    label=f"{series}: fails the quality gate (excluded)")
        if "y_low" in c and c["y_low"].notna().all():
            ax.fill_between(c["x"], c["y_low"], c["y_high"], color=col, alpha=0.15)
        fits = analysis.fit_objects.get((pair, series, axis, fixed), [])
        if fits:
            f = fits[0]
            ax.plot(grid, f.predict(grid), "-", color=col, alpha=0.8, lw=1,
                    label=f"law {f.describe()} (R2log {f.r2_log:.3f})")
    hw_eval = getattr(analysis, "hardware", pd.DataFrame())
    if axis == "qubits" and not hw_eval.empty:
        h = hw_eval[(hw_eval.pair == pair) & (hw_eval.fixed == fixed) & (hw_eval.get("axis", axis) == axis)]
        ok = h[h["declined"].fillna("") == ""]
        if not ok.empty:
            ax.plot(ok["qubits"], ok["energy_j"], "-", color="#d62728", lw=1.4,
                    label="hardware: cost model evaluated per size (typical)")
            ax.fill_between(ok["qubits"], ok["energy_low"], ok["energy_high"], color="#d62728", alpha=0.08)
        bad = h[h["declined"].fillna("") != ""]
        if not bad.empty:
            ax.axvline(float(bad["qubits"].min()), color="#d62728", ls="-.", lw=1,
                       label=f"hardware declined from n = {int(bad['qubits'].min())}")
    ymin, ymax = ax.get_ylim()
    if axis == "qubits":
        from matplotlib.ticker import MaxNLocator

        from qvc.analysis.breakeven import local_wall

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        acc.xaxis.set_major_locator(MaxNLocator(integer=True))

        lw, lw_note = local_wall()
        for name, q in [(lw_note, lw)] + [(k, v[0]) for k, v in WALLS.items()]:
            if x_lo <= q <= x_end:
                ax.axvline(q, color="#555", ls=":", lw=1)
                ax.text(q, ymax, f" wall: {name.split('(')[0].strip()} ({q})", rotation=90, va="top",
                        ha="right", fontsize=7, color="#555")
    for _, r in be.iterrows():
        if r.get("simulator_compared") != "cheapest available" and r.get("comparison") != "hardware < simulation":
            continue
        x = r.get("x")
        if isinstance(x, float) and math.isfinite(x):
            ax.axvline(x, color="#d62728", ls="--", lw=1,
                       label=f"break-even vs {r['simulator_compared']}: {x:.3g}")
            span_lo = float(r["low"]) if math.isfinite(r["low"]) else x
            span_hi = float(r["high"]) if math.isfinite(r["high"]) else x_end
            ax.axvspan(span_lo, span_hi, color="#d62728", alpha=0.06)
    ax.set_yscale("log")
    if axis == "samples":
        ax.set_xscale("log")
        acc.set_xscale("log")
    ax.set_xlabel(axis)
    ax.set_ylabel("energy of fit + predict [J], log scale")
    ax.set_title(f"{pair}: energy vs {axis} ({other} = {fixed:g})", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(0.0, -0.14), ncol=1, frameon=False)
    # accuracy panel
    drew = False
    for k, (series, c) in enumerate(block.groupby("series", sort=False)):
        if series == "hardware" or "modelled" in series or "accuracy" not in c:
            continue
        acc.plot(c["x"], c["accuracy"], "o-", color=_series_colour(series, k), ms=4,
                 label=f"{'quantum, ' if series.startswith('simulation') else ''}{series}")
        drew = True
    maj = block.dropna(subset=["majority"]) if "majority" in block else block.iloc[0:0]
    if not maj.empty:
        m = maj.groupby("x")["majority"].mean()
        acc.plot(m.index, m.values, "k--", lw=1, label="majority-class rate (test split)")
    acc.set_ylim(0, 1.02)
    acc.set_xlabel(axis)
    acc.set_ylabel("test accuracy (mean over seeds)")
    acc.set_title("accuracy: a size enters only within the margin of the classical model", fontsize=10)
    acc.grid(True, alpha=0.3)
    if drew:
        acc.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, -0.14), frameon=False)
    return to_svg(fig)

"""The sweep-level report: cost curves, growth-law fits, the break-even table, the raw points.

Written into the sweep's run folder as ``sweep_report.md`` and
``sweep_report.html`` (same content), ``plots/*.png`` (matplotlib, Agg
backend), ``fits.csv`` and ``breakeven.csv``; the raw points are the run's
``results.csv``.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

from qvc.experiment.results import load_results
from qvc.experiment.runfolder import read_sweep_meta
from qvc.experiment.scaling import LAWS, SERIES, ScalingAnalysis, analyse

_COLORS = {"classical": "tab:blue", "simulation": "tab:orange", "hardware": "tab:green"}
_RAW_COLUMNS = [
    "model", "dataset", "qubits", "samples", "n_train", "n_test", "seed", "accuracy_test",
    "fit_energy_j", "predict_energy_j", "fit_energy_method", "hw_energy_j", "hw_energy_method",
    "point_seconds", "worker",
]


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return "-"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:.4g}"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


def _md_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "(none)"
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in frame.iterrows():
        lines.append("| " + " | ".join(_fmt(r[c]).replace("|", "/") for c in cols) + " |")
    return "\n".join(lines)


def _html_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p>(none)</p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(r[c]))}</td>" for c in frame.columns) + "</tr>"
        for _, r in frame.iterrows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _breakeven_view(be: pd.DataFrame) -> pd.DataFrame:
    if be.empty:
        return be
    view = be.copy()

    def where(r):
        if r["already_below"]:
            return f"already below at {r['x']:.4g}"
        if isinstance(r["x"], float) and math.isnan(r["x"]):
            return f"none up to {r['search_to']:g}"
        return f"{r['x']:.4g}"

    def interval(r):
        lo, hi = r["low"], r["high"]
        if (isinstance(lo, float) and math.isnan(lo)) and (isinstance(hi, float) and math.isnan(hi)):
            return "-"
        lo_s = "none" if (isinstance(lo, float) and math.isinf(lo)) else _fmt(lo)
        hi_s = f"> {r['search_to']:g}" if (isinstance(hi, float) and (math.isinf(hi) or math.isnan(hi))) else _fmt(hi)
        return f"{lo_s} .. {hi_s}"

    view["break-even"] = view.apply(where, axis=1)
    view["interval"] = view.apply(interval, axis=1)
    return view[["pair", "comparison", "axis", "fixed", "law_hw", "law_other", "basis", "break-even",
                 "interval", "measured_range", "interval_source", "notes"]]


def plot_curves(analysis: ScalingAnalysis, out_dir: str | Path) -> list[Path]:
    """One PNG per (pair, axis, fixed value): measured/modelled points, best fits, break-even.

    Returns the written paths.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    curves = analysis.curves
    if curves.empty:
        return paths
    for (pair, axis, fixed), block in curves.groupby(["pair", "axis", "fixed"], sort=False):
        be = analysis.breakeven
        be = be[(be.pair == pair) & (be.axis == axis) & (be.fixed.str.endswith(f"= {fixed:g}"))] if not be.empty else be
        x_hi = float(block["x"].max())
        finite = [v for v in (list(be["x"]) + list(be["high"])) if isinstance(v, float) and math.isfinite(v)] \
            if not be.empty else []
        x_end = max([x_hi] + finite) * (1.15 if finite else 1.0)
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for series, c in block.groupby("series", sort=False):
            color = _COLORS.get(series, "k")
            ax.errorbar(c["x"], c["y"], yerr=c["y_std"].fillna(0), fmt="o", color=color,
                        label=f"{series} ({c['label'].iloc[0] or '-'})", capsize=2)
            if "y_low" in c and not c["y_low"].isna().all():
                ax.fill_between(c["x"], c["y_low"], c["y_high"], color=color, alpha=0.15)
            fits = analysis.fit_objects.get((pair, series, axis, fixed), [])
            if fits:
                f = fits[0]
                grid = (np.geomspace(f.x_min, x_end, 200) if axis == "samples"
                        else np.linspace(f.x_min, x_end, 200))
                ax.plot(grid, f.predict(grid), "-", color=color, alpha=0.8,
                        label=f"fit {f.law}: {f.describe()} (R2log {f.r2_log:.3f})")
        for _, r in be.iterrows():
            if isinstance(r["x"], float) and math.isfinite(r["x"]) and not r["already_below"]:
                ax.axvline(r["x"], color="tab:red" if "simulation" in r["comparison"] else "tab:purple",
                           ls="--", lw=1, label=f"{r['comparison']} at {r['x']:.3g} ({r['basis']})")
                lo = r["low"] if math.isfinite(r["low"]) else r["x"]
                hi = r["high"] if math.isfinite(r["high"]) else x_end
                ax.axvspan(lo, hi, color="tab:red", alpha=0.07)
        ax.set_yscale("log")
        if axis == "samples":
            ax.set_xscale("log")
        other = "samples" if axis == "qubits" else "qubits"
        ax.set_xlabel(axis)
        ax.set_ylabel("energy per run (J)")
        ax.set_title(f"{pair} pair: energy vs {axis} ({other} = {fixed:g})")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6.5, loc="best")
        fig.tight_layout()
        path = out_dir / f"{pair}_{axis}_{other}{fixed:g}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def write_sweep_report(run_dir: str | Path) -> Path:
    """Analyse a sweep's results and write its report; return the HTML page's path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from qvc.experiment.specfile import load_spec_file
    >>> from qvc.experiment.sweep import run_sweep
    >>> d = pathlib.Path(tempfile.mkdtemp()); f = d / "s.toml"
    >>> _ = f.write_text('dataset = "iris"\\nmodels = ["svm"]\\nqubits = [2, 3, 4]\\nsamples = 40\\n')
    >>> res = run_sweep(load_spec_file(f), workers=1, out_dir=d, progress=False)
    >>> write_sweep_report(res.run_dir).name
    'sweep_report.html'
    """
    run_dir = Path(run_dir)
    meta = read_sweep_meta(run_dir)
    frame = load_results(run_dir)
    settings = meta.get("analysis", {})
    analysis = analyse(frame, max_qubits=settings.get("max_qubits", 200),
                       max_samples=settings.get("max_samples", 1_000_000))
    plots = plot_curves(analysis, run_dir / "plots")
    fits = analysis.fits
    if not fits.empty:
        fits.to_csv(run_dir / "fits.csv", index=False)
    analysis.breakeven.to_csv(run_dir / "breakeven.csv", index=False)
    be_view = _breakeven_view(analysis.breakeven)
    fit_view = fits[["pair", "series", "axis", "fixed", "law", "fitted", "n", "r2_log", "rmse_log10", "aicc",
                     "best"]] if not fits.empty else fits
    raw = frame[[c for c in _RAW_COLUMNS if c in frame.columns]]
    sessions = meta.get("sessions", [])
    n_points = len(meta.get("points", []))
    wall = sum(
        (pd.Timestamp(s["finished_utc"]) - pd.Timestamp(s["started_utc"])).total_seconds()
        for s in sessions if s.get("finished_utc")
    )
    methods = sorted(set(frame.get("fit_energy_method", pd.Series(dtype=str)).dropna()))
    meters = sorted(set(frame.get("energy_meter", pd.Series(dtype=str)).dropna()))
    notes = [
        f"Sweep `{meta['run_id']}` from `{meta.get('spec_file')}`: {len(frame)} of {n_points} points stored, "
        f"status **{meta.get('status')}**, {len(sessions)} session(s), {wall:.0f} s of sweep wall time.",
        f"Local energies (classical, simulation) are labelled {', '.join(methods) or '-'} "
        f"(meter: {', '.join(meters) or '-'}); hardware energies are `modelled` by the cost model on the device "
        "preset (see each row's `device`).",
        "Energy attribution: " + "; ".join(
            f"session {i + 1}: {s['executor']['where']}; {s['executor']['attribution']}"
            for i, s in enumerate(sessions)),
        "Fits: least squares on ln(energy), candidate laws " + ", ".join(
            f"{k} `{v.formula}`" for k, v in LAWS.items())
        + "; ranked by AICc (best = lowest); `r2_log` is R^2 of ln(energy), `rmse_log10` the RMS miss in "
        "decades. A curve is a fixed value of the other axis with at least three distinct x values; each "
        "point is the mean over seeds.",
        "Break-even: first x where the hardware curve's best law falls below the other curve's law, searched "
        f"up to {settings.get('max_qubits', 200)} qubits / {settings.get('max_samples', 1_000_000):g} samples. "
        "When the simulation's best law along qubits is not exponential, a second row assumes the best "
        "exponential law (statevector simulation is asymptotically exponential in qubits). Extrapolations far "
        "beyond the measured range are model statements, not measurements.",
    ]
    series_text = [f"- **{k}**: {v}" for k, v in SERIES.items()]
    md = [f"# Sweep report: {meta['run_id']}", "", *[f"- {n}" for n in notes], "", "## Series", "",
          *series_text, "", "## Break-even", "", _md_table(be_view), "", "## Curves", ""]
    md += [f"![{p.stem}](plots/{p.name})" for p in plots]
    md += ["", "## Fits", "", _md_table(fit_view), "", "## Raw points",
           "", "All columns: [results.csv](results.csv).", "", _md_table(raw), ""]
    (run_dir / "sweep_report.md").write_text("\n".join(md))

    style = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;}table{border-collapse:collapse;"
             "font-size:12px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px}th{background:#eee}"
             "img{max-width:100%;}")
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>qvc sweep {html.escape(meta['run_id'])}"
             f"</title><style>{style}</style></head><body>",
             f"<h1>Sweep report: {html.escape(meta['run_id'])}</h1><ul>"]
    parts += [f"<li>{html.escape(n)}</li>" for n in notes]
    parts += ["</ul><h2>Series</h2><ul>"]
    parts += [f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in SERIES.items()]
    parts += ["</ul><h2>Break-even</h2>", _html_table(be_view), "<h2>Curves</h2>"]
    parts += [f"<p><img src='plots/{html.escape(p.name)}' alt='{html.escape(p.stem)}'></p>" for p in plots]
    parts += ["<h2>Fits</h2>", _html_table(fit_view), "<h2>Raw points</h2>",
              "<p>All columns: <a href='results.csv'>results.csv</a>.</p>", _html_table(raw), "</body></html>"]
    page = run_dir / "sweep_report.html"
    page.write_text("".join(parts))
    return page

"""The sweep-level report: break-even against the cheapest simulator, curves, laws, raw points.

Built as a :class:`~qvc.report.document.Document` and rendered by the same
Markdown and HTML renderers as run reports (self-contained HTML, figures as
inline SVG). Written atomically into the sweep's run folder: ``sweep_report.md``,
``sweep_report.html``, ``fits.csv`` and ``breakeven.csv``; the raw points are
the run's ``results.csv``. All inputs are read and every file is rendered in
memory before anything is replaced.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from qvc._io import atomic_write_text
from qvc.analysis.breakeven import GPU
from qvc.analysis.scaling import DEFAULT_MAX_EXTRAPOLATION, SERIES, ScalingAnalysis, analyse
from qvc.record.results import load_results
from qvc.record.runfolder import read_sweep_meta
from qvc.report import plots
from qvc.report.columns import fmt
from qvc.report.document import Cell, Document, Figure, KeyValues, Link, Section, Table
from qvc.report.html import render_html
from qvc.report.markdown import render_markdown

_RAW_COLUMNS = [
    "model", "dataset", "qubits", "samples", "n_train", "n_test", "seed", "execution", "entanglement",
    "simulator", "mps_bond_dimension_reached", "accuracy_test", "fit_energy_j", "predict_energy_j",
    "fit_energy_method", "hw_energy_j", "hw_energy_method", "shots", "point_seconds", "worker",
]


def _num(v, spec: str = ".3g") -> str:
    return fmt(None if v is None else float(v), spec, inf="unbounded")


def _text(v) -> str:
    """A table cell from a possibly missing value."""
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v)


def _interval_text(r) -> str:
    lo, hi = r.get("low"), r.get("high")
    if not isinstance(lo, float) or (math.isnan(lo) and (not isinstance(hi, float) or math.isnan(hi))):
        return "-"
    lo_s = "-" if math.isnan(lo) else ("never" if math.isinf(lo) else _num(lo))
    hi_s = "-" if math.isnan(hi) else ("open (beyond the limit or never)" if math.isinf(hi) else _num(hi))
    return f"{lo_s} .. {hi_s}"


def _breakeven_table(be: pd.DataFrame) -> Table:
    cols = ["pair", "fixed", "comparison", "against", "cheapest at crossing", "break-even", "interval (5-95 %)",
            "beyond measured", "status", "measured range", "hardware priced at", "notes"]
    rows: list[list[Cell]] = []
    for _, r in be.iterrows():
        rows.append([
            _text(r.get("pair")), _text(r.get("fixed")), _text(r.get("comparison")),
            _text(r.get("simulator_compared")), _text(r.get("simulator") or None),
            _num(r.get("x")), _interval_text(r),
            "-" if pd.isna(r.get("extrapolation")) else f"{float(r['extrapolation']):.1f}",
            _text(r.get("status")), _text(r.get("measured_range")), _text(r.get("hardware_pricing")),
            _text(r.get("notes") or None),
        ])
    return Table(cols, rows, "break-even: first size where the modelled hardware energy falls below the "
                             "compared series; 'cheapest available' compares with the cheapest simulator at "
                             "each size that exists there (walls) and meets the precision")


def _laws_table(be: pd.DataFrame) -> Table:
    rows: list[list[Cell]] = [
        [_text(r["pair"]), _text(r["fixed"]), _text(r["simulator_compared"]), _text(r.get("laws")),
         _text(r.get("interval_sources"))]
            for _, r in be.iterrows() if isinstance(r.get("laws"), str) and r.get("laws")]
    return Table(["pair", "fixed", "against", "central laws (best by AICc)", "interval sources"], rows,
                 "the laws behind every row; a declined crossing is a statement about these laws only")


def _fits_table(fits: pd.DataFrame) -> Table:
    if fits.empty:
        return Table(["fits"], [["(none: no curve has three or more sizes)"]])
    rows: list[list[Cell]] = [[str(r["pair"]), str(r["series"]), str(r["axis"]), _num(r["fixed"], "g"), str(r["law"]),
             str(r["fitted"]), str(int(r["n"])), _num(r["r2_log"], ".4f"), _num(r["rmse_log10"], ".3f"),
             _num(r["aicc"], ".1f"), "yes" if r["best"] else ""]
            for _, r in fits.iterrows()]
    return Table(["pair", "series", "axis", "fixed", "law", "fitted", "n", "R2 (log)", "RMS miss (decades)",
                  "AICc", "best"], rows)


def _gpu_constants() -> Table:
    rows: list[list[Cell]] = []
    for key, val in GPU.items():
        if key == "name":
            continue
        value, source = val
        rows.append([key, str(value), str(source)])
    return Table(["constant", "value", "source"], rows, f"{GPU['name']}: the modelled GPU statevector series")


def _walls_table(analysis: ScalingAnalysis) -> Table:
    rows: list[list[Cell]] = [[str(r["wall"]), str(int(r["qubits"])), str(r["source"])]
                              for _, r in analysis.walls.iterrows()]
    return Table(["statevector wall", "largest qubits (fp64, one state)", "source"], rows,
                 "beyond a wall that simulator is not available: the classical series there is MPS, or the "
                 "modelled distributed GPU cost up to the largest published simulation")


def build_sweep_report(frame: pd.DataFrame, meta: dict, analysis: ScalingAnalysis) -> Document:
    """The sweep report as a :class:`~qvc.report.document.Document`.

    Parameters
    ----------
    frame : DataFrame
        The sweep's result rows.
    meta : dict
        ``sweep.json``.
    analysis : ScalingAnalysis
        From :func:`~qvc.analysis.scaling.analyse`.

    Returns
    -------
    Document
    """
    run_id = meta.get("run_id", "")
    sessions = meta.get("sessions", [])
    n_points = len(meta.get("points", []))
    wall = sum((pd.Timestamp(s["finished_utc"]) - pd.Timestamp(s["started_utc"])).total_seconds()
               for s in sessions if s.get("finished_utc"))
    st = analysis.settings
    subtitle = [
        f"spec {meta.get('spec_file', '-')} · {len(frame)} of {n_points} points stored · status "
        f"{meta.get('status', '-')} · {len(sessions)} session(s), {wall:.0f} s of sweep wall time",
        f"break-even search to {st.get('max_qubits')} qubits / {st.get('max_samples'):g} samples; crossings more "
        f"than {st.get('max_extrapolation'):g} qubits beyond the measured range are declined; "
        f"{st.get('draws')} draws per interval",
    ]
    be = analysis.breakeven
    summary = []
    if not be.empty:
        for _, r in be[(be.get("simulator_compared") == "cheapest available")].iterrows():
            where = (f"hardware falls below the cheapest simulator ({r['simulator']}) at {r['x']:.3g} qubits, "
                     f"interval {_interval_text(r)} ({r['extrapolation']:.1f} qubits beyond the measured range)"
                     if isinstance(r["x"], float) and math.isfinite(r["x"]) else str(r["status"]))
            summary.append(f"{r['pair']}, {r['fixed']}: {where}. Modelled hardware energy vs measured or "
                           "estimated local simulation (and a modelled GPU); hardware priced at "
                           f"{r.get('hardware_pricing') or '-'}.")
        for _, r in be[be["status"].astype(str).str.startswith("excluded")].iterrows():
            summary.append(f"{r['pair']}, {r['fixed']}: no break-even quoted; {r['status']} (a model at the "
                           "majority rate is not priced as if it worked).")
    summary.append("Every number in the break-even table comes with its interval's sources and the distance "
                   "beyond the measured range; no GPU was measured here (the GPU series is modelled).")
    blocks: list = [
        "Compared series: the modelled hardware energy of the quantum model against each classical "
        "simulator the sweep measured on this machine (the row's simulator: statevector = qvc's CPU "
        "engine, mps = Aer matrix-product states, exact or fidelity-matched), a modelled GPU statevector "
        "series, and the cheapest of them that exists at each size. Only sizes where the quantum model's "
        "test accuracy beats the majority-class rate (and, with auto shots, whose shot budget is feasible) "
        "enter (points_excluded counts the others).",
        _breakeven_table(be) if not be.empty else "No break-even: no curve with a hardware series and "
                                                  "four or more sizes.",
    ]
    if not be.empty and be["laws"].map(lambda v: isinstance(v, str) and bool(v)).any():
        blocks.append(_laws_table(be))
    blocks.append(_walls_table(analysis))
    figs: list = []
    for (pair, axis, fixed), _ in analysis.curves.groupby(["pair", "axis", "fixed"], sort=False):
        svg = plots.scaling_curves(analysis, pair, axis, fixed)
        if svg:
            figs.append(Figure(svg, f"{pair}, energy vs {axis} at fixed "
                                    f"{'samples' if axis == 'qubits' else 'qubits'} = {fixed:g}. Left: points "
                                    "(mean over seeds; hollow = model does not beat the majority rate, "
                                    "excluded), best law per series, modelled GPU band, walls (dotted), "
                                    "break-even and its interval (red). Right: test accuracy of the same "
                                    "points against the majority-class rate."))
    if not figs:
        figs.append("No curve with three or more sizes to draw.")
    methods = sorted(set(frame.get("fit_energy_method", pd.Series(dtype=str)).dropna()))
    meters = sorted(set(frame.get("energy_meter", pd.Series(dtype=str)).dropna()))
    method = [
        KeyValues([(k, v) for k, v in SERIES.items()]),
        f"Local energies are labelled {', '.join(methods) or '-'} (meter: {', '.join(meters) or '-'}); hardware "
        "energies are modelled by the cost model on each row's device preset; the GPU series is modelled "
        "from the constants below (board power only: host, network and cooling are excluded).",
        "Energy attribution: " + ("; ".join(
            f"session {i + 1}: {s['executor']['where']}; {s['executor']['attribution']}"
            for i, s in enumerate(sessions)) or "-"),
        "Laws: least squares on ln(energy), ranked by AICc. CPU statevector: c + a*G(n)*2^n (G = gates of "
        "the ZZ feature map), c + a*n*2^n, c + a*2^(b*n) with b >= 1; MPS: c + a*n*chi(n)^3 and the "
        "polynomial laws; hardware: linear, quadratic, power, exp+floor; classical: polynomial. Along "
        "samples every law is polynomial (fitted in log10 samples for the break-even).",
        "Interval: each of the draws drops 0-2 of the largest and smallest sizes, bootstrap-resamples the "
        "rest, picks each series' law uniformly among those within 10 AICc of the best on the full data, "
        "draws the law's parameters "
        "from their covariance, and draws the hardware cost model and the GPU model between their low and "
        "high bounds; the interval is the 5th-95th percentile of the draws' crossings. 'open' means more "
        "than 5 % of draws never cross, or the upper end lies beyond the extrapolation limit.",
        _gpu_constants(),
    ]
    raw_cols = [c for c in _RAW_COLUMNS if c in frame.columns]
    raw = Table(raw_cols, [[fmt(v) if isinstance(v, float) else ("-" if pd.isna(v) else str(v))
                            for v in r] for r in frame[raw_cols].itertuples(index=False, name=None)])
    sections = [
        Section("Break-even against the cheapest simulator", blocks, "breakeven"),
        Section("Energy and accuracy curves", figs, "curves"),
        Section("Fitted laws", [_fits_table(analysis.fits)], "fits"),
        Section("Method", method, "method"),
        Section("Raw points", [KeyValues([("all columns", Link("results.csv", "results.csv")),
                                          ("break-even table", Link("breakeven.csv", "breakeven.csv")),
                                          ("fits", Link("fits.csv", "fits.csv"))]), raw], "raw",
                collapsed=True),
    ]
    return Document(f"qvc sweep {run_id}".strip(), subtitle, sections, summary)


def _csv_text(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False)


def write_sweep_report(run_dir: str | Path) -> Path:
    """Analyse a sweep's results and write its report; return the HTML page's path.

    ``qvc sweep`` calls it when a sweep ends (:func:`qvc.experiment.sweep.run_sweep`'s example
    runs one; ``tests/test_experiment_sweep.py`` reads the report it writes).
    """
    run_dir = Path(run_dir)
    meta = read_sweep_meta(run_dir)
    frame = load_results(run_dir)
    settings = meta.get("analysis", {})
    analysis = analyse(frame, max_qubits=settings.get("max_qubits", 200),
                       max_samples=settings.get("max_samples", 1_000_000),
                       max_extrapolation=settings.get("max_extrapolation", DEFAULT_MAX_EXTRAPOLATION),
                       draws=settings.get("draws", 200))
    doc = build_sweep_report(frame, meta, analysis)
    md, page = render_markdown(doc), render_html(doc)
    fits_csv = _csv_text(analysis.fits) if not analysis.fits.empty else "pair,series,axis,fixed,law\n"
    be_csv = _csv_text(analysis.breakeven) if not analysis.breakeven.empty else "pair,comparison,simulator\n"
    atomic_write_text(run_dir / "fits.csv", fits_csv)
    atomic_write_text(run_dir / "breakeven.csv", be_csv)
    atomic_write_text(run_dir / "sweep_report.md", md)
    atomic_write_text(run_dir / "sweep_report.html", page)
    return run_dir / "sweep_report.html"

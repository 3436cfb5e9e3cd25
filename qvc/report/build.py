"""Write reports from run folders: one run, two runs side by side, an index of runs.

Everything is read from ``results.csv`` and ``metadata.json``; no model is
fitted and nothing is re-run. Inputs are validated and both output files are
rendered in memory before anything is written; each file is then replaced
atomically, so a bad input never overwrites an existing report.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pandas as pd

from qvc._io import atomic_write_text
from qvc.analysis.stats import summarize
from qvc.errors import QvcUsageError
from qvc.record.metadata import run_state
from qvc.record.results import load_results
from qvc.record.runfolder import (
    METADATA,
    RESULTS,
    Run,
    check_values,
    is_sweep_folder,
    load_run,
    read_sweep_meta,
    read_tuning,
)
from qvc.report.compare_report import build_compare_report
from qvc.report.document import Cell, Document, Link, Section, Table
from qvc.report.html import render_html
from qvc.report.markdown import render_markdown
from qvc.report.run_report import build_run_report


def _load(run_dir: str | Path) -> Run:
    """:func:`~qvc.record.runfolder.load_run` for a report: a ``running`` run whose process
    is gone shows as ``interrupted (...)`` (in the report only; the file is not changed)."""
    run = load_run(run_dir)
    run.metadata["status"] = run_state(run.metadata)
    return run


def _build(builder, where: Path, *args) -> Document:
    """Build a report document; content the files should never hold becomes one line, not a traceback."""
    try:
        return builder(*args)
    except QvcUsageError:
        raise
    except (TypeError, AttributeError, KeyError, ValueError, OverflowError, IndexError) as exc:
        first = (str(exc).splitlines() or [""])[0][:200]
        raise QvcUsageError(
            f"cannot build a report from {str(where)!r}: its results.csv or metadata.json holds values "
            f"qvc does not write ({type(exc).__name__}: {first}); restore the files or re-run"
        ) from None


def write_report(run_dir: str | Path, *, meta: dict | None = None) -> tuple[Path, Path]:
    """(Re)write ``report.md`` and ``report.html`` of a run folder from its files alone.

    Parameters
    ----------
    run_dir : str or Path
        A folder holding ``results.csv`` and ``metadata.json``.
    meta : dict, optional
        Use this metadata instead of reading ``metadata.json`` (the runner renders the
        report from the final metadata before it writes that file).

    Returns
    -------
    (Path, Path)
        Paths of ``report.md`` and ``report.html``.

    Raises
    ------
    QvcUsageError
        On a missing, empty, damaged or newer-schema run folder; nothing is written then.

    Examples
    --------
    >>> import tempfile
    >>> from qvc.experiment import ExperimentSpec, run_experiment
    >>> run = run_experiment(ExperimentSpec("iris", models=("svm",), out_dir=tempfile.mkdtemp()),
    ...                      progress=None)
    >>> md, page = write_report(run.run_dir)
    >>> page.name, "<svg" in page.read_text()
    ('report.html', True)
    """
    run_dir = Path(run_dir)
    if meta is None:
        run = _load(run_dir)
        frame, meta = run.results, run.metadata
    else:
        frame = load_results(run_dir)
        check_values(run_dir / RESULTS, frame)
    doc = _build(build_run_report, run_dir, frame, {**meta, **read_tuning(run_dir)})
    md, page = render_markdown(doc), render_html(doc)
    atomic_write_text(run_dir / "report.md", md)
    atomic_write_text(run_dir / "report.html", page)
    return run_dir / "report.md", run_dir / "report.html"


def write_compare(run_a: str | Path, run_b: str | Path, out_dir: str | Path | None = None) -> tuple[Path, Path]:
    """Write a side-by-side report of two runs.

    Parameters
    ----------
    run_a, run_b : str or Path
        Run folders.
    out_dir : str or Path, optional
        Where ``report.md`` and ``report.html`` go; default
        ``<parent of run_a>/compare-<A>-vs-<B>/``.

    Returns
    -------
    (Path, Path)
    """
    a, b = Path(run_a), Path(run_b)
    ra, rb = _load(a), _load(b)
    fa, ma, fb, mb = ra.results, ra.metadata, rb.results, rb.metadata
    name_a, name_b = str(ma.get("run_id") or a.name), str(mb.get("run_id") or b.name)
    if a.resolve() == b.resolve():
        raise QvcUsageError("--compare needs two different run folders")
    if name_a == name_b:
        name_b = f"{name_b} (2)"
    out = Path(out_dir) if out_dir is not None else a.parent / f"compare-{a.name}-vs-{b.name}"
    if (out / "results.csv").exists():
        raise QvcUsageError(f"{str(out)!r} is a run folder; choose another --out for the comparison")
    doc = _build(build_compare_report, a, {name_a: (fa, ma), name_b: (fb, mb)})
    md, page = render_markdown(doc), render_html(doc)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "report.md", md)
    atomic_write_text(out / "report.html", page)
    return out / "report.md", out / "report.html"


def _report_link(folder: Path, page: str, make: str) -> Cell:
    if (folder / page).exists():
        return Link(folder.name, quote(f"{folder.name}/{page}"))
    return f"{folder.name} (no {page}: {make} {folder})"


def _accuracy_per_model(frame: pd.DataFrame) -> str:
    return "; ".join(f"{model} {summarize(g['accuracy_test']).text('.2f')}"
                     for model, g in frame.groupby("model", sort=False))


def _energy_ratio_per_pair(frame: pd.DataFrame) -> str:
    """Each matched pair's headline local energy ratio, quantum simulated / classical (fit + predict,
    mean over the run's rows, both sides marginal); a pair with a model at chance is not priced."""
    from qvc.report.groups import local_energy, model_groups, pair_groups

    if "family" not in frame.columns:
        return "-"
    parts = []
    for key, g in pair_groups(frame):
        classical, quantum = g[g["family"] == "classical"], g[g["family"] == "quantum"]
        if key.get("pair") == "frontier" or classical.empty or quantum.empty:
            continue
        c_name = str(classical["model"].iloc[0])
        e_c = float(local_energy(classical).mean())
        for _, q in model_groups(quantum):
            q_name = str(q["model"].iloc[0])
            at_chance = "above_majority" in g.columns and not bool(
                pd.concat([classical, q])["above_majority"].fillna(True).astype(bool).all())
            e_q = float(local_energy(q).mean())
            if at_chance:
                parts.append(f"{q_name}/{c_name}: not quoted (a model at chance)")
            elif e_c > 0 and e_q == e_q:
                parts.append(f"{q_name}/{c_name} {e_q / e_c:.3g}x")
    return "; ".join(dict.fromkeys(parts)) or "-"


def _run_index_row(folder: Path) -> list[Cell]:
    link = _report_link(folder, "report.html", "qvc report")
    try:
        run = _load(folder)
    except QvcUsageError as exc:
        return [link, "-", "-", "-", "-", "-", f"unreadable: {exc}"]
    frame, meta = run.results, run.metadata
    assert frame is not None  # load_run reads the results by default
    seeds = sorted({int(s) for s in frame["seed"].dropna()})
    datasets = ", ".join(dict.fromkeys(str(d) for d in frame.get("dataset", pd.Series(dtype=str)).dropna()))
    return [link, meta.get("started_utc", "-") or "-", datasets or "-",
            ", ".join(map(str, seeds)), _accuracy_per_model(frame), _energy_ratio_per_pair(frame),
            str(meta.get("status", "-"))]


def _sweep_index_row(folder: Path) -> list[Cell]:
    """A sweep folder: its sweep report, points done of planned, and the rows stored so far."""
    link = _report_link(folder, "sweep_report.html", "qvc sweep --resume")
    try:
        meta = read_sweep_meta(folder)
    except QvcUsageError as exc:
        return [link, "-", "-", "-", "-", "-", f"unreadable: {exc}"]
    points = meta.get("points") or []
    try:
        frame = load_results(folder)
    except QvcUsageError:
        frame = None
    done = 0 if frame is None else len(frame)
    status = f"sweep: {done} of {len(points)} points, {run_state(meta)}"
    datasets = ", ".join(dict.fromkeys(str(p.get("dataset")) for p in points if p.get("dataset")))
    seeds = sorted({int(p["seed"]) for p in points if isinstance(p.get("seed"), int)})
    return [link, str(meta.get("created_utc", "-") or "-"), datasets or "-", ", ".join(map(str, seeds)) or "-",
            _accuracy_per_model(frame) if frame is not None else "-",
            _energy_ratio_per_pair(frame) if frame is not None else "-", status]


def _is_candidate(p: Path) -> bool:
    """A run or sweep folder, or a folder that cannot be looked into (listed as unreadable)."""
    try:
        return p.is_dir() and ((p / RESULTS).exists() or (p / METADATA).exists() or is_sweep_folder(p))
    except OSError:
        return True


def _index_row(folder: Path) -> list[Cell]:
    """One folder's row; a folder whose files cannot be read is an 'unreadable' row with the reason."""
    try:
        return _sweep_index_row(folder) if is_sweep_folder(folder) else _run_index_row(folder)
    except OSError as exc:
        why = f"{exc.strerror or type(exc).__name__}" + (f": {Path(exc.filename).name}" if exc.filename else "")
    except (QvcUsageError, ValueError, KeyError, TypeError, IndexError) as exc:
        why = (str(exc).splitlines() or [type(exc).__name__])[0]
    return [f"{folder.name}", "-", "-", "-", "-", "-", f"unreadable: {why}"]


def write_index(reports_dir: str | Path) -> Path:
    """Write ``index.html`` (and ``index.md``) listing every run folder under ``reports_dir``.

    Sweep folders (``qvc sweep``) are listed with a link to their sweep report and
    how many of their points are done. Folders whose files cannot be read are
    listed with the reason instead of stopping the index.

    Raises
    ------
    QvcUsageError
        If ``reports_dir`` is not a folder or holds no run folder at all.
    """
    root = Path(reports_dir)
    if not root.is_dir():
        raise QvcUsageError(f"{str(root)!r} is not a folder; give the folder that holds run folders")
    try:
        entries = sorted(root.iterdir())
    except OSError as exc:
        raise QvcUsageError(f"cannot list {str(root)!r} ({exc.strerror or type(exc).__name__}); give a folder "
                            "you may read") from None
    candidates = [p for p in entries if _is_candidate(p)]
    if not candidates:
        raise QvcUsageError(f"no run folders (with results.csv) in {str(root)!r}; run 'qvc run' first")
    rows = [_index_row(p) for p in candidates]
    doc = Document(
        f"qvc runs in {root.name or root}", [f"{len(candidates)} run and sweep folder(s)"],
        [Section("Runs", [Table(["run", "started (UTC)", "dataset", "seeds",
                                 "test accuracy per model (mean)",
                                 "local energy, quantum simulated / classical (mean)", "status"], rows,
                                caption="Run folders of 'qvc run' and sweep folders of 'qvc sweep'. Energy "
                                        "ratio: each matched pair's fit + predict energy on this machine "
                                        "(measured or estimated, both sides marginal), as in the run "
                                        "report's headline; the run report has intervals and the "
                                        "modelled-hardware figures.")],
                 "runs")],
    )
    atomic_write_text(root / "index.md", render_markdown(doc))
    atomic_write_text(root / "index.html", render_html(doc))
    return (root / "index.html").resolve()

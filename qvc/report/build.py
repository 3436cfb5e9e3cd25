"""Write reports from run folders: one run, two runs side by side, an index of runs.

Everything is read from ``results.csv`` and ``metadata.json``; no model is
fitted and nothing is re-run. Inputs are validated and both output files are
rendered in memory before anything is written; each file is then replaced
atomically, so a bad input never overwrites an existing report.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from qvc.errors import QvcUsageError
from qvc.experiment.results import SCHEMA_VERSION, load_results
from qvc.report.content import (
    Document,
    Link,
    Section,
    Table,
    build_compare_report,
    build_run_report,
)
from qvc.report.html import render_html
from qvc.report.markdown import render_markdown
from qvc.report.stats import summarize


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_metadata(run_dir: str | Path) -> dict:
    """Read a run folder's ``metadata.json``.

    Raises
    ------
    QvcUsageError
        If it is missing, not JSON, not an object, or from a newer schema version.
    """
    path = Path(run_dir) / "metadata.json"
    if not path.is_file():
        raise QvcUsageError(f"no metadata.json in {str(run_dir)!r}; give a run folder written by 'qvc run'")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise QvcUsageError(
            f"cannot read {str(path)!r} ({str(exc).splitlines()[0]}); restore the file or re-run"
        ) from None
    if not isinstance(meta, dict):
        raise QvcUsageError(f"{str(path)!r} is not a qvc metadata object; restore the file or re-run")
    version = meta.get("schema_version")
    if isinstance(version, (int, float)) and version > SCHEMA_VERSION:
        raise QvcUsageError(
            f"{str(path)!r} has schema version {version}, newer than this qvc ({SCHEMA_VERSION}); upgrade qvc"
        )
    return meta


def load_run(run_dir: str | Path) -> tuple[pd.DataFrame, dict]:
    """The typed result table and the metadata of a run folder.

    Raises
    ------
    QvcUsageError
        If the folder does not exist or its files are missing, damaged or too new.
    """
    run_dir = Path(run_dir)
    if not run_dir.exists():
        raise QvcUsageError(f"run folder {str(run_dir)!r} does not exist")
    if not run_dir.is_dir():
        raise QvcUsageError(f"{str(run_dir)!r} is not a folder; give a run folder written by 'qvc run'")
    if not any(run_dir.iterdir()):
        raise QvcUsageError(f"run folder {str(run_dir)!r} is empty; give a run folder written by 'qvc run'")
    frame = load_results(run_dir)
    meta = load_metadata(run_dir)
    tuning = run_dir / "tuning.json"
    if tuning.is_file():  # the searches' candidates (qvc run with tuning): for the Pareto front
        try:
            meta = {**meta, "tuning": json.loads(tuning.read_text(encoding="utf-8")).get("searches", [])}
        except (OSError, ValueError, AttributeError):
            meta = {**meta, "tuning_error": f"{tuning} is unreadable; the Pareto front is left out"}
    return frame, meta


def write_report(run_dir: str | Path) -> tuple[Path, Path]:
    """(Re)write ``report.md`` and ``report.html`` of a run folder from its files alone.

    Parameters
    ----------
    run_dir : str or Path
        A folder holding ``results.csv`` and ``metadata.json``.

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
    frame, meta = load_run(run_dir)
    doc = build_run_report(frame, meta)
    md, page = render_markdown(doc), render_html(doc)
    _atomic_write(run_dir / "report.md", md)
    _atomic_write(run_dir / "report.html", page)
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
    fa, ma = load_run(a)
    fb, mb = load_run(b)
    name_a, name_b = str(ma.get("run_id") or a.name), str(mb.get("run_id") or b.name)
    if a.resolve() == b.resolve():
        raise QvcUsageError("--compare needs two different run folders")
    if name_a == name_b:
        name_b = f"{name_b} (2)"
    out = Path(out_dir) if out_dir is not None else a.parent / f"compare-{a.name}-vs-{b.name}"
    if (out / "results.csv").exists():
        raise QvcUsageError(f"{str(out)!r} is a run folder; choose another --out for the comparison")
    doc = build_compare_report({name_a: (fa, ma), name_b: (fb, mb)})
    md, page = render_markdown(doc), render_html(doc)
    out.mkdir(parents=True, exist_ok=True)
    _atomic_write(out / "report.md", md)
    _atomic_write(out / "report.html", page)
    return out / "report.md", out / "report.html"


def write_index(reports_dir: str | Path) -> Path:
    """Write ``index.html`` (and ``index.md``) listing every run folder under ``reports_dir``.

    Folders whose files cannot be read are listed with the reason instead of
    stopping the index.

    Raises
    ------
    QvcUsageError
        If ``reports_dir`` is not a folder or holds no run folder at all.
    """
    root = Path(reports_dir)
    if not root.is_dir():
        raise QvcUsageError(f"{str(root)!r} is not a folder; give the folder that holds run folders")
    candidates = sorted(p for p in root.iterdir() if p.is_dir() and (
        (p / "results.csv").exists() or (p / "metadata.json").exists()))
    if not candidates:
        raise QvcUsageError(f"no run folders (with results.csv) in {str(root)!r}; run 'qvc run' first")
    rows = []
    for p in candidates:
        link = Link(p.name, quote(f"{p.name}/report.html")) if (p / "report.html").exists() else \
            f"{p.name} (no report.html: qvc report {p})"
        try:
            frame, meta = load_run(p)
        except QvcUsageError as exc:
            rows.append([link, "-", "-", "-", "-", f"unreadable: {exc}"])
            continue
        models = []
        for model, g in frame.groupby("model", sort=False):
            models.append(f"{model} {summarize(g['accuracy_test']).text('.2f')}")
        seeds = sorted({int(s) for s in frame["seed"].dropna()})
        datasets = ", ".join(dict.fromkeys(str(d) for d in frame.get("dataset", pd.Series(dtype=str)).dropna()))
        rows.append([link, meta.get("started_utc", "-") or "-", datasets or "-",
                     ", ".join(map(str, seeds)), "; ".join(models), str(meta.get("status", "-"))])
    doc = Document(
        f"qvc runs in {root.name or root}", [f"{len(candidates)} run folder(s)"],
        [Section("Runs", [Table(["run", "started (UTC)", "dataset", "seeds",
                                 "test accuracy per model (mean)", "status"], rows)], "runs")],
    )
    _atomic_write(root / "index.md", render_markdown(doc))
    _atomic_write(root / "index.html", render_html(doc))
    return root / "index.html"

"""The compare report: two or more runs side by side (``qvc report --compare``), with only
the settings that differ."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from qvc.analysis.stats import summarize
from qvc.report import plots
from qvc.report.columns import fmt, labels_of
from qvc.report.document import Cell, Document, Figure, Section, Table
from qvc.report.groups import group_name, local_energy, model_groups
from qvc.report.run_report import _local_label, _ratio

_COMPARED = ("config", "seeds", "meter", "device", "hardware_model", "carbon", "qvc_version",
             "git_revision", "versions", "machine")
_NOT_COMPARED = {"config.out_dir"}


def _flatten(value: object, prefix: str) -> dict[str, str]:
    """``{"a.b.c": "text"}`` for nested dicts; lists of plain values become one comma-joined text."""
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list) and not any(isinstance(v, (dict, list)) for v in value):
        return {prefix: ", ".join(fmt(v, ".6g") for v in value)}
    if isinstance(value, (dict, list)):
        return {prefix: json.dumps(value, sort_keys=True, default=str)}
    return {prefix: "-" if value is None else fmt(value, ".6g")}


def settings_diff(meta_a: dict, meta_b: dict) -> tuple[list[list[Cell]], int]:
    """The recorded settings in which two runs differ, one ``[setting, A, B]`` row each, and how many agree.

    Examples
    --------
    >>> rows, same = settings_diff({"config": {"shots": 1024, "device": "ibm_heron"}},
    ...                            {"config": {"shots": 4096, "device": "ibm_heron"}})
    >>> rows, same
    ([['config.shots', '1024', '4096']], 1)
    """
    a: dict[str, str] = {}
    b: dict[str, str] = {}
    for key in _COMPARED:
        a.update(_flatten(meta_a[key], key) if key in meta_a else {})
        b.update(_flatten(meta_b[key], key) if key in meta_b else {})
    rows: list[list[Cell]] = []
    same = 0
    for key in dict.fromkeys([*a, *b]):
        if key in _NOT_COMPARED:
            continue
        va, vb = a.get(key, "(not recorded)"), b.get(key, "(not recorded)")
        if va == vb:
            same += 1
        else:
            rows.append([key, va, vb])
    return rows, same


def build_compare_report(runs: dict[str, tuple[pd.DataFrame, dict]]) -> Document:
    """Two runs side by side: per model configuration, A and B and B relative to A."""
    names = list(runs)
    a_name, b_name = names[0], names[1]
    fa, ma = runs[a_name]
    fb, mb = runs[b_name]
    ga = {tuple(sorted(k.items())): g for k, g in model_groups(fa)}
    gb = {tuple(sorted(k.items())): g for k, g in model_groups(fb)}
    keys = list(dict.fromkeys(list(ga) + list(gb)))
    rows = []
    for k in keys:
        a, b = ga.get(k), gb.get(k)
        name = group_name(dict(k), fa if a is not None else fb)
        ctx = ", ".join(f"{kk} {v}" for kk, v in k if kk in ("dataset", "qubits") and v != "")

        def cell(g, col):
            if g is None or col not in g.columns or not g[col].notna().any():
                return "-"
            return (summarize(g[col]).text(), labels_of(g, col))

        def local(g):
            if g is None:
                return "-"
            return (summarize(local_energy(g)).text(), _local_label(g))

        la = summarize(local_energy(a)).mean if a is not None else np.nan
        lb = summarize(local_energy(b)).mean if b is not None else np.nan
        ha = summarize(a["hw_energy_j"]).mean if a is not None and "hw_energy_j" in a.columns else np.nan
        hb = summarize(b["hw_energy_j"]).mean if b is not None and "hw_energy_j" in b.columns else np.nan
        rows.append([
            f"{name} ({ctx})",
            summarize(a["accuracy_test"]).text() if a is not None else "not in A",
            summarize(b["accuracy_test"]).text() if b is not None else "not in B",
            local(a), local(b), _ratio(lb, la),
            cell(a, "hw_energy_j"), cell(b, "hw_energy_j"), _ratio(hb, ha),
        ])
    table = Table(["model", "test acc A", "test acc B", "local J A", "local J B", "B / A",
                   "hardware J A", "hardware J B", "B / A"], rows,
                  caption="Mean over each run's seeds [95% CI with two or more seeds].")
    diffs, n_same = settings_diff(ma, mb)
    blocks: list = [table]
    svg = plots.compare_accuracy_energy({a_name: fa, b_name: fb})
    if svg:
        blocks.append(Figure(svg, "Accuracy against local energy; filled markers run A, hollow run B."))
    return Document(
        f"qvc comparison: {a_name} vs {b_name}",
        [f"A = {a_name} (started {ma.get('started_utc', '-')}) · B = {b_name} "
         f"(started {mb.get('started_utc', '-')})"],
        [
            Section("Side by side", blocks, "side"),
            Section("What differs between the runs", [
                Table(["setting", "A", "B"], diffs,
                      caption=f"Only the recorded settings that differ; {n_same} more are the same in "
                              "both runs (metadata.json of each run has them all).")
                if diffs else f"The two runs recorded the same settings ({n_same} compared).",
            ], "provenance"),
        ],
    )

"""The attribution scenarios section: the headline's hardware energy beside packed, shared and marginal.

Reads the scenario columns of :func:`qvc.record.results.scenario_columns`
(``hw_energy_<scenario>_j`` with ``_low``/``_high``); a run folder without them (an older
run) gets no section. Each scenario is compared with the classical partner in the same
attribution: the marginal one with the meter's reading (PUE 1), the others with the
classical energy in the headline's mode.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qvc.report.columns import fmt, labels_of
from qvc.report.document import Cell, Table
from qvc.report.groups import group_name, local_energy, model_groups, pair_groups

_SCENARIO_COLUMNS = ("hw_energy_packed_j", "hw_energy_shared_j", "hw_energy_marginal_j")


def has_scenarios(frame: pd.DataFrame) -> bool:
    """Whether the results carry the attribution scenarios (runs since they were added)."""
    return all(c in frame.columns for c in _SCENARIO_COLUMNS) and bool(frame[_SCENARIO_COLUMNS[0]].notna().any())


def classical_energy(c: pd.DataFrame, mode: str) -> tuple[pd.Series, str]:
    """Per-row classical energy in attribution ``mode`` and the words saying which it is.

    ``marginal``: the meter's fit + predict reading; otherwise the attributed columns when their
    mode matches, else the meter's reading (flagged).
    """
    cols = ("fit_energy_attributed_j", "predict_energy_attributed_j")
    if mode != "marginal" and all(col in c.columns for col in cols) and c[cols[0]].notna().any():
        local_mode = str(c["local_attribution"].dropna().iloc[0]) if "local_attribution" in c.columns and \
            c["local_attribution"].notna().any() else ""
        if local_mode == mode:
            return c[cols[0]].fillna(0.0) + c[cols[1]].fillna(0.0), f"{mode} both sides"
    return local_energy(c), ("marginal both sides: the classical meter's reading, PUE 1" if mode == "marginal"
                             else "classical metered only: modes not matched")


def _cell(q: pd.DataFrame, col: str) -> str:
    mid = float(q[col].mean())
    lo = float(q[f"{col}_low"].mean()) if f"{col}_low" in q.columns else np.nan
    hi = float(q[f"{col}_high"].mean()) if f"{col}_high" in q.columns else np.nan
    return f"{fmt(mid)} [{fmt(lo)}–{fmt(hi)}]" if np.isfinite(lo) and np.isfinite(hi) else fmt(mid)


def _ratio(num: float, den: float) -> str:
    return f"{num / den:.2g}×" if np.isfinite(num) and np.isfinite(den) and den > 0 else "-"


def scenario_blocks(frame: pd.DataFrame) -> tuple[list, list[str]]:
    """Tables (one per quantum model priced) and one sentence per scenario.

    Examples
    --------
    >>> frame = pd.DataFrame([
    ...     {"model": "svm", "pair": "svm", "family": "classical", "seed": 1, "fit_energy_j": 1.0,
    ...      "predict_energy_j": 0.0},
    ...     {"model": "qsvc", "pair": "svm", "family": "quantum", "seed": 1, "device": "d",
    ...      "hw_attribution": "attributional", "hw_energy_j": 100.0, "hw_packing_copies": 1,
    ...      "hw_utilisation": 1.0, "hw_energy_packed_j": 10.0, "hw_packed_copies": 10,
    ...      "hw_energy_shared_j": 60.0, "hw_shared_utilisation": 0.5, "hw_energy_marginal_j": 5.0,
    ...      "hw_energy_method": "modelled"}])
    >>> blocks, sentences = scenario_blocks(frame)
    >>> sentences[1].split(":")[0]
    'Packed (qsvc on d)'
    """
    if not has_scenarios(frame) or "family" not in frame.columns:
        return [], []
    blocks: list = []
    sentences: list[str] = []
    for key, g in pair_groups(frame):
        classical, quantum = g[g["family"] == "classical"], g[g["family"] == "quantum"]
        if classical.empty or quantum.empty or key.get("pair") == "frontier":
            continue
        c_name = str(classical["model"].iloc[0])
        for qkey, q in model_groups(quantum):
            if not q["hw_energy_j"].notna().any() or not q["hw_energy_packed_j"].notna().any():
                continue
            blocks_q, sent_q = _one(c_name, classical, group_name(qkey, frame), q)
            blocks += blocks_q
            sentences += sent_q
    return blocks, sentences


def _one(c_name: str, c: pd.DataFrame, q_name: str, q: pd.DataFrame) -> tuple[list, list[str]]:
    mode = str(q["hw_attribution"].dropna().iloc[0]) if "hw_attribution" in q.columns else "attributional"
    device = str(q["device"].dropna().iloc[0]) if "device" in q.columns and q["device"].notna().any() else "the device"
    label = labels_of(q, "hw_energy_j")
    den, den_words = classical_energy(c, mode)
    den_m, den_m_words = classical_energy(c, "marginal")
    copies_h = int(q["hw_packing_copies"].max()) if "hw_packing_copies" in q.columns else 1
    util_h = float(q["hw_utilisation"].mean()) if "hw_utilisation" in q.columns else 1.0
    copies = int(q["hw_packed_copies"].max()) if "hw_packed_copies" in q.columns else 0
    share = float(q["hw_shared_utilisation"].mean()) if "hw_shared_utilisation" in q.columns else float("nan")
    rows = [
        ("default (the headline)", f"{mode}; {copies_h} circuit(s) per execution; share {fmt(util_h)} of the idle "
                                   "power" if mode == "attributional" else f"{mode}; {copies_h} per execution",
         "hw_energy_j", den, den_words),
        ("packed", f"{mode}; up to {copies} copies of each circuit side by side on the coupling map, one job",
         "hw_energy_packed_j", den, den_words),
        ("shared", f"attributional; share {fmt(share)} of the idle power, all of the dynamic power",
         "hw_energy_shared_j", den, den_words),
        ("marginal", "only what the job adds to an idle, cold machine (1 - idle fraction of each component)",
         "hw_energy_marginal_j", den_m, den_m_words),
    ]
    table: list[list[Cell]] = []
    sentences = []
    words = {
        "default (the headline)": f"Default ({q_name} on {device}): {mode}, "
                                  + ("the whole machine charged for every second the job holds it"
                                     if mode == "attributional" and util_h >= 1.0 and copies_h == 1
                                     else f"{copies_h} circuit(s) per execution, share {fmt(util_h)} of the "
                                          "idle power"),
        "packed": f"Packed ({q_name} on {device}): {copies} copies of each circuit fit on disjoint qubits of the "
                  "coupling map and run in one job, so its QPU time is divided by the copies",
        "shared": f"Shared ({q_name} on {device}): the job pays share {fmt(share)} of the machine's idle power "
                  "(the rest goes to calibration and other users) and all of its dynamic power",
        "marginal": f"Marginal ({q_name} on {device}): only the power the job adds to an idle, already-cold "
                    "machine, compared with the classical meter's reading",
    }
    for name, what, col, d, d_words in rows:
        mean = float(q[col].mean())
        ratio = _ratio(mean, float(d.mean()))
        table.append([name, what, (_cell(q, col), label), (f"{ratio} {c_name}", d_words)])
        sentences.append(f"{words[name]}: {fmt(mean)} J ({label}, median), {ratio} the energy of {c_name} "
                         f"({d_words}).")
    caption = (f"Attribution scenarios of {q_name} on {device}: hardware energy, Monte Carlo median "
               "[90 % interval], mean over seeds, and its ratio to the classical partner's energy in the same "
               "attribution. The default row is the headline's figure; see docs/methodology.md for why it is "
               "the default.")
    return [Table(["scenario", "what is charged", "hardware energy [J]", "vs classical"], table,
                  caption=caption)], sentences

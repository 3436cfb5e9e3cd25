"""What a run's report says, independent of its format.

:func:`build_run_report` turns a typed result table and the run's metadata into
a :class:`~qvc.report.document.Document` of sections made of paragraphs, tables,
key/value lists and figures; :mod:`qvc.report.markdown` and :mod:`qvc.report.html`
render the same document, so the two files never disagree. Nothing here fits a model
or reads anything but the table and the metadata.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from qvc.analysis.stats import ALPHA, CONFIDENCE, judge_family, log_ci, pareto_front, summarize
from qvc.report import attribution, frontier, plots, sensitivity
from qvc.report.columns import (
    attribution_column,
    carbon_column,
    component_columns,
    component_total_column,
    fmt,
    interval_columns,
    is_missing,
    label_of,
    labels_of,
    landauer_columns,
)
from qvc.report.components import components_sentence
from qvc.report.device_accuracy import device_accuracy_blocks
from qvc.report.document import Cell, Code, Document, Figure, KeyValues, Section, Table
from qvc.report.groups import attributed_energy, group_name, local_energy, model_groups, pair_groups, scoped_energy
from qvc.report.ibm_reuse import reuse_notes
from qvc.report.shot_training import shot_training_blocks

LABEL_MEANINGS = {
    "measured": "read from a hardware energy counter on the machine that ran the work",
    "estimated": "computed from measured CPU time and memory with a published power model "
                 "(no energy counter was read)",
    "modelled": "computed by qvc's hardware cost model from the circuit ledger and a device preset",
    "hardware-reported": "reported by the quantum provider for jobs that really ran",
    "projected": "computed by qvc's fault-tolerant projection from the resource estimator's physical qubits "
                 "and runtime and a sourced power model (a machine that does not exist yet)",
}


# --------------------------------------------------------------------------- helpers

def pasteable_command(argv: object) -> str:
    """A recorded command line as one shell-quoted line that pastes (``shlex.join``); the entry
    point of ``python -m qvc`` (``.../qvc/__main__.py``) is written as ``python -m qvc``.

    Examples
    --------
    >>> pasteable_command(["/x/qvc/__main__.py", "run", "iris", "--out", "my runs"])
    "python -m qvc run iris --out 'my runs'"
    """
    import shlex

    if not isinstance(argv, (list, tuple)) or not argv:
        return ""
    parts = [str(a) for a in argv]
    if Path(parts[0]).name == "__main__.py" and Path(parts[0]).parent.name == "qvc":
        parts = ["python", "-m", "qvc", *parts[1:]]
    return shlex.join(parts)

def _ratio(num: float, den: float) -> str:
    if not (np.isfinite(num) and np.isfinite(den)) or den <= 0:
        return "-"
    r = num / den
    return f"{r:.3g}×" if r < 1e4 else f"{r:.2e}×"


def _join_labels(*labels: str) -> str:
    parts = [lbl for lbl in dict.fromkeys(x for s in labels for x in s.split(" + ")) if lbl]
    known = [p for p in parts if p != "unlabelled"]
    return " + ".join(known or parts) if parts else "unlabelled"


def _local_label(frame: pd.DataFrame) -> str:
    labels = [labels_of(frame, c) for c in ("fit_energy_j", "predict_energy_j") if c in frame.columns]
    return _join_labels(*labels) if labels else "unlabelled"


def _summary_text(values, spec: str = ".3g") -> str:
    s = summarize(values)
    return s.text(spec)


def _first(frame: pd.DataFrame, col: str, default: str = "") -> str:
    if col not in frame.columns:
        return default
    vals = [v for v in frame[col].tolist() if not is_missing(v)]
    return str(vals[0]) if vals else default


def _interval_text(g: pd.DataFrame, col: str) -> str:
    iv = interval_columns(g.columns, col)
    if not iv:
        return ""
    lo, hi = float(g[iv[0]].mean()), float(g[iv[1]].mean())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return ""
    return f"; model interval {fmt(lo)} to {fmt(hi)}"


def _by_seed(g: pd.DataFrame, values: pd.Series) -> dict[int, float]:
    """``{seed: mean of values}`` over the rows of ``g``."""
    if "seed" not in g.columns:
        return {}
    v = pd.Series(values.astype(float).to_numpy(), index=g["seed"].astype(float).to_numpy())
    return {int(k): float(x) for k, x in v.groupby(level=0).mean().items() if np.isfinite(k)}


def _seeds_of(g: pd.DataFrame) -> list:
    return [int(s) for s in g["seed"].dropna().tolist()] if "seed" in g.columns else []


# --------------------------------------------------------------------------- headline
def _headline(frame: pd.DataFrame, target: float | None = None,
              margin: float = frontier.DEFAULT_MARGIN) -> tuple[list, list[str]]:
    """Blocks of the headline section and one-sentence summaries."""
    blocks: list = []
    sentences: list[str] = []
    unpaired: list[str] = []
    if "family" not in frame.columns:
        return ["The results have no 'family' column, so no matched pairs can be formed."], []
    for key, g in pair_groups(frame):
        if key.get("pair") == "frontier":  # no quantum partner by design: see the frontier section
            continue
        classical = g[g["family"] == "classical"]
        quantum = g[g["family"] == "quantum"]
        if classical.empty or quantum.empty:
            present = ", ".join(dict.fromkeys(str(m) for m in g["model"]))
            missing = "quantum" if quantum.empty else "classical"
            unpaired.append(f"{present} has no {missing} partner in this run "
                            f"(pair '{key.get('pair', '?')}'); see the per-model table.")
            continue
        c_name = _first(classical, "model", "classical")
        for qkey, q in model_groups(quantum):
            blocks.extend(_pair_block(key, c_name, classical, qkey, q, frame, sentences, target, margin))
    blocks.extend(unpaired)
    if not sentences:
        blocks.append(
            "No matched pair in this run (it needs a classical model and its quantum partner, "
            "e.g. --models svm,qsvc or mlp,vqc); the per-model table below has every number."
        )
    return blocks, sentences


#: How the local energy ratios attribute both sides (the meters' readings, :mod:`qvc.energy.host`).
_LOCAL_MODE = ", both sides marginal: the same meter's readings, PUE 1"


def default_target(frame: pd.DataFrame, margin: float) -> tuple[float, str]:
    """The matched-accuracy target: the best classical model's mean test accuracy minus the margin."""
    c = frame[frame["family"] == "classical"] if "family" in frame.columns else frame.iloc[:0]
    if c.empty:
        return math.nan, "no classical model ran"
    means = c.groupby(c["model"].astype(str))["accuracy_test"].mean()
    best = str(means.idxmax())
    return float(means.max()) - margin, f"the best classical model ({best}, {fmt(float(means.max()))}) minus the margin"


def _energy_cell(values: pd.Series, label: str, model_iv: tuple[float, float] | None = None) -> Cell:
    """Geometric mean [log-scale 95 % CI] over seeds (and the cost model's interval when given)."""
    s = log_ci(values)
    text = s.text()
    if model_iv and all(np.isfinite(model_iv)):
        text += f"; cost model {fmt(model_iv[0])} to {fmt(model_iv[1])}"
    return (text, label)


def _ratio_cell(r, model_iv: tuple[float, float] | None = None) -> str:
    """A per-seed ratio's geometric mean [95 % CI] and, when given, the cost model's interval."""
    if r.n == 0:
        return "-"
    text = frontier.ratio_text(r.mean)
    if r.n >= 2 and np.isfinite(r.low) and r.std > 1e-12:
        text += f" [{frontier.ratio_text(r.low)}, {frontier.ratio_text(r.high)}] over {r.n} seeds"
    elif r.n >= 2:
        text += f" (the same on all {r.n} seeds)"
    if model_iv and all(np.isfinite(model_iv)):
        text += f"; cost model {frontier.ratio_text(model_iv[0])} to {frontier.ratio_text(model_iv[1])}"
    return text


def _per_seed(g: pd.DataFrame, values: pd.Series) -> dict[int, float]:
    return _by_seed(g, values)


def _pair_block(key, c_name, c, qkey, q, frame, sentences, target: float | None = None,
                margin: float = frontier.DEFAULT_MARGIN) -> list:
    q_name = group_name(qkey, frame)
    seeds = sorted(set(_seeds_of(c)) & set(_seeds_of(q)))
    acc_c, acc_q = summarize(c["accuracy_test"]), summarize(q["accuracy_test"])
    cmp = judge_family([frontier.compare(q, c, margin)])[0]
    rows: list[list[Cell]] = [[
        f"test accuracy, mean [{CONFIDENCE:.0%} CI]",
        f"{acc_c.text()} (n={acc_c.n})", f"{acc_q.text()} (n={acc_q.n})",
        f"{c_name} vs {q_name}: {cmp.text()}",
    ]]
    lbl_c, lbl_q = _local_label(c), _local_label(q)
    tuned = "tuned" in c.columns and bool(c["tuned"].fillna(False).astype(bool).any())
    scope = "search + fit + predict" if tuned else "fit + predict (not tuned)"
    loc_c, loc_q = scoped_energy(c, "local", search=True), scoped_energy(q, "local", search=True)
    local_r = frontier.local_ratio(q, c)
    rows.append([
        f"local energy, {scope} [J] (geometric mean [95 % CI])",
        _energy_cell(loc_c, lbl_c), _energy_cell(loc_q, lbl_q),
        (_ratio_cell(local_r) + f" quantum simulated / classical, {scope}" + _LOCAL_MODE, _join_labels(lbl_q, lbl_c)),
    ])
    fp_c, fp_q = scoped_energy(c, "local", search=False), scoped_energy(q, "local", search=False)
    rows.append([] if not tuned else [
        "local energy, fit + predict only [J]",
        _energy_cell(fp_c, lbl_c), _energy_cell(fp_q, lbl_q),
        (_ratio_cell(log_ci([_per_seed(q, fp_q)[s] / _per_seed(c, fp_c)[s] for s in seeds
                             if _per_seed(c, fp_c).get(s, 0) > 0])) + " quantum simulated / classical, search "
         "excluded" + _LOCAL_MODE, _join_labels(lbl_q, lbl_c)),
    ])
    hw_sentence = ""
    mode = frontier.hw_mode(q)
    if "hw_energy_j" in q.columns and q["hw_energy_j"].notna().any():
        hw_lbl = labels_of(q, "hw_energy_j")
        device = qkey.get("device") or _first(q, "device", "the device preset")
        hw_total = scoped_energy(q, "hardware", search=True)
        attributed_alike = mode and "local_attribution" in c.columns
        same = c[c["local_attribution"].astype(str) == mode] if attributed_alike else c.iloc[:0]
        den = scoped_energy(same, "attributed", search=True)
        hw_r = frontier.hardware_ratio(q, c, mode)
        iv = interval_columns(q.columns, "hw_energy_j")
        model_iv = None
        if iv:  # the cost model's relative interval (per seed, low/median and high/median) at the geometric mean
            med = q["hw_energy_j"].astype(float)
            lo_f, hi_f = log_ci(q[iv[0]].astype(float) / med).mean, log_ci(q[iv[1]].astype(float) / med).mean
            centre = log_ci(hw_total).mean
            model_iv = (centre * lo_f, centre * hi_f)
            ratio_iv = (hw_r.mean * lo_f, hw_r.mean * hi_f) if hw_r.n else None
        else:
            ratio_iv = None
        pue = _first(same, "local_pue", "?") if len(same) else "?"
        like = (f"{mode} both sides, PUE {fmt(float(pue)) if pue != '?' else '?'} on both, {scope}"
                if len(same) else "not quoted: the classical side is not attributed like the hardware")
        rows.append([
            f"modelled hardware energy on {device}, {scope}"
            + (", each seed's Monte Carlo median" if "hw_energy_typical_j" in q.columns else "") + " [J]",
            _energy_cell(den, _local_label(same)) if len(same) else "-",
            _energy_cell(hw_total, hw_lbl, model_iv),
            ((_ratio_cell(hw_r, ratio_iv) if len(same) else "-") + f" quantum on hardware / classical local ({like})",
             _join_labels(hw_lbl, lbl_c)),
        ])
        fp_hw = q["hw_energy_j"].astype(float)
        fp_den = scoped_energy(same, "attributed", search=False)
        rows.append([] if not tuned else [
            f"modelled hardware energy on {device}, fit + predict only [J]",
            _energy_cell(fp_den, lbl_c) if len(same) else "-", _energy_cell(fp_hw, hw_lbl),
            (_ratio_cell(log_ci([_per_seed(q, fp_hw)[s] / _per_seed(same, fp_den)[s] for s in seeds
                                 if _per_seed(same, fp_den).get(s, 0) > 0])) if len(same) else "-")
            + f" ({mode} both sides, search excluded)",
        ])
        if "hw_energy_per_prediction_j" in q.columns and len(same) and "n_test" in same.columns:
            pp_c = attributed_energy(same, "predict") / same["n_test"].astype(float)
            rows.append([
                f"energy per prediction on {device} vs classical [J]",
                _energy_cell(pp_c, lbl_c), _energy_cell(q["hw_energy_per_prediction_j"].astype(float), hw_lbl),
                f"{frontier.ratio_text(log_ci(q['hw_energy_per_prediction_j']).mean / log_ci(pp_c).mean)} "
                f"({mode} both sides)",
            ])
        intensity = float(q["carbon_intensity_g_per_kwh"].astype(float).mean()) if (
            "carbon_intensity_g_per_kwh" in q.columns) else math.nan
        if np.isfinite(intensity) and len(same):
            g_per_j = intensity / 3.6e6
            rows.append([
                f"modelled hardware carbon on {device}, {scope} [gCO2e]",
                _energy_cell(den * g_per_j, lbl_c), _energy_cell(hw_total * g_per_j, hw_lbl),
                (_ratio_cell(hw_r) + f" ({mode} both sides, {fmt(intensity)} gCO2e/kWh on both: the energy ratio)",
                 _join_labels(hw_lbl, lbl_c)),
            ])
        if len(same) and hw_r.n:
            span = (f" [{frontier.ratio_text(hw_r.low)}–{frontier.ratio_text(hw_r.high)}]"
                    if np.isfinite(hw_r.low) and np.isfinite(hw_r.high) else "")
            at, noise = _delivered(q)
            hw_sentence = f" and {frontier.ratio_text(hw_r.mean)}{span} on {device}{at} ({noise}{mode} both sides)"
    ft_row, ft_sentence = _ftqc_row(q_name, c_name, q, c, seeds)
    rows.append(ft_row)
    rows = [r for r in rows if r]
    title = ", ".join(
        f"{k} {key[k]}" for k in ("dataset", "qubits", "n_train") if key.get(k) not in ("", None)
    ).replace("n_train", "training samples")
    chance = [name for name, g in ((c_name, c), (q_name, q)) if _at_chance(g)]
    matched, matched_row = _matched_accuracy(c_name, c, q_name, q, target, frame, margin)
    if matched_row and not chance:
        rows.append(matched_row)
    if chance:  # the energies stay in their cells; no ratio prices a model that did not learn
        flag = f"not quoted: {' and '.join(chance)} at chance (did not beat the majority-class rate)"
        rows[1:] = [[*row[:3], flag] for row in rows[1:]]
        sentences.append(f"{title}: {' and '.join(chance)} did not beat the majority-class rate on every seed; "
                         "no energy ratio is quoted.")
    else:
        relation = {"equivalent": f"equivalent within ±{margin:.2g}", "better": f"{c_name} better",
                    "worse": f"{c_name} worse", "inconclusive": "difference inconclusive",
                    "not judged": "not tested: fewer than 3 seeds"}[cmp.verdict]
        sentences.append(
            f"{title}: {q_name} {fmt(acc_q.mean)} vs {c_name} {fmt(acc_c.mean)} accuracy ({relation}); "
            f"{q_name} uses {frontier.ratio_text(local_r.mean)} the energy of {c_name} simulated locally "
            f"(marginal){hw_sentence}, search included."
        )
        if ft_sentence:
            sentences.append(f"{title}: {ft_sentence}")
    return [
        Table(["", f"classical: {c_name}", f"quantum: {q_name}", "quantum vs classical"], rows,
              caption=f"{c_name} vs {q_name} — {title}; seeds {seeds or 'unmatched'}. Energies: geometric mean "
                      "over seeds [log-scale 95 % CI]; ratios: geometric mean of the per-seed ratios [95 % CI], "
                      "and the cost model's interval where the hardware is modelled."),
    ]


def _delivered(q: pd.DataFrame) -> tuple[str, str]:
    """Words for the accuracy the hardware is priced at: the on-device accuracy under the device's
    noise (``device_accuracy``, the mean over seeds) and its noise model, where the run modelled it."""
    if "device_accuracy" not in q.columns or not q["device_accuracy"].astype(float).notna().any():
        return "", ""
    acc = float(q["device_accuracy"].astype(float).mean())
    model = str(q["device_noise_model"].dropna().iloc[0]) if "device_noise_model" in q.columns and \
        q["device_noise_model"].notna().any() else "device noise"
    return f" at on-device {fmt(acc)}", f"{model} noise; "


def _ftqc_row(q_name: str, c_name: str, q: pd.DataFrame, c: pd.DataFrame, seeds: list) -> tuple[list, str]:
    """The fault-tolerant projection's row and sentence (``ft_*`` columns; empty when absent).

    Fit + predict only (the projection prices the fitted model's circuits, not the search), against
    the classical side attributed in the same mode.
    """
    if "ft_energy_j" not in q.columns or not q["ft_energy_j"].astype(float).notna().any():
        return [], ""
    lbl = labels_of(q, "ft_energy_j")
    ft = q["ft_energy_j"].astype(float)
    device = _first(q, "ft_device", "ftqc")
    mode = _first(q, "ft_attribution", "")
    same = c[c["local_attribution"].astype(str) == mode] if mode and "local_attribution" in c.columns else c.iloc[:0]
    den = scoped_energy(same, "attributed", search=False)
    per_q, per_c = _per_seed(q, ft), _per_seed(same, den)
    r = log_ci([per_q[s] / per_c[s] for s in seeds if per_c.get(s, 0) > 0 and np.isfinite(per_q.get(s, np.nan))])
    lo_f = log_ci(q["ft_energy_j_low"].astype(float) / ft).mean if "ft_energy_j_low" in q.columns else math.nan
    hi_f = log_ci(q["ft_energy_j_high"].astype(float) / ft).mean if "ft_energy_j_high" in q.columns else math.nan
    centre = log_ci(ft).mean
    iv = (centre * lo_f, centre * hi_f) if np.isfinite(lo_f) and np.isfinite(hi_f) else None
    ratio_iv = (r.mean * lo_f, r.mean * hi_f) if r.n and iv else None
    phys = q["ft_physical_qubits"].astype(float).max() if "ft_physical_qubits" in q.columns else math.nan
    shots = q["ft_shots"].astype(float) if "ft_shots" in q.columns else pd.Series(dtype=float)
    shots_text = (f"{fmt(shots.min())}" if shots.min() == shots.max() else f"{fmt(shots.min())}-{fmt(shots.max())}"
                  ) if shots.notna().any() else "?"
    like = (f"{mode} both sides, fit + predict" if len(same)
            else "not quoted: the classical side is not attributed alike")
    row = [f"projected fault-tolerant energy on {device}, fit + predict [J]",
           _energy_cell(den, _local_label(same)) if len(same) else "-", _energy_cell(ft, lbl, iv),
           ((_ratio_cell(r, ratio_iv) if len(same) and r.n else "-") + f" quantum on FTQC / classical local ({like})",
            _join_labels(lbl, _local_label(c)))]
    if not (len(same) and r.n):
        return row, ""
    span = f", model interval {frontier.ratio_text(ratio_iv[0])}-{frontier.ratio_text(ratio_iv[1])}" if ratio_iv else ""
    sentence = (f"on a fault-tolerant machine ({device}: {fmt(phys)} physical qubits, {shots_text} shots per "
                f"circuit from shot noise alone) {q_name} would use {frontier.ratio_text(r.mean)} the energy of "
                f"{c_name} ({lbl}, {mode} both sides, fit + predict{span}).")
    return row, sentence


# --------------------------------------------------------------------------- fair-fight helpers
def _at_chance(g: pd.DataFrame) -> bool:
    """True when any row of the group is at or below its majority-class rate."""
    if "above_majority" not in g.columns or not g["above_majority"].notna().any():
        return False
    return bool((~g["above_majority"].fillna(True).astype(bool)).any())


def total_energy(g: pd.DataFrame) -> pd.Series:
    """Local energy to obtain and use the model: search (if tuned) + fit + predict, per row."""
    e = local_energy(g)
    if "tune_energy_j" in g.columns:
        e = e + g["tune_energy_j"].astype(float).fillna(0.0)
    return e


def _matched_accuracy(c_name, c, q_name, q, target: float | None, frame: pd.DataFrame | None = None,
                      margin: float = frontier.DEFAULT_MARGIN) -> tuple[str, list | None]:
    """The energy each side spent to reach a declared target accuracy.

    The target is ``--target-accuracy`` or, by default, the best classical model's mean test
    accuracy minus the equivalence margin (:func:`default_target`). A side whose mean test accuracy
    is below the target *does not reach* it and is never priced as matched.
    """
    acc_c, acc_q = float(c["accuracy_test"].mean()), float(q["accuracy_test"].mean())
    if not (np.isfinite(acc_c) and np.isfinite(acc_q)):
        return "", None
    if target is None:
        t, how = default_target(frame if frame is not None else c, margin)
    else:
        t, how = float(target), "--target-accuracy"
    if not np.isfinite(t):
        return "", None
    ec = float(log_ci(scoped_energy(c, "local", search=True)).mean)
    eq = float(log_ci(scoped_energy(q, "local", search=True)).mean)
    lbl = _join_labels(_local_label(q), _local_label(c))
    tuned = "tuned" in c.columns and bool(c["tuned"].fillna(False).astype(bool).any())
    what = "search + fit + predict" if tuned else "fit + predict"
    reach_c, reach_q = acc_c >= t - 1e-9, acc_q >= t - 1e-9
    if reach_c and reach_q:
        text = (f"At the target accuracy {fmt(t)} ({how}): {q_name} ({fmt(acc_q)}) used "
                f"{frontier.ratio_text(eq / ec)} the local energy of {c_name} ({fmt(acc_c)}) ({what}, {lbl}"
                f"{_LOCAL_MODE}).")
        cell: Cell = (f"{frontier.ratio_text(eq / ec)} at accuracy >= {fmt(t)} (local, both sides marginal)", lbl)
    else:
        missing = [(n, a) for n, a, ok in ((c_name, acc_c, reach_c), (q_name, acc_q, reach_q)) if not ok]
        parts = [f"{n} does not reach {fmt(t)} (mean {fmt(a)})" for n, a in missing]
        text = f"At the target accuracy {fmt(t)} ({how}): {'; '.join(parts)}, so it is not priced as matched."
        cell = "- (" + "; ".join(parts) + ")"
    return text, [f"local energy at the target accuracy {fmt(t)}, {what} [J]",
                  (f"{fmt(ec)} (accuracy {fmt(acc_c)})" + ("" if reach_c else ": does not reach"), _local_label(c)),
                  (f"{fmt(eq)} (accuracy {fmt(acc_q)})" + ("" if reach_q else ": does not reach"), _local_label(q)),
                  cell]


#: Load average per core above which the report warns that other work shared the metered windows.
HIGH_LOAD_PER_CORE = 0.5


def _flags(frame: pd.DataFrame, meta: dict) -> list:
    """Rows the reader must not trust at face value: chance-level models, collapsed kernels, busy machine."""
    blocks: list = []
    if "above_majority" in frame.columns:
        bad = frame[~frame["above_majority"].fillna(True).astype(bool)]
        if not bad.empty:
            rows: list[list[Cell]] = [[str(r["model"]), str(r.get("seed", "")), fmt(float(r["accuracy_test"])),
                                       fmt(float(r.get("majority_rate", np.nan)))] for _, r in bad.iterrows()]
            blocks.append("Models at or below the majority-class rate (they learned nothing the class "
                          "frequencies do not give; their energy is not compared in the headline):")
            blocks.append(Table(["model", "seed", "test accuracy", "majority rate"], rows))
        else:
            blocks.append("Every model beat the majority-class rate on every seed.")
    if "untrained" in frame.columns and frame["untrained"].fillna(False).astype(bool).any():
        bad = frame[frame["untrained"].fillna(False).astype(bool)]
        rows = [[str(r["model"]), str(r.get("seed", "")), fmt(float(r["accuracy_train"])), str(r.get("n_params", "")),
                 str(r.get("hyperparameters", ""))] for _, r in bad.iterrows()]
        blocks.append("UNTRAINED: these fits reach no more than the majority rate on their own training split (the "
                      "model did not learn; a matched MLP may be too narrow or stuck at its --max-iter budget), so "
                      "their energy prices a model that does not work:")
        blocks.append(Table(["model", "seed", "train accuracy", "parameters", "hyperparameters"], rows))
    if "kernel_offdiag_std" in frame.columns and frame["kernel_offdiag_std"].notna().any():
        k = frame[frame["kernel_offdiag_std"].notna()]
        rows = []
        states: list[str] = []
        for _, r in k.iterrows():
            collapsed = bool(r.get("kernel_collapsed")) if not is_missing(r.get("kernel_collapsed")) else False
            rows.append([str(r["model"]), str(r.get("seed", "")), fmt(float(r["kernel_offdiag_mean"])),
                         fmt(float(r["kernel_offdiag_std"])), fmt(float(r.get("support_vector_share", np.nan))),
                         fmt(float(r.get("kernel_target_alignment", np.nan))),
                         "COLLAPSED" if collapsed else "ok"])
            states.append("COLLAPSED" if collapsed else "ok")
        blocks.append("Kernel concentration of the fitted quantum kernel (training Gram matrix): a kernel whose "
                      "off-diagonal entries barely vary cannot separate classes (exponential concentration); "
                      "a high support-vector share says the same.")
        blocks.append(Table(["model", "seed", "off-diagonal mean", "off-diagonal std", "support-vector share",
                             "kernel-target alignment (centred)", "state"], rows))
        if "COLLAPSED" in states:
            blocks.append("Warning: the quantum kernel collapsed on some seeds (off-diagonal std < 0.01); "
                          "tune its bandwidth (qsvc.bandwidth) before reading its energy.")
    if "load_per_core" in frame.columns and frame["load_per_core"].notna().any():
        worst = float(frame["load_per_core"].max())
        if worst > HIGH_LOAD_PER_CORE:
            blocks.append(f"Warning: the machine was busy during the metered windows (load up to {fmt(worst)} "
                          "per core, column load_per_core); other work shared the cores, so local times and "
                          "energies are inflated and noisier. Re-run on a quiet machine for numbers to quote.")
        else:
            blocks.append(f"Machine load during the metered windows: at most {fmt(worst)} per core (quiet).")
    return blocks


def _tuning_section(frame: pd.DataFrame, meta: dict) -> list:
    """Hyperparameters chosen, what the search cost, and the accuracy-vs-energy Pareto front."""
    if "tuned" not in frame.columns or not frame["tuned"].fillna(False).astype(bool).any():
        return ["Hyperparameters were not tuned (--no-tune): every model used the registry's defaults "
                "(column hyperparameters)."]
    blocks: list = []
    rows: list[list[Cell]] = []
    for _, r in frame.iterrows():
        rows.append([str(r["model"]), str(r.get("seed", "")), str(r.get("hyperparameters", "")),
                     fmt(float(r.get("cv_accuracy", np.nan))), fmt(float(r["accuracy_test"])),
                     str(r.get("tune_candidates", "")),
                     (fmt(float(r.get("tune_energy_j", np.nan))), str(r.get("tune_energy_method", ""))),
                     str(r.get("circuits_tune", "")), fmt(float(r.get("hw_energy_tune_j", np.nan)))])
    blocks.append("Each model was tuned by stratified k-fold cross-validation on the training split only, "
                  "with the same number of candidates for both models of a pair; the test split was used "
                  "once, by the refitted best candidate. The search's energy is metered (tune_energy_j) and, "
                  "for quantum models, its circuits priced on the device (hw_energy_tune_j, not included in "
                  "hw_energy_j).")
    blocks.append(Table(["model", "seed", "hyperparameters", "CV accuracy", "test accuracy", "candidates",
                         "search energy [J]", "search circuits", "search hardware energy [J] (modelled)"], rows))
    searches = meta.get("tuning") or []
    if meta.get("tuning_error"):
        blocks.append(meta["tuning_error"])
    for s in searches:
        cands = s.get("candidates") or []
        # a skipped candidate (collapsed kernel) has no CV accuracy: off the front
        pts = [(float(c.get("local_energy_j") or np.nan),
                float(np.nan if c.get("cv_accuracy") is None else c["cv_accuracy"])) for c in cands]
        front = pareto_front(pts)
        if not front:
            continue
        rows = []
        for i in front:
            c = cands[i]
            hw = c.get("hw_energy_j")
            rows.append([json.dumps(c.get("params", {}), sort_keys=True), fmt(float(c["cv_accuracy"])),
                         (fmt(float(c["local_energy_j"])), "estimated"),
                         (fmt(float(hw)), "modelled") if hw is not None else "-"])
        blocks.append(Table(["candidate", "CV accuracy", "local energy [J]", "hardware energy [J]"], rows,
                            caption=f"Pareto front (no candidate is both cheaper and more accurate): "
                                    f"{s.get('model')} seed {s.get('seed')}, {len(cands)} candidates, "
                                    f"{s.get('method', '')}. {s.get('energy_note', '')}"))
    return blocks


# --------------------------------------------------------------------------- per model
def _model_table(frame: pd.DataFrame) -> Table:
    cols = ["model", "family", "execution", "seeds"]
    metric_cols = [(c, h) for c, h in (("accuracy_test", "test acc"), ("accuracy_train", "train acc"),
                                       ("f1_test", "F1 (test)"), ("fit_seconds", "fit s"),
                                       ("predict_seconds", "predict s")) if c in frame.columns]
    energy_cols = [(c, h) for c, h in (("fit_energy_j", "fit J"), ("predict_energy_j", "predict J"))
                   if c in frame.columns]
    for p in ("fit", "predict"):
        cc = carbon_column(frame.columns, p)
        if cc:
            energy_cols.append((cc, f"{p} gCO2e"))
    header = cols + [h for _, h in metric_cols] + [h for _, h in energy_cols]
    rows = []
    for key, g in model_groups(frame):
        row: list[Cell] = [
            group_name(key, frame), _first(g, "family"), _first(g, "execution"),
            str(len(g)),
        ]
        row += [_summary_text(g[c]) for c, _ in metric_cols]
        row += [(_summary_text(g[c]), labels_of(g, c)) if g[c].notna().any() else "-" for c, _ in energy_cols]
        rows.append(row)
    return Table(header, rows, caption=f"Mean over seeds [{CONFIDENCE:.0%} t confidence interval when "
                                       "there are two or more seeds].")


def _ledger(frame: pd.DataFrame) -> list:
    if "family" not in frame.columns:
        return []
    quantum = frame[frame["family"] == "quantum"]
    if quantum.empty:
        return ["No quantum model in this run, so there is no circuit ledger."]
    attr = attribution_column(frame.columns)
    protocol = "protocol" in frame.columns and quantum["protocol"].fillna("").astype(str).str.len().gt(0).any()
    header = ["model", "device", *(["protocol"] if protocol else []), "circuits (fit)", "circuits (predict)",
              *(["circuits per prediction"] if protocol else []), "shots / circuit",
              "shots in all", "jobs", "QPU seconds", "hardware energy [J]"]
    if attr:
        header.append("attribution")
    noise = "hw_esp" in frame.columns
    if noise:
        header += ["ESP", "mitigation (shots ×)"]
    rows = []
    notes: list[str] = []
    for key, g in model_groups(quantum):
        cf = g["circuits_fit"].astype(float) if "circuits_fit" in g.columns else pd.Series(dtype=float)
        cp = g["circuits_predict"].astype(float) if "circuits_predict" in g.columns else pd.Series(dtype=float)
        shots = g["shots"].astype(float) if "shots" in g.columns else pd.Series(np.nan, index=g.index)
        total = (cf.fillna(0) + cp.fillna(0)) * shots
        per_pred = cp / g["n_test"].astype(float) if "n_test" in g.columns else pd.Series(np.nan, index=g.index)
        row: list[Cell] = [
            group_name(key, frame), _first(g, "device", "-"),
            *([_first(g, "protocol", "-") or "-"] if protocol else []),
            _summary_text(cf, ".5g"), _summary_text(cp, ".5g"),
            *([_summary_text(per_pred, ".4g")] if protocol else []),
            _summary_text(shots, ".5g"),
            _summary_text(total, ".4g"),
            _summary_text(g["hw_jobs"].astype(float), ".6g") if "hw_jobs" in g.columns else "-",
            (_summary_text(g["hw_qpu_seconds"], ".4g") + _interval_text(g, "hw_qpu_seconds"),
             labels_of(g, "hw_qpu_seconds")) if "hw_qpu_seconds" in g.columns else "-",
            (_summary_text(g["hw_energy_j"], ".4g") + _interval_text(g, "hw_energy_j"),
             labels_of(g, "hw_energy_j")) if "hw_energy_j" in g.columns else "-",
        ]
        if attr:
            row.append(", ".join(dict.fromkeys(str(v) for v in g[attr].dropna())) or "-")
        if noise:
            mit = _first(g, "hw_mitigation", "none") or "none"
            row += [_summary_text(g["hw_esp"].astype(float), ".3g"),
                    f"{mit} ×{_summary_text(g['hw_mitigation_overhead'].astype(float), '.3g')}"
                    if "hw_mitigation_overhead" in g.columns else mit]
        rows.append(row)
        name = group_name(key, frame)
        for col in ("shots_infeasible", "hw_mitigation_note"):
            text = _first(g, col, "")
            if text:
                notes.append(f"{name}: {text}")
        rule = _first(g, "shots_rule", "")
        if rule:
            notes.append(f"{name} shots: {rule}")
        source = _first(g, "circuit_source", "")
        if source and source != "built-in":
            notes.append(f"{name} circuits: {source}")
    caption = ("What a QPU would have to run for each quantum model (mean over seeds), by its protocol: a "
               "fidelity kernel runs one circuit per pair of samples, a projected kernel three per sample, a "
               "variational model one per sample per optimizer evaluation. Shots in all = "
               "(circuits of fit + predict) × shots per circuit; ESP = estimated success probability "
               "of the circuit on the device (product of 1 − error over its gates and readouts).")
    return [Table(header, rows, caption=caption), *notes]


def _ibm(frame: pd.DataFrame, meta: dict) -> list:
    """Rows that ran on an IBM backend: jobs, and modelled vs hardware-reported QPU time."""
    if "ibm_backend" not in frame.columns:
        return []
    rows_ = frame[frame["ibm_backend"].fillna("").astype(str) != ""]
    if rows_.empty:
        return []

    def num(v, spec=".4g"):
        return "-" if is_missing(v) else format(float(v), spec)

    rows = []
    for _, r in rows_.iterrows():
        method = str(r.get("hw_reported_method") or "-")
        rows.append([
            str(r.get("model")), str(r.get("seed")), str(r.get("ibm_backend")),
            f"{int(r.get('ibm_jobs') or 0)} ({int(r.get('ibm_jobs_submitted') or 0)})",
            str(r.get("ibm_trained_on") or "-"),
            (num(r.get("hw_qpu_seconds")), "modelled"),
            (num(r.get("hw_reported_qpu_seconds")), method),
            num(r.get("hw_reported_vs_modelled"), ".3g"),
            (num(r.get("hw_reported_energy_j")), "hardware-reported time x modelled power")
            if not is_missing(r.get("hw_reported_energy_j")) else "-",
        ])
    ledger = (meta.get("ibm") or {}).get("ledger", "ibm_ledger.sqlite")
    return [
        Table(["model", "seed", "backend", "jobs (submitted by this run)", "trained on",
               "QPU seconds", "QPU seconds reported", "reported / modelled", "energy from reported [J]"],
              rows, caption="Jobs come from the job store " + str(ledger) + " ('qvc ibm status RUN'). "
                            "Reported seconds are the usage IBM bills (session mode: the session's), "
                            "each job counted once, by the run that submitted it; the energy uses the "
                            "execution spans where the results carry them. Fake backends run in local testing mode "
                            "on Aer and report no QPU time."),
        *reuse_notes(rows_),  # jobs read back from the job store (qvc/report/ibm_reuse.py)
    ]


def _floor(frame: pd.DataFrame) -> list:
    cols = landauer_columns(frame.columns)
    if not cols:
        return [
            "These results carry no thermodynamic floor (no column named like '*landauer*'); "
            "a cost model that computes the Landauer bound kT·ln2 per erased bit adds it "
            "as e.g. 'hw_landauer_j'."
        ]
    rows = []
    for key, g in model_groups(frame):
        for col in cols:
            if not g[col].notna().any():
                continue
            phase = col.split("_landauer")[0]
            energy_col = f"{phase}_energy_j" if f"{phase}_energy_j" in g.columns else None
            floor = summarize(g[col]).mean
            if energy_col:
                e = summarize(g[energy_col]).mean
                orders = f"{math.log10(e / floor):.1f}" if e > 0 and floor > 0 else "-"
                energy_cell: Cell = (fmt(e), labels_of(g, energy_col))
            else:
                orders, energy_cell = "-", "-"
            own = label_of(g.iloc[0], col)
            floor_cell: Cell = (fmt(floor), own) if own != "unlabelled" else fmt(floor)
            rows.append([group_name(key, frame), col, floor_cell, energy_cell, orders])
    return [Table(["model", "floor column", "Landauer floor [J]", "energy [J]",
                   "orders of magnitude above the floor"], rows,
                  caption="The thermodynamic floor as recorded in the results: a physical lower bound "
                          "(k·T·ln 2 per irreversibly erased bit), not a measurement; 'orders above' = "
                          "log10(energy / floor).")]


def _components_note(frame: pd.DataFrame) -> str | None:
    comps = component_columns(frame.columns)
    if not comps:
        return ("No breakdown by component: these results have no component columns "
                "('hw_energy_<component>_j'); the cost model that produced them priced the whole "
                "system at one power.")
    ref = component_total_column(frame.columns)
    if ref:
        total = frame[list(comps.values())].sum(axis=1, min_count=1)
        ok = total.notna() & frame[ref].notna() & (frame[ref] > 0)
        if ok.any():
            share = total[ok] / frame.loc[ok, ref]
            if float((share - 1).abs().max()) > 0.01:
                return (f"The components sum to {share.min():.0%} to {share.max():.0%} of '{ref}' "
                        "across rows (not exactly 100 %); the bars show the component columns as recorded.")
            zero = [n for n, c in comps.items() if not (frame[c].astype(float).fillna(0) > 0).any()]
            return (f"The components add up to '{ref}' in every row"
                    + (f"; components with zero energy on this device are not drawn: {', '.join(zero)}"
                       if zero else "") + ". " + (components_sentence(frame) or "")).strip()
    return None


# --------------------------------------------------------------------------- method
#: metadata.json keys the method section shows in its own words; any other key is shown
#: verbatim under "Further provenance", so nothing recorded is dropped or printed twice.
_SHOWN_METADATA = {
    "schema_version", "run_id", "qvc_version", "started_utc", "finished_utc", "status", "command",
    "config", "seeds", "versions", "machine", "git_revision", "meter", "device", "preprocessing",
    "carbon", "hardware_model",
    "tuning", "tuning_error",  # from tuning.json, shown in the tuning section
}


def _method(frame: pd.DataFrame, meta: dict) -> list:
    """The method section: how every number was made, then the run's full provenance."""
    return [
        *_local_energy_method(frame, meta),
        *_carbon_method(frame, meta),
        *_hardware_method(frame, meta),
        *_run_provenance(frame, meta),
        _STATISTICS_NOTE,
        "What the labels mean:",
        KeyValues([(k, v) for k, v in LABEL_MEANINGS.items()]),
        *_environment(meta),
    ]


def _distinct(frame: pd.DataFrame, column: str, sep: str = ", ", spec: str | None = None) -> str:
    """The distinct non-missing values of ``column``, in first-seen order, joined by ``sep``."""
    values = frame[column].dropna()
    return sep.join(dict.fromkeys(fmt(v) if spec else str(v) for v in values))


def _local_energy_method(frame: pd.DataFrame, meta: dict) -> list:
    meter = meta.get("meter") or {}
    items: list[tuple[str, Cell]] = []
    if meter:
        items.append(("local meter", (str(meter.get("meter", "-")), str(meter.get("method", "unlabelled")))))
        why = meter.get("reason") or meter.get("why") or ""
        items.append(("why this meter", str(why) if why else "a hardware energy counter was available"))
        for k, v in meter.items():
            if k not in ("meter", "method", "reason", "why") and not _is_record_list(v):
                items.append((f"meter {k}", _plain(v)))
    else:
        items.append(("local meter", "not recorded in metadata.json"))
    if "energy_meter" in frame.columns:
        items.append(("meter per result row", _distinct(frame, "energy_meter")))
    for c in [c for c in frame.columns if c.endswith("_reason")]:
        vals = _distinct(frame, c, "; ")
        if vals:
            items.append((c, vals))
    blocks: list = ["Local energy (fit and predict, on this machine):", KeyValues(items)]
    blocks += [_records_table(v, f"meter {k}") for k, v in meter.items() if _is_record_list(v)]
    return blocks + _repeats(frame)


def _carbon_method(frame: pd.DataFrame, meta: dict) -> list:
    carbon = meta.get("carbon") or {}
    items: list[tuple[str, Cell]] = [(f"carbon {k}", _plain(v)) for k, v in carbon.items()]
    for c in ("carbon_intensity_g_per_kwh", "carbon_intensity_source"):
        if c in frame.columns and frame[c].notna().any():
            items.append((c, _distinct(frame, c, spec=".3g")))
    return ["Carbon (gCO2e = energy × grid carbon intensity):", KeyValues(items)] if items else []


def _hardware_method(frame: pd.DataFrame, meta: dict) -> list:
    device = meta.get("device") or {}
    hw_model = meta.get("hardware_model") or {}
    items: list[tuple[str, Cell]] = [(f"hardware model {k}", _plain(v)) for k, v in hw_model.items()]
    attr = attribution_column(frame.columns)
    attr_val = (_distinct(frame, attr) if attr
                else hw_model.get("attribution") or device.get("attribution")
                or (meta.get("config") or {}).get("attribution"))
    items.append(("attribution mode", str(attr_val) if attr_val else "not recorded in this run"))
    blocks: list = ["Hardware energy (the quantum workload priced on a device preset):", KeyValues(items)]
    if device:
        blocks.append(Table(["device parameter", "value", "source"], _param_rows(device),
                            caption=f"Device preset {device.get('name', '')} as recorded in metadata.json: "
                                    "every number with its source ('unverified' where no primary source "
                                    "was found)."))
    return blocks


def _run_provenance(frame: pd.DataFrame, meta: dict) -> list:
    match_items: list[tuple[str, Cell]] = []
    if "matching" in frame.columns:
        for model, g in frame.groupby("model", sort=False):
            rules = _distinct(g, "matching", "; ")
            if rules:
                match_items.append((str(model), rules))
    cfg = meta.get("config") or {}
    run_items: list[tuple[str, Cell]] = [
        ("seeds", ", ".join(str(s) for s in (meta.get("seeds") or cfg.get("seeds") or []))),
        ("run", f"{meta.get('run_id', '-')}, status {meta.get('status', '-')}, started "
                f"{meta.get('started_utc', '-')}, finished {meta.get('finished_utc', '-')}"),
        ("command", pasteable_command(meta.get("command")) or "-"),
        ("qvc version / git revision", f"{meta.get('qvc_version', '-')} / {meta.get('git_revision') or '-'}"),
    ]
    blocks: list = []
    if match_items:
        blocks += ["Matching rule (what makes each pair comparable):", KeyValues(match_items)]
    return blocks + ["Run:", KeyValues(run_items)]


_STATISTICS_NOTE = (
    f"Statistics: seeds are independent repetitions (split, initialisation, sampling). "
    f"Means carry a {CONFIDENCE:.0%} Student-t confidence interval when there are two or more "
    f"seeds, clipped to what the quantity can be (accuracy 0 to 1, energy and time at least 0); "
    "values identical on every seed show no interval. Accuracy differences are tested with a "
    "two-sided paired t-test over the seeds "
    f"both models ran (α = {ALPHA}); with one seed significance is not judged. Energy ratios "
    "are ratios of the means; the hardware ratio's interval is the cost model's low/high "
    "interval divided by the classical mean."
)


def _environment(meta: dict) -> list:
    """Versions, machine, data preparation, configuration and any further recorded provenance."""
    blocks: list = []
    versions = meta.get("versions") or {}
    if versions:
        blocks.append(Table(["package", "version"], [[k, str(v)] for k, v in versions.items()],
                            caption="Versions."))
    machine = meta.get("machine") or {}
    if machine:
        blocks.append(KeyValues([(f"machine {k}", _plain(v)) for k, v in machine.items()]))
    prep = meta.get("preprocessing") or {}
    if prep:
        if len({json.dumps(v, sort_keys=True, default=str) for v in prep.values()}) == 1:
            blocks.append(f"Data preparation (the same for seed(s) {', '.join(map(str, prep))}):")
            blocks.append(Code(json.dumps(next(iter(prep.values())), indent=2, default=str)))
        else:
            blocks.append("Data preparation (per seed):")
            blocks.append(Code(json.dumps(prep, indent=2, default=str)))
    blocks.append("Configuration:")
    blocks.append(Code(json.dumps(meta.get("config") or {}, indent=2, default=str)))
    extra = {k: v for k, v in meta.items() if k not in _SHOWN_METADATA}
    if extra:
        blocks.append("Further provenance recorded in metadata.json:")
        blocks.append(Code(json.dumps(extra, indent=2, default=str)))
    return blocks


def _is_record_list(v) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _records_table(records: list[dict], what: str) -> Table:
    keys = list(dict.fromkeys(k for r in records for k in r))
    return Table(keys, [[_plain(r.get(k, "")) for k in keys] for r in records], caption=what)


def _param_value(d: dict) -> str:
    for keys in (("low", "typical", "high"), ("min", "median", "max")):
        if all(k in d for k in keys):
            return " / ".join(fmt(d[k], ".4g") for k in keys) + f" ({' / '.join(keys)})"
    if "value" in d:
        v = d["value"]
        return ", ".join(map(str, v)) if isinstance(v, list) else fmt(v, ".6g")
    return _plain({k: v for k, v in d.items() if k not in ("source", "verified")})


def _param_rows(d: dict, prefix: str = "") -> list[list[Cell]]:
    """Flatten a nested preset description into (parameter, value, source) rows.

    A dict holding a ``source`` key is one sourced parameter; other dicts are walked.
    """
    rows: list[list[Cell]] = []
    for k, v in d.items():
        name = f"{prefix}{k}"
        if k == "sources" and isinstance(v, dict):  # flat {parameter: source} form
            rows += [[f"{prefix}{kk}", "-", _plain(vv)] for kk, vv in v.items()]
        elif isinstance(v, dict) and "source" in v:
            src = _plain(v["source"])
            if v.get("verified") is False and "unverified" not in src:
                src = f"unverified: {src}"
            rows.append([name, _param_value(v), src])
        elif isinstance(v, dict):
            rows += _param_rows(v, f"{name}.")
        elif isinstance(v, list):
            rows.append([name, ", ".join(_plain(x) for x in v), ""])
        else:
            rows.append([name, fmt(v, ".6g") if not isinstance(v, str) else v, ""])
    return rows


def _repeats(frame: pd.DataFrame) -> list:
    cols = [c for c in ("fit_repeats", "fit_energy_spread", "predict_repeats", "predict_energy_spread")
            if c in frame.columns]
    if not cols:
        return []
    rows: list[list[Cell]] = []
    for key, g in model_groups(frame):
        rows.append([group_name(key, frame), *(_summary_text(g[c], ".3g") for c in cols)])
    return [Table(["model"] + cols, rows,
                  caption="Calls averaged per measurement (short fits and predictions are repeated "
                          "until the meter's minimum window is filled) and the relative spread of "
                          "per-call energy across repeat batches; mean over seeds.")]


def _plain(v) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, default=str)
    return str(v)


def _full_table(frame: pd.DataFrame) -> Table:
    cols = list(frame.columns)
    rows: list[list[Cell]] = [[fmt(r[c], ".6g") for c in cols] for _, r in frame.iterrows()]
    return Table(cols, rows, caption="Every column of results.csv (numbers to 6 significant digits).")


# --------------------------------------------------------------------------- frontier
def _frontier_section(frame: pd.DataFrame, margin: float, margin_note: str) -> tuple[list, list[str]]:
    """Verdict sentences, the frontier figure, the judged classical models and the deployment table."""
    found = frontier.verdicts(frame, margin)
    sentences = [v.sentence for v in found]
    blocks: list = list(sentences)
    svg = plots.frontier(frame)
    if svg:
        blocks.append(Figure(svg, "Test accuracy against energy for every model of the run (log energy axes). "
                                  "Top: fit + predict; bottom: per prediction. Left: on this machine (classical "
                                  "models, quantum models simulated); right: the quantum workloads priced on the "
                                  "device preset (modelled), on their own axis. Dashed: the Pareto-optimal models "
                                  "of each panel."))
    for v in found:
        rows: list[list[Cell]] = []
        v_mode = next((frontier.hw_mode(g) for k, g in model_groups(frame[frame["family"] == "quantum"])
                       if group_name(k, frame) == v.quantum), "")
        for c in sorted(v.candidates, key=lambda c: (not c.matches, c.local_j)):
            hw_ratio = c.hw_ratio if c.hw_ratio is not None else log_ci([])
            rows.append([
                c.model, fmt(c.accuracy), c.comparison.verdict, c.test_note, fmt(c.local_j), fmt(c.attributed_j),
                ((f"{frontier.ratio_text(hw_ratio.mean)} [{frontier.ratio_text(hw_ratio.low)}, "
                  f"{frontier.ratio_text(hw_ratio.high)}]") if hw_ratio.n >= 2 else frontier.ratio_text(hw_ratio.mean))
                + (f" ({v_mode} both sides)" if hw_ratio.n else ""),
                "cheapest match" if v.cheapest is not None and c.model == v.cheapest.model else "",
            ])
        blocks.append(Table(["classical model", "test accuracy", "classical vs quantum", "test",
                             "local energy, search + fit + predict [J] (marginal)",
                             "same, attributed like the hardware [J]",
                             "hardware / classical, per-seed geometric mean [95 % CI], search included", ""], rows,
                            caption=f"Every classical model judged against {v.quantum} (test accuracy "
                                    f"{fmt(v.accuracy)}): {STATS_METHOD}, margin ±{margin:.2g}{margin_note}. "
                                    "'equivalent' and 'better' count as doing as well; 'inconclusive' is not "
                                    "evidence of equality."))
    cols, rows = frontier.deployment_rows(frame, found)
    blocks.append(Table(cols, rows, caption=(
        "Deployment: training (fit, tuning excluded) energy next to energy per prediction (predict energy / "
        "test samples). 'Repays' is the number of predictions after which the model's lower per-prediction "
        "energy has paid back its higher training energy ('never': it also costs more per prediction); the "
        "hardware comparison takes the classical side in the hardware's attribution mode and PUE.")))
    return blocks, sentences


#: The comparison method in words (tables and the method section).
STATS_METHOD = ("corrected resampled paired t-test over the random splits (Nadeau & Bengio 2003), equivalence by "
                "two one-sided tests (TOST), Holm's correction across the classical models judged against the "
                "same quantum model, alpha 0.05")


# --------------------------------------------------------------------------- documents
def build_run_report(frame: pd.DataFrame, meta: dict) -> Document:
    """The report of one run.

    Parameters
    ----------
    frame : pandas.DataFrame
        Typed result table (:func:`qvc.experiment.load_results`).
    meta : dict
        The run's ``metadata.json``.

    Returns
    -------
    Document

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame([
    ...     {"model": "svm", "pair": "svm", "family": "classical", "seed": 1, "accuracy_test": 0.97,
    ...      "fit_energy_j": 0.02, "fit_energy_method": "estimated"},
    ...     {"model": "qsvc", "pair": "svm", "family": "quantum", "seed": 1, "accuracy_test": 0.8,
    ...      "fit_energy_j": 2.0, "fit_energy_method": "estimated", "hw_energy_j": 7e7,
    ...      "hw_energy_method": "modelled"}])
    >>> doc = build_run_report(frame, {"run_id": "demo"})
    >>> "qsvc 0.8 vs svm 0.97 accuracy (not tested: fewer than 3 seeds)" in doc.summary[0]
    True
    """
    cfg = meta.get("config") or {}
    datasets = ", ".join(dict.fromkeys(str(v) for v in frame["dataset"].dropna())) if "dataset" in frame else "-"
    qubits = ", ".join(dict.fromkeys(str(v) for v in frame["qubits"].dropna())) if "qubits" in frame else "-"
    seeds = sorted(set(_seeds_of(frame)))
    subtitle = [
        f"dataset {datasets} · qubits {qubits} · seeds {', '.join(map(str, seeds)) or '-'} · "
        f"models {', '.join(dict.fromkeys(str(m) for m in frame['model']))}",
        f"execution {cfg.get('execution', _first(frame, 'execution', '-'))} · device preset "
        f"{_first(frame, 'device', cfg.get('device', '-'))} · status {meta.get('status', '-')} · "
        f"started {meta.get('started_utc', '-')}",
    ]
    margin = float(cfg.get("equivalence_margin") or frontier.DEFAULT_MARGIN)
    margin_note = "" if cfg.get("equivalence_margin") else " (default: this run's metadata records no margin)"
    head_blocks, sentences = _headline(frame, cfg.get("target_accuracy"), margin)
    figs: list = []
    svg = plots.accuracy_vs_energy(frame)
    if svg:
        figs.append(Figure(svg, "Accuracy against energy (log axis). Filled markers: fit + predict on this "
                                "machine; hollow squares: the quantum workload priced on the device preset; "
                                "dotted lines join a quantum model's two points. Labels come from the "
                                "*_method columns."))
    else:
        figs.append("No accuracy/energy values to plot.")
    svg = plots.phases(frame)
    if svg:
        figs.append(Figure(svg, "Wall time and local energy of fit and predict per model."))
    comp_blocks: list = []
    svg = plots.hardware_components(frame)
    if svg:
        comp_blocks.append(Figure(svg, "Projected hardware energy split by component."))
    note = _components_note(frame)
    if note:
        comp_blocks.append(note)
    sweep_svg = plots.sweep(frame)
    sections = []
    if frontier.has_frontier(frame):
        front_blocks, front_sentences = _frontier_section(frame, margin, margin_note)
        sentences = front_sentences + sentences
        sections.append(Section("The classical frontier: is each quantum model cheaper than the cheapest "
                                "classical model that does as well?", front_blocks, "frontier"))
    sections += [
        Section("Headline: each matched pair", head_blocks, "headline"),
        Section("Accuracy, energy and time", figs, "plots"),
        Section("Hardware energy by component", comp_blocks, "components"),
    ]
    device_blocks, device_sentences = device_accuracy_blocks(frame)
    if device_blocks:
        sentences += device_sentences
        sections.append(Section("Accuracy on the device: what a QPU delivers at the priced shots", device_blocks,
                                "device-accuracy"))
    shot_blocks, shot_sentences = shot_training_blocks(frame)
    if shot_blocks:
        sentences += shot_sentences
        sections.append(Section("Training under shot noise", shot_blocks, "shot-training"))
    for title, (blocks, _) in (("Attribution scenarios: who pays for the machine", attribution.scenario_blocks(frame)),
                               ("What moves the verdict: global sensitivity", sensitivity.sensitivity_blocks(frame))):
        if blocks:
            sections.append(Section(title, blocks, title.split(":")[0].split()[0].lower()))
    if sweep_svg:
        sections.append(Section("Sweep", [Figure(sweep_svg, "Energy against the swept size.")], "sweep"))
    sections += [
        Section("Diagnostics: chance level, kernel concentration, machine load", _flags(frame, meta), "flags"),
        Section("Tuning: hyperparameters, search cost, accuracy-energy Pareto front",
                _tuning_section(frame, meta), "tuning"),
        Section("Per model (statistics across seeds)", [_model_table(frame)], "models"),
        Section("Circuit ledger", _ledger(frame), "ledger"),
    ]
    ibm_blocks = _ibm(frame, meta)
    if ibm_blocks:
        sections.append(Section("IBM Quantum execution", ibm_blocks, "ibm"))
    sections += [
        Section("Thermodynamic floor", _floor(frame), "floor"),
        Section("Method: how every number was made", _method(frame, meta), "method"),
        Section("All results", [_full_table(frame)], "all", collapsed=True),
    ]
    return Document(f"qvc run {meta.get('run_id', '')}".strip(), subtitle, sections, sentences)


#: Provenance compared between two runs, in display order (``out_dir`` only says where a run was written).

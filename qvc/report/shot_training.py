"""The report's "Training under shot noise" section: the VQC's accuracy when trained at its priced shots.

Reads the ``circuits`` group's shot-training columns (``accuracy_test_shot_trained``,
``shot_trained_shots``, ``shot_trained_circuits_fit``, ``shot_training``; written by
:mod:`qvc.experiment.shottraining`) and puts the shot-trained test accuracy next to the exact
one, per model configuration; rows that were not re-simulated say that their training circuit
count is a lower bound. Run folders without the columns get no section.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qvc.analysis.stats import summarize
from qvc.report.columns import fmt
from qvc.report.document import Cell, Table
from qvc.report.groups import group_name, model_groups

#: The label of a shot-trained accuracy (a simulation of an ideal QPU, not a measurement).
LABEL = "simulated: engine shots mode"


def _status(g: pd.DataFrame) -> pd.Series:
    return g["shot_training"].fillna("").astype(str)


def _range(values: pd.Series) -> str:
    v = pd.to_numeric(values, errors="coerce").dropna()
    if v.empty:
        return "-"
    lo, hi = int(v.min()), int(v.max())
    return f"{lo}" if lo == hi else f"{lo} to {hi}"


def shot_training_blocks(frame: pd.DataFrame) -> tuple[list, list[str]]:
    """The section's blocks and one summary sentence per quantum model that has the columns.

    Returns ``([], [])`` when no row has a ``shot_training`` entry (older run folders, no VQC).

    Examples
    --------
    >>> f = pd.DataFrame({"model": ["vqc"], "seed": [1], "accuracy_test": [0.9],
    ...                   "accuracy_test_shot_trained": [0.8], "shot_trained_shots": [1024],
    ...                   "shot_trained_circuits_fit": [40], "circuits_fit": [40],
    ...                   "shot_training": ["re-simulated: ..."]})
    >>> blocks, sentences = shot_training_blocks(f)
    >>> sentences[0].split(":")[0], "0.8" in sentences[0]
    ('vqc', True)
    """
    if "shot_training" not in frame.columns:
        return [], []
    rows: list[list[Cell]] = []
    sentences: list[str] = []
    for key, g in model_groups(frame):
        status = _status(g)
        g = g[status != ""]
        if g.empty:
            continue
        status = _status(g)
        name = group_name(key, frame)
        seeds = len(g)
        done = g[pd.to_numeric(g["accuracy_test_shot_trained"], errors="coerce").notna()]
        exact = summarize(g["accuracy_test"].astype(float))
        lower = status.str.startswith("not re-simulated")
        cf = pd.to_numeric(done.get("circuits_fit", pd.Series(dtype=float)), errors="coerce")
        cs = pd.to_numeric(done.get("shot_trained_circuits_fit", pd.Series(dtype=float)), errors="coerce")
        same = bool(len(done)) and bool(np.all(cf.to_numpy() == cs.to_numpy()))
        if len(done):
            shot = summarize(done["accuracy_test_shot_trained"].astype(float))
            exact_done = summarize(done["accuracy_test"].astype(float))
            shot_cell: Cell = (shot.text(), LABEL)
            count = ("same as priced" if same else
                     f"priced {_range(cf)}, shot-noisy run {_range(cs)}")
            how = ("re-simulated" if status[~lower].str.startswith("re-simulated").all()
                   else "trained with sampling by the run itself")
            sentences.append(
                f"{name}: trained under shot noise at its priced shots ({_range(done['shot_trained_shots'])} "
                f"per circuit, {how}, {len(done)} of {seeds} seed(s)) it reaches test accuracy "
                f"{fmt(shot.mean)} against {fmt(exact_done.mean)} with exact training: the accuracy the "
                "priced training budget buys on an ideal (noise-free) QPU."
            )
        else:
            shot_cell, count = "-", "-"
        if lower.any():
            reason = status[lower].iloc[0].removeprefix("not re-simulated: ").split(";")[0]
            sentences.append(
                f"{name}: training not re-simulated under shot noise on {int(lower.sum())} of {seeds} "
                f"seed(s) ({reason}): its training circuit count is a lower bound for what training "
                "under shot noise to the same accuracy would need."
            )
        rows.append([name, str(seeds), exact.text(), shot_cell, _range(g["shot_trained_shots"]), count,
                     "; ".join(sorted({s.split(":")[0] for s in status}))])
    if not rows:
        return [], []
    table = Table(
        ["model", "seeds", "test accuracy, exact training", "test accuracy, trained under shot noise",
         "shots per circuit", "training circuits", "status"], rows,
        caption=("Training under shot noise (qvc.experiment.shottraining): the model trained again with "
                 "the same hyperparameters, seed and iteration budget in the engine's shots mode at the "
                 "shots it is priced at, test predictions drawn with the same shots; no gate or readout "
                 "noise. Mean over the seeds that were re-simulated. 'training circuits' compares the "
                 "priced count (exact training) with the shot-noisy optimizer's."))
    return [table, *sentences], sentences

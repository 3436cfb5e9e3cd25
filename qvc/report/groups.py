"""Grouping a result table for reports: model configurations, matched pairs, their names.

Shared by the text (:mod:`qvc.report.run_report`, :mod:`qvc.report.compare_report`) and the figures
(:mod:`qvc.report.plots`), so a table row and a plotted point of the same
configuration always carry the same name.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

#: Columns that identify one model configuration inside a run.
GROUP_KEYS = ("dataset", "qubits", "n_train", "model", "execution", "device")
#: Columns that identify one matched pair (a classical model and its quantum partner).
PAIR_KEYS = ("dataset", "qubits", "n_train", "pair")


def group_keys(frame: pd.DataFrame, keys: Sequence[str] = GROUP_KEYS) -> list[str]:
    """The columns of ``keys`` present in ``frame``."""
    return [k for k in keys if k in frame.columns]


def groups(frame: pd.DataFrame, keys: Sequence[str]) -> Iterator[tuple[dict, pd.DataFrame]]:
    """Yield ``(key dict, sub-frame)`` per distinct value of the ``keys`` present, in first-seen order.

    Missing values group together as ``""`` (pandas' ``groupby`` would drop them).

    Examples
    --------
    >>> frame = pd.DataFrame({"model": ["svm", "qsvc", "svm"], "seed": [1, 1, 2]})
    >>> [(k["model"], len(g)) for k, g in groups(frame, ["model", "device"])]
    [('svm', 2), ('qsvc', 1)]
    """
    present = group_keys(frame, keys)
    filled = frame[present].astype(object).where(frame[present].notna(), "")
    seen: dict[tuple, list] = {}
    for idx, values in zip(frame.index, filled.itertuples(index=False, name=None)):
        seen.setdefault(tuple(values), []).append(idx)
    for values, idxs in seen.items():
        yield dict(zip(present, values)), frame.loc[idxs]


def model_groups(frame: pd.DataFrame) -> Iterator[tuple[dict, pd.DataFrame]]:
    """Yield ``(key dict, sub-frame)`` per model configuration, in first-seen order."""
    return groups(frame, GROUP_KEYS)


def pair_groups(frame: pd.DataFrame) -> Iterator[tuple[dict, pd.DataFrame]]:
    """Yield ``(key dict, sub-frame)`` per matched pair (dataset, qubits, samples, pair)."""
    return groups(frame, PAIR_KEYS)


def group_name(key: dict, frame: pd.DataFrame) -> str:
    """Short display name of a configuration: only the fields that vary in ``frame``."""
    parts = [str(key.get("model", "?"))]
    modes = frame["execution"].dropna() if "execution" in frame.columns else pd.Series(dtype=object)
    if key.get("execution") not in ("", "classical", None) and modes[modes != "classical"].nunique() > 1:
        parts.append(str(key["execution"]))
    for k, short in (("qubits", "q"), ("n_train", "n")):
        if k in frame.columns and frame[k].nunique() > 1:
            parts.append(f"{short}={key.get(k)}")
    if "device" in frame.columns and frame["device"].dropna().nunique() > 1 and key.get("device"):
        parts.append(str(key["device"]))
    return " ".join(parts)


def local_energy(frame: pd.DataFrame) -> pd.Series:
    """Fit + predict local energy per row (NaN when either is missing)."""
    if "fit_energy_j" not in frame.columns:
        return pd.Series(np.nan, index=frame.index)
    pred = frame["predict_energy_j"] if "predict_energy_j" in frame.columns else 0.0
    return frame["fit_energy_j"].astype(float) + pred


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name].astype(float) if name in frame.columns else pd.Series(np.nan, index=frame.index)


def attributed_energy(frame: pd.DataFrame, phase: str) -> pd.Series:
    """A phase's local energy (``tune``, ``fit`` or ``predict``) in the row's ``local_attribution`` mode.

    ``fit`` and ``predict`` are the recorded ``*_energy_attributed_j``; ``tune`` is rebuilt from the
    row by the same rule (:func:`qvc.energy.host.attribute_local`: ``PUE x (meter + held thread-seconds
    x host idle W per thread)`` when attributional, the meter's figure when marginal), so a search and a
    fit are attributed alike. NaN where the row lacks what it needs.
    """
    if phase in ("fit", "predict"):
        return _col(frame, f"{phase}_energy_attributed_j")
    e = _col(frame, f"{phase}_energy_j")
    if "local_attribution" not in frame.columns:
        return pd.Series(np.nan, index=frame.index)
    held = np.maximum(_col(frame, f"{phase}_cpu_seconds"), _col(frame, f"{phase}_seconds"))
    attr = _col(frame, "local_pue") * (e + held * _col(frame, "host_idle_w_per_thread"))
    marginal = frame["local_attribution"].astype(str) == "marginal"
    return attr.where(~marginal, e).where(frame["local_attribution"].notna())


def scoped_energy(frame: pd.DataFrame, side: str, search: bool) -> pd.Series:
    """Energy per row of one side in one scope.

    ``side``: ``local`` (the meter's figure, both sides marginal), ``attributed`` (local energy in the
    row's attribution mode) or ``hardware`` (the modelled QPU energy; its search: ``hw_energy_tune_j``).
    ``search``: include the hyperparameter search (a row that was not tuned adds nothing for it).
    """
    tuned = frame["tuned"].fillna(False).astype(bool) if "tuned" in frame.columns else pd.Series(
        False, index=frame.index)
    if side == "hardware":
        total = _col(frame, "hw_energy_j")
        if search:
            total = total + _col(frame, "hw_energy_tune_j").where(tuned, 0.0)
        return total
    if side == "local":
        parts = [_col(frame, "fit_energy_j"), _col(frame, "predict_energy_j").fillna(0.0)]
        tune = _col(frame, "tune_energy_j")
    elif side == "attributed":
        parts = [attributed_energy(frame, "fit"), attributed_energy(frame, "predict")]
        tune = attributed_energy(frame, "tune")
    else:
        raise ValueError(f"unknown side {side!r}")
    total = parts[0] + parts[1]
    if search:
        total = total + tune.where(tuned, 0.0)
    return total

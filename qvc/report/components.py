"""The hardware energy by component, on the statistic the headline quotes.

The headline, every ratio and every interval quote ``hw_energy_j``: the Monte Carlo median of the
cost model's draws (its 90 % interval is ``hw_energy_j_low`` / ``_high``). The component columns
``hw_energy_<component>_j`` are the split at typical parameter values and add up to
``hw_energy_typical_j``, a different number (the ranges are skewed, so the median of the total sits
above the all-typical figure: +22 % in the committed iris example). A median does not split into
components by itself (the medians of the parts do not add up to the median of the whole), so the
chart shows the headline's median split in the proportions of the components at typical values:
``component_j * hw_energy_j / hw_energy_typical_j`` per row, then the mean across seeds, exactly
as the headline averages ``hw_energy_j``. The bars then add up to the headline figure, and the
caption says how the split was made. Run folders without ``hw_energy_typical_j`` (whose
components add up to ``hw_energy_j`` itself) are shown as recorded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qvc.report.columns import component_columns, fmt

#: The statistic of the headline and of the component chart, in words.
STATISTIC = "Monte Carlo median (hw_energy_j)"
#: How the median is split among the components.
SPLIT = "split in the proportions of the components at typical parameter values"


def headline_components(frame: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Component energies per row that add up to the headline's ``hw_energy_j``, and how they were made.

    Returns ``(components, how)``: one column per component (named by the component), one row per
    row of ``frame``; ``how`` is ``"scaled"`` (typical-value split scaled to the median),
    ``"recorded"`` (the columns already add up to ``hw_energy_j``: older run folders) or ``"none"``.

    Examples
    --------
    >>> f = pd.DataFrame({"hw_energy_j": [12.0], "hw_energy_typical_j": [10.0],
    ...                   "hw_energy_cryogenics_j": [6.0], "hw_energy_control_j": [4.0]})
    >>> parts, how = headline_components(f)
    >>> how, parts.iloc[0].round(9).to_dict()
    ('scaled', {'cryogenics': 7.2, 'control': 4.8})
    """
    comps = component_columns(frame.columns)
    if not comps:
        return pd.DataFrame(index=frame.index), "none"
    parts = pd.DataFrame({name: frame[col].astype(float) for name, col in comps.items()}, index=frame.index)
    if "hw_energy_j" not in frame.columns or "hw_energy_typical_j" not in frame.columns:
        return parts, "recorded"
    typical = frame["hw_energy_typical_j"].astype(float)
    median = frame["hw_energy_j"].astype(float)
    ok = typical.notna() & median.notna() & (typical > 0)
    scale = pd.Series(np.where(ok, median / typical.where(ok, 1.0), np.nan), index=frame.index)
    return parts.mul(scale, axis=0), "scaled"


def chart_title(how: str) -> str:
    """The second line of the component chart's title: which statistic the bars add up to."""
    if how == "scaled":
        return f"bars: the headline's {STATISTIC}, {SPLIT}"
    return "bars: the component columns as recorded (they add up to hw_energy_j)"


def components_sentence(frame: pd.DataFrame) -> str | None:
    """One sentence naming the statistic of the chart and how far the typical-value total lies from it."""
    parts, how = headline_components(frame)
    if how != "scaled":
        return None
    ok = parts.notna().any(axis=1)
    if not ok.any():
        return None
    typical = frame.loc[ok, "hw_energy_typical_j"].astype(float)
    median = frame.loc[ok, "hw_energy_j"].astype(float)
    rel = median / typical - 1.0
    lo, hi = float(rel.min()), float(rel.max())
    shift = f"{lo:+.0%}" if abs(hi - lo) < 0.005 else f"{lo:+.0%} to {hi:+.0%}"
    return (f"The bars add up to the figure the headline quotes, the {STATISTIC}, {SPLIT} "
            "(a median does not split into parts by itself); the median differs from the all-typical "
            f"total (hw_energy_typical_j, mean {fmt(float(typical.mean()))} J) by {shift} "
            "(median / typical - 1) in these rows, because the parameter ranges are skewed.")

"""How the report finds optional result columns and the label of every number.

The report reads whatever columns a ``results.csv`` has. Modules that add
columns follow these naming rules, and the report shows the new numbers without
a code change:

Phases
    ``fit`` and ``predict`` (local work, metered) and ``hw`` (the quantum workload
    priced on a device preset, fit + predict).
Energy
    ``<phase>_energy_j``; its label (``measured`` | ``estimated`` | ``modelled`` |
    ``hardware-reported`` | ``projected``) is in ``<phase>_energy_method``; the fault-tolerant
    projection's ``ft_*`` numbers are labelled by ``ft_energy_method`` (``projected``).
Carbon
    ``<phase>_gco2e``. Its label is
    ``<phase>_gco2e_method`` when that column exists, otherwise the label of the
    energy it was computed from (``<phase>_energy_method``).
Intervals
    ``<column>_low`` and ``<column>_high`` bound any numeric column, e.g.
    ``hw_energy_j_low`` / ``hw_energy_j_high``; they share the column's label.
Hardware components
    the schema's :data:`~qvc.record.results.HW_COMPONENT_COLUMNS`
    (``hw_energy_<name>_j``, ``<name>`` one of ``cryogenics``, ``vacuum``, ``lasers``,
    ``control``, ``readout``, ``servers``, ``facility``); a ``hw_energy_<name>_j`` column the
    schema does not know (another module's, or an older run's) counts as a component unless
    ``<name>`` is a phase or total (``fit``, ``predict``, ``typical``, ``unmitigated``,
    ``tune`` ...); labelled by
    ``hw_energy_method``. When ``hw_energy_typical_j`` exists the components are
    taken to add up to it (the cost model prices components at typical parameter
    values; ``hw_energy_j`` is a Monte Carlo median). Every other ``hw_*``
    number (``hw_qpu_seconds``, ``hw_jobs`` ...) is labelled by ``hw_energy_method``
    too, unless it has its own ``<column>_method``.
Attribution mode
    ``hw_attribution`` (``attributional`` | ``marginal``).
Thermodynamic floor
    any column whose name contains ``landauer`` (e.g. ``hw_landauer_j``,
    ``fit_landauer_j``), labelled by ``<column>_method`` when present.
Anything else
    is shown in the report's full result table, untouched.

A label is never made up: a number whose rule finds no label column is shown as
``unlabelled``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import pandas as pd

#: Phases in display order, with the words used for them.
PHASES: dict[str, str] = {"fit": "fit", "predict": "predict", "hw": "hardware (fit + predict)"}

#: The labels an energy figure may carry (``projected``: the fault-tolerant projection, ``ft_*`` columns).
LABELS = ("measured", "estimated", "modelled", "hardware-reported", "projected")

_INTERVAL_SUFFIXES = ("_low", "_high", "_median")
_COMPONENT = re.compile(r"^hw_energy_(?P<name>.+)_j$")
#: ``hw_energy_<x>_j`` spellings, outside the schema, that are phases or totals, not components.
_NOT_COMPONENTS = {"fit", "predict", "typical", "median", "total", "above_idle", "unmitigated", "tune",
                   "per_prediction"}


def is_missing(value: object) -> bool:
    """True for None, NaN, pandas NA and empty strings."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def label_columns(column: str) -> list[str]:
    """Candidate label columns for ``column``, most specific first.

    Examples
    --------
    >>> label_columns("hw_energy_j_low")[:3]
    ['hw_energy_j_low_method', 'hw_energy_j_method', 'hw_energy_method']
    >>> label_columns("fit_gco2e")
    ['fit_gco2e_method', 'fit_energy_method', 'fit_method']
    """
    out = [f"{column}_method"]
    base = column
    for suffix in _INTERVAL_SUFFIXES:
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            out.append(f"{base}_method")
            break
    if base.endswith("_gco2e"):
        stem = base[: -len("_gco2e")]
        stem = stem[: -len("_energy")] if stem.endswith("_energy") else stem
        out += [f"{stem}_energy_method", f"{stem}_method"]
    elif base.endswith("_j"):
        out.append(f"{base[:-2]}_method")
    if base.startswith("hw_") and "landauer" not in base:
        out.append("hw_energy_method")
    return list(dict.fromkeys(out))


def label_of(row: pd.Series | dict, column: str) -> str:
    """The label of ``row[column]`` taken from its label column, or ``'unlabelled'``.

    Examples
    --------
    >>> label_of({"hw_energy_j_high": 2.0, "hw_energy_method": "modelled"}, "hw_energy_j_high")
    'modelled'
    >>> label_of({"fit_energy_j": 1.0}, "fit_energy_j")
    'unlabelled'
    """
    for cand in label_columns(column):
        if cand in row and not is_missing(row[cand]):
            return str(row[cand])
    return "unlabelled"


def labels_of(frame: pd.DataFrame, column: str) -> str:
    """The distinct labels of ``column`` over ``frame``'s rows, joined by ``' + '``."""
    seen = [label_of(r, column) for _, r in frame.iterrows() if not is_missing(r.get(column))]
    uniq = list(dict.fromkeys(seen))
    return " + ".join(uniq) if uniq else "unlabelled"


def carbon_column(columns: Iterable[str], phase: str) -> str | None:
    """The gCO2e column of ``phase`` if the results have one."""
    return f"{phase}_gco2e" if f"{phase}_gco2e" in set(columns) else None


def interval_columns(columns: Iterable[str], column: str) -> tuple[str, str] | None:
    """``(low, high)`` column names bounding ``column``, if both exist."""
    cols = set(columns)
    low, high = f"{column}_low", f"{column}_high"
    return (low, high) if low in cols and high in cols else None


def component_columns(columns: Iterable[str]) -> dict[str, str]:
    """``{component name: column}`` for the hardware component columns.

    Examples
    --------
    >>> component_columns(["hw_energy_cryogenics_j", "hw_energy_cryogenics_j_low", "x"])
    {'cryogenics': 'hw_energy_cryogenics_j'}
    >>> component_columns(["hw_energy_j", "hw_energy_fit_j", "hw_energy_typical_j", "hw_energy_control_j"])
    {'control': 'hw_energy_control_j'}
    """
    from qvc.record.results import COLUMNS, HW_COMPONENT_COLUMNS

    out = {}
    for c in columns:
        if c.endswith(_INTERVAL_SUFFIXES) or c.endswith("_method"):
            continue
        m = _COMPONENT.match(c)
        if not m:
            continue
        name = m.group("name")
        if c in HW_COMPONENT_COLUMNS or (c not in COLUMNS and name not in _NOT_COMPONENTS):
            out[name] = c
    return out


def component_total_column(columns: Iterable[str]) -> str | None:
    """The column the components add up to: ``hw_energy_typical_j`` if present, else ``hw_energy_j``."""
    cols = set(columns)
    for c in ("hw_energy_typical_j", "hw_energy_j"):
        if c in cols:
            return c
    return None


def landauer_columns(columns: Iterable[str]) -> list[str]:
    """Columns holding a thermodynamic (Landauer) floor."""
    return [
        c for c in columns
        if "landauer" in c and not c.endswith(_INTERVAL_SUFFIXES) and not c.endswith("_method")
    ]


def attribution_column(columns: Iterable[str]) -> str | None:
    """The column naming the hardware attribution mode, if any."""
    return "hw_attribution" if "hw_attribution" in set(columns) else None


def fmt(value: object, spec: str = ".3g", *, inf: str = "inf") -> str:
    """Format a number for a table: ``'-'`` for missing, ``spec`` for numbers (the one number
    formatter of every report; ``inf`` is how +infinity reads, ``-inf`` stays ``-inf``).

    Examples
    --------
    >>> fmt(0.123456), fmt(float("nan")), fmt(3), fmt("x"), fmt(float("inf"), inf="unbounded")
    ('0.123', '-', '3', 'x', 'unbounded')
    """
    if is_missing(value):
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (hasattr(value, "dtype") and value.dtype.kind in "iu"):
        return str(int(value))  # type: ignore[call-overload]  # int or numpy integer
    if isinstance(value, float) or hasattr(value, "dtype"):
        v = float(value)  # type: ignore[arg-type]  # float or numpy number
        if math.isinf(v):
            return inf if v > 0 else "-inf"
        return format(v, spec)
    return str(value)

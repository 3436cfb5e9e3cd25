"""The committed example (reports/example/) is what a run writes today."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from qvc.record.results import COLUMNS, SCHEMA_VERSION

EXAMPLE = Path(__file__).resolve().parents[1] / "reports" / "example"
REGENERATE = "regenerate it with: bash reports/example/regenerate.sh"


#: Columns added after the example was generated (the integrator regenerates it): an older run
#: folder lacks them and must still report; everything else must match.
NEWER_THAN_EXAMPLE = {
    *(c.name for c in COLUMNS.values() if c.name.startswith("device_")),
    *(c.name for c in COLUMNS.values() if c.name.startswith("ft_")),
    "untrained", "accuracy_test_shot_trained", "shot_trained_shots", "shot_trained_circuits_fit", "shot_training",
    "hw_packing_copies", "hw_utilisation", "hw_packed_copies", "hw_shared_utilisation", "hw_cost_model",
    *(f"hw_energy_{s}_j{e}" for s in ("packed", "shared", "marginal") for e in ("", "_low", "_high")),
    "protocol", "circuit_source",  # issue 28
}


def test_example_results_have_the_columns_a_run_writes():
    header = list(pd.read_csv(EXAMPLE / "results.csv", nrows=0).columns)
    run_columns = [c.name for c in COLUMNS.values() if c.group != "sweep"
                   and (c.name in header or c.name not in NEWER_THAN_EXAMPLE)]
    missing = [c for c in run_columns if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    assert not missing and not unknown, f"example is stale (missing {missing}, unknown {unknown}); {REGENERATE}"
    assert header == run_columns, f"example column order differs from COLUMNS; {REGENERATE}"


def test_example_metadata_matches_the_schema_version():
    meta = json.loads((EXAMPLE / "metadata.json").read_text())
    rows = pd.read_csv(EXAMPLE / "results.csv")
    assert meta["schema_version"] == SCHEMA_VERSION and set(rows["schema_version"]) == {SCHEMA_VERSION}
    assert meta["status"] == "complete"

"""Shared fixtures: small real data, an isolated output folder."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture()
def out_dir(tmp_path):
    """A fresh parent folder for run folders."""
    d = tmp_path / "reports"
    d.mkdir()
    return d

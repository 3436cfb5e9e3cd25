"""Sweeps: kill -9 and resume, the store, progress, and the same rows on a Dask cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from qvc.cli import main
from qvc.experiment.specfile import load_spec_file
from qvc.experiment.sweep import resume_sweep, run_sweep
from qvc.record.results import load_results
from qvc.record.store import PointStore

ROOT = Path(__file__).resolve().parents[1]

#: Columns that do not depend on timing or energy measurement.
DETERMINISTIC = [
    "point_id", "dataset", "model", "qubits", "samples", "seed", "n_train", "n_test",
    "accuracy_train", "accuracy_test", "f1_test", "circuits_fit", "circuits_predict",
    "hw_jobs", "hw_qpu_seconds", "hw_energy_j",
]

SMALL = """
name = "small"
dataset = "iris"
models = ["svm", "qsvc"]
seeds = [1, 2]
qubits = [2, 3]
samples = [24, 40]
"""


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.slow
def test_kill_9_then_resume_runs_every_point_exactly_once(tmp_path):
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(SMALL.replace("samples = [24, 40]", "samples = [24, 32, 40]"))
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "qvc", "sweep", str(spec_path), "--workers", "1", "--quiet",
         "--no-report", "--out", str(out)],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        store_path = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            found = list(out.glob("small-*/points.jsonl"))
            if found and len(found[0].read_text().splitlines()) >= 3:
                store_path = found[0]
                break
            time.sleep(0.02)
        assert store_path is not None, "the sweep stored no points within 120 s"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    run_dir = store_path.parent
    total = len(json.loads((run_dir / "sweep.json").read_text())["points"])
    before = _lines(store_path)
    assert 3 <= len(before) < total, "kill -9 must land midway for this test to mean anything"
    # A crash in the middle of a write leaves a torn last line: simulate one.
    with open(store_path, "ab") as fh:
        fh.write(b'{"point_id": "torn-by-crash", "model": "qs')

    result = resume_sweep(run_dir, workers=1, progress=False)

    assert result.metadata["status"] == "complete"
    assert result.metadata["sessions"][-1]["torn_bytes_discarded"] > 0
    after = _lines(store_path)
    ids = [r["point_id"] for r in after]
    planned = [p["point_id"] for p in json.loads((run_dir / "sweep.json").read_text())["points"]]
    assert sorted(ids) == sorted(planned) and len(ids) == len(set(ids)) == total
    assert after[: len(before)] == before  # rows stored before the kill are unchanged
    frame = load_results(run_dir)
    assert len(frame) == total and frame["point_id"].is_unique
    # Resuming a finished sweep runs nothing and changes nothing.
    again = resume_sweep(run_dir, workers=1, progress=False)
    assert again.metadata["sessions"][-1]["points_to_run"] == 0 and _lines(store_path) == after


@pytest.mark.slow
def test_sweep_cli_writes_store_csv_report_and_progress(tmp_path, capsys):
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text('name = "cli"\ndataset = "iris"\nmodels = ["svm", "qsvc"]\n'
                         "qubits = [2, 3, 4]\nsamples = 24\nseeds = 3\n")
    assert main(["sweep", str(spec_path), "--workers", "1", "--out", str(tmp_path)]) == 0
    cap = capsys.readouterr()
    assert "[6/6] 100%" in cap.err and "ETA" in cap.err
    run_dir = next(tmp_path.glob("cli-*"))
    for name in ("sweep.json", "spec.toml", "points.jsonl", "results.csv", "sweep_report.md",
                 "sweep_report.html", "breakeven.csv", "fits.csv"):
        assert (run_dir / name).is_file(), name
    assert not (run_dir / "plots").exists()  # figures are inline SVG in the page
    frame = load_results(run_dir)
    assert sorted(frame["qubits"].tolist()) == [2, 2, 3, 3, 4, 4]
    assert set(frame.loc[frame.model == "qsvc", "hw_energy_method"]) == {"modelled"}
    page = (run_dir / "sweep_report.html").read_text()
    assert "Break-even" in page and "<svg" in page and "accuracy" in page
    be = pd.read_csv(run_dir / "breakeven.csv")
    assert {"simulator", "interval_sources", "extrapolation", "status"} <= set(be.columns)
    # A second sweep process cannot run in the same folder at once.
    lock = open(run_dir / ".lock", "a+")
    import fcntl

    fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        assert main(["sweep", "--resume", str(run_dir), "--quiet", "--no-report"]) == 2
        assert "in use" in capsys.readouterr().err
    finally:
        lock.close()


def test_store_drops_torn_line_and_never_duplicates(tmp_path):
    store = PointStore(tmp_path).open()
    store.append({"point_id": "a", "x": 1.0})
    store.append({"point_id": "a", "x": 2.0})  # same point again: ignored
    with open(store.path, "ab") as fh:
        fh.write(b'{"point_id": "b", "x"')
    reopened = PointStore(tmp_path).open()
    assert reopened.rows() == [{"point_id": "a", "x": 1.0}]
    assert reopened.torn_bytes > 0 and store.path.read_bytes().endswith(b"\n")


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_rows_as_the_local_pool(tmp_path):
    distributed = pytest.importorskip("distributed")
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(SMALL.replace("seeds = [1, 2]", "seeds = [1]"))
    spec = load_spec_file(spec_path)
    local = run_sweep(spec, workers=2, out_dir=tmp_path / "local", progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = run_sweep(spec, scheduler=cluster.scheduler_address, out_dir=tmp_path / "dask",
                           progress=False)
    a = load_results(local.run_dir).sort_values("point_id").reset_index(drop=True)[DETERMINISTIC]
    b = load_results(remote.run_dir).sort_values("point_id").reset_index(drop=True)[DETERMINISTIC]
    assert len(a) == len(spec.points) == 8
    import pandas as pd

    pd.testing.assert_frame_equal(a, b)
    sessions = remote.metadata["sessions"]
    assert sessions[-1]["executor"]["scheduler"] == cluster.scheduler_address
    assert "Dask" in sessions[-1]["executor"]["where"]


def test_scheduler_without_cluster_is_a_usage_error(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setenv("QVC_DASK_CONNECT_TIMEOUT", "1s")
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text('dataset = "iris"\nmodels = ["svm"]\nqubits = 2\n')
    code = main(["sweep", str(spec_path), "--scheduler", "tcp://127.0.0.1:1", "--quiet", "--no-report",
                 "--out", str(tmp_path)])
    assert code == 2 and "Dask scheduler" in capsys.readouterr().err

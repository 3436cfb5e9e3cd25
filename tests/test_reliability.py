"""Fault injection, one test (or more) per defect of issue #15.

Every fault must end in one line on stderr and exit code 2 (or the stated
behaviour), leave nothing half-made and nothing pre-existing modified, and the
status a run folder claims must be true.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from qvc import _preflight, _validation
from qvc.cli import main
from qvc.errors import QvcUsageError

ROOT = Path(__file__).resolve().parents[1]
MiB = 2**20


def _one_line(err: str, *needles: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1, err
    assert lines[0].startswith("qvc: error:") and "Traceback" not in err, err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- 1. memory limits of containers (cgroup v1 and v2, read from a file tree) ------------------
def _cgroup_v2(root: Path, limit: int | str, current: int, *, rel: str = "/", inactive: int = 0) -> Path:
    proc = root / "proc-self-cgroup"
    proc.write_text(f"0::{rel}\n")
    level = root / rel.strip("/") if rel.strip("/") else root
    level.mkdir(parents=True, exist_ok=True)
    (root / "cgroup.controllers").write_text("cpu memory pids\n")
    (level / "memory.max").write_text(f"{limit}\n")
    (level / "memory.current").write_text(f"{current}\n")
    (level / "memory.stat").write_text(f"anon {current - inactive}\nfile {inactive}\ninactive_file {inactive}\n")
    return proc


def _cgroup_v1(root: Path, limit: int, usage: int, *, rel: str = "/", inactive: int = 0) -> Path:
    proc = root / "proc-self-cgroup"
    proc.write_text(f"12:pids:{rel}\n4:memory:{rel}\n1:name=systemd:{rel}\n0::/\n")
    level = root / "memory" / rel.strip("/") if rel.strip("/") else root / "memory"
    level.mkdir(parents=True, exist_ok=True)
    (level / "memory.limit_in_bytes").write_text(f"{limit}\n")
    (level / "memory.usage_in_bytes").write_text(f"{usage}\n")
    (level / "memory.stat").write_text(
        f"cache {inactive}\nrss {usage}\ninactive_file {inactive}\n"
        f"hierarchical_memory_limit {limit}\ntotal_inactive_file {inactive}\n")
    return proc


def test_cgroup_v2_limit_minus_usage_counts_reclaimable_cache(tmp_path):
    proc = _cgroup_v2(tmp_path, 768 * MiB, 300 * MiB, inactive=100 * MiB)
    assert _validation.cgroup_memory_headroom(tmp_path, proc) == 768 * MiB - 200 * MiB


def test_cgroup_v2_unlimited_and_nested_limits(tmp_path):
    proc = _cgroup_v2(tmp_path, "max", 10 * MiB)
    assert _validation.cgroup_memory_headroom(tmp_path, proc) is None
    # a limited parent wins over an unlimited child
    proc = _cgroup_v2(tmp_path, 512 * MiB, 12 * MiB, rel="/ci.slice")
    child = tmp_path / "ci.slice" / "job-1"
    child.mkdir()
    (child / "memory.max").write_text("max\n")
    (child / "memory.current").write_text(f"{10 * MiB}\n")
    proc.write_text("0::/ci.slice/job-1\n")
    assert _validation.cgroup_memory_headroom(tmp_path, proc) == 500 * MiB


def test_cgroup_v1_limit_unlimited_and_container_namespace(tmp_path):
    proc = _cgroup_v1(tmp_path, 768 * MiB, 268 * MiB)
    assert _validation.cgroup_memory_headroom(tmp_path, proc) == 500 * MiB
    # the kernel writes "no limit" as 2**63 rounded down to a page
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    (tmp_path / "memory" / "memory.stat").write_text("hierarchical_memory_limit 9223372036854771712\n")
    assert _validation.cgroup_memory_headroom(tmp_path, proc) is None
    # inside a container the listed host path does not exist under the mount: the mount root is the cgroup
    other = tmp_path / "ns"
    other.mkdir()
    proc = _cgroup_v1(other, 1024 * MiB, 24 * MiB)
    proc.write_text("4:memory:/docker/0123abcd\n")
    assert _validation.cgroup_memory_headroom(other, proc) == 1000 * MiB


def test_no_cgroup_files_means_no_limit(tmp_path):
    assert _validation.cgroup_memory_headroom(tmp_path, tmp_path / "missing") is None


@pytest.fixture()
def container_768mib(tmp_path, monkeypatch):
    """This process in a 768 MiB cgroup v2; in use: this process's memory plus 30 MiB of others.

    The run stack is imported first, so the usage written into the fake tree is what the
    kernel would report while qvc runs. Should a check let the run through, the simulation
    fails at once instead of running for minutes.
    """
    import psutil

    import qvc.experiment.runner  # noqa: F401
    import qvc.models.quantum  # noqa: F401
    import qvc.quantum.kernels as kernels

    def reached(*_a, **_k):
        raise AssertionError("the simulation started: the memory guard let it through")

    monkeypatch.setattr(kernels, "batched_statevectors", reached)
    root = tmp_path / "cgroup"
    root.mkdir()
    proc = _cgroup_v2(root, 768 * MiB, psutil.Process().memory_info().rss + 30 * MiB)
    monkeypatch.setattr(_validation, "CGROUP_ROOT", root)
    monkeypatch.setattr(_validation, "PROC_SELF_CGROUP", proc)
    return root


def test_memory_guard_uses_the_container_limit_and_writes_nothing(container_768mib, out_dir, capsys):
    assert _validation.available_memory_bytes() <= 738 * MiB
    # the kernel builds its Gram matrix in blocks when N states do not fit, but two 512 MiB
    # states (25 qubits) do not fit in 768 MiB
    code = main(["run", "breast_cancer", "--qubits", "25", "--samples", "200", "--models", "qsvc",
                 "--out", str(out_dir)])
    assert code == 2
    _one_line(capsys.readouterr().err, "qsvc at 25 qubits on 200 samples", "container", "--qubits")
    assert list(out_dir.iterdir()) == []


# -- 2 and 3. argument-only checks come first: before heavy imports and before any folder ------
_PROBE = """
import json, sys, time
from qvc.cli import main
out = {}
for name, args in json.loads(sys.argv[1]).items():
    t0 = time.perf_counter()
    code = main(args)
    out[name] = code
heavy = sorted(m for m in ("qiskit", "sklearn", "pandas", "scipy", "qiskit_machine_learning",
                           "qiskit_ibm_runtime", "matplotlib") if m in sys.modules)
print(json.dumps({"codes": out, "heavy": heavy}))
"""


def test_usage_errors_import_nothing_heavy_and_write_nothing(tmp_path):
    out = tmp_path / "runs"
    afile = tmp_path / "afile"
    afile.write_text("x")
    cases = {
        "unknown dataset": ["run", "nosuch", "--out", str(out)],
        # 426 training states of 4 GiB: a few fit, the blocked Gram step would recompute them ~50x
        "memory at 28 qubits": ["run", "breast_cancer", "--qubits", "28", "--models", "qsvc", "--out", str(out)],
        "qubits vs features": ["run", "iris", "--qubits", "9", "--out", str(out)],
        "absurd shots": ["run", "iris", "--shots", str(10**20), "--out", str(out)],
        "absurd seed": ["run", "iris", "--seeds", str(2**40), "--out", str(out)],
        "out is a file": ["run", "iris", "--out", str(afile)],
        "unknown model": ["run", "iris", "--models", "svm,nn", "--out", str(out)],
        "csv is a folder": ["run", "--csv", str(tmp_path), "--target", "y", "--out", str(out)],
    }
    proc = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(cases)], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["codes"] == {k: 2 for k in cases}, proc.stderr
    assert result["heavy"] == [], result  # validated before qiskit, scikit-learn, pandas are imported
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == len(cases) and all(ln.startswith("qvc: error:") for ln in lines), proc.stderr
    assert "qsvc at 28 qubits on 569 samples" in proc.stderr and "must be <= 4" in proc.stderr
    assert not out.exists()  # no folder at all


def test_dataset_shapes_match_the_loaders():
    from qvc.data import DATASETS, DEFAULT_QUBITS
    from qvc.data.datasets import _load_ad_hoc, _load_raw

    assert set(_preflight.DATASET_SHAPES) == set(DATASETS)
    for name, (n, f) in _preflight.DATASET_SHAPES.items():
        X, _ = _load_ad_hoc(3, 0) if name == "ad_hoc" else _load_raw(name, 0, None)
        if f == 0:  # generated in as many features as asked
            assert X.shape[0] == n and _load_raw(name, 0, 16)[0].shape == (n, 16), name
        else:
            assert X.shape == (n, f), name
    assert _preflight.DEFAULT_QUBITS == DEFAULT_QUBITS


def test_model_names_match_the_registry():
    from qvc.models import registry

    assert _preflight.MODEL_NAMES == registry.MODEL_NAMES
    assert _preflight.DEFAULT_MODELS == registry.DEFAULT_MODELS
    assert _preflight.FRONTIER_MODELS == registry.FRONTIER_MODELS
    assert _preflight.QUANTUM_MODELS == registry.QUANTUM_MODELS


def test_library_run_checks_memory_before_the_folder(container_768mib, out_dir):
    from qvc.experiment import ExperimentSpec, run_experiment

    spec = ExperimentSpec("breast_cancer", qubits=25, samples=200, models=("qsvc",), out_dir=str(out_dir))
    with pytest.raises(QvcUsageError, match="container"):
        run_experiment(spec, progress=None)
    assert list(out_dir.iterdir()) == []


# -- 4. non-finite and overflowing CSV values ---------------------------------------------------
@pytest.mark.parametrize("value, what", [("inf", "not a finite number"), ("-inf", "not a finite number"),
                                         ("1e308", "scaling overflows"), ("-1.7e308", "scaling overflows")])
def test_csv_non_finite_or_huge_value_names_column_and_row(tmp_path, out_dir, capsys, value, what):
    csv = tmp_path / "data.csv"
    rows = [f"{i % 3}.5,{i},{i % 2}" for i in range(12)]
    rows[6] = f"1.5,{value},0"
    csv.write_text("a,b,label\n" + "\n".join(rows) + "\n")
    assert main(["run", "--csv", str(csv), "--target", "label", "--models", "svm", "--out", str(out_dir)]) == 2
    _one_line(capsys.readouterr().err, "column 'b'", "row 7", what)
    assert list(out_dir.iterdir()) == []


# -- 5. file-system faults ----------------------------------------------------------------------
def _mount_tmpfs(path: Path, options: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_out_is_a_file_or_below_a_file(tmp_path, capsys):
    f = tmp_path / "plain"
    f.write_text("keep")
    assert main(["run", "iris", "--models", "svm", "--out", str(f)]) == 2
    _one_line(capsys.readouterr().err, "is a file")
    assert main(["run", "iris", "--models", "svm", "--out", str(f / "sub")]) == 2
    _one_line(capsys.readouterr().err, "which is a file")
    assert f.read_text() == "keep"


@pytest.fixture()
def read_only_dir(tmp_path):
    """A read-only folder: a read-only tmpfs where we may mount one, else a chmod 555 folder."""
    d = tmp_path / "ro"
    if _mount_tmpfs(d, "ro,size=1m"):
        yield d
        _umount(d)
        return
    d.mkdir(exist_ok=True)
    d.chmod(0o555)
    if os.access(d, os.W_OK):
        pytest.skip("cannot make a read-only folder here (root without mount)")
    yield d
    d.chmod(0o755)


def test_read_only_out_for_run_and_sweep(read_only_dir, tmp_path, capsys):
    assert main(["run", "iris", "--models", "svm", "--out", str(read_only_dir)]) == 2
    _one_line(capsys.readouterr().err, "cannot write", "choose another --out")
    spec = tmp_path / "s.toml"
    spec.write_text('dataset = "iris"\nmodels = ["svm"]\nqubits = 2\nsamples = 20\n')
    assert main(["sweep", str(spec), "--workers", "1", "--quiet", "--out", str(read_only_dir)]) == 2
    _one_line(capsys.readouterr().err, "cannot write")
    spec.write_text(f'dataset = "iris"\nmodels = ["svm"]\nout_dir = "{read_only_dir}"\n')
    assert main(["sweep", str(spec), "--workers", "1", "--quiet"]) == 2
    _one_line(capsys.readouterr().err, "out_dir")


def test_write_fault_in_the_middle_is_one_line_and_status_says_failed(out_dir, monkeypatch, capsys):
    """results.csv cannot be written (the disk filled up after the folder was made)."""
    import qvc.experiment.runner as runner

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out_dir / "results.csv"))

    monkeypatch.setattr(runner, "write_results", full)
    assert main(["run", "iris", "--models", "svm", "--out", str(out_dir), "--quiet"]) == 2
    _one_line(capsys.readouterr().err, "No space left on device", "errno 28", "free disk space")
    (run,) = out_dir.iterdir()
    meta = json.loads((run / "metadata.json").read_text())
    assert meta["status"] == "failed: results not written (No space left on device)"


def test_report_not_written_is_the_status_not_complete(out_dir, monkeypatch, capsys):
    """Injected ENOSPC while writing report.html: metadata.json must not say 'complete'."""
    import qvc.report.build as build

    real = build.atomic_write_text

    def full_for_html(path, text):
        if path.name == "report.html":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, text)

    monkeypatch.setattr(build, "atomic_write_text", full_for_html)
    assert main(["run", "iris", "--models", "svm", "--seeds", "42", "--out", str(out_dir), "--quiet"]) == 2
    _one_line(capsys.readouterr().err, "No space left on device")
    (run,) = out_dir.iterdir()
    meta = json.loads((run / "metadata.json").read_text())
    assert meta["status"] == "failed: report not written (No space left on device)"
    assert not (run / "report.html").exists()
    assert len(pd.read_csv(run / "results.csv")) == 1  # the rows are kept


def test_full_disk_on_a_real_size_limited_tmpfs(tmp_path, capsys):
    """A real ENOSPC: a 1 MiB tmpfs, nearly filled; the run's report does not fit."""
    disk = tmp_path / "small"
    if not _mount_tmpfs(disk, "size=1m"):
        pytest.skip("cannot mount a size-limited tmpfs here (needs root and mount)")
    try:
        (disk / "filler").write_bytes(b"\0" * (1024 * 1024 - 96 * 1024))  # leave ~96 KiB
        code = main(["run", "iris", "--models", "svm", "--seeds", "42,43,44", "--out", str(disk), "--quiet"])
        err = capsys.readouterr().err
        assert code == 2
        _one_line(err, "No space left on device")
        runs = [p for p in disk.iterdir() if p.is_dir()]
        assert len(runs) == 1
        meta = json.loads((runs[0] / "metadata.json").read_text())
        assert meta["status"] != "complete"
        assert meta["status"].startswith(("failed:", "running"))
        if meta["status"] == "running":  # not even metadata.json could be rewritten: the report says so
            from qvc.report.build import load_metadata

            assert load_metadata(runs[0])["status"].startswith("interrupted")
    finally:
        _umount(disk)


# -- 6. corrupted IBM job ledger ----------------------------------------------------------------
@pytest.fixture()
def damaged_store(out_dir, monkeypatch):
    monkeypatch.delenv("QVC_IBM_LEDGER", raising=False)
    path = out_dir / "ibm_ledger.sqlite"
    path.write_bytes(b"this is not an SQLite database; a disk error wrote over it\n" * 200)
    return path


def test_damaged_ledger_status_fetch_and_run(damaged_store, out_dir, capsys):
    before = damaged_store.read_bytes()
    assert main(["ibm", "status", "--ledger", str(damaged_store)]) == 2
    line = _one_line(capsys.readouterr().err, str(damaged_store), "damaged", "move it aside", "re-fetched by id")
    assert "DatabaseError" in line
    assert main(["ibm", "fetch", "--ledger", str(damaged_store)]) == 2
    _one_line(capsys.readouterr().err, "damaged")
    assert main(["run", "iris", "--qubits", "2", "--samples", "12", "--models", "qsvc",
                 "--execution", "ibm:fake_manila", "--out", str(out_dir), "--quiet"]) == 2
    _one_line(capsys.readouterr().err, "damaged", "move it aside")
    assert [p.name for p in out_dir.iterdir()] == ["ibm_ledger.sqlite"]  # no half-made run folder
    assert damaged_store.read_bytes() == before


# -- 7. absurd numbers, and planning progress for large sweeps ----------------------------------
def test_estimate_draws_and_shots_are_bounded_with_the_reason(tmp_path, capsys):
    qasm = tmp_path / "bell.qasm"
    qasm.write_text('OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; h q[0]; cx q[0],q[1];')
    assert main(["estimate", str(qasm), "--device", "ibm_heron", "--shots", "100",
                 "--draws", "1000000000"]) == 2
    _one_line(capsys.readouterr().err, "--draws must be <= 1000000", "GiB")
    assert main(["estimate", str(qasm), "--device", "ibm_heron", "--shots", str(10**20)]) == 2
    _one_line(capsys.readouterr().err, "--shots must be <=", "QPU time")


def test_spec_with_200000_seeds_is_refused_at_once(tmp_path, capsys):
    spec = tmp_path / "huge.toml"
    spec.write_text('dataset = "iris"\nmodels = ["svm", "mlp"]\nseeds = ['
                    + ", ".join(str(i) for i in range(200_000)) + "]\n")
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out")]) == 2
    _one_line(capsys.readouterr().err, "400,000 points", "'seeds'", "split the sweep")
    assert not (tmp_path / "out").exists()


def test_spec_bounds_shots_and_seeds(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text(f'dataset = "iris"\nmodels = ["svm"]\nshots = {10**15}\n')
    assert main(["sweep", str(spec)]) == 2
    _one_line(capsys.readouterr().err, "'shots'", "QPU time")
    spec.write_text(f'dataset = "iris"\nmodels = ["svm"]\nseeds = [1, {2**33}]\n')
    assert main(["sweep", str(spec)]) == 2
    _one_line(capsys.readouterr().err, "'seeds'", "32-bit")


def test_large_sweep_shows_planning_progress(tmp_path, monkeypatch):
    from qvc.experiment import specfile

    monkeypatch.setattr(specfile._PlanningProgress.__init__, "__kwdefaults__", {"every_s": 0.0})
    spec = tmp_path / "s.toml"
    spec.write_text('dataset = "iris"\nmodels = ["svm"]\nqubits = 2\nseeds = ['
                    + ", ".join(str(i) for i in range(300)) + "]\n")
    lines: list[str] = []
    loaded = specfile.load_spec_file(spec, progress=lines.append)
    assert len(loaded.points) == 300
    assert lines and lines[-1] == "planning the sweep: checked 300/300 points (done)"
    assert any("ETA" in ln for ln in lines)


def test_report_refuses_infinite_accuracy(iris_run, tmp_path, capsys):
    run = tmp_path / "copy"
    shutil.copytree(iris_run, run)
    frame = pd.read_csv(run / "results.csv")
    frame.loc[1, "accuracy_test"] = float("inf")
    frame.to_csv(run / "results.csv", index=False)
    before = _snapshot(run)
    assert main(["report", str(run)]) == 2
    _one_line(capsys.readouterr().err, "'accuracy_test'", "row 2", "[0, 1]")
    assert _snapshot(run) == before


# -- 8. Markdown is escaped like HTML -----------------------------------------------------------
def _outside_code(path: Path) -> str:
    """report.md without its fenced code blocks (where text is shown verbatim, never rendered)."""
    out, fence = [], None
    for line in path.read_text().splitlines():
        if fence is None and line.startswith("```"):
            fence = line
        elif fence is not None and line == fence:
            fence = None
        elif fence is None:
            out.append(line)
    return "\n".join(out)


def test_report_md_escapes_file_names_and_metadata(tmp_path, out_dir, capsys):
    evil = tmp_path / "<img src=x onerror=alert(1)>.csv"
    evil.write_text("a,b,y\n" + "\n".join(f"{i % 5}.1,{i % 7}.2,{i % 2}" for i in range(20)) + "\n")
    assert main(["run", "--csv", str(evil), "--target", "y", "--models", "svm", "--out", str(out_dir),
                 "--quiet"]) == 0
    (run,) = [p for p in out_dir.iterdir() if p.is_dir()]
    md = _outside_code(run / "report.md")
    assert "<img" not in md.replace("\\<img", "")  # escaped in text; verbatim only inside code fences
    meta = json.loads((run / "metadata.json").read_text())
    meta["run_id"] = "x\n# Injected heading\n[click](javascript:alert(1))"
    (run / "metadata.json").write_text(json.dumps(meta))
    assert main(["report", str(run)]) == 0
    md = _outside_code(run / "report.md")
    assert not any(ln.startswith("# Injected") for ln in md.splitlines())
    assert not re.search(r"(?<!\\)\]\(javascript:", md)


# -- 9. other tracebacks: metadata with wrong types, non-UTF-8 spec files -----------------------
@pytest.mark.parametrize("key, value, words", [("config", None, "'config' should be an object, not null"),
                                               ("meter", 5, "'meter' should be an object, not a number"),
                                               ("seeds", "1,2", "'seeds' should be a list")])
def test_report_on_metadata_with_wrong_types(iris_run, tmp_path, capsys, key, value, words):
    run = tmp_path / "copy"
    shutil.copytree(iris_run, run)
    meta = json.loads((run / "metadata.json").read_text())
    meta[key] = value
    (run / "metadata.json").write_text(json.dumps(meta))
    before = _snapshot(run)
    assert main(["report", str(run)]) == 2
    _one_line(capsys.readouterr().err, words, "restore it or re-run")
    assert _snapshot(run) == before


def test_spec_file_with_non_utf8_bytes(tmp_path, capsys):
    spec = tmp_path / "latin1.toml"
    spec.write_bytes('name = "caf\u00e9"\ndataset = "iris"\n'.encode("latin-1"))
    assert main(["sweep", str(spec)]) == 2
    _one_line(capsys.readouterr().err, "line 1 is not UTF-8", "0xe9")


# -- 10. network down vs timeout vs rejected credentials ----------------------------------------
def _chained(outer: Exception, *causes: BaseException) -> Exception:
    """``outer`` raised from ``causes[0]`` raised from ``causes[1]`` ... as the library does."""
    try:
        chain = list(causes)
        exc: BaseException | None = None
        for c in reversed(chain):
            c.__cause__ = exc
            exc = c
        outer.__cause__ = exc
        raise outer
    except Exception as caught:
        return caught


def test_ibm_network_down_timeout_and_rejected_credentials_are_different_lines(monkeypatch):
    import requests
    import urllib3
    from qiskit_ibm_runtime.accounts.exceptions import InvalidAccountError

    from qvc.quantum.ibm import service

    msg = "Unable to retrieve instances. Please check that you are using a valid API token."
    gai = socket.gaierror(-2, "Name or service not known")
    # what qiskit-ibm-runtime raised here with no network (urllib3's NameResolutionError is a
    # ConnectTimeoutError subclass, so it must not read as a timeout)
    down = _chained(InvalidAccountError(msg), requests.exceptions.ConnectionError("Max retries exceeded"),
                    urllib3.exceptions.MaxRetryError(None, "/identity/token"),
                    urllib3.exceptions.NameResolutionError("iam.cloud.ibm.com", None, gai), gai)
    slow = _chained(InvalidAccountError(msg), requests.exceptions.ReadTimeout("Read timed out. (read timeout=30)"),
                    urllib3.exceptions.ReadTimeoutError(None, "/", "Read timed out."))
    rejected = InvalidAccountError(msg)
    seen = {}
    for name, exc in {"down": down, "slow": slow, "rejected": rejected}.items():
        def raise_it(*_a, _exc=exc, **_k):
            raise _exc

        monkeypatch.setattr("qiskit_ibm_runtime.QiskitRuntimeService", raise_it)
        with pytest.raises(QvcUsageError) as info:
            service.connect_service()
        seen[name] = str(info.value)
    assert seen["down"].startswith("cannot reach IBM Quantum") and "Name or service not known" in seen["down"]
    assert "credentials were not checked" in seen["down"]
    assert seen["slow"].startswith("IBM Quantum did not answer in time") and "timed out" in seen["slow"]
    assert seen["rejected"].startswith("IBM Quantum rejected the credentials")
    assert len({v.split(" (")[0] for v in seen.values()}) == 3


# -- 11. dead runs are shown as interrupted -----------------------------------------------------
def test_dead_run_is_shown_as_interrupted_by_report_and_index(iris_run, tmp_path, capsys):
    meta = json.loads((iris_run / "metadata.json").read_text())
    assert meta["pid"] > 0 and meta["host"] == socket.gethostname()
    parent = tmp_path / "runs"
    run = parent / "iris-dead"
    shutil.copytree(iris_run, run)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    meta.update(status="running", pid=dead.pid, process_started=1.0, finished_utc=None)
    (run / "metadata.json").write_text(json.dumps(meta))
    alive = parent / "iris-alive"
    shutil.copytree(iris_run, alive)
    from qvc.record.metadata import process_identity

    (alive / "metadata.json").write_text(json.dumps({**meta, **process_identity()}))
    assert main(["report", str(run)]) == 0
    assert f"interrupted (process {dead.pid}" in (run / "report.md").read_text()
    assert json.loads((run / "metadata.json").read_text())["status"] == "running"  # the file is not edited
    assert main(["report", "--index", str(parent)]) == 0
    index = (parent / "index.md").read_text()
    dead_line = next(ln for ln in index.splitlines() if "iris-dead" in ln)
    alive_line = next(ln for ln in index.splitlines() if "iris-alive" in ln)
    assert "interrupted" in dead_line and alive_line.rstrip(" |").endswith("running")


# -- 12. fetch on a complete run is a no-op -----------------------------------------------------
def test_fetch_no_wait_on_a_complete_run_changes_nothing(out_dir, monkeypatch, capsys):
    monkeypatch.delenv("QVC_IBM_LEDGER", raising=False)
    assert main(["run", "iris", "--qubits", "2", "--samples", "12", "--shots", "64", "--models", "qsvc",
                 "--execution", "ibm:fake_manila", "--out", str(out_dir), "--quiet"]) == 0
    (run,) = [p for p in out_dir.iterdir() if p.name.startswith("iris-")]
    before = _snapshot(run)
    capsys.readouterr()
    for extra in (["--no-wait"], []):
        assert main(["ibm", "fetch", str(run), *extra]) == 0
        assert "already complete; nothing fetched, nothing re-run" in capsys.readouterr().out
    assert _snapshot(run) == before


# -- 13. the smaller ones -----------------------------------------------------------------------
def test_csv_folder_devnull_and_header_only(tmp_path, out_dir, capsys):
    header = tmp_path / "header.csv"
    header.write_text("a,b,y\n")
    cases = [(tmp_path, "is a folder"), (Path(os.devnull), "not a regular file"),
             (header, "header row but no data rows")]
    for path, words in cases:
        assert main(["run", "--csv", str(path), "--target", "y", "--out", str(out_dir)]) == 2
        _one_line(capsys.readouterr().err, words)
    from qvc.data.datasets import load_csv

    for path, words in cases:
        with pytest.raises(QvcUsageError, match=words):
            load_csv(path, "y")


def test_qasm_empty_and_includes_restricted(tmp_path, capsys):
    from qvc.quantum.qasm import load_qasm

    empty = tmp_path / "empty.qasm"
    empty.write_text("")
    with pytest.raises(QvcUsageError, match="the file is empty"):
        load_qasm(empty)
    secret = tmp_path.parent / "secret-outside.inc"
    secret.write_text("TOPSECRETTOKEN;\n")
    circuit = tmp_path / "c.qasm"
    for target in (str(secret), "../secret-outside.inc", "/etc/passwd"):
        circuit.write_text(f'OPENQASM 2.0;\ninclude "{target}";\nqreg q[1];\n')
        assert main(["estimate", str(circuit), "--device", "ibm_heron", "--shots", "10"]) == 2
        line = _one_line(capsys.readouterr().err, "is not allowed", "own folder")
        assert "TOPSECRETTOKEN;" not in line and "root:x" not in line
    (tmp_path / "link.inc").symlink_to(secret)
    circuit.write_text('OPENQASM 2.0;\ninclude "link.inc";\nqreg q[1];\n')
    with pytest.raises(QvcUsageError, match="not allowed"):
        load_qasm(circuit)
    circuit.write_text('OPENQASM 3.0;\ninclude "other.inc";\nqubit[1] q;\n')
    with pytest.raises(QvcUsageError, match="only stdgates.inc"):
        load_qasm(circuit)
    (tmp_path / "mine.inc").write_text("gate myh a { h a; }\n")
    circuit.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\ninclude "mine.inc";\nqreg q[1];\nmyh q[0];\n')
    assert load_qasm(circuit).num_qubits == 1  # its own folder is fine


def test_local_ibm_backend_does_not_warn_about_fake_nighthawk():
    from qvc.quantum.ibm.service import LocalGateway

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert LocalGateway().backend("fake_manila").num_qubits == 5
    assert not [w for w in caught if "nighthawk" in str(w.message)]


# -- progress inside a long model step ----------------------------------------------------------
def test_progress_inside_a_model_fit_on_stderr_quiet_and_never_in_json(out_dir, monkeypatch, capsys):
    from qvc import _progress

    monkeypatch.setattr(_progress, "EVERY_S", 0.0)
    monkeypatch.setattr(_progress, "FIRST_AFTER_S", 0.0)
    base = ["run", "iris", "--qubits", "2", "--samples", "24", "--max-iter", "8", "--seeds", "42", "--no-tune",
            "--out", str(out_dir)]
    assert main([*base, "--models", "qsvc,vqc", "--execution", "shots"]) == 0
    err = capsys.readouterr().err
    qsvc = [ln for ln in err.splitlines() if ln.startswith("qvc: [1/2] qsvc: ") and "ETA" in ln]
    vqc = [ln for ln in err.splitlines() if ln.startswith("qvc: [2/2] vqc: ") and "ETA" in ln]
    assert qsvc and all("statevectors" in ln for ln in qsvc), err
    assert vqc and any("/8 optimizer evaluations budgeted" in ln for ln in vqc), err
    shares = [int(ln.split(": ")[2].split(" %")[0]) for ln in vqc if "optimizer" in ln]
    assert shares == sorted(shares)  # never goes back
    assert main([*base, "--models", "qsvc", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert main([*base, "--models", "qsvc", "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and json.loads(captured.out)["rows"][0]["model"] == "qsvc"


# =============================================================================================
# Issue #31: the faults that schedulers, hostile files and shared folders bring
# =============================================================================================
def _signal_a_real_process(args: list[str], out: Path, signame: str) -> tuple[int, str, list]:
    """Start ``qvc ARGS --out OUT`` in a subprocess, send ``signame`` once it has written rows;
    return its exit code, stderr and the child processes it had when signalled."""
    import signal
    import time

    import psutil

    proc = subprocess.Popen([sys.executable, "-m", "qvc", *args, "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 240
        while not list(out.glob("*/results.csv")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the command ended before any row was written: make it longer"
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(getattr(signal, signame))
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, err, children


def _no_survivor(children: list) -> None:
    import psutil

    alive = []
    for child in children:
        try:
            if child.is_running() and child.status() != psutil.STATUS_ZOMBIE:
                alive.append(child.pid)
        except psutil.NoSuchProcess:
            pass
    assert not alive, f"processes {alive} outlived the signalled qvc"


@pytest.mark.parametrize("signame,code", [("SIGTERM", 143), ("SIGHUP", 129)])
def test_signal_ends_a_run_like_ctrl_c(tmp_path, signame, code):
    out = tmp_path / "runs"
    seeds = ",".join(str(s) for s in range(1, 13))
    rc, err, children = _signal_a_real_process(
        ["run", "iris", "--qubits", "2", "--models", "svm,qsvc", "--no-tune", "--seeds", seeds, "--quiet"],
        out, signame)
    assert rc == code, err
    _one_line(err.replace("qvc: stopped", "qvc: error: stopped"), f"stopped by {signame}")
    (run,) = out.iterdir()
    meta = json.loads((run / "metadata.json").read_text())
    assert meta["status"] == f"interrupted: {signame}" and meta["finished_utc"]
    rows = pd.read_csv(run / "results.csv")
    assert 0 < len(rows) < 24  # the finished rows, not the whole run
    assert (run / "report.md").exists() and (run / "report.html").exists()
    _no_survivor(children)


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_signal_ends_a_sweep_and_its_workers(tmp_path, signame):
    spec = tmp_path / "s.toml"
    spec.write_text('dataset = "iris"\nmodels = ["svm", "qsvc"]\nseeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n'
                    'qubits = [2, 3]\ntune = false\n')
    out = tmp_path / "runs"
    rc, err, children = _signal_a_real_process(["sweep", str(spec), "--workers", "2"], out, signame)
    assert rc == 128 + {"SIGTERM": 15, "SIGHUP": 1}[signame], err
    assert err.strip().splitlines()[-1].startswith(f"qvc: stopped by {signame}") and "Traceback" not in err
    (run,) = out.iterdir()
    meta = json.loads((run / "sweep.json").read_text())
    assert meta["status"] == f"interrupted: {signame}"
    assert meta["pid"] > 0 and meta["host"] == socket.gethostname()
    stored = [json.loads(ln) for ln in (run / "points.jsonl").read_text().splitlines()]
    assert 0 < len(stored) < 40 and len(pd.read_csv(run / "results.csv")) == len(stored)
    assert len(children) >= 2  # the pool had started its workers
    _no_survivor(children)


def test_a_dead_sweep_shows_as_interrupted_in_the_index(tmp_path, capsys):
    from qvc.experiment.specfile import load_spec_file
    from qvc.experiment.sweep import run_sweep
    from qvc.record.runfolder import read_sweep_meta, write_sweep_meta

    spec = tmp_path / "s.toml"
    spec.write_text('dataset = "iris"\nmodels = ["svm"]\nseeds = [1]\nqubits = [2]\nsamples = 40\n')
    res = run_sweep(load_spec_file(spec), workers=1, out_dir=tmp_path / "runs", progress=False)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    meta = read_sweep_meta(res.run_dir)
    meta.update(status="running", pid=dead.pid, process_started=1.0)
    write_sweep_meta(meta, res.run_dir)
    assert main(["report", "--index", str(tmp_path / "runs")]) == 0
    line = next(ln for ln in (tmp_path / "runs" / "index.md").read_text().splitlines() if res.run_dir.name in ln)
    assert f"interrupted (process {dead.pid}" in line


# -- issue 31 / 2. bounded inputs: circuit files and device files ask for bounded work ---------
def _chain(n: int, calls: int) -> str:
    defs = ["gate g0 a { h a; }"] + [f"gate g{i} a {{ {' '.join([f'g{i - 1} a;'] * calls)} }}" for i in range(1, n)]
    return "\n".join(defs) + f"\nqreg q[2];\ng{n - 1} q[0];\n"


_Q2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
_Q3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'
_HOSTILE_QASM = {
    "huge qreg": (_Q2 + "qreg q[100000000];\nh q[0];\n", "100,000,000 qubits"),
    "huge qubit[] (3)": (_Q3 + "qubit[100000000] q;\nh q[0];\n", "100,000,000 qubits"),
    "huge const size (3)": (_Q3 + "const uint n = 50000;\nqubit[n] q;\nh q[0];\n", "50,000 qubits"),
    "huge creg": (_Q2 + "qreg q[1];\ncreg c[99999999];\n", "classical bits"),
    "a thousand-digit size": (_Q2 + "qreg q[" + "9" * 1000 + "];\n", "qubits"),
    "doubling definitions": (_Q2 + _chain(25, 2), "more than 1,000,000 operations"),
    "deep definitions": (_Q2 + _chain(40, 1), "definitions deep"),
    "broadcast over a register": (_Q2 + "qreg q[4000];\n" + "h q;\n" * 300, "more than 1,000,000"),
    "huge loop (3)": (_Q3 + "qubit[2] q;\nfor int i in [0:100000000] { h q[0]; }\n", "more than 1,000,000"),
    "nested loops (3)": (_Q3 + "qubit[2] q;\n" + "for int i in [0:999] { " * 3 + "h q[0];" + " }" * 3,
                         "more than 1,000,000"),
    "loop without a literal range (3)": (_Q3 + "qubit[2] q;\nint n = 5;\nfor int i in [0:n] { h q[0]; }\n",
                                         "not a number qvc can bound"),
    "pow of a wide gate (3)": (_Q3 + "qubit[30] q;\ngate w a, b, c, d, e, f, g, h, i, j, k { h a; }\n"
                               "pow(2) @ w q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10];\n",
                               "pow(k) @ gate on 11 qubits"),
    "blocks nested 100 deep (3)": (_Q3 + "qubit[1] q;\nbit[1] c;\n" + "if (c[0]) { " * 100 + "h q[0];" + " }" * 100,
                                   "nest deeper"),
}


@pytest.mark.parametrize("case", sorted(_HOSTILE_QASM))
def test_circuit_file_sizes_are_bounded_before_parsing(case, tmp_path, capsys):
    import tracemalloc

    from qvc.quantum.qasm import load_qasm

    text, words = _HOSTILE_QASM[case]
    path = tmp_path / "c.qasm"
    path.write_text(text)
    tracemalloc.start()
    try:
        with pytest.raises(QvcUsageError) as info:
            load_qasm(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert words in str(info.value) and "\n" not in str(info.value)
    assert peak < 32 * MiB, peak  # refused from the text: nothing was built
    assert main(["estimate", str(path), "--device", "ibm_heron", "--shots", "100"]) == 2
    _one_line(capsys.readouterr().err, str(path))


def test_circuit_file_bounds_pass_ordinary_circuits_and_count_includes(tmp_path):
    from qiskit import qasm2, qasm3
    from qiskit.circuit.library import quantum_volume

    from qvc.quantum.qasm import load_qasm

    circuit = quantum_volume(6, seed=3).decompose()
    circuit.measure_all()
    for dump, name in ((qasm2.dumps, "qv2.qasm"), (qasm3.dumps, "qv3.qasm")):
        (tmp_path / name).write_text(dump(circuit))
        assert load_qasm(tmp_path / name).size() == circuit.size()
    # definitions hidden in a local include are counted too
    (tmp_path / "defs.inc").write_text(_chain(25, 2).split("\nqreg")[0])
    (tmp_path / "main.qasm").write_text(_Q2 + 'include "defs.inc";\nqreg q[2];\ng24 q[0];\n')
    with pytest.raises(QvcUsageError, match="1,000,000 operations"):
        load_qasm(tmp_path / "main.qasm")
    big = tmp_path / "big.qasm"
    with open(big, "wb") as fh:  # sparse: 9 MiB without writing them
        fh.write(_Q2.encode())
        fh.truncate(9 * MiB)
    with pytest.raises(QvcUsageError, match="MiB a circuit file may have"):
        load_qasm(big)


def _device_file(tmp_path: Path, **changes: str) -> Path:
    """The built-in ionq_forte preset as a user device file 'mine', with lines replaced."""
    src = (ROOT / "qvc" / "energy" / "devices.toml").read_text()
    start = src.index("[devices.ionq_forte]")
    end = re.compile(r"\n\[devices\.(?!ionq_forte)").search(src, start + 5)
    block = src[start:end.start() if end else len(src)].replace("devices.ionq_forte", "devices.mine")
    for old, new in changes.items():
        assert old in block
        block = block.replace(old, new)
    path = tmp_path / "dev.toml"
    path.write_text("schema = 1\n" + block)
    return path


@pytest.mark.parametrize("old,new,words", [
    ('basis_gates = ["rz"', 'basis_gates = ["foo", "rz"', "unknown 'foo'"),
    ('platform = "trapped-ion"', 'platform = "banana"', "platform: expected one of"),
    ('coupling = "all-to-all"', "coupling = [[0, 1], [1, 99]]", "got [1, 99]"),
    ('coupling = "all-to-all"', "coupling = [[0, 1], [2, 2]]", "two different qubits"),
    ('coupling = "all-to-all"', 'coupling = "grid:2x3"', "grid of at least num_qubits"),
    ('coupling = "all-to-all"', 'coupling = "grid:100000x100000"', "at most 4096 sites"),
    ("value = 36,", "value = 100000000,", "num_qubits.value: expected at most 4096"),
])
def test_device_file_values_are_checked_before_any_work(tmp_path, out_dir, capsys, old, new, words):
    path = _device_file(tmp_path, **{old: new})
    assert main(["devices", "--device-file", str(path)]) == 2
    _one_line(capsys.readouterr().err, words)
    args = ["run", "iris", "--qubits", "2", "--models", "qsvc", "--seeds", "1,2,3", "--no-tune", "--samples", "30",
            "--device", "mine", "--device-file", str(path), "--out", str(out_dir), "--quiet"]
    assert main(args) == 2
    _one_line(capsys.readouterr().err, words)
    assert not any(out_dir.iterdir())  # refused before the run folder


# -- issue 31 item 3: data hygiene; strict JSON everywhere ------------------------------------
def _csv(tmp_path: Path, header: str, rows: list[str], name: str = "d.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _noise_rows(n: int = 40, extra=lambda i, y: "") -> list[str]:
    import numpy as np

    rng = np.random.default_rng(0)
    return [f"{rng.normal():.4f},{rng.normal():.4f},{i % 2}{extra(i, i % 2)}" for i in range(n)]


@pytest.mark.parametrize("header, extra, words", [
    ("a,b,label,label", lambda i, y: f",{y}", "the target column 'label' appears twice"),
    ("a,b,label,label.1", lambda i, y: f",{y}", "'label.1' looks like a second copy of the target column"),
    ("a,b,label,Label ", lambda i, y: f",{y}", "differ only in case or spaces"),
    ("a,b,label,leak", lambda i, y: f",{3 * y + 1}", "'leak' equals the target 'label' row for row"),
    ("a,a,label", lambda i, y: "", "column 'a' appears twice"),
])
def test_csv_repeated_or_ambiguous_columns_are_refused(tmp_path, out_dir, capsys, header, extra, words):
    path = _csv(tmp_path, header, _noise_rows(extra=extra))
    args = ["run", "--csv", str(path), "--target", "label", "--models", "svm", "--seeds", "1,2", "--no-tune",
            "--out", str(out_dir), "--quiet"]
    assert main(args) == 2
    _one_line(capsys.readouterr().err, words)
    assert not any(out_dir.iterdir())


def test_csv_constant_features_all_refused_some_said(tmp_path, out_dir, capsys):
    rows = [f"1.0,2.5,{i % 2}" for i in range(40)]
    args = ["--target", "label", "--models", "svm", "--seeds", "1,2", "--no-tune", "--out", str(out_dir)]
    assert main(["run", "--csv", str(_csv(tmp_path, "a,b,label", rows)), *args, "--quiet"]) == 2
    _one_line(capsys.readouterr().err, "every feature column holds one value")
    assert not any(out_dir.iterdir())
    some = _csv(tmp_path, "a,b,c,label", [f"1.0,{r}" for r in _noise_rows()], "some.csv")
    assert main(["run", "--csv", str(some), *args]) == 0
    assert "1 feature column(s) hold one value in every row" in capsys.readouterr().err
    meta = json.loads(next(out_dir.glob("some-*/metadata.json")).read_text())
    assert any(p.get("constant_features") == ["a"] for p in meta["preprocessing"].values())


def _strict_json(text: str):
    def refuse(word):
        raise ValueError(f"non-standard JSON constant {word}")
    return json.loads(text, parse_constant=refuse)


def test_every_json_qvc_writes_is_strict(tmp_path):
    import numpy as np

    from qvc import _io
    from qvc.record.store import PointStore

    _io.write_json({"a": float("nan"), "b": [np.float64("inf"), np.float32(1.5)], "c": np.int64(3)},
                   tmp_path / "x.json")
    assert _strict_json((tmp_path / "x.json").read_text()) == {"a": None, "b": [None, 1.5], "c": 3}
    store = PointStore(tmp_path).open()
    store.append({"point_id": "p1", "energy": float("inf"), "acc": float("nan")})
    for line in (tmp_path / "points.jsonl").read_text().splitlines():
        assert _strict_json(line) == {"point_id": "p1", "energy": None, "acc": None}


# -- issue 31 item 4: names from spec files are file names; writes stay inside the output folder --
@pytest.mark.parametrize("name, words", [
    ("../escape", "not a path"), ("/tmp/qvc-abs-escape", "not a path"), ("a/b", "not a path"),
    ("..", "not a path"), ("a\\\\b", "not a path"), ("x\\u0000y", "control characters"), ("", "non-empty name"),
    ("n" * 300, "at most 200 bytes"),
])
def test_spec_file_name_is_a_file_name(tmp_path, capsys, name, words):
    spec = tmp_path / "s.toml"
    spec.write_text(f'name = "{name}"\ndataset = "iris"\nmodels = ["svm"]\nseeds = [1]\nqubits = [2]\n'
                    "samples = 40\ntune = false\n")
    out = tmp_path / "out"
    before = sorted(p.name for p in tmp_path.parent.iterdir())
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1"]) == 2
    _one_line(capsys.readouterr().err, "key 'name'", words)
    assert not out.exists() and sorted(p.name for p in tmp_path.parent.iterdir()) == before
    assert not Path("/tmp/qvc-abs-escape").exists()


def test_written_paths_are_checked_after_resolving(tmp_path):
    from qvc._validation import check_inside
    from qvc.experiment.runner import new_run_dir

    with pytest.raises(QvcUsageError, match="not a path"):
        new_run_dir(tmp_path, "../up")
    (tmp_path / "link").symlink_to(tmp_path.parent)
    with pytest.raises(QvcUsageError, match="outside the output folder"):
        check_inside(tmp_path / "link" / "x", tmp_path)
    assert new_run_dir(tmp_path, "ok").parent == tmp_path


# -- issue 31 item 5: every numeric flag and file value has a range with its reason ---------------
@pytest.mark.parametrize("flags, words", [
    (["--carbon-intensity", "1e308"], "--carbon-intensity must be <= 2000"),
    (["--carbon-intensity", "-1"], "--carbon-intensity must be a finite number >= 0"),
    (["--seeds", ""], "--seeds is empty"),
    (["--seeds", "1,2,1"], "--seeds lists 1 more than once"),
    (["--cv-folds", "9", "--samples", "30"], "smallest class of iris's training split has 7 samples"),
])
def test_numeric_flags_are_bounded_before_any_work(out_dir, capsys, flags, words):
    args = ["run", "iris", "--models", "svm", "--qubits", "2", "--out", str(out_dir), "--quiet", *flags]
    if "--seeds" not in flags:
        args += ["--seeds", "1,2"]
    assert main(args) == 2
    _one_line(capsys.readouterr().err, words)
    assert not any(out_dir.iterdir())


@pytest.mark.parametrize("body, words", [
    ("seeds = [1, 1]", "key 'seeds': lists 1 more than once"),
    ("seeds = [1]\ncv_folds = 8", "key 'cv_folds'"),
    ("seeds = [1]\ncarbon_intensity = 1e308", "key 'carbon_intensity'"),
    ("seeds = [1]\n[[grid]]", "[[grid]] #1 key 'grid': is an empty table"),
])
def test_spec_file_values_are_bounded(tmp_path, capsys, body, words):
    spec = tmp_path / "s.toml"
    spec.write_text(f'dataset = "iris"\nmodels = ["svm"]\nqubits = [2]\nsamples = 30\n{body}\n')
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--workers", "1"]) == 2
    _one_line(capsys.readouterr().err, words)
    assert not (tmp_path / "o").exists()


def test_mps_memory_is_checked_with_the_param_entanglement_before_the_folder(out_dir, capsys):
    # linear would fit; the --param makes it full: 22 qubits at bond 2048, one MPS per sample (~170 MiB each)
    args = ["run", "breast_cancer", "--qubits", "22", "--models", "qsvc", "--seeds", "1", "--no-tune",
            "--execution", "mps", "--entanglement", "linear", "--param", "qsvc.entanglement=full",
            "--out", str(out_dir), "--quiet"]
    assert main(args) == 2
    _one_line(capsys.readouterr().err, "mps:", "bond dimension up to 2048")
    assert not any(out_dir.iterdir())


@pytest.mark.parametrize("old,new,words", [
    ("high = 200e-6, source", "high = 1e300, source", "gate_1q_s.high: expected at most 86400"),
    ("high = 3000.0, source", "high = 1e308, source", "static_w.high: expected at most 1e+07"),
    ("value = 1000, source", "value = 100000000000, source", "max_circuits_per_job.value: expected at most"),
])
def test_device_file_numbers_are_bounded(tmp_path, capsys, old, new, words):
    assert main(["devices", "--device-file", str(_device_file(tmp_path, **{old: new}))]) == 2
    _one_line(capsys.readouterr().err, words)


# -- issue 31 item 6: resume checks its plan -----------------------------------------------------
@pytest.fixture()
def small_sweep(tmp_path):
    spec = tmp_path / "r.toml"
    spec.write_text('dataset = "iris"\nmodels = ["svm"]\nseeds = [1]\nqubits = [2, 3]\nsamples = 30\ntune = false\n')
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--workers", "1", "--quiet", "--no-report"]) == 0
    return next((tmp_path / "o").iterdir())


def _resume(run_dir: Path, *extra: str) -> int:
    return main(["sweep", "--resume", str(run_dir), "--workers", "1", "--quiet", "--no-report", *extra])


def test_resume_refuses_an_edited_spec_unless_forced(small_sweep, capsys):
    (small_sweep / "spec.toml").write_text((small_sweep / "spec.toml").read_text().replace("[2, 3]", "[2, 3, 4]"))
    before = _snapshot(small_sweep)
    assert _resume(small_sweep) == 2
    _one_line(capsys.readouterr().err, "spec.toml edited (1 point(s) added, 0 removed, of 2)", "--force")
    assert _snapshot(small_sweep) == before  # refused before anything was written
    assert _resume(small_sweep, "--force") == 0
    meta = json.loads((small_sweep / "sweep.json").read_text())
    assert meta["status"] == "complete" and len(meta["points"]) == 3
    assert meta["plan_changes"][0]["accepted_with"] == "--force"
    assert len(pd.read_csv(small_sweep / "results.csv")) == 3
    assert _resume(small_sweep) == 0  # the accepted plan is the plan now


def test_resume_refuses_hand_edited_points(small_sweep, capsys):
    path = small_sweep / "sweep.json"
    meta = json.loads(path.read_text())
    meta["points"][1]["qubits"] = 4  # the id no longer matches the settings
    path.write_text(json.dumps(meta))
    assert _resume(small_sweep) == 2
    _one_line(capsys.readouterr().err, "the point list in sweep.json edited (point 2)")
    assert _resume(small_sweep, "--force") == 0
    assert "accepted with --force" in capsys.readouterr().err
    meta = json.loads(path.read_text())
    assert meta["status"] == "complete" and "plan_changes" in meta
    rows = pd.read_csv(small_sweep / "results.csv")
    assert sorted(rows["qubits"]) == [2, 4]  # the row of the replaced point is kept in the store, not the table
    meta["points"][0]["qubits"] = "many"
    path.write_text(json.dumps(meta))
    assert _resume(small_sweep, "--force") == 2
    _one_line(capsys.readouterr().err, "point 1", "cannot run")


# -- issue 31 item 7: the index lists what it cannot read and finishes -------------------------
def test_index_lists_unreadable_folders_and_finishes(iris_run, tmp_path, capsys, monkeypatch):
    root = tmp_path / "runs"
    root.mkdir()
    shutil.copytree(iris_run, root / "good")
    shutil.copytree(iris_run, root / "locked")
    (root / "dir-meta").mkdir()
    (root / "dir-meta" / "metadata.json").mkdir()  # a folder where the file should be: reading fails
    shutil.copy(iris_run / "results.csv", root / "dir-meta" / "results.csv")
    (root / "bad-csv").mkdir()
    (root / "bad-csv" / "results.csv").write_bytes(b"\xff\xfe\x00garbage\n\x00\x01")
    (root / "bad-csv" / "metadata.json").write_text("{")
    # 'locked' as a chmod 000 folder looks to another user (the tests run as root, who may read anything):
    # stat of the folder works, of anything inside it fails with EACCES.
    real_stat = Path.stat

    def stat(self, *a, **k):
        if self.parent.name == "locked":
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *a, **k)

    monkeypatch.setattr(Path, "stat", stat)
    real_open = open

    def guarded_open(file, *a, **k):
        if Path(str(file)).parent.name == "locked":
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *a, **k)

    monkeypatch.setattr("builtins.open", guarded_open)
    assert main(["report", "--index", str(root)]) == 0
    monkeypatch.undo()
    cap = capsys.readouterr()
    assert cap.err == "" and "--out" not in cap.out
    md = (root / "index.md").read_text()
    names = ("good", "locked", "dir-meta", "bad-csv")
    rows = {name: line for line in md.splitlines() for name in names if line.startswith((f"| {name}", f"| [{name}]"))}
    assert set(rows) == set(names) and "unreadable" not in rows["good"]
    assert "unreadable: Permission denied" in rows["locked"], rows["locked"]
    assert "unreadable" in rows["dir-meta"] and "unreadable" in rows["bad-csv"]


def test_os_error_names_out_only_for_commands_that_have_it():
    from qvc.cli import _os_error_line

    exc = PermissionError(13, "Permission denied", "/x/y")
    assert "--out" in _os_error_line(exc, "run") and "--out" not in _os_error_line(exc, "report")


# -- issue 31 item 11: a non-numeric cell is refused like inf; item 12: the command pastes ------
def test_report_refuses_a_non_numeric_accuracy_cell(iris_run, tmp_path, capsys):
    run = tmp_path / "copy"
    shutil.copytree(iris_run, run)
    frame = pd.read_csv(run / "results.csv")
    frame["accuracy_test"] = frame["accuracy_test"].astype(object)
    frame.loc[2, "accuracy_test"] = "high"
    frame.to_csv(run / "results.csv", index=False)
    before = _snapshot(run)
    assert main(["report", str(run)]) == 2
    _one_line(capsys.readouterr().err, "'accuracy_test'", "row 3", "'high'", "not a number")
    assert _snapshot(run) == before


def test_report_command_is_shell_quoted(iris_run, tmp_path):
    import shlex

    run = tmp_path / "copy"
    shutil.copytree(iris_run, run)
    meta = json.loads((run / "metadata.json").read_text())
    meta["command"] = [str(ROOT / "qvc" / "__main__.py"), "run", "iris", "--out", "my runs; rm -rf x", "--param",
                       "qsvc.entanglement=it's"]
    (run / "metadata.json").write_text(json.dumps(meta))
    assert main(["report", str(run)]) == 0
    line = next(ln for ln in (run / "report.md").read_text().splitlines() if "python -m qvc" in ln)
    pasted = line[line.index("python -m qvc"):].rstrip(" |")
    assert shlex.split(pasted.replace("\\", "")) == ["python", "-m", "qvc", *meta["command"][1:]]


def test_memory_guard_refuses_a_blocked_gram_that_would_recompute_too_often(monkeypatch):
    # 16 qubits (1 MiB states), 426 training states: 40 MiB holds ~30 of them -> each ~7x;
    # 12 MiB holds ~9 -> far above the limit; 1 GiB holds all
    monkeypatch.setattr(_preflight, "RUNTIME_FOOTPRINT_BYTES", 0)
    monkeypatch.setattr(_preflight, "available_memory_bytes", lambda: 2**30)
    _preflight.check_memory(["qsvc"], 16, 569, 0.25, "exact")
    assert _validation.gram_recompute_factor(16, 426, 40 * MiB) <= _validation.MAX_GRAM_RECOMPUTE
    monkeypatch.setattr(_preflight, "available_memory_bytes", lambda: 15 * MiB)
    with pytest.raises(QvcUsageError, match=r"simulate each state ~\d+ times"):
        _preflight.check_memory(["qsvc"], 16, 569, 0.25, "exact")

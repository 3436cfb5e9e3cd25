"""Spec files: the schema, grids, and precise errors (file + key, exit code 2)."""

from __future__ import annotations

import pytest

from qvc.cli import main
from qvc.errors import QvcUsageError
from qvc.experiment.specfile import load_spec_file

GOOD = """
name = "t"
dataset = "iris"
models = ["svm", "qsvc"]
seeds = [1, 2]
[[grid]]
qubits = [2, 3]
samples = 40
[[grid]]
qubits = 2
samples = [40, 60]
"""


def _write(tmp_path, text, name="spec.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_grids_union_without_duplicates(tmp_path):
    spec = load_spec_file(_write(tmp_path, GOOD))
    # grid 1: 2 qubits x 1 size x 2 models x 2 seeds = 8; grid 2 adds only samples=60 (4 points)
    assert len(spec.points) == 12
    assert len({p.point_id for p in spec.points}) == 12
    assert {(p.qubits, p.samples) for p in spec.points} == {(2, 40), (3, 40), (2, 60)}
    assert spec.name == "t" and spec.concurrency == "parallel"
    # a point is a single-model, single-seed ExperimentSpec (the shared schema)
    es = spec.points[0].to_experiment_spec().validate()
    assert es.models == ("svm",) and es.samples == 40


def test_bundled_scaling_spec_is_valid():
    from pathlib import Path

    spec = load_spec_file(Path(__file__).parents[1] / "experiments" / "scaling.toml")
    qubits = {p.qubits for p in spec.points}
    samples = {p.samples for p in spec.points}
    assert min(qubits) == 2 and max(qubits) >= 12
    assert max(samples) / min(samples) >= 10  # sample sizes span a decade


@pytest.mark.parametrize(
    "text, key, fragment",
    [
        ('dataset = "iris"\nmodels = ["svm"]\nqubitz = 2\n', "qubitz", "unknown key"),
        ('dataset = "iris"\nmodels = ["svm"]\nqubits = "two"\n', "qubits", "expected an integer or a list of integers"),
        ('dataset = "iris"\nmodels = ["svm"]\nshots = 1.5\n', "shots", 'expected an integer or "auto"'),
        ('dataset = "iris"\nmodels = ["svm"]\nqubits = [2, 7]\n', "qubits", "<= 4"),
        ('dataset = "iris"\nmodels = ["qsvc"]\nqubits = 0\n', "qubits", ">= 1"),
        ('dataset = "breast_cancer"\nmodels = ["qsvc"]\nqubits = 30\n', "qubits",
         "statevector"),
        ('dataset = "iris"\nmodels = []\n', "models", "empty"),
        ('dataset = "iris"\nmodels = ["svm"]\n[[grid]]\nqubits = []\n', "qubits", "empty"),
        ('dataset = "iris"\nmodels = ["svm"]\n[[grid]]\nqubits = 2\ncolour = 1\n', "colour", "unknown key"),
        ('dataset = "iris"\nmodels = ["svm"]\n[analysis]\nmax_qbits = 3\n', "max_qbits", "unknown key"),
        ('models = ["svm"]\n', "dataset", "missing"),
        ('dataset = "iris"\nmodels = ["svm", "svc"]\n', "models", "unknown model"),
    ],
)
def test_spec_errors_name_file_and_key(tmp_path, capsys, text, key, fragment):
    path = _write(tmp_path, text)
    with pytest.raises(QvcUsageError) as info:
        load_spec_file(path)
    msg = str(info.value)
    assert str(path) in msg and f"key {key!r}" in msg and fragment in msg, msg
    # The command line: one line on stderr, exit code 2, no run folder.
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qvc: error: ") and str(path) in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_missing_and_malformed_file(tmp_path):
    with pytest.raises(QvcUsageError, match="does not exist"):
        load_spec_file(tmp_path / "nope.toml")
    with pytest.raises(QvcUsageError, match="not valid TOML"):
        load_spec_file(_write(tmp_path, "dataset = \n"))


def test_cli_needs_spec_or_resume(capsys):
    assert main(["sweep"]) == 2
    assert "--resume" in capsys.readouterr().err


def test_shots_auto_mitigation_and_host_reach_the_points(tmp_path):
    """A sweep can price hardware as `qvc run` does: auto shots, a mitigation model, a host preset."""
    path = _write(tmp_path, 'dataset = "iris"\nmodels = ["qsvc"]\nqubits = 2\nseeds = [1]\nshots = "auto"\n'
                            'shots_tolerance = 0.05\nshots_cap = 4096\nmitigation = ["none", "zne"]\n'
                            'host = "server_2s"\ntune = false\n')
    points = load_spec_file(path).points
    assert sorted(p.mitigation for p in points) == ["none", "zne"]
    for p in points:
        spec = p.to_experiment_spec()
        assert (spec.shots, spec.shots_tolerance, spec.shots_cap, spec.host) == ("auto", 0.05, 4096, "server_2s")
        assert spec.auto_shots
    assert len({p.point_id for p in points}) == 2


@pytest.mark.parametrize(
    "line, key",
    [('shots = "many"', "shots"), ('mitigation = "magic"', "mitigation"), ("shots_cap = 0", "shots_cap"),
     ('host = "nosuch"', "host")],
)
def test_bad_pricing_keys_name_the_key(tmp_path, line, key):
    path = _write(tmp_path, f'dataset = "iris"\nmodels = ["qsvc"]\nqubits = 2\nseeds = [1]\ntune = false\n{line}\n')
    with pytest.raises(QvcUsageError) as info:
        load_spec_file(path)
    assert f"key {key!r}" in str(info.value), str(info.value)

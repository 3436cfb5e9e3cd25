"""`qvc estimate` and `qvc devices` on the command line, including one-line errors (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from qvc.cli import main

BELL2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'
BELL3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nh q[0];\ncx q[0], q[1];\nc = measure q;\n'


@pytest.fixture
def qasm(tmp_path):
    def write(text: str, name: str = "c.qasm"):
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("qvc: error: ")
    return lines[0]


def test_estimate_json_for_qasm2_and_qasm3(capsys, qasm):
    for text in (BELL2, BELL3):
        assert main(["estimate", qasm(text), "--device", "ibm_heron", "--shots", "1000",
                     "--circuits", "10", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["device"] == "ibm_heron" and out["mode"] == "attributional"
        assert out["qpu_seconds"]["typical"] == pytest.approx(5.51692, rel=1e-12)
        assert out["energy_j"]["total"]["typical"] == pytest.approx(122768.02076, rel=1e-12)
        assert out["gate_counts"]["cz"] == 1
        assert out["esp"] == pytest.approx(0.80963, abs=5e-6) and out["physical_qubits"] == [0, 1]
        assert out["landauer_j"] > 0 and out["orders_above_landauer"] > 15


def test_estimate_marginal_text(capsys, qasm):
    assert main(["estimate", qasm(BELL2), "--device", "neutral_atom", "--shots", "100",
                 "--attribution", "marginal"]) == 0
    out = capsys.readouterr().out
    assert "attribution marginal" in out and "Landauer floor" in out and "90% interval" in out


def test_estimate_mitigation_and_its_bad_input(capsys, qasm):
    assert main(["estimate", qasm(BELL2), "--device", "ibm_heron", "--shots", "1000", "--mitigation",
                 "pec", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mitigation"] == "pec" and out["mitigation_overhead"] == pytest.approx(2.54396, abs=5e-6)
    assert out["energy_j"]["total"]["typical"] > out["energy_unmitigated_j"]["typical"]
    assert not out["beyond_practical_mitigation"]
    line = _error(capsys, ["estimate", qasm(BELL2), "--device", "ibm_heron", "--shots", "10",
                           "--mitigation", "magic"])
    assert "--mitigation" in line and "none, zne, pec" in line


def test_estimate_says_when_the_typical_value_is_outside_the_interval(capsys, qasm):
    # ionq rep_delay (0.2, 1, 5) ms and other right-skewed ranges push the median above the typical
    assert main(["estimate", qasm(BELL2), "--device", "ionq_forte", "--shots", "1000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for fig in (out["qpu_seconds"], out["energy_j"]["total"]):
        inside = fig["low"] <= fig["typical"] <= fig["high"]
        assert fig["typical_in_interval"] == inside
        assert inside or "median is the central figure" in fig["note"]
    assert main(["estimate", qasm(BELL2), "--device", "ionq_forte", "--shots", "1000"]) == 0
    text = capsys.readouterr().out
    assert "median" in text and "all-typical" in text


def test_malformed_qasm(capsys, qasm):
    line = _error(capsys, ["estimate", qasm("OPENQASM 2.0;\nqreg q[2];\nh q[0]\n"), "--device",
                           "ibm_heron", "--shots", "10"])
    assert "malformed OpenQASM 2" in line


def test_circuit_wider_than_device(capsys, qasm):
    text = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[40];\nh q[0];\ncx q[0],q[39];\n'
    line = _error(capsys, ["estimate", qasm(text), "--device", "ionq_forte", "--shots", "10"])
    assert "needs 40 qubits but ionq_forte has 36" in line


def test_gate_the_device_cannot_express(capsys, qasm):
    text = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nopaque magic a;\nqreg q[1];\nmagic q[0];\n'
    line = _error(capsys, ["estimate", qasm(text), "--device", "ibm_heron", "--shots", "10"])
    assert "cannot express gate(s) magic" in line


@pytest.mark.parametrize("shots", ["0", "-5"])
def test_shots_must_be_positive(capsys, qasm, shots):
    line = _error(capsys, ["estimate", qasm(BELL2), "--device", "ibm_heron", "--shots", shots])
    assert "--shots must be >= 1" in line


def test_bad_mode_and_unknown_device(capsys, qasm):
    assert "attribution mode" in _error(
        capsys, ["estimate", qasm(BELL2), "--device", "ibm_heron", "--shots", "1", "--attribution", "both"])
    assert "unknown device" in _error(
        capsys, ["estimate", qasm(BELL2), "--device", "dwave", "--shots", "1"])


def test_device_file_with_missing_or_negative_parameter(capsys, qasm, tmp_path):
    from qvc.energy.devices import PRESET_FILE

    base = PRESET_FILE.read_text()
    negative = base.replace("per_job_overhead_s = { low = 2.0,", "per_job_overhead_s = { low = -2.0,", 1)
    bad = tmp_path / "neg.toml"
    bad.write_text(negative)
    line = _error(capsys, ["estimate", qasm(BELL2), "--device", "ibm_heron", "--shots", "1",
                           "--device-file", str(bad)])
    assert "neg.toml" in line and "'ibm_heron'" in line and "per_job_overhead_s.low" in line
    missing = "\n".join(x for x in base.splitlines() if not x.startswith("rep_delay_s"))
    bad2 = tmp_path / "missing.toml"
    bad2.write_text(missing)
    line = _error(capsys, ["devices", "--device-file", str(bad2)])
    assert "rep_delay_s: expected this key" in line


def test_python_m_qvc_exit_code_two():
    proc = subprocess.run(
        [sys.executable, "-m", "qvc", "estimate", "no-such-file.qasm", "--device", "ibm_heron",
         "--shots", "10"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "qvc: error: circuit file 'no-such-file.qasm' does not exist; give an OpenQASM 2 or 3 file"
    ]


def test_devices_text_lists_sources(capsys):
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "ionq_forte" in out and "unverified" in out and "FakeTorino" in out
    for name, cls in (("ibm_heron_r2", "FakeFez"), ("ibm_heron_r2_marrakesh", "FakeMarrakesh"),
                      ("ibm_heron_r2_kingston", "FakeKingston"), ("ibm_nighthawk", "FakeNighthawk")):
        assert f"{name}: IBM" in out and f"{cls} Target" in out
    assert "156 qubits" in out and "120 qubits" in out and "placeholders" in out

"""Device presets: data file, sources, validation of user device files."""

from __future__ import annotations

import json
import warnings

import pytest

from qvc.cli import main
from qvc.energy.devices import COMPONENTS, PRESET_FILE, get_device, list_devices, load_device_file
from qvc.energy.targets import SNAPSHOT_CLASSES
from qvc.errors import QvcUsageError

REQUIRED_PRESETS = {"ibm_heron", "ibm_eagle", "google_sycamore", "ionq_forte", "quantinuum_h2", "neutral_atom",
                    "ibm_heron_r2", "ibm_heron_r2_marrakesh", "ibm_heron_r2_kingston", "ibm_nighthawk"}
#: Presets on qiskit-ibm-runtime fake backends added for issue 25: preset -> (class, family, revision, qubits).
NEW_IBM = {
    "ibm_heron_r2": ("FakeFez", "Heron", "2", 156),
    "ibm_heron_r2_marrakesh": ("FakeMarrakesh", "Heron", "2", 156),
    "ibm_heron_r2_kingston": ("FakeKingston", "Heron", "2", 156),
    "ibm_nighthawk": ("FakeNighthawk", "Nighthawk", "1", 120),
}

MINIMAL = """
[devices.mine]
description = "a test device"
platform = "trapped-ion"
num_qubits = {{ value = 5, source = "unverified" }}
basis_gates = ["rz", "sx", "x", "rzz"]
gate_1q_s = {{ low = 1e-6, typical = 2e-6, high = 3e-6, source = "unverified" }}
gate_2q_s = {{ low = 1e-5, typical = 2e-5, high = 3e-5, source = "unverified" }}
readout_s = {{ low = 1e-4, typical = 2e-4, high = 3e-4, source = "unverified" }}
rep_delay_s = {rep}
per_job_overhead_s = {{ low = 1.0, typical = 2.0, high = 3.0, source = "unverified" }}
per_circuit_overhead_s = {{ low = 0.0, typical = 0.0, high = 0.0, source = "unverified" }}
max_circuits_per_job = {{ value = 10, source = "unverified" }}
pue = {{ low = 1.0, typical = 1.0, high = 1.0, source = "unverified" }}
[devices.mine.power.lasers]
static_w = {{ low = 100.0, typical = 200.0, high = 300.0, source = "unverified" }}
idle_fraction = {{ low = 0.5, typical = 0.5, high = 0.5, source = "unverified" }}
"""
GOOD_REP = '{ low = 1e-3, typical = 2e-3, high = 3e-3, source = "unverified" }'


def _write(tmp_path, text, name="dev.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_builtin_presets_cover_every_platform():
    devices = list_devices()
    assert REQUIRED_PRESETS <= set(devices)
    assert {d.platform for d in devices.values()} >= {"superconducting", "trapped-ion", "neutral-atom"}
    assert get_device("ibm_heron").fake_backend == "FakeTorino"
    assert get_device("ibm_eagle").fake_backend == "FakeSherbrooke"


def test_every_number_has_a_source_and_an_ordered_range():
    for d in list_devices().values():
        for key, p in d.uncertain_params().items():
            assert p.source.strip(), (d.name, key)
            assert 0 <= p.low <= p.typical <= p.high, (d.name, key)
        assert set(d.power) <= set(COMPONENTS)
        assert d.max_circuits.source.strip() and d.max_circuits_per_job >= 1


def test_ibm_presets_read_their_fake_backend():
    heron = get_device("ibm_heron")
    backend = heron.backend()
    assert heron.num_qubits == backend.num_qubits == 133
    assert "cz" in heron.basis_gates
    # the preset's typical repetition delay is the fake backend's own default_rep_delay
    assert heron.timing_params["rep_delay_s"].typical == backend.configuration().default_rep_delay
    eagle = get_device("ibm_eagle")
    assert "ecr" in eagle.basis_gates
    assert eagle.timing_params["rep_delay_s"].typical == eagle.backend().configuration().default_rep_delay


def test_attributional_power_is_documented_sum():
    heron = get_device("ibm_heron")
    # (11600 + 0 + 15*133 + 300 + 2000) W * PUE 1.4, the figure in docs/methodology.md
    assert heron.attributional_power_w() == pytest.approx(22253.0, rel=1e-12)


def _component_sums(d, which):
    n = d.num_qubits
    return sum(getattr(c.static_w, which) + getattr(c.per_qubit_w, which) * n for c in d.power.values())


def test_superconducting_budgets_bracket_the_wall_anchors():
    """Component sums (PUE not applied: the anchors are system wall figures) bracket 25-26 kW."""
    for name in ("ibm_heron", "ibm_eagle", "google_sycamore"):
        d = get_device(name)
        assert _component_sums(d, "low") <= 15_000 <= 25_000 <= 26_000 <= _component_sums(d, "high")
        assert 15_000 <= d.attributional_power_w() <= 30_000  # with PUE once: inside the 15-30 kW band
    atoms = get_device("neutral_atom")
    assert _component_sums(atoms, "typical") == pytest.approx(5000.0)  # Pasqal's '5 kW'
    assert _component_sums(atoms, "low") <= 3000 and _component_sums(atoms, "high") >= 15000


def test_every_number_has_a_source_and_unverified_ones_say_why():
    for d in list_devices().values():
        params = {**d.uncertain_params(), **d.error_params}
        for key, p in params.items():
            assert p.source.strip(), (d.name, key)
            if not p.verified and p.source.strip().lower() != "not applicable (0)":
                # "unverified" alone is not enough where a reason can be given
                assert len(p.source) > len("unverified") or key.endswith("idle_fraction"), (d.name, key)
    for name in ("ibm_heron", "ibm_eagle"):
        d = get_device(name)
        for key in ("pue", "power.cryogenics.static_w", "power.control.per_qubit_w", "per_job_overhead_s"):
            assert d.uncertain_params()[key].verified, (name, key)


def test_devices_json_shows_every_number_with_source(capsys):
    assert main(["devices", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["devices"]
    assert REQUIRED_PRESETS <= set(out)
    heron = out["ibm_heron"]
    assert heron["fake_backend"] == "FakeTorino"
    assert heron["target_durations_s"]["measure"]["median"] == pytest.approx(1.56e-6)
    for dev in out.values():
        for p in dev["timing_params"].values():
            assert p["source"] and "typical" in p and "low" in p and "high" in p
        for comp in dev["power"].values():
            for p in comp.values():
                assert p["source"]
        assert dev["pue"]["source"]


def test_user_device_file_adds_a_device(tmp_path):
    path = _write(tmp_path, MINIMAL.format(rep=GOOD_REP))
    d = get_device("mine", path)
    assert d.num_qubits == 5 and d.timing == "layered"
    assert d.timing_params["reset_s"].typical == d.timing_params["readout_s"].typical
    assert "ibm_heron" in list_devices(path)


@pytest.mark.parametrize(
    "rep, expected",
    [
        ('{ low = -1e-3, typical = 2e-3, high = 3e-3, source = "x" }', "rep_delay_s.low: expected a non-negative"),
        ('{ low = 1e-3, typical = 2e-3, source = "x" }', "rep_delay_s: expected a table"),
        ('{ low = 4e-3, typical = 2e-3, high = 3e-3, source = "x" }', "low <= typical <= high"),
        ('{ low = 1e-3, typical = 2e-3, high = 3e-3, source = "" }', "rep_delay_s.source"),
        ('"fast"', "rep_delay_s: expected a table"),
    ],
)
def test_bad_parameter_names_file_device_and_key(tmp_path, rep, expected):
    path = _write(tmp_path, MINIMAL.format(rep=rep))
    with pytest.raises(QvcUsageError) as err:
        load_device_file(path)
    msg = str(err.value)
    assert str(path) in msg and "'mine'" in msg and expected in msg
    assert "\n" not in msg


def test_missing_parameter_is_named(tmp_path):
    text = "\n".join(line for line in MINIMAL.format(rep=GOOD_REP).splitlines()
                     if not line.startswith("per_job_overhead_s"))
    with pytest.raises(QvcUsageError, match=r"per_job_overhead_s: expected this key"):
        load_device_file(_write(tmp_path, text))


def test_unknown_component_and_key_are_rejected(tmp_path):
    text = MINIMAL.format(rep=GOOD_REP).replace("power.lasers", "power.flux_capacitor")
    with pytest.raises(QvcUsageError, match="flux_capacitor"):
        load_device_file(_write(tmp_path, text))
    text = MINIMAL.format(rep=GOOD_REP).replace('platform = ', 'rep_dealy_s = 3\nplatform = ')
    with pytest.raises(QvcUsageError, match="rep_dealy_s: expected one of the documented keys"):
        load_device_file(_write(tmp_path, text, "typo.toml"))


def test_not_toml_and_missing_file(tmp_path):
    with pytest.raises(QvcUsageError, match="not valid TOML"):
        load_device_file(_write(tmp_path, "[devices.x\nfoo = "))
    with pytest.raises(QvcUsageError, match="does not exist"):
        load_device_file(tmp_path / "nope.toml")


def test_unknown_device_lists_known_ones():
    with pytest.raises(QvcUsageError, match="ibm_heron"):
        get_device("no_such_qpu")


def test_preset_file_ships_in_package():
    assert PRESET_FILE.name == "devices.toml" and PRESET_FILE.is_file()


@pytest.mark.parametrize("cls", SNAPSHOT_CLASSES)
def test_target_snapshot_equals_the_fake_backend(cls):
    """The committed Target snapshot (qvc/energy/targets.py) is the installed fake backend's Target."""
    import qiskit_ibm_runtime
    from qiskit import transpile
    from qiskit_ibm_runtime import fake_provider

    from qvc.energy.targets import _read, snapshot_target
    from qvc.quantum.circuits import feature_map, kernel_template

    recorded = _read(cls)["source"]["version"]
    if recorded != qiskit_ibm_runtime.__version__:
        pytest.skip(f"snapshot from qiskit-ibm-runtime {recorded}, installed {qiskit_ibm_runtime.__version__}: "
                    f"regenerate with python -m qvc.energy.targets {cls}")
    with warnings.catch_warnings():  # FakeNighthawk: "not intended to represent typical ... error values"
        warnings.simplefilter("ignore", UserWarning)
        real = getattr(fake_provider, cls)().target
    snap = snapshot_target(cls)
    assert set(real.operation_names) == set(snap.operation_names)
    assert (real.num_qubits, real.dt) == (snap.num_qubits, snap.dt)
    for name in real.operation_names:
        a, b = real[name], snap[name]
        assert set(a) == set(b), name
        for qargs, p in a.items():
            q = b[qargs]
            if p is None:
                assert q is None, (name, qargs)
            else:
                assert (p.duration, p.error) == (q.duration, q.error), (name, qargs)
    tpl = kernel_template(feature_map(5))
    x, y = (transpile(tpl, target=t, optimization_level=1, seed_transpiler=0) for t in (real, snap))
    assert x.count_ops() == y.count_ops()
    assert x.estimate_duration(real, unit="s") == y.estimate_duration(snap, unit="s")
    assert x.layout.final_index_layout() == y.layout.final_index_layout()


def test_ibm_presets_price_from_the_snapshot_without_building_a_fake_backend():
    # a fresh process: reading the preset (qubits, gates, its metadata) imports no qiskit-ibm-runtime,
    # and pricing builds no fake backend (qiskit's transpiler itself still imports qiskit-ibm-runtime
    # through its stage plugins, which the package registers)
    import subprocess
    import sys

    code = """
import sys
from qvc.energy.devices import get_device
from qvc.quantum.backends import fake_backend_by_class
heron = get_device("ibm_heron")
assert heron.num_qubits == 133 and "cz" in heron.basis_gates
assert "snapshot of FakeTorino (fake_torino), qiskit-ibm-runtime" in heron.to_dict()["target_source"]
assert "qiskit_ibm_runtime" not in sys.modules, "reading the preset imported qiskit-ibm-runtime"
from qiskit import QuantumCircuit
from qvc.energy.hardware import template_timing
qc = QuantumCircuit(2); qc.h(0); qc.cx(0, 1); qc.measure_all()
t = template_timing(qc, heron)
assert t.gate_counts["cz"] == 1 and t.physical_qubits == (0, 1)
assert fake_backend_by_class.cache_info().currsize == 0, "pricing built a fake backend"
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]


def test_unknown_device_is_refused_before_the_heavy_imports(tmp_path):
    # qvc run checks --device / --device-file with the other argument-only checks (a TOML file),
    # before the runner imports scikit-learn, qiskit and the simulator (~5 s on a loaded machine)
    import subprocess
    import sys

    code = f"""
import sys
from qvc.cli import main
assert main(["run", "iris", "--device", "nosuch", "--out", {str(tmp_path)!r}]) == 2
assert main(["run", "iris", "--device-file", {str(tmp_path / "missing.toml")!r}, "--out", {str(tmp_path)!r}]) == 2
heavy = [m for m in ("qvc.experiment.runner", "sklearn", "qiskit", "matplotlib") if m in sys.modules]
assert not heavy, heavy
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "unknown device 'nosuch'" in out.stderr and "missing.toml" in out.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", sorted(NEW_IBM))
def test_heron_r2_and_nighthawk_presets_read_their_fake_backend(name):
    """Each new IBM preset names the fake backend of its processor generation and prices a circuit."""
    from qiskit_ibm_runtime import fake_provider

    from qvc.energy.hardware import estimate_circuit
    from qvc.quantum.circuits import feature_map, kernel_template

    cls, family, revision, qubits = NEW_IBM[name]
    d = get_device(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        backend = getattr(fake_provider, cls)()
    conf = backend.configuration()
    assert d.fake_backend == cls and d.timing == "target"
    assert conf.processor_type == {"family": family, "revision": revision}
    assert d.num_qubits == backend.num_qubits == qubits
    assert d.timing_params["rep_delay_s"].typical == conf.default_rep_delay
    assert set(d.basis_gates) == {"cz", "id", "measure", "reset", "rz", "sx", "x"}  # measure_2 is no gate
    # the power budget is ibm_heron's (Heron r1), component by component, and says so
    heron = get_device("ibm_heron")
    assert set(d.power) == set(heron.power)
    for comp, c in d.power.items():
        for key in ("static_w", "per_qubit_w", "idle_fraction"):
            mine, r1 = getattr(c, key), getattr(heron.power[comp], key)
            assert (mine.low, mine.typical, mine.high) == (r1.low, r1.typical, r1.high), (comp, key)
            assert mine.verified == r1.verified, (comp, key)
            if key != "per_qubit_w" or comp == "control":
                assert "ibm_heron reused" in mine.source, (comp, key)
    assert d.attributional_power_w() == pytest.approx(1.4 * (11600 + 15 * qubits + 300 + 2000), rel=1e-12)
    out = estimate_circuit(kernel_template(feature_map(3, 1, "linear")), d, shots=1000, circuits=10)
    assert out["timing"] == "target" and out["jobs"] == 1 and "cz" in out["gate_counts"]
    assert 0.5 < out["esp"] < 1.0
    total = out["energy_j"]["total"]
    assert 0 < total["low"] < total["median"] < total["high"]
    assert out["qpu_seconds"]["typical"] == pytest.approx(
        3.0 + 10 * 1000 * (out["duration_s"] + 250e-6), rel=1e-9)  # per-job overhead + shots, no per-circuit term


def test_nighthawk_errors_are_flagged_as_placeholders():
    from qvc.energy.hardware import estimate_circuit
    from qvc.quantum.circuits import feature_map, kernel_template

    d = get_device("ibm_nighthawk")
    assert d.target_errors_note.startswith("unverified")
    assert "not intended to represent typical nighthawk error values" in d.sources["gate_errors"]
    assert "placeholders" in d.to_dict()["error_params"]["source"]
    out = estimate_circuit(kernel_template(feature_map(2, 1, "linear")), d, shots=100)
    assert "placeholders" in out["esp_method"]
    assert get_device("ibm_heron_r2").target_errors_note == ""


def test_target_errors_note_needs_a_fake_backend(tmp_path):
    text = MINIMAL.format(rep=GOOD_REP).replace('platform = ', 'target_errors_note = "x"\nplatform = ')
    with pytest.raises(QvcUsageError, match="target_errors_note: expected fake_backend as well"):
        load_device_file(_write(tmp_path, text))

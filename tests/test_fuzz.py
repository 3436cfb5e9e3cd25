"""Property-based fuzzing of every input qvc reads from a file (issue #15).

For any generated CSV file, spec file, OpenQASM file or run folder the outcome is
either success or one line on stderr with exit code 2 (a
:class:`~qvc.errors.QvcUsageError` at the library level) - never a traceback -
and no file that existed before is modified (a successful ``qvc report`` rewrites
only its own report files). Examples are bounded so each test takes seconds;
everything runs in-process (``qvc.cli.main``), no subprocess per example.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qvc.cli import main
from qvc.errors import QvcUsageError

FAST = settings(max_examples=30, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SLOW = settings(max_examples=8, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _cli(args: list[str]) -> tuple[int, str]:
    """Run ``qvc`` in-process; a traceback (an escaping exception) fails the test by itself."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, err.getvalue()


def _assert_clean_refusal(code: int, err: str) -> None:
    assert code in (0, 2), (code, err)
    if code == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("qvc: error: "), err
    assert "Traceback" not in err


def _library_outcome(call) -> object:
    """``call()``'s result, or ``None`` after a one-line usage error (anything else propagates)."""
    try:
        return call()
    except QvcUsageError as exc:
        assert "\n" not in str(exc) and str(exc), repr(exc)
        return None


# -- CSV loader ---------------------------------------------------------------------------------
_cell = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True, width=64).map(repr),
    st.sampled_from(["", "inf", "-inf", "nan", "NaN", "1e308", "-1e309", "1e400", "x", "a,b", '"q"',
                     "0x10", " 3 ", "TRUE", "\u00e9", "1_000", "--1", "1e-400"]),
)


@st.composite
def _csv_text(draw) -> bytes:
    n_cols = draw(st.integers(1, 4))
    header = draw(st.lists(st.sampled_from(["a", "b", "c", "y", "", "y", "\u00e9"]), min_size=n_cols,
                           max_size=n_cols))
    rows = draw(st.lists(st.lists(_cell, min_size=0, max_size=n_cols + 1), min_size=0, max_size=14))
    text = ",".join(header) + "\n" + "\n".join(",".join(r) for r in rows)
    raw = text.encode("utf-8")
    if draw(st.booleans()) and raw:
        pos = draw(st.integers(0, len(raw) - 1))
        raw = raw[:pos] + draw(st.binary(min_size=1, max_size=4)) + raw[pos:]
    return raw


@FAST
@given(_csv_text())
def test_fuzz_csv_loader(raw):
    from qvc import _preflight
    from qvc.data import prepare_dataset

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "data.csv"
        path.write_bytes(raw)
        _library_outcome(lambda: _preflight.csv_shape(path))
        data = _library_outcome(lambda: prepare_dataset("csv", csv_path=path, target="y", n_features=1))
        if data is not None:  # accepted data is usable: finite, scaled features
            assert np.isfinite(data.X_train).all() and np.isfinite(data.X_test).all()
        assert path.read_bytes() == raw


@SLOW
@given(_csv_text())
def test_fuzz_csv_through_the_command(raw):
    """The whole command on fuzzed CSVs (argument checks, loader, split); svm only, one repeat."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "data.csv"
        path.write_bytes(raw)
        out = Path(d) / "runs"
        code, err = _cli(["run", "--csv", str(path), "--target", "y", "--models", "svm", "--qubits", "1",
                          "--max-repeats", "1", "--out", str(out), "--quiet"])
        _assert_clean_refusal(code, err)
        if code == 2:
            assert not out.exists() or not any(out.iterdir())
        assert path.read_bytes() == raw


# -- spec-file loader ---------------------------------------------------------------------------
_KEYS = ["name", "dataset", "models", "qubits", "samples", "seeds", "shots", "device", "execution",
         "attribution", "mitigation_factor", "max_iter", "test_size", "workers", "concurrency", "country",
         "carbon_intensity", "out_dir", "bogus"]
_toml_scalar = st.one_of(
    st.integers(-5, 40), st.integers(-2**63, 2**63 - 1), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.sampled_from(['"iris"', '"svm"', '"qsvc"', '"exact"', '"noisy:fake_manila"', '"ibm:x"',
                                    '"ibm_heron"', '"moons"', '"parallel"', '"nope"', '""', '"DE"']),
)


def _toml_value(x) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        return "nan" if x != x else ("inf" if x == float("inf") else "-inf" if x == float("-inf") else repr(x))
    return str(x)


@st.composite
def _spec_text(draw) -> bytes:
    lines = []
    for key in draw(st.lists(st.sampled_from(_KEYS), max_size=6, unique=True)):
        if draw(st.booleans()):
            values = draw(st.lists(_toml_scalar, max_size=3))
            lines.append(f"{key} = [{', '.join(_toml_value(v) for v in values)}]")
        else:
            lines.append(f"{key} = {_toml_value(draw(_toml_scalar))}")
    for _ in range(draw(st.integers(0, 2))):
        lines.append(draw(st.sampled_from(["[[grid]]", "[analysis]", "[grid]", "[[analysis]]"])))
        lines.append(f"{draw(st.sampled_from(_KEYS + ['max_qubits']))} = {_toml_value(draw(_toml_scalar))}")
    raw = "\n".join(lines).encode()
    if draw(st.booleans()) and raw:
        pos = draw(st.integers(0, len(raw) - 1))
        raw = raw[:pos] + draw(st.binary(min_size=1, max_size=3)) + raw[pos:]
    return raw


@FAST
@given(_spec_text())
def test_fuzz_spec_file_loader(raw):
    from qvc.experiment.specfile import load_spec_file

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "spec.toml"
        path.write_bytes(raw)
        spec = _library_outcome(lambda: load_spec_file(path))
        if spec is not None:
            assert spec.points  # a loaded spec is a sweep with points
        assert path.read_bytes() == raw
        assert sorted(p.name for p in Path(d).iterdir()) == ["spec.toml"]


# -- OpenQASM reader ----------------------------------------------------------------------------
_QASM_PIECES = ["OPENQASM 2.0;", "OPENQASM 3.0;", "OPENQASM 4;", 'include "qelib1.inc";', 'include "stdgates.inc";',
                'include "/etc/passwd";', 'include "../x.inc";', 'include "";', "qreg q[2];", "qreg q[0];",
                "creg c[2];", "qubit[2] q;", "bit[2] c;", "h q[0];", "cx q[0],q[1];", "rz(pi/3) q[1];",
                "measure q -> c;", "c = measure q;", "gate g a { h a; }", "g q[0];", "// comment", "/* x */",
                "x q[5];", "barrier q;", "u3(1,2,3) q[0];", "reset q[0];", ";", "}", "qreg q[99999999];"]


@st.composite
def _qasm_text(draw) -> bytes:
    pieces = draw(st.lists(st.sampled_from(_QASM_PIECES), max_size=8))
    raw = "\n".join(pieces).encode()
    if draw(st.booleans()):
        raw += draw(st.binary(max_size=6))
    return raw


@FAST
@given(_qasm_text())
def test_fuzz_qasm_reader(raw):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.qasm"
        path.write_bytes(raw)
        code, err = _cli(["estimate", str(path), "--device", "ibm_heron", "--shots", "10", "--draws", "20",
                          "--json"])
        _assert_clean_refusal(code, err)
        assert "root:" not in err  # nothing outside the file's folder is read into a message
        assert path.read_bytes() == raw


# -- qvc report input ---------------------------------------------------------------------------
_json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=False),
              st.text(max_size=12)),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=8), children, max_size=3)),
    max_leaves=6,
)
_META_KEYS = ["config", "meter", "device", "carbon", "hardware_model", "machine", "versions", "preprocessing",
              "seeds", "command", "run_id", "status", "started_utc", "finished_utc", "schema_version", "pid",
              "host", "ibm", "qvc_version"]
_CSV_COLUMNS = ["model", "seed", "accuracy_test", "fit_energy_j", "family", "qubits", "hw_energy_j",
                "schema_version", "dataset", "pair"]


@pytest.fixture(scope="module")
def report_template(tmp_path_factory):
    """One small real run folder that every example copies and damages."""
    from qvc.experiment import ExperimentSpec, run_experiment

    out = tmp_path_factory.mktemp("fuzz-runs")
    spec = ExperimentSpec("iris", qubits=2, models=("svm", "qsvc"), samples=24, out_dir=str(out),
                          max_repeats=1)
    return run_experiment(spec, progress=None).run_dir


@SLOW
@given(st.data())
def test_fuzz_report_input(report_template, data):
    with tempfile.TemporaryDirectory() as d:
        run = Path(d) / "run"
        shutil.copytree(report_template, run)
        if data.draw(st.booleans(), label="damage metadata"):
            meta = json.loads((run / "metadata.json").read_text())
            for key in data.draw(st.lists(st.sampled_from(_META_KEYS), min_size=1, max_size=3, unique=True)):
                meta[key] = data.draw(_json_value, label=key)
            (run / "metadata.json").write_text(json.dumps(meta))
        else:
            import pandas as pd

            frame = pd.read_csv(run / "results.csv")
            col = data.draw(st.sampled_from(_CSV_COLUMNS))
            row = data.draw(st.integers(0, len(frame) - 1))
            value = data.draw(st.one_of(st.floats(), st.integers(-10**30, 10**30), st.text(max_size=10),
                                        st.none()))
            frame[col] = frame[col].astype(object)
            frame.loc[row, col] = value
            frame.to_csv(run / "results.csv", index=False)
        before = _snapshot(run)
        code, err = _cli(["report", str(run)])
        _assert_clean_refusal(code, err)
        after = _snapshot(run)
        changed = {k for k in before if before[k] != after.get(k)}
        assert changed <= ({"report.md", "report.html"} if code == 0 else set()), changed


# -- issue 31 item 8: device files, spec-file names and paths, QASM sizes --------------------------
_ROOT = Path(__file__).resolve().parents[1]


def _device_block() -> str:
    import re

    src = (_ROOT / "qvc" / "energy" / "devices.toml").read_text()
    start = src.index("[devices.ionq_forte]")
    end = re.compile(r"\n\[devices\.(?!ionq_forte)").search(src, start + 5)
    return src[start:end.start() if end else len(src)].replace("devices.ionq_forte", "devices.mine")


_DEVICE_LINES = {  # a line of the preset -> hostile replacements of its value
    "num_qubits = ": ["{ value = 0, source = 'x' }", "{ value = 100000000000, source = 'x' }", "{ value = -3 }",
                      "{ value = 4096, source = 'x' }", "{ value = 1.5, source = 'x' }", "7", '"36"'],
    "basis_gates = ": ['["rz", "foo"]', "[]", '["RZ"]', '["measure"]', "[1, 2]", '["cx", "rz", "sx", "x"]',
                       '"rz"', '["u" , "cx"]'],
    "coupling = ": ['[[0, 1], [1, 99]]', '[[0, 0]]', '[[0, -1]]', '"grid:6x6"', '"grid:1x1"', '"grid:0x99"',
                    '"grid:99999999999x2"', '[[0, 1]]', '"ring"', "[]", '[[0, 1, 2]]'],
    "platform = ": ['"banana"', '""', '"photonic"', "3", '"../../etc"'],
    "gate_1q_s = ": ["{ low = 0, typical = 1e300, high = 1e308, source = 'x' }",
                     "{ low = nan, typical = 1, high = 2, source = 'x' }",
                     "{ low = 1, typical = 2, high = inf, source = 'x' }",
                     "{ low = 3, typical = 2, high = 1, source = 'x' }",
                     "{ low = 1e-9, typical = 2e-9, high = 3e-9, source = 'x' }", "{ low = 1 }"],
    "pue = ": ["{ low = 0.5, typical = 1, high = 1.2, source = 'x' }",
               "{ low = 1, typical = 10, high = 100, source = 'x' }", "{ low = 1.1, typical = 1.2, high = 1.3 }"],
    "max_circuits_per_job = ": ["{ value = 0, source = 'x' }", "{ value = 10000000000000000000, source = 'x' }",
                                "{ value = 300, source = '' }"],
    "static_w = ": ["{ low = 0, typical = 1, high = 1e308, source = 'x' }",
                    "{ low = -1, typical = 1, high = 2, source = 'x' }"],
}


@st.composite
def _device_text(draw) -> bytes:
    lines = _device_block().splitlines()
    for prefix in draw(st.lists(st.sampled_from(sorted(_DEVICE_LINES)), min_size=1, max_size=3, unique=True)):
        hits = [i for i, ln in enumerate(lines) if ln.startswith(prefix)]
        if hits:
            i = draw(st.sampled_from(hits))
            lines[i] = prefix + draw(st.sampled_from(_DEVICE_LINES[prefix]))
    raw = ("schema = 1\n" + "\n".join(lines) + "\n").encode()
    if draw(st.integers(0, 4)) == 0:
        pos = draw(st.integers(0, len(raw) - 1))
        raw = raw[:pos] + draw(st.binary(min_size=1, max_size=3)) + raw[pos:]
    return raw


@FAST
@given(_device_text())
def test_fuzz_device_file(raw):
    import math

    from qvc._validation import MAX_FILE_QUBITS
    from qvc.energy.devices import load_device_file

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "dev.toml"
        path.write_bytes(raw)
        devices = _library_outcome(lambda: load_device_file(path))
        if devices is not None:  # accepted: every number is finite and inside its bound
            dev = devices["mine"]
            assert 1 <= dev.num_qubits <= MAX_FILE_QUBITS
            for p in dev.timing_params.values():
                assert math.isfinite(p.high) and p.high <= 86_400
            assert 1.0 <= dev.pue.low <= dev.pue.high <= 5.0
        code, err = _cli(["devices", "--device-file", str(path), "--json"])
        _assert_clean_refusal(code, err)
        assert (code == 0) == (devices is not None)
        assert path.read_bytes() == raw and sorted(p.name for p in Path(d).iterdir()) == ["dev.toml"]


_NAME = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["../escape", "..", ".", "/tmp/qvc-fuzz-abs", "a/b", "a\\\\b", "C:x", "~", "~root", "-rf",
                     "$HOME", "a\\u0000b", "n" * 201, "\\u00e9t\\u00e9", " ", "x" * 200, "..\\\\..\\\\up"]),
    st.lists(st.sampled_from(["..", "/", "a", ".", "\\\\", "~"]), min_size=1, max_size=5).map("".join),
)


@FAST
@given(_NAME)
def test_fuzz_spec_file_name_never_leaves_out(name):
    from qvc.experiment.runner import new_run_dir
    from qvc.experiment.specfile import load_spec_file

    with tempfile.TemporaryDirectory() as d:
        spec = Path(d) / "s.toml"
        quoted = json.dumps(name)  # a TOML basic string takes JSON's escapes
        spec.write_text(f'name = {quoted}\ndataset = "iris"\nmodels = ["svm"]\nseeds = [1]\nqubits = [2]\n'
                        "samples = 40\ntune = false\n", encoding="utf-8", errors="surrogatepass")
        out = Path(d) / "out"
        loaded = _library_outcome(lambda: load_spec_file(spec))
        if loaded is not None:
            folder = _library_outcome(lambda: new_run_dir(out, loaded.name))
            if folder is not None:
                assert folder.resolve().parent == out.resolve()  # directly inside --out
        outside = {p.name for p in Path(d).iterdir()} - {"s.toml", "out"}
        assert not outside and not Path("/tmp/qvc-fuzz-abs").exists()


@st.composite
def _sized_qasm(draw) -> bytes:
    n = draw(st.one_of(st.integers(1, 64), st.integers(1, 10**12)))
    kind = draw(st.sampled_from(["qreg", "qubit", "loop", "chain", "broadcast"]))
    if kind == "qreg":
        text = f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{n}];\ncreg c[{n}];\nh q;\nmeasure q -> c;\n'
    elif kind == "qubit":
        text = f'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[{n}] q;\nh q[0];\n'
    elif kind == "loop":
        text = ('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\n'
                + "".join(f"for int i{k} in [0:{draw(st.integers(0, 10**7))}] {{ " for k in range(n % 4 + 1))
                + "h q[0];" + " }" * (n % 4 + 1) + "\n")
    elif kind == "chain":
        depth, calls = draw(st.integers(1, 60)), draw(st.integers(1, 4))
        defs = ["gate g0 a { h a; }"] + [f"gate g{i} a {{ {' '.join([f'g{i - 1} a;'] * calls)} }}"
                                         for i in range(1, depth)]
        text = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n' + "\n".join(defs) + f"\nqreg q[1];\ng{depth - 1} q[0];\n"
    else:
        width, lines = min(n, 5000), draw(st.integers(1, 400))
        text = f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{width}];\n' + "h q;\n" * lines
    return text.encode()


@FAST
@given(_sized_qasm())
def test_fuzz_qasm_sizes_are_bounded(raw):
    import resource
    import time

    from qvc.quantum.qasm import load_qasm

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.qasm"
        path.write_bytes(raw)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        circuit = _library_outcome(lambda: load_qasm(path))
        seconds = time.perf_counter() - t0
        grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        assert seconds < 20 and grown_mib < 512, (seconds, grown_mib)  # refused (or built) cheaply
        if circuit is not None:
            assert circuit.num_qubits <= 4096 and circuit.size() <= 1_000_000

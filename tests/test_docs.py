"""Docs that cannot lag the code (issue 32): option tables, documented commands, documented figures."""

from __future__ import annotations

import contextlib
import doctest
import io
import json
import re
import shlex
from pathlib import Path

import pytest

from qvc.cli import build_parser, main
from qvc.experiment.optiondoc import options_markdown
from qvc.experiment.spec import OPTIONS
from qvc.experiment.specfile import SPEC_KEYS

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ACCOUNT = "needs an IBM Quantum account"


def _run_parser():
    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    return sub.choices["run"]


def _spec_table() -> dict[str, list[str]]:
    """docs/SWEEPS.md's spec-key table: key -> its row's cells."""
    text = (ROOT / "docs" / "SWEEPS.md").read_text()
    start = text.index("| key | type | axis | meaning |")
    rows = {}
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        for key in re.findall(r"`([a-z_]+)`", cells[0]):
            rows[key] = cells
    return rows


def test_sweeps_table_has_every_spec_file_key_and_no_other():
    rows = _spec_table()
    assert sorted(set(SPEC_KEYS) - set(rows)) == [], "docs/SWEEPS.md lacks these spec-file keys"
    assert sorted(set(rows) - set(SPEC_KEYS)) == [], "docs/SWEEPS.md lists keys a spec file refuses"
    for key, (_, is_axis, _) in SPEC_KEYS.items():
        assert (rows[key][2] == "yes") == is_axis, f"{key}: axis column says {rows[key][2]!r}"


def test_readme_option_list_has_every_run_flag():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("Options of `qvc run`"):text.index("Bad input (an unknown")]
    flags = [a.option_strings[0] for a in _run_parser()._actions
             if a.option_strings and a.option_strings[0] != "-h"]
    missing = [f for f in flags if not re.search(re.escape(f) + r"(?![\w-])", section)]
    assert missing == [], "README's qvc run option list lacks these flags"
    assert len(flags) >= len([o for o in OPTIONS.values() if o.flag.startswith("-")])


def test_options_doc_is_generated_from_the_declarations():
    committed = (ROOT / "docs" / "OPTIONS.md").read_text()
    assert committed == options_markdown(), "docs/OPTIONS.md is stale: python -m qvc.experiment.optiondoc --write"
    for name, opt in OPTIONS.items():  # every field, flag and key has its row
        assert f"| `{name}` | `{opt.flag}`" in committed
        if opt.file_key:
            assert f"| `{opt.file_key}` |" in committed


def test_energy_md_measure_repeated_contract_doctest():
    result = doctest.testfile(str(ROOT / "docs" / "ENERGY.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5 and result.failed == 0


# ---- every command a doc shows --------------------------------------------------------------------

def _doc_commands() -> list[tuple[str, str, str]]:
    """(doc, command, comment) for every ``qvc ...`` line in a fenced block of README.md and docs/."""
    out = []
    for doc in DOCS:
        in_block = False
        for line in doc.read_text().splitlines():
            if line.startswith("```"):
                in_block = not in_block
                continue
            if in_block and line.startswith("qvc "):
                command, _, comment = line.partition("#")
                out.append((doc.name, command.strip(), comment.strip()))
    return out


#: Placeholders the docs write, and a value that parses in their place.
_PLACEHOLDERS = {"N": "2", "S": "5", "RUN": "reports/example", "RUN_A": "reports/example",
                 "RUN_B": "reports/example", "JOB_ID": "job-1", "PATH": "x.sqlite", "DIR": "out",
                 "SPEC.toml": "experiments/scaling.toml", "tcp://HOST:PORT": "tcp://localhost:8786"}


def _variants(command: str) -> list[list[str]]:
    """The command's argv with every ``[optional part]`` left out, and with all of them in."""
    bare = re.sub(r"\s*\[[^\]]*\]", "", command)
    full = re.sub(r"\[([^\]]*)\]", r"\1", command)
    out = []
    for text in dict.fromkeys((bare, full)):
        argv = [_PLACEHOLDERS.get(t, t) for t in shlex.split(text)[1:]]
        out.append([re.sub(r"<stamp>", "20260101T000000Z", t) for t in argv])
    return out


DOC_COMMANDS = _doc_commands()


def test_the_docs_show_commands():
    assert len(DOC_COMMANDS) >= 30


@pytest.mark.parametrize(("doc", "command", "comment"), DOC_COMMANDS, ids=[c for _, c, _ in DOC_COMMANDS])
def test_documented_command_parses_with_current_names(doc, command, comment):
    """Every documented command line parses, in its current spelling (no deprecated alias)."""
    if "ibm:ibm_" in command:  # a real backend: said next to the command
        assert ACCOUNT in comment, f"{doc}: {command!r} needs a real account; say '# {ACCOUNT}'"
    for argv in _variants(command):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            try:
                build_parser().parse_args(argv)
            except SystemExit as exc:
                pytest.fail(f"{doc}: {' '.join(argv)!r} does not parse: {err.getvalue().strip()} ({exc.code})")
        assert "deprecated" not in err.getvalue(), f"{doc}: {command!r} uses an old spelling"


#: Documented commands cheap enough to run here as written (no account, seconds).
_RUN_HERE = ("datasets", "devices", "estimate", "carbon", "meters")


@pytest.mark.parametrize(("doc", "command"), [(d, c) for d, c, _ in DOC_COMMANDS if c.split()[1] in _RUN_HERE],
                         ids=[c for _, c, _ in DOC_COMMANDS if c.split()[1] in _RUN_HERE])
def test_documented_quick_commands_run(doc, command, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    for argv in _variants(command):
        assert main(argv) == 0, f"{doc}: {' '.join(argv)!r}: {capsys.readouterr().err}"
        assert capsys.readouterr().out.strip()


@pytest.mark.parametrize(("doc", "command"), [(d, c) for d, c, m in DOC_COMMANDS
                                              if c.split()[1] == "run" and ACCOUNT not in m],
                         ids=[c for _, c, m in DOC_COMMANDS if c.split()[1] == "run" and ACCOUNT not in m])
def test_documented_runs_validate(doc, command, tmp_path, monkeypatch):
    """A documented ``qvc run`` builds a spec that validates as written (the runs themselves are the
    runner's tests); a CSV example is given a CSV with its columns."""
    from qvc.cli import _spec_from_args

    monkeypatch.chdir(tmp_path)
    if "data.csv" in command:
        rows = "\n".join(f"{i},{i % 3},{i * 2 % 5},{i % 2}" for i in range(24))
        (tmp_path / "data.csv").write_text("a,b,c,label\n" + rows + "\n")
    for argv in _variants(command):
        _spec_from_args(build_parser().parse_args(argv)).validate()


# ---- figures the docs quote -----------------------------------------------------------------------

def _estimate(*extra: str) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["estimate", str(ROOT / "examples" / "bell.qasm"), "--shots", "1000", "--circuits", "10",
                     "--json", *extra]) == 0
    return json.loads(out.getvalue())


def test_methodology_worked_example_is_what_the_shipped_bell_circuit_gives():
    text = (ROOT / "docs" / "methodology.md").read_text()
    heron = _estimate("--device", "ibm_heron")
    assert heron["duration_s"] == pytest.approx(1.692e-6) and "d = 32 + 68 + 32 + 1560 ns = 1.692 us" in text
    assert heron["qpu_seconds"]["typical"] == pytest.approx(5.51692) and "5.51692 s" in text
    assert heron["energy_j"]["total"]["typical"] == pytest.approx(122768.02076) and "122,768.02076 J" in text
    assert heron["esp"] == pytest.approx(0.80963, abs=5e-6) and "= 0.80963" in text
    marginal = _estimate("--device", "ibm_heron", "--attribution", "marginal")
    assert marginal["energy_j"]["total"]["typical"] == pytest.approx(5167.147272) and "5,167.147272 J" in text
    pec = _estimate("--device", "ibm_heron", "--mitigation", "pec")
    assert pec["mitigation_overhead"] == pytest.approx(2.54396, abs=5e-6) and "**2.54396**" in text
    assert pec["energy_j"]["total"]["typical"] == pytest.approx(209245.95, abs=0.01) and "209,245.95 J" in text
    ionq = _estimate("--device", "ionq_forte")
    assert ionq["duration_s"] == pytest.approx(1.205e-3) and ionq["qpu_seconds"]["typical"] == pytest.approx(27.15)
    assert "1.205 ms" in text and "= 27.15 s" in text
    atom = _estimate("--device", "neutral_atom")
    assert atom["duration_s"] == pytest.approx(10.0025e-3) and "= 10.0025 ms" in text


def test_old_spellings_still_work_with_one_deprecation_line(capsys, tmp_path):
    import warnings

    from qvc.experiment.spec import ExperimentSpec

    assert main(["estimate", str(ROOT / "examples" / "bell.qasm"), "--device", "ibm_heron", "--shots", "10",
                 "--mode", "marginal", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["mode"] == "marginal"
    assert captured.err.strip().splitlines() == [
        "qvc: warning: '--mode' is deprecated: use '--attribution' (same meaning); the old spelling will be removed"]
    args = build_parser().parse_args(["run", "iris", "--seed", "7"])
    assert args.seeds == [7] and "'--seed' is deprecated: use '--seeds'" in capsys.readouterr().err
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec = ExperimentSpec("iris", max_samples=40)
        assert spec.samples == 40 and spec.max_samples == 40
    assert [str(w.message) for w in caught] == [
        "'max_samples' is deprecated: use 'samples' (same meaning); the old spelling will be removed"] * 2
    assert all(w.category is FutureWarning for w in caught)

"""One declaration per option: each ExperimentSpec field's flag, help, range and spec-file key.

The ``qvc run`` parser, ``_spec_from_args``, the argument-only checks, the spec-file schema
and ``ExperimentSpec.validate`` read the declarations; these tests hold them to it.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path

import pytest

from qvc import _preflight
from qvc.cli import _RUN_LAYOUT, _RUN_ONLY, _spec_from_args, build_parser, main
from qvc.errors import QvcUsageError
from qvc.experiment.spec import OPTIONS, SPEC_DEFAULTS, ExperimentSpec, check_option, flag_message, help_text
from qvc.experiment.specfile import SPEC_KEYS, load_spec_file

ROOT = Path(__file__).resolve().parents[1]


def _run_parser() -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["run"]


def _actions() -> dict[str, argparse.Action]:
    out = {}
    for a in _run_parser()._actions:
        for s in a.option_strings or [a.dest]:
            out[s] = a
    return out


def test_every_field_declares_an_option():
    assert set(OPTIONS) == {f.name for f in fields(ExperimentSpec)}
    for name, opt in OPTIONS.items():
        assert opt.flag and opt.help, name
        assert (opt.bound is None) or opt.why, f"{name}: a bound needs its reason"


def test_every_flagged_field_is_in_the_parser_with_its_declared_help_and_default():
    actions = _actions()
    for name, opt in OPTIONS.items():
        key = opt.flag if opt.flag.startswith("-") else name
        assert key in actions, f"{name}: {opt.flag} missing from 'qvc run'"
        action = actions[key]
        assert action.dest == name, name
        assert action.help == help_text(name), name
        if not opt.flag.startswith("-"):
            continue  # the positional dataset has no default
        if opt.kind == "params":
            from qvc.models.hyperparams import parse_param_assignments

            assert parse_param_assignments(action.default) == SPEC_DEFAULTS[name]
        else:
            assert action.default == SPEC_DEFAULTS[name], name
    # the layout places every field once, and nothing else but the command's own flags
    placed = [n for _, entries in _RUN_LAYOUT for e in entries for n in (e if isinstance(e, tuple) else (e,))]
    assert sorted(n for n in placed if n not in _RUN_ONLY) == sorted(OPTIONS)
    assert len(placed) == len(set(placed))


def test_help_has_no_stale_literal_defaults():
    for name, opt in OPTIONS.items():
        default = SPEC_DEFAULTS.get(name)
        if isinstance(default, (int, float)) and not isinstance(default, bool) and "(default" in opt.help:
            assert "{default}" in opt.help, f"{name}: write the default as {{default}}, not a literal"
    assert "(default 42,43,44,45,46,47,48,49,50,51)" in help_text("seeds")
    assert "(default 0.02)" in help_text("shots_tolerance")


def test_default_command_line_gives_the_default_spec():
    args = build_parser().parse_args(["run", "iris"])
    assert args.seeds == SPEC_DEFAULTS["seeds"] == tuple(range(42, 52))  # the preflight checks the seeds that run
    assert _spec_from_args(args) == ExperimentSpec("iris")


def test_every_command_line_value_reaches_its_field(tmp_path):
    args = build_parser().parse_args([
        "run", "iris", "--qubits", "3", "--models", "svm,qsvc", "--frontier", "logreg", "--seeds", "1,2",
        "--shots", "2048", "--shots-tolerance", "0.1", "--shots-cap", "4096", "--device", "ibm_eagle",
        "--attribution", "marginal", "--mitigation", "zne", "--mitigation-factor", "2", "--host", "server_2s",
        "--execution", "shots", "--entanglement", "linear", "--max-iter", "7", "--test-size", "0.3",
        "--samples", "40", "--out", str(tmp_path), "--no-tune", "--param", "svm.C=10", "--tune-budget", "3",
        "--cv-folds", "4", "--target-accuracy", "0.8", "--ibm-timeout", "5", "--max-qpu-seconds", "9",
        "--country", "FR", "--idle-baseline", "1", "--min-window", "0.5", "--max-repeats", "9",
    ])
    spec = _spec_from_args(args)
    assert spec == ExperimentSpec(
        "iris", qubits=3, models=("svm", "qsvc"), frontier=("logreg",), seeds=(1, 2), shots=2048,
        shots_tolerance=0.1, shots_cap=4096, device="ibm_eagle", attribution="marginal", mitigation="zne",
        mitigation_factor=2.0, host="server_2s", execution="shots", entanglement="linear", max_iter=7,
        test_size=0.3, samples=40, out_dir=str(tmp_path), tune=False, params={"svm": {"C": 10.0}},
        tune_budget=3, cv_folds=4, target_accuracy=0.8, ibm_timeout_s=5.0, ibm_max_qpu_seconds=9.0,
        country="FR", idle_baseline_s=1.0, min_window_s=0.5, max_repeats=9,
    )
    assert _spec_from_args(build_parser().parse_args(["run", "iris", "--frontier"])).frontier == ("all",)


def test_spec_file_keys_are_the_declared_ones():
    declared = {opt.file_key: name for name, opt in OPTIONS.items() if opt.file_key}
    assert set(SPEC_KEYS) == set(declared) | {"name", "workers", "concurrency"}
    for key, name in declared.items():
        assert SPEC_KEYS[key][0] == OPTIONS[name].file_type


def test_recorded_sweep_points_keep_their_ids():
    """The point settings (generated from the declarations) hash as before: resumes find their points."""
    from qvc.experiment.specfile import Point

    sweep = json.loads((ROOT / "reports" / "scaling-example" / "sweep.json").read_text())
    assert sweep["points"] and all(Point.from_dict(d).point_id == d["point_id"] for d in sweep["points"])


# -- a bound holds at every entry point, with one reason ------------------------------------------
def _too_big(name: str):
    opt = OPTIONS[name]
    assert opt.bound is not None
    return int(opt.bound) * 1000 if opt.integer else opt.bound * 1000


BOUNDED = [name for name, opt in OPTIONS.items() if opt.bound is not None]


@pytest.mark.parametrize("name", BOUNDED)
def test_bound_is_enforced_by_validate_cli_and_spec_file(name, tmp_path, capsys):
    opt = OPTIONS[name]
    value = _too_big(name)
    library = {name: (value,) if opt.kind == "ints" else value}
    with pytest.raises(QvcUsageError) as info:
        ExperimentSpec("iris", models=("svm",), **library).validate()
    assert info.value.key == name and opt.why in str(info.value)
    expected = flag_message(info.value)
    text = str(value) if opt.integer else f"{value:g}"
    assert main(["run", "iris", "--models", "svm", opt.flag, text, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"qvc: error: {expected}"  # the same refusal, word for word
    assert not (tmp_path / "o").exists()
    if opt.file_key:
        path = tmp_path / "s.toml"
        path.write_text(f'dataset = "iris"\nmodels = ["svm"]\n{opt.file_key} = {json.dumps(value)}\n')
        with pytest.raises(QvcUsageError) as info:
            load_spec_file(path)
        assert f"key {opt.file_key!r}" in str(info.value) and opt.why in str(info.value)


def test_shots_1e12_is_refused_for_its_bound_everywhere(tmp_path, capsys):
    why = OPTIONS["shots"].why
    with pytest.raises(QvcUsageError, match="QPU time") as info:
        ExperimentSpec("iris", shots=10**12).validate()
    assert info.value.key == "shots"
    assert main(["run", "iris", "--shots", "1e12", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == f"qvc: error: {flag_message(info.value)}"
    path = tmp_path / "s.toml"
    path.write_text('dataset = "iris"\nmodels = ["svm"]\nshots = 1_000_000_000_000\n')
    with pytest.raises(QvcUsageError, match="key 'shots'") as spec_info:
        load_spec_file(path)
    assert why in str(spec_info.value)


def test_estimate_uses_the_run_options_bounds(tmp_path, capsys):
    qasm = tmp_path / "bell.qasm"
    qasm.write_text('OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; h q[0]; cx q[0],q[1];')
    assert main(["estimate", str(qasm), "--device", "ibm_heron", "--shots", str(10**12)]) == 2
    assert OPTIONS["shots"].why in capsys.readouterr().err
    assert main(["estimate", str(qasm), "--device", "ibm_heron", "--shots", "10", "--mitigation-factor",
                 "1e9"]) == 2
    assert OPTIONS["mitigation_factor"].why in capsys.readouterr().err


def test_check_option_counts_and_ranges():
    assert check_option("seeds", [0, 2**32 - 1]) == (0, 2**32 - 1)
    with pytest.raises(QvcUsageError, match="at most 1000"):
        check_option("seeds", range(1001))
    with pytest.raises(QvcUsageError, match="samples must be >= 4"):
        ExperimentSpec("iris", samples=3).validate()


# -- defect 3: the effective entanglement (a fixed --param wins) sizes the MPS guard ------------
_MPS_30 = ["run", "breast_cancer", "--qubits", "30", "--samples", "40", "--models", "qsvc", "--execution", "mps"]


def _accepted(argv: list[str]) -> ExperimentSpec:
    args = build_parser().parse_args(argv)
    _preflight.check_run_args(args)
    return _spec_from_args(args).validate()  # validation only: the 30-qubit run itself is not started


def test_param_entanglement_and_entanglement_flag_pass_the_same_mps_guard(tmp_path):
    out = ["--out", str(tmp_path)]
    by_param = _accepted([*_MPS_30, *out, "--param", "qsvc.entanglement=linear"])
    by_flag = _accepted([*_MPS_30, *out, "--entanglement", "linear"])
    assert by_param.feature_map_entanglement("qsvc") == by_flag.feature_map_entanglement("qsvc") == "linear"
    from qvc.models.registry import ModelConfig, resolve_params

    for spec in (by_param, by_flag):  # the model the run builds gets the map the guard sized
        cfg = ModelConfig(n_features=30, n_classes=2, execution=spec.execution, entanglement=spec.entanglement,
                          params=spec.params)
        assert resolve_params("qsvc", cfg)["entanglement"] == spec.feature_map_entanglement("qsvc") == "linear"
    with pytest.raises(QvcUsageError, match="bond dimension up to 32768"):
        _accepted([*_MPS_30, *out])
    with pytest.raises(QvcUsageError, match="bond dimension up to 32768"):  # a fixed full map wins over the flag
        _accepted([*_MPS_30, *out, "--entanglement", "linear", "--param", "qsvc.entanglement=full"])


def test_spec_file_mps_guard_uses_the_fixed_entanglement(tmp_path):
    base = ('dataset = "breast_cancer"\nmodels = ["qsvc"]\nqubits = 30\nsamples = 40\nseeds = [1]\n'
            'execution = "mps"\ntune = false\n')
    path = tmp_path / "s.toml"
    path.write_text(base + '[params.qsvc]\nentanglement = "linear"\n')
    assert len(load_spec_file(path).points) == 1
    path.write_text(base + 'entanglement = "linear"\n')
    assert len(load_spec_file(path).points) == 1
    path.write_text(base)
    with pytest.raises(QvcUsageError, match="bond dimension up to 32768"):
        load_spec_file(path)


def test_help_quotes_the_defaults_other_modules_resolve():
    """A None field is resolved elsewhere; the help's number is that module's (not importable light)."""
    from qvc.energy.carbon import WORLD_DEFAULT_G_PER_KWH
    from qvc.experiment.ibm import OPEN_PLAN_QPU_SECONDS
    from qvc.models.hyperparams import DEFAULT_SEARCH_SPACE
    from qvc.quantum.ibm.context import DEFAULT_TIMEOUT_S

    assert f"world average {WORLD_DEFAULT_G_PER_KWH:g})" in help_text("carbon_intensity")
    assert f"(default {OPEN_PLAN_QPU_SECONDS:g}," in help_text("ibm_max_qpu_seconds")
    assert f"(default {DEFAULT_TIMEOUT_S:g};" in help_text("ibm_timeout_s")
    assert f"(default: qvc/models/{Path(DEFAULT_SEARCH_SPACE).name})" in help_text("search_space")

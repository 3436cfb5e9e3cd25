"""Reports: regeneration without re-running, errors that overwrite nothing, optional columns."""

from __future__ import annotations

import inspect
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qvc.cli import main
from qvc.record.results import SCHEMA_VERSION, load_results, write_results
from qvc.report import write_report
from qvc.report.columns import component_columns, label_of, labels_of
from qvc.report.markdown import render_markdown
from qvc.report.run_report import build_run_report


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir()) if p.is_file()}


# --------------------------------------------------------------------------- regeneration
def test_runner_writes_both_reports(iris_run):
    names = {p.name for p in iris_run.iterdir()}
    assert {"results.csv", "metadata.json", "report.md", "report.html"} <= names
    page = (iris_run / "report.html").read_text()
    assert page.count("<svg") >= 2  # accuracy-vs-energy and per-phase figures
    assert "qsvc" in page and "svm" in page


def test_report_regenerated_from_copy_without_fitting(iris_run, tmp_path, monkeypatch):
    """`qvc report` on a copied folder reproduces the same files and fits nothing."""
    copy = tmp_path / "copied-run"
    shutil.copytree(iris_run, copy)
    (copy / "report.md").unlink()
    (copy / "report.html").unlink()

    calls = []

    def forbidden(*args, **kwargs):
        calls.append(args)
        raise AssertionError("a model was fitted or an experiment re-run during 'qvc report'")

    import sklearn.neural_network
    import sklearn.svm

    import qvc.energy.meters
    import qvc.experiment.runner
    import qvc.models.registry

    for cls in (sklearn.svm.SVC, sklearn.neural_network.MLPClassifier):
        monkeypatch.setattr(cls, "fit", forbidden)
    patched_qvc = 0
    for _, obj in inspect.getmembers(qvc.models, inspect.isclass):
        if hasattr(obj, "fit"):
            monkeypatch.setattr(obj, "fit", forbidden)
            patched_qvc += 1
    assert patched_qvc >= 2  # the quantum estimators are guarded too
    monkeypatch.setattr(qvc.models.registry, "build_model", forbidden)
    monkeypatch.setattr(qvc.experiment.runner, "run_experiment", forbidden)
    monkeypatch.setattr(qvc.energy.meters.EnergyMeter, "begin_window", forbidden)

    assert main(["report", str(copy)]) == 0
    assert calls == []
    assert (copy / "report.html").read_bytes() == (iris_run / "report.html").read_bytes()
    assert (copy / "report.md").read_bytes() == (iris_run / "report.md").read_bytes()


def test_report_numbers_match_results(iris_run):
    """The headline means are the means of results.csv's rows."""
    frame = load_results(iris_run)
    md = (iris_run / "report.md").read_text()
    for model in ("svm", "qsvc"):
        acc = frame.loc[frame["model"] == model, "accuracy_test"].mean()
        assert f"{acc:.3g}" in md
    q = frame[frame["model"] == "qsvc"]
    c = frame[frame["model"] == "svm"]
    # the ratio is the geometric mean of the per-seed ratios, search + fit + predict on both sides
    from scipy.stats import gmean

    from qvc.report.frontier import ratio_text

    def total(g):
        return (g["tune_energy_j"].fillna(0) + g["fit_energy_j"] + g["predict_energy_j"]).to_numpy()

    assert (q["seed"].to_numpy() == c["seed"].to_numpy()).all()
    assert f"{ratio_text(gmean(total(q) / total(c)))} the energy of svm simulated locally" in md
    assert "(estimated)" in md and "(modelled)" in md
    assert "mlp has no quantum partner" in md


# --------------------------------------------------------------------------- errors
def _corrupt_binary(d: Path) -> None:
    (d / "results.csv").write_bytes(b"\x00\xff\xfe\x81garbage\x00\x00" * 50)


def _corrupt_ragged(d: Path) -> None:
    (d / "results.csv").write_text("schema_version,model\n1,svm,extra,fields,here\n")


def _header_only(d: Path) -> None:
    (d / "results.csv").write_text(",".join(["schema_version", "model", "family", "seed", "accuracy_test"]) + "\n")


def _not_numeric_schema(d: Path) -> None:
    frame = pd.read_csv(d / "results.csv")
    frame["schema_version"] = "abc"
    frame.to_csv(d / "results.csv", index=False)


def _newer_schema(d: Path) -> None:
    frame = pd.read_csv(d / "results.csv")
    frame["schema_version"] = SCHEMA_VERSION + 1
    frame.to_csv(d / "results.csv", index=False)


def _missing_results(d: Path) -> None:
    (d / "results.csv").unlink()


def _missing_metadata(d: Path) -> None:
    (d / "metadata.json").unlink()


def _corrupt_metadata(d: Path) -> None:
    (d / "metadata.json").write_text('{"run_id": "x", ')


def _newer_metadata(d: Path) -> None:
    meta = json.loads((d / "metadata.json").read_text())
    meta["schema_version"] = SCHEMA_VERSION + 1
    (d / "metadata.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("damage, words", [
    (_corrupt_binary, "cannot read"),
    (_corrupt_ragged, "cannot read"),
    (_header_only, "no result rows"),
    (_not_numeric_schema, "schema_version"),
    (_newer_schema, "newer than this qvc"),
    (_missing_results, "no results file"),
    (_missing_metadata, "no metadata.json"),
    (_corrupt_metadata, "cannot read"),
    (_newer_metadata, "newer than this qvc"),
])
def test_bad_run_folder_exit_2_nothing_overwritten(iris_run, tmp_path, capsys, damage, words):
    d = tmp_path / "run"
    shutil.copytree(iris_run, d)
    damage(d)
    before = _snapshot(d)
    assert main(["report", str(d)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qvc: error: ") and words in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert _snapshot(d) == before  # same files, same bytes, same mtimes


def test_empty_and_missing_folder_exit_2(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty)]) == 2
    assert "is empty" in capsys.readouterr().err
    assert list(empty.iterdir()) == []
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_report_argument_errors(tmp_path, capsys):
    assert main(["report"]) == 2
    assert "give one of" in capsys.readouterr().err
    assert main(["report", str(tmp_path), "--index", str(tmp_path)]) == 2
    assert main(["report", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "--out only applies" in capsys.readouterr().err


# --------------------------------------------------------------------------- compare / index
def test_compare_two_runs(iris_run, tmp_path):
    other = tmp_path / "iris-other"
    shutil.copytree(iris_run, other)
    frame = pd.read_csv(other / "results.csv")
    frame["fit_energy_j"] *= 2  # run B used twice the fit energy
    frame.to_csv(other / "results.csv", index=False)
    meta = json.loads((other / "metadata.json").read_text())
    meta["run_id"] = "iris-other"
    meta["config"]["shots"] = 4096
    meta["config"]["out_dir"] = "/somewhere/else"
    (other / "metadata.json").write_text(json.dumps(meta))
    before = _snapshot(iris_run)

    out = tmp_path / "cmp"
    assert main(["report", "--compare", str(iris_run), str(other), "--out", str(out)]) == 0
    md = (out / "report.md").read_text()
    assert iris_run.name in md and "iris-other" in md
    fa = load_results(iris_run)
    svm = fa[fa["model"] == "svm"]
    a_local = (svm["fit_energy_j"] + svm["predict_energy_j"]).mean()
    b_local = (2 * svm["fit_energy_j"] + svm["predict_energy_j"]).mean()
    assert f"{b_local / a_local:.3g}×" in md
    # settings: one readable row per differing setting, not whole JSON blobs; out_dir is not a setting
    diff = md.split("## What differs between the runs", 1)[1]
    a_shots = json.loads((iris_run / "metadata.json").read_text())["config"]["shots"]
    assert f"| config.shots | {a_shots} | 4096 |" in diff
    assert "out_dir" not in diff and "{" not in diff
    assert "<svg" in (out / "report.html").read_text()
    assert _snapshot(iris_run) == before  # the compared runs are only read


def test_index_lists_runs_and_damaged_ones(iris_run, tmp_path, capsys):
    root = tmp_path / "reports"
    root.mkdir()
    shutil.copytree(iris_run, root / iris_run.name)
    broken = root / "iris-broken"
    shutil.copytree(iris_run, broken)
    (broken / "results.csv").write_text("not,a\nresults,file,at all\n")
    assert main(["report", "--index", str(root)]) == 0
    page = (root / "index.html").read_text()
    assert f'href="{iris_run.name}/report.html"' in page
    assert "iris-broken" in page and "unreadable" in page
    svm_acc = load_results(iris_run).query("model == 'svm'")["accuracy_test"].mean()
    assert f"svm {svm_acc:.2f}" in page  # mean test accuracy of svm over the run's seeds
    # a sweep folder is listed as a sweep with its progress and a link to its report, not "unreadable"
    sweep = root / "iris-sweep"
    sweep.mkdir()
    shutil.copy(iris_run / "results.csv", sweep / "results.csv")
    (sweep / "sweep_report.html").write_text("<html></html>")
    n_rows = len(pd.read_csv(sweep / "results.csv"))
    points = [{"dataset": "iris", "model": "svm", "seed": s} for s in range(n_rows + 2)]
    (sweep / "sweep.json").write_text(json.dumps({"kind": "sweep", "schema_version": SCHEMA_VERSION,
                                                  "status": "interrupted: KeyboardInterrupt",
                                                  "created_utc": "2026-01-01T00:00:00+00:00",
                                                  "points": points}))
    assert main(["report", "--index", str(root)]) == 0
    page = (root / "index.html").read_text()
    assert 'href="iris-sweep/sweep_report.html"' in page
    assert f"sweep: {n_rows} of {n_rows + 2} points, interrupted: KeyboardInterrupt" in page
    assert page.count("unreadable") == 1  # only the broken run folder
    empty = tmp_path / "none"
    empty.mkdir()
    assert main(["report", "--index", str(empty)]) == 2
    assert "no run folders" in capsys.readouterr().err


# --------------------------------------------------------------------------- optional columns
def _rich_rows() -> list[dict]:
    """Hand-built rows with every optional column family the report knows about."""
    rows = []
    for seed, (acc_c, acc_q) in zip((1, 2, 3), ((0.95, 0.90), (0.97, 0.93), (0.96, 0.95))):
        base = {"schema_version": SCHEMA_VERSION, "run_id": "rich", "dataset": "iris", "pair": "svm",
                "seed": seed, "execution": "classical", "qubits": 4, "n_train": 112, "n_test": 38,
                "energy_meter": "rapl", "accuracy_train": 1.0, "f1_test": 0.9,
                "fit_seconds": 0.01, "predict_seconds": 0.001}
        rows.append({**base, "model": "svm", "family": "classical", "accuracy_test": acc_c,
                     "fit_energy_j": 0.2, "fit_energy_method": "measured",
                     "predict_energy_j": 0.05, "predict_energy_method": "measured",
                     "fit_gco2e": 2.6e-5, "predict_gco2e": 6.6e-6,
                     "circuits_fit": 0, "circuits_predict": 0, "hw_jobs": 0})
        rows.append({**base, "model": "qsvc", "family": "quantum", "execution": "exact",
                     "accuracy_test": acc_q, "fit_energy_j": 20.0, "fit_energy_method": "measured",
                     "predict_energy_j": 5.0, "predict_energy_method": "measured",
                     "fit_gco2e": 2.6e-3, "predict_gco2e": 6.6e-4,
                     "circuits_fit": 6216, "circuits_predict": 4000, "shots": 1024, "device": "ibm_heron",
                     "hw_jobs": 2, "hw_qpu_seconds": 2700.0, "hw_qpu_seconds_low": 2000.0,
                     "hw_qpu_seconds_high": 3500.0, "hw_energy_j": 1.0e7, "hw_energy_j_low": 5.0e6,
                     "hw_energy_j_high": 2.0e7, "hw_energy_method": "modelled",
                     "hw_energy_cryogenics_j": 6.0e6, "hw_energy_control_j": 3.0e6,
                     "hw_energy_servers_j": 1.0e6, "hw_gco2e": 1300.0,
                     "hw_attribution": "attributional", "hw_landauer_j": 1.0e-15})
    return rows


@pytest.fixture()
def rich_run(tmp_path) -> Path:
    d = tmp_path / "rich"
    d.mkdir()
    write_results(_rich_rows(), d / "results.csv")
    meta = {"schema_version": SCHEMA_VERSION, "run_id": "rich", "status": "complete", "seeds": [1, 2, 3],
            "config": {"dataset": "iris", "execution": "exact"},
            "meter": {"meter": "rapl", "method": "measured", "reason": ""},
            "device": {"name": "ibm_heron", "description": "test preset",
                       "sources": {"system_power_w": "see https://arxiv.org/abs/2205.12092 (text only)"}},
            "carbon": {"intensity_g_per_kwh": 475, "source": "world average"}}
    (d / "metadata.json").write_text(json.dumps(meta))
    return d


def test_load_results_types_new_columns(rich_run):
    frame = load_results(rich_run)
    assert str(frame["seed"].dtype) == "Int64"
    assert str(frame["circuits_fit"].dtype) == "Int64"
    for col in ("hw_energy_j_low", "hw_energy_cryogenics_j", "fit_gco2e", "hw_landauer_j"):
        assert frame[col].dtype == np.float64, col
    assert frame["hw_attribution"].dtype != np.float64  # all-NaN for classical rows, still text
    assert frame.loc[frame["model"] == "qsvc", "hw_attribution"].iloc[0] == "attributional"
    assert frame["shots"].isna().sum() == 3 and frame["shots"].max() == 1024


def test_optional_columns_rendered(rich_run):
    md_path, html_path = write_report(rich_run)
    md, page = md_path.read_text(), html_path.read_text()
    # the hardware energy with the cost model's interval; no ratio across attribution modes: the
    # classical rows carry no attributed energy, so the hardware ratio is not quoted
    assert "| 1e+07; cost model 5e+06 to 2e+07" in md
    assert "not quoted: the classical side is not attributed like the hardware" in md
    assert "attributional" in md
    # components stacked bar present (a third figure), Landauer orders above floor: log10(1e7/1e-15)
    assert page.count("<svg") >= 3 and "No breakdown by component" not in md
    assert "| 22.0 |" in md
    # three seeds: the corrected test, with its interval and the detectable difference
    assert "3 seeds; Holm-adjusted p" in md and "90 % CI" in md
    assert "(measured)" in md and "(modelled)" in md
    assert "carbon" in md and "world average" in md  # unknown metadata is shown, not dropped


def test_labels_never_invented(rich_run):
    rows = _rich_rows()
    for r in rows:
        r.pop("predict_energy_method")
    frame = pd.DataFrame(rows)
    assert labels_of(frame, "predict_energy_j") == "unlabelled"
    assert label_of(rows[1], "fit_gco2e") == "measured"  # carbon inherits its energy's label
    assert label_of(rows[1], "hw_energy_control_j") == "modelled"
    assert label_of(rows[1], "hw_energy_j_high") == "modelled"
    assert component_columns(frame.columns) == {
        "cryogenics": "hw_energy_cryogenics_j", "control": "hw_energy_control_j",
        "servers": "hw_energy_servers_j"}
    md = render_markdown(build_run_report(frame, {"run_id": "x"}))
    assert "*(unlabelled)*" in md or "measured + unlabelled" in md


def test_hardware_ratio_pairs_the_same_attribution_and_carbon_follows_energy(rich_run):
    """Issue 24: with the classical side attributed like the hardware, the ratio is quoted, with the
    cost model's interval, and the carbon row divides like by like (its ratio is the energy ratio)."""
    frame = load_results(rich_run)
    frame["local_attribution"] = "attributional"
    frame["local_pue"] = 1.4
    frame["fit_energy_attributed_j"] = np.where(frame["model"] == "svm", 0.2, 28.0)
    frame["predict_energy_attributed_j"] = np.where(frame["model"] == "svm", 0.05, 7.0)
    frame["carbon_intensity_g_per_kwh"] = 475.0
    md = render_markdown(build_run_report(frame, {"run_id": "x"}))
    # 1e7 / (0.2 + 0.05) = 4e7 on every seed; the cost model's interval 5e6..2e7 around 1e7
    assert ("4e+07× (the same on all 3 seeds); cost model 2e+07× to 8e+07× quantum on hardware / classical local "
            "(attributional both sides, PUE 1.4 on both") in md
    carbon = next(line for line in md.splitlines() if line.startswith("| modelled hardware carbon"))
    assert "4e+07×" in carbon and "475 gCO2e/kWh on both" in carbon


def test_single_seed_says_significance_not_judged(tmp_path):
    rows = [r for r in _rich_rows() if r["seed"] == 1]
    md = render_markdown(build_run_report(pd.DataFrame(rows), {"run_id": "one"}))
    assert "not tested: fewer than 3 seeds" in md
    assert "No breakdown by component" not in md


def test_missing_optional_columns_give_notes(iris_run, tmp_path):
    """A results file without the optional column families (e.g. from an older qvc) still renders."""
    d = tmp_path / "old"
    shutil.copytree(iris_run, d)
    frame = pd.read_csv(d / "results.csv")
    optional = [c for c in frame.columns if c.startswith("hw_energy_") and c != "hw_energy_method"
                or "gco2e" in c or "landauer" in c or c in ("hw_attribution", "carbon_intensity_g_per_kwh")
                or c.endswith(("_low", "_high", "_repeats", "_spread"))]
    frame.drop(columns=optional).to_csv(d / "results.csv", index=False)
    meta = json.loads((d / "metadata.json").read_text())
    meta.pop("hardware_model", None)
    meta["config"].pop("attribution", None)
    (d / "metadata.json").write_text(json.dumps(meta))
    md_path, _ = write_report(d)
    md = md_path.read_text()
    assert "No breakdown by component" in md
    assert "no thermodynamic floor" in md
    assert "attribution mode**: not recorded in this run" in md


def test_truncated_results_file_is_an_error(iris_run, tmp_path, capsys):
    d = tmp_path / "run"
    shutil.copytree(iris_run, d)
    text = (d / "results.csv").read_text()
    (d / "results.csv").write_text(text[: len(text) - 200])  # a half-written last row
    before = _snapshot(d)
    assert main(["report", str(d)]) == 2
    assert "damaged" in capsys.readouterr().err
    assert _snapshot(d) == before


def test_sweep_figure_when_qubits_vary(tmp_path):
    rows = []
    for q in (2, 3, 4):
        for r in _rich_rows():
            rows.append({**r, "qubits": q, "hw_energy_j": r.get("hw_energy_j", np.nan) and q * 1e6})
    doc = build_run_report(pd.DataFrame(rows), {"run_id": "sweep"})
    titles = [s.title for s in doc.sections]
    assert "Sweep" in titles
    md = render_markdown(doc)
    assert "qsvc q=2" in md and "qsvc q=4" in md  # the varying field names each configuration


def test_committed_example_renders(tmp_path):
    """reports/example/ holds a real run (both pairs, the frontier, the default seeds) that `qvc report` rebuilds."""
    from qvc.models.registry import DEFAULT_MODELS, FRONTIER_MODELS

    example = Path(__file__).resolve().parents[1] / "reports" / "example"
    frame = load_results(example)
    # a default run with --frontier: the opt-in families (iqp, pqk, reupload) are not in it
    assert sorted(set(frame["model"])) == sorted(DEFAULT_MODELS + FRONTIER_MODELS)
    assert set(frame["seed"]) == set(range(42, 52))
    assert frame["tuned"].all() and frame["above_majority"].all()
    assert "the least-energy classical model shown" in (example / "report.md").read_text()
    assert set(frame["fit_energy_method"]) <= {"measured", "estimated"}
    assert set(frame.loc[frame["family"] == "quantum", "hw_energy_method"]) <= {"modelled", "hardware-reported"}
    copy = tmp_path / "example"
    shutil.copytree(example, copy)
    _, page = write_report(copy)
    assert page.read_text().count("<svg") >= 2
    assert (example / "regenerate.sh").is_file()


def test_hardware_components_come_from_the_schema():
    from qvc.record.results import COLUMNS, HW_COMPONENT_COLUMNS
    from qvc.report.columns import component_columns

    assert set(HW_COMPONENT_COLUMNS) <= set(COLUMNS)
    # every schema column the report takes for a component is one, whatever its spelling
    assert set(component_columns(COLUMNS).values()) == set(HW_COMPONENT_COLUMNS)
    # a column outside the schema still follows the naming rule (another module's component)
    assert component_columns(["hw_energy_pumps_j", "hw_energy_total_j"]) == {"pumps": "hw_energy_pumps_j"}


def test_a_pair_at_chance_quotes_no_ratio_in_the_headline_table():
    """A model that does not beat the majority rate is flagged in every ratio cell, not priced."""
    rows = []
    for seed in (1, 2):
        for model, family, acc in (("svm", "classical", 0.9), ("qsvc", "quantum", 0.6)):
            rows.append(dict(model=model, family=family, pair="svm", seed=seed, dataset="d", qubits=4,
                             accuracy_test=acc, majority_rate=0.6, above_majority=acc > 0.6,
                             fit_energy_j=1.0, predict_energy_j=0.1, fit_energy_method="estimated",
                             predict_energy_method="estimated"))
    md = render_markdown(build_run_report(pd.DataFrame(rows), {"run_id": "x"}))
    headline = md.split("## Headline")[1].split("\n## ")[0]
    assert "not quoted: qsvc at chance" in headline
    assert "quantum simulated / classical" not in headline


def test_every_ratio_the_report_prints_names_one_mode_for_both_sides(iris_run):
    """Issue 24: each energy ratio pairs the same attribution on both sides and says which (local:
    both marginal; hardware: the hardware's mode, with the classical side attributed alike)."""
    import re

    md = (iris_run / "report.md").read_text().split("## Method", 1)[0]
    ratio = re.compile(r"\d×")
    lines = [line for line in md.splitlines() if ratio.search(line) and "mitigation (shots ×)" not in line]
    assert lines, "the report quotes ratios"
    for line in lines:
        assert "both sides" in line or "marginal" in line, line
        assert "modes differ" not in line and "not matched" not in line, line


def test_component_chart_and_headline_quote_the_same_statistic():
    """The bars add up to hw_energy_j, the Monte Carlo median the headline quotes, not to the typical total."""
    from qvc.report import plots
    from qvc.report.components import STATISTIC, headline_components

    rows = _rich_rows()
    for r in rows:
        if r["model"] == "qsvc":  # components add up to the typical total, 20 % below the median
            r["hw_energy_typical_j"] = r["hw_energy_j"] / 1.2
            for c, share in (("cryogenics", 0.6), ("control", 0.3), ("servers", 0.1)):
                r[f"hw_energy_{c}_j"] = share * r["hw_energy_typical_j"]
    frame = pd.DataFrame(rows)
    parts, how = headline_components(frame)
    q = frame["model"] == "qsvc"
    assert how == "scaled"
    assert np.allclose(parts[q].sum(axis=1), frame.loc[q, "hw_energy_j"], rtol=1e-12)
    assert np.allclose(parts.loc[q, "cryogenics"], 0.6 * frame.loc[q, "hw_energy_j"], rtol=1e-12)
    md = render_markdown(build_run_report(frame, {"run_id": "x"}))
    headline = md.split("## Headline")[1].split("\n## ")[0]
    assert "modelled hardware energy on ibm_heron, fit + predict (not tuned), each seed's Monte Carlo median [J]" \
        in headline
    comp = md.split("## Hardware energy by component")[1].split("\n## ")[0]
    assert f"the {STATISTIC}" in comp and "by +20% (median / typical - 1)" in comp
    svg = plots.hardware_components(frame)
    assert "headline" in svg and "typical parameter values" in svg
    # an older run folder (no typical column): the components already add up to hw_energy_j, shown as recorded
    old = frame.drop(columns=["hw_energy_typical_j"])
    parts_old, how_old = headline_components(old)
    assert how_old == "recorded" and parts_old.loc[q, "cryogenics"].equals(old.loc[q, "hw_energy_cryogenics_j"])
    assert "recorded" in plots.hardware_components(old)


def test_tuning_section_with_a_skipped_candidate_builds():
    # a candidate skipped by the collapsed-kernel guard is written with cv_accuracy null
    import pandas as pd

    from qvc.report.run_report import _tuning_section

    frame = pd.DataFrame([{"model": "qsvc", "seed": 42, "tuned": True, "hyperparameters": "{}",
                           "cv_accuracy": 0.9, "accuracy_test": 0.9}])
    cands = [{"params": {"bandwidth": 0.25}, "cv_accuracy": 0.92, "local_energy_j": 10.0, "hw_energy_j": None},
             {"params": {"bandwidth": 1.0}, "cv_accuracy": None, "local_energy_j": 3.0, "hw_energy_j": None,
              "skipped": "collapsed kernel"}]
    blocks = _tuning_section(frame, {"tuning": [{"model": "qsvc", "seed": 42, "candidates": cands}]})
    fronts = [b for b in blocks if getattr(b, "caption", "").startswith("Pareto front")]
    assert len(fronts) == 1 and len(fronts[0].rows) == 1 and "0.25" in fronts[0].rows[0][0]

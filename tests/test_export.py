"""qvc export: CodeCarbon's emissions.csv, BoAmps reports and Hugging Face cards, checked against the real schemas."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from qvc.cli import main
from qvc.errors import QvcUsageError
from qvc.report.export import CODECARBON_FIELDS, J_PER_KWH, export_run

EXAMPLE = Path(__file__).resolve().parents[1] / "reports" / "example"


@pytest.fixture()
def run_dir(tmp_path):
    dst = tmp_path / "run"
    shutil.copytree(EXAMPLE, dst)
    return dst


def test_codecarbon_header_is_the_installed_emissions_data():
    emissions_data = pytest.importorskip("codecarbon.output_methods.emissions_data")
    assert CODECARBON_FIELDS == tuple(f.name for f in dataclasses.fields(emissions_data.EmissionsData))


def test_codecarbon_file_units_and_codecarbons_own_append(run_dir):
    file_output = pytest.importorskip("codecarbon.output_methods.file")
    from codecarbon.output_methods.emissions_data import EmissionsData

    done = export_run(run_dir, "codecarbon")
    csv_path, sidecar = done.files
    cc = pd.read_csv(csv_path)
    side = pd.read_csv(sidecar)
    results = pd.read_csv(run_dir / "results.csv")
    # one row per model x seed x phase with energy; units: kWh and kg against qvc's joules and grams
    assert len(cc) == len(side) == sum(results[f"{p}_energy_j"].notna().sum() for p in ("tune", "fit", "predict"))
    fit = results.iloc[0]
    row = cc[cc["experiment_id"] == f"{fit['model']}-seed{fit['seed']}-fit"].iloc[0]
    assert row["energy_consumed"] * J_PER_KWH == pytest.approx(fit["fit_energy_j"], rel=1e-12)
    assert row["emissions"] * 1000 == pytest.approx(fit["fit_gco2e"], rel=1e-12)
    assert row["duration"] == pytest.approx(fit["fit_seconds"]) and row["pue"] == 1.0
    # the modelled QPU energy is only in the sidecar, labelled
    q = side[(side["family"] == "quantum") & (side["phase"] == "fit")].iloc[0]
    assert q["hw_energy_method"] == "modelled" and q["hw_energy_j"] > 0
    assert (side["run_id"] + side["experiment_id"]).is_unique
    # CodeCarbon's own file output appends to it without backing it up
    values = {f.name: (0.0 if f.type in ("float", float) else "x") for f in dataclasses.fields(EmissionsData)
              if f.default is dataclasses.MISSING}
    out = file_output.FileOutput(csv_path.name, str(csv_path.parent), on_csv_write="append")
    out.out(EmissionsData(**values), None)
    assert sorted(p.name for p in csv_path.parent.iterdir() if p.name.startswith("emissions")) == [
        "emissions.csv", "emissions_qvc.csv"]
    after = pd.read_csv(csv_path)
    assert len(after) == len(cc) + 1 and after.iloc[: len(cc)]["energy_consumed"].equals(cc["energy_consumed"])


def test_codecarbon_export_appends_to_its_own_file_and_refuses_a_foreign_one(run_dir, tmp_path):
    target = tmp_path / "em.csv"
    export_run(run_dir, "codecarbon", target)
    export_run(run_dir, "codecarbon", target)
    first = pd.read_csv(target)
    assert len(first) % 2 == 0 and list(first.columns) == list(CODECARBON_FIELDS)
    foreign = tmp_path / "other.csv"
    foreign.write_text("a,b\n1,2\n")
    with pytest.raises(QvcUsageError, match="other columns"):
        export_run(run_dir, "codecarbon", foreign)
    assert foreign.read_text() == "a,b\n1,2\n" and not (tmp_path / "other_qvc.csv").exists()


def test_boamps_reports_round_trip_through_codecarbons_models(run_dir):
    models = pytest.importorskip("codecarbon.output_methods.boamps.models")
    done = export_run(run_dir, "boamps")
    results = pd.read_csv(run_dir / "results.csv")
    assert len(done.files) == results["model"].nunique()
    for path in done.files:
        report = json.loads(path.read_text())
        assert models.BoAmpsReport.from_dict(report).to_dict() == report  # every key is a schema field
        model = path.stem.removeprefix("boamps_report_")
        rows = results[results["model"] == model]
        assert report["task"]["measuredAccuracy"] == pytest.approx(rows["accuracy_test"].mean())
        methods = [m["measurementMethod"] for m in report["measures"]]
        assert sum("local energy (estimated" in m for m in methods) == len(rows)
        hw = [m for m in report["measures"] if "hardware cost model (modelled)" in m["measurementMethod"]]
        assert len(hw) == (len(rows) if rows["family"].iloc[0] == "quantum" else 0)
        for m, (_, r) in zip(hw, rows.iterrows()):
            assert m["powerConsumption"] * J_PER_KWH == pytest.approx(r["hw_energy_j"])


def test_hf_cards_round_trip_with_grams(run_dir):
    hub = pytest.importorskip("huggingface_hub")
    done = export_run(run_dir, "hf-card")
    results = pd.read_csv(run_dir / "results.csv")
    for path in done.files:
        card = hub.ModelCard.load(path)
        co2 = card.data.co2_eq_emissions
        rows = results[results["model"] == path.stem.removeprefix("card_")]
        grams = (rows["tune_gco2e"].fillna(0) + rows["fit_gco2e"]).mean()
        assert co2["emissions"] == pytest.approx(grams) and "grams" not in co2["source"]
        assert "not the modelled quantum-hardware figure" in co2["source"]
        assert hub.ModelCard(str(card)).data.to_dict() == card.data.to_dict()


@pytest.mark.parametrize("argv,fragment", [
    (["NOTARUN", "--format", "boamps"], "does not exist"),
    (["RUN", "--format", "csv"], "invalid choice"),
    (["RUN", "--format", "codecarbon", "--out", "FOLDER"], "is a folder"),
])
def test_bad_export_input_is_one_line_exit_2_nothing_written(run_dir, tmp_path, capsys, argv, fragment):
    (tmp_path / "folder").mkdir()
    argv = [a.replace("NOTARUN", str(tmp_path / "nope")).replace("RUN", str(run_dir))
            .replace("FOLDER", str(tmp_path / "folder")) for a in argv]
    assert main(["export", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err and "Traceback" not in err
    assert not (run_dir / "export").exists() and not any((tmp_path / "folder").iterdir())

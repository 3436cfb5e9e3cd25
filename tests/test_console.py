"""What the console shows a new user (issue 32, item 7): ETA, headers and units, widths, absolute paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qvc.cli import main


def test_run_progress_has_a_run_eta(out_dir, capsys):
    assert main(["run", "iris", "--models", "svm", "--seeds", "1,2", "--no-tune", "--out", str(out_dir)]) == 0
    captured = capsys.readouterr()
    ends = [line for line in captured.err.splitlines() if line.startswith("qvc: run: ")]
    assert len(ends) == 2 and all(", ETA " in line for line in ends)
    assert ends[0].startswith("qvc: run: 1/2 steps") and ends[1].endswith("ETA 0m00s")
    folder = captured.out.strip().splitlines()[-1].removeprefix("run folder: ")
    assert Path(folder).is_absolute() and Path(folder).is_dir()


def test_devices_lines_fit_a_terminal(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["devices"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 100
    assert any(line.strip().startswith("parameter") and "typical" in line for line in lines)
    assert any(line.strip().startswith("source: ") for line in lines)


def test_index_shows_energy_ratio_and_prints_an_absolute_path(iris_run, tmp_path, capsys, monkeypatch):
    root = tmp_path / "reports"
    root.mkdir()
    shutil.copytree(iris_run, root / iris_run.name)
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--index", "reports"]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed.is_absolute() and printed == (root / "index.html").resolve()
    page = (root / "index.md").read_text()
    assert "local energy, quantum simulated / classical (mean)" in page
    assert "qsvc/svm " in page and "x" in page.split("qsvc/svm ")[1][:12]


def test_report_prints_an_absolute_path(iris_run, tmp_path, capsys, monkeypatch):
    run = tmp_path / iris_run.name
    shutil.copytree(iris_run, run)
    monkeypatch.chdir(tmp_path)
    assert main(["report", iris_run.name]) == 0
    assert Path(capsys.readouterr().out.strip()) == (run / "report.html").resolve()


def test_crosscheck_shows_no_codecarbon_log_lines(capfd):
    pytest.importorskip("codecarbon")
    assert main(["crosscheck", "--seconds", "0.5"]) == 0
    captured = capfd.readouterr()
    assert "energy J" in captured.out
    assert "codecarbon INFO" not in captured.err + captured.out
    assert "codecarbon WARNING" not in captured.err + captured.out


def test_compare_plot_puts_no_text_on_the_data_and_its_legend_outside(iris_run, monkeypatch):
    """Issue 32 item 8: the compare figure's legend covers no point and no label overlaps one."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from qvc.record.results import load_results
    from qvc.report import plots

    frame = load_results(iris_run)
    other = frame.copy()
    other["accuracy_test"] = other["accuracy_test"] * 0.9
    figures = []
    monkeypatch.setattr(plots, "to_svg", lambda fig: figures.append(fig) or "<svg/>")
    assert plots.compare_accuracy_energy({"A-run": frame, "B-run": other}) == "<svg/>"
    (fig,) = figures
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    assert len(ax.texts) == 0  # no point labels that could overlap
    legend = ax.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(ax.get_window_extent(renderer))  # outside the data area
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "run A: A-run" in labels and "run B: B-run" in labels and {"svm", "qsvc", "mlp"} <= set(labels)

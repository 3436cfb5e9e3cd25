"""IBM local testing mode says what it ignores and which figures come from reused stored jobs (issue 32, item 5)."""

from __future__ import annotations

from qvc.cli import main
from qvc.record.results import load_results

SMALL = ["run", "iris", "--qubits", "2", "--samples", "12", "--shots", "64", "--models", "qsvc", "--seeds", "42",
         "--no-tune", "--execution", "ibm:fake_manila"]


def test_ignored_options_in_one_line_and_reused_jobs_said_in_the_report(out_dir, capsys):
    assert main([*SMALL, "--out", str(out_dir), "--ibm-timeout", "0"]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "ignored" in line]
    assert lines == [lines[0]] and lines[0].startswith("qvc: --ibm-timeout ignored: fake_manila runs in local")
    assert main([*SMALL, "--out", str(out_dir), "--quiet"]) == 0  # identical: every job is in the store
    assert "ignored" not in capsys.readouterr().err
    first, second = sorted(out_dir.glob("iris-*"))
    r1, r2 = load_results(first).iloc[0], load_results(second).iloc[0]
    assert r1["ibm_jobs_submitted"] == r1["ibm_jobs"] > 0 and r2["ibm_jobs_submitted"] == 0
    assert "reused finished jobs" not in (first / "report.md").read_text()
    report = (second / "report.md").read_text()
    assert "1 row(s) reused finished jobs from the job store" in report
    assert f"{int(r2['ibm_jobs'])} of {int(r2['ibm_jobs'])}" in report
    assert "leaves out the reused jobs" in report

"""Issue 30 item 3: a fit that does not learn its own training data is flagged, not priced silently."""

import pandas as pd

from qvc.cli import main


def test_untrained_matched_mlp_is_flagged(tmp_path):
    # measured: the matched MLP (3 hidden units, 37 parameters) on two_curves d = 10 stops after 5 L-BFGS
    # iterations at train accuracy 0.502 (majority 0.502); the svm learns (train accuracy ~1)
    assert main(["run", "two_curves", "--qubits", "10", "--models", "svm,mlp", "--no-tune", "--seeds", "42",
                 "--out", str(tmp_path), "--quiet"]) == 0
    (run,) = tmp_path.iterdir()
    rows = pd.read_csv(run / "results.csv").set_index("model")
    assert bool(rows.loc["mlp", "untrained"]) and not bool(rows.loc["svm", "untrained"])
    report = (run / "report.md").read_text()
    assert "UNTRAINED" in report and "| mlp | 42 |" in report[report.index("UNTRAINED"):]

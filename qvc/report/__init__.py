"""Reports: Markdown and self-contained HTML from a run folder's results.csv + metadata.json.

Column naming rules the report relies on (optional columns, labels) are in
:mod:`qvc.report.columns`.
"""

from qvc.report.build import load_run, write_compare, write_index, write_report
from qvc.report.compare_report import build_compare_report
from qvc.report.export import export_run
from qvc.report.html import render_html
from qvc.report.markdown import render_markdown, summary_table
from qvc.report.run_report import build_run_report

__all__ = [
    "build_compare_report",
    "build_run_report",
    "export_run",
    "load_run",
    "render_html",
    "render_markdown",
    "summary_table",
    "write_compare",
    "write_index",
    "write_report",
]

"""A Markdown report a person can read: one table per run, every energy figure labelled."""

from __future__ import annotations

import math
from pathlib import Path

from qvc.models.matching import MATCHING_RULE


def _fmt(x, spec: str = ".3g") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x == "":
        return "-"
    if isinstance(x, (int, float)):
        return format(x, spec)
    return str(x)


def summary_table(rows: list[dict]) -> str:
    """Markdown table of the headline columns, one line per result row.

    Examples
    --------
    >>> print(summary_table([{"model": "svm", "seed": 1, "qubits": 2, "accuracy_test": 1.0,
    ...     "fit_energy_j": 0.1, "fit_energy_method": "estimated"}]).splitlines()[0])
    | model | seed | qubits | test acc | fit J (method) | predict J (method) | circuits | QPU s | hardware J (method) |
    """
    head = (
        "| model | seed | qubits | test acc | fit J (method) | predict J (method) | circuits "
        "| QPU s | hardware J (method) |"
    )
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        circuits = (r.get("circuits_fit") or 0) + (r.get("circuits_predict") or 0)
        hw_method = r.get("hw_energy_method") or ""
        lines.append(
            "| {model} | {seed} | {qubits} | {acc} | {fj} ({fm}) | {pj} ({pm}) | {c} | {q} | {h}{hm} |".format(
                model=r.get("model"), seed=r.get("seed"), qubits=r.get("qubits"),
                acc=_fmt(r.get("accuracy_test")),
                fj=_fmt(r.get("fit_energy_j")), fm=r.get("fit_energy_method", "-"),
                pj=_fmt(r.get("predict_energy_j")), pm=r.get("predict_energy_method", "-"),
                c=circuits or "-", q=_fmt(r.get("hw_qpu_seconds")),
                h=_fmt(r.get("hw_energy_j")), hm=f" ({hw_method})" if hw_method else "",
            )
        )
    return "\n".join(lines)


def ibm_table(rows: list[dict]) -> str:
    """Markdown table of the rows that ran on an IBM backend: modelled vs hardware-reported QPU time.

    Empty string when no row used ``--execution ibm:<backend>``.

    Examples
    --------
    >>> ibm_table([{"model": "svm", "ibm_backend": ""}])
    ''
    """
    ibm_rows = [r for r in rows if r.get("ibm_backend")]
    if not ibm_rows:
        return ""
    lines = [
        "| model | seed | backend | jobs (submitted) | trained on | QPU s modelled | QPU s reported "
        "| reported / modelled | hardware J from reported s | reported method |",
        "|" + "---|" * 10,
    ]
    for r in ibm_rows:
        lines.append(
            f"| {r.get('model')} | {r.get('seed')} | {r.get('ibm_backend')} | {r.get('ibm_jobs')} "
            f"({r.get('ibm_jobs_submitted')}) | {r.get('ibm_trained_on')} | {_fmt(r.get('hw_qpu_seconds'))} "
            f"| {_fmt(r.get('hw_reported_qpu_seconds'))} | {_fmt(r.get('hw_reported_vs_modelled'))} "
            f"| {_fmt(r.get('hw_reported_energy_j'))} | {r.get('hw_reported_method') or '-'} |"
        )
    return "\n".join(lines)


def write_markdown_report(run_dir: str | Path, rows: list[dict], meta: dict) -> Path:
    """Write ``report.md`` into ``run_dir`` and return its path."""
    run_dir = Path(run_dir)
    cfg = meta.get("config", {})
    meter = meta.get("meter", {})
    device = meta.get("device", {})
    text = [
        f"# qvc run {meta.get('run_id', run_dir.name)}",
        "",
        f"Dataset **{cfg.get('dataset')}**, seeds {meta.get('seeds')}, "
        f"execution `{cfg.get('execution')}`, status: {meta.get('status')}.",
        "",
        summary_table(rows),
        "",
    ]
    ibm = ibm_table(rows)
    if ibm:
        info = meta.get("ibm", {})
        text += [
            "## IBM Quantum execution",
            "",
            ibm,
            "",
            f"Jobs are recorded in the ledger `{info.get('ledger')}` (`qvc ibm status {run_dir}`). "
            "`QPU s reported` is what IBM's `job.usage()` returned (label `hardware-reported`); "
            "the joules next to it are those seconds times the cost model's average power. Fake "
            "backends run in local testing mode on Aer and report no QPU time.",
            "",
        ]
    text += [
        "## How the numbers were made",
        "",
        f"- Local energy (fit, predict): meter `{meter.get('meter')}`, labelled "
        f"`{meter.get('method')}` ({meter.get('reason') or 'hardware counter'}). Fits and "
        "predictions shorter than the meter's minimum window are repeated and reported per call "
        "(columns `*_repeats`, `*_energy_spread` in results.csv).",
        f"- Carbon: {meta.get('carbon', {}).get('g_per_kwh', '-')} gCO2e/kWh "
        f"({meta.get('carbon', {}).get('label', '-')}; {meta.get('carbon', {}).get('source', '-')}), "
        "applied to local and hardware energy alike.",
        f"- Hardware energy: `modelled` on device preset `{device.get('name')}` "
        f"({device.get('description')}), attribution "
        f"`{meta.get('hardware_model', {}).get('attribution', 'attributional')}`: QPU seconds = "
        "jobs x per-job overhead + sum(circuits x (per-circuit overhead + shots x (one-shot "
        "duration + repetition delay))), fit and predict submitted separately; joules = PUE x "
        "sum of component powers x QPU seconds. QPU s and hardware J are Monte Carlo medians; "
        "the 90 % interval is in results.csv (see docs/methodology.md).",
        "- Matching rule: " + MATCHING_RULE + ".",
        f"- Shots per circuit assumed for hardware: {cfg.get('shots')}.",
        f"- Versions: {meta.get('versions')}.",
        "",
    ]
    path = run_dir / "report.md"
    path.write_text("\n".join(text))
    return path

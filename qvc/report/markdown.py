"""Markdown rendering: the run summary printed by ``qvc run`` and ``report.md``.

``report.md`` renders the same :class:`~qvc.report.content.Document` as
``report.html`` (figures are only in the HTML file).
"""

from __future__ import annotations

import math

from qvc.report.content import Code, Document, Figure, KeyValues, Link, Table


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
    >>> row = {"model": "qsvc", "seed": 1, "qubits": 2, "accuracy_test": 1.0, "fit_energy_j": 0.1,
    ...        "fit_energy_method": "estimated", "hw_energy_j": 7e7, "hw_energy_j_low": 5e7,
    ...        "hw_energy_j_high": 9e7, "hw_energy_method": "modelled"}
    >>> summary_table([row]).splitlines()[2].split("|")[9].strip()
    '7e+07 [5e+07-9e+07] (modelled)'
    """
    head = (
        "| model | seed | qubits | test acc | fit J (method) | predict J (method) | circuits "
        "| QPU s | hardware J [90 % interval] (method) |"
    )
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        circuits = (r.get("circuits_fit") or 0) + (r.get("circuits_predict") or 0)
        hw_method = r.get("hw_energy_method") or ""
        if isinstance(hw_method, float):
            hw_method = ""
        lines.append(
            "| {model} | {seed} | {qubits} | {acc} | {fj} ({fm}) | {pj} ({pm}) | {c} | {q} | {h}{hm} |".format(
                model=r.get("model"), seed=r.get("seed"), qubits=r.get("qubits"),
                acc=_fmt(r.get("accuracy_test")),
                fj=_fmt(r.get("fit_energy_j")), fm=r.get("fit_energy_method", "-"),
                pj=_fmt(r.get("predict_energy_j")), pm=r.get("predict_energy_method", "-"),
                c=circuits or "-", q=_fmt(r.get("hw_qpu_seconds")),
                h=_fmt(r.get("hw_energy_j")) + _interval(r, "hw_energy_j"),
                hm=f" ({hw_method})" if hw_method else "",
            )
        )
    return "\n".join(lines)


def _interval(row: dict, column: str) -> str:
    """`` [low-high]`` from ``<column>_low``/``<column>_high`` when both are numbers."""
    low, high = row.get(f"{column}_low"), row.get(f"{column}_high")
    if _fmt(low) == "-" or _fmt(high) == "-":
        return ""
    return f" [{_fmt(low)}-{_fmt(high)}]"


def _cell(c) -> str:
    if isinstance(c, Link):
        return f"[{c.text}]({c.href})"
    if isinstance(c, tuple):
        text, label = c
        return f"{text} *({label})*"
    return str(c)


def _esc(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(t: Table) -> list[str]:
    out = ["| " + " | ".join(_esc(h) or " " for h in t.columns) + " |",
           "|" + "---|" * len(t.columns)]
    out += ["| " + " | ".join(_esc(_cell(c)) for c in row) + " |" for row in t.rows]
    if t.caption:
        out += ["", f"*{t.caption}*"]
    return out


def render_markdown(doc: Document) -> str:
    """Render a report document as Markdown text.

    Examples
    --------
    >>> from qvc.report.content import Document, Section, Table
    >>> doc = Document("t", ["sub"], [Section("S", [Table(["a"], [[("1", "estimated")]])])])
    >>> "| 1 *(estimated)* |" in render_markdown(doc)
    True
    """
    lines = [f"# {doc.title}", ""]
    lines += [f"{s}  " for s in doc.subtitle] + [""]
    if doc.summary:
        lines += ["**In short**", ""] + [f"- {s}" for s in doc.summary] + [""]
    has_fig = False
    for sec in doc.sections:
        if sec.collapsed:
            continue
        lines += [f"## {sec.title}", ""]
        for block in sec.blocks:
            if isinstance(block, Table):
                lines += _table(block)
            elif isinstance(block, KeyValues):
                lines += [f"- **{k}**: {_cell(v)}" for k, v in block.items]
            elif isinstance(block, Figure):
                has_fig = True
                lines.append(f"*Figure (in report.html): {block.caption}*")
            elif isinstance(block, Code):
                lines += ["```", block.text, "```"]
            else:
                lines.append(str(block))
            lines.append("")
    lines.append("Every column of every row: `results.csv`; full provenance: `metadata.json`"
                 + ("; figures: `report.html`." if has_fig else "."))
    return "\n".join(lines) + "\n"

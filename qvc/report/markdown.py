"""Markdown rendering: the run summary printed by ``qvc run`` and ``report.md``.

``report.md`` renders the same :class:`~qvc.report.document.Document` as
``report.html`` (figures are only in the HTML file).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from qvc.report.columns import fmt
from qvc.report.document import Code, Document, Figure, KeyValues, Link, Table


def _fmt(x, spec: str = ".3g") -> str:
    # numbers as floats, so integers take ``spec`` too (1234 -> 1.23e+03 in the summary table)
    if isinstance(x, str):
        return x or "-"
    return fmt(float(x) if isinstance(x, (int, float)) else x, spec)


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


#: What Markdown (or inline HTML) would interpret in a line of report text: HTML tags,
#: backslashes, code spans, emphasis, strikethrough, table pipes, and the "](" / "][" that
#: turn brackets into links or images; "_" only at a word edge (intraword it is literal).
_MD_SPECIAL = re.compile(r"([\\`*<>|~])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|\](?=[(\[:])")
#: ... and markers that only mean something at the start of a line (heading, list, quote, link label).
_MD_LEADING = re.compile(r"^(\s*)([#+\-=\[]|\d+(?=[.)]))")


def md_escape(text: object, *, line_start: bool = False) -> str:
    """Plain text as Markdown that renders as the same text, on one line.

    Every character that Markdown or inline HTML would interpret is backslash-escaped
    (CommonMark renders ``\\<`` as ``<``, never as a tag), line breaks become spaces, and
    with ``line_start`` a leading heading or list marker is neutralised: file names and metadata can
    inject neither HTML, links, emphasis nor headings (as ``report.html`` escapes HTML).

    Examples
    --------
    >>> print(md_escape("<img src=x onerror=alert(1)>.csv"))
    \\<img src=x onerror=alert(1)\\>.csv
    >>> print(md_escape("a.csv\\n# heading"))
    a.csv # heading
    >>> print(md_escape("# [x](javascript:y)", line_start=True))
    \\# [x\\](javascript:y)
    """
    out = _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), " ".join(str(text).splitlines()))
    m = _MD_LEADING.match(out) if line_start else None
    if m:
        lead = m.group(2)
        marked = lead + "\\" if lead[0].isdigit() else "\\" + lead
        out = m.group(1) + marked + out[m.end():]
    return out


def _href(href: str) -> str:
    """A link target that stays a relative link (no scheme, nothing that ends the link early)."""
    safe = quote(str(href), safe="/#%.-_~")
    return safe if ":" not in safe else "#"


def _cell(c) -> str:
    if isinstance(c, Link):
        return f"[{md_escape(c.text)}]({_href(c.href)})"
    if isinstance(c, tuple):
        text, label = c
        return f"{md_escape(text)} *({md_escape(label)})*"
    return md_escape(c)


def _table(t: Table) -> list[str]:
    out = ["| " + " | ".join(md_escape(h) or " " for h in t.columns) + " |",
           "|" + "---|" * len(t.columns)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in t.rows]
    if t.caption:
        out += ["", f"*{md_escape(t.caption)}*"]
    return out


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def render_markdown(doc: Document) -> str:
    """Render a report document as Markdown text.

    Examples
    --------
    >>> from qvc.report.document import Document, Section, Table
    >>> doc = Document("t", ["sub"], [Section("S", [Table(["a"], [[("1", "estimated")]])])])
    >>> "| 1 *(estimated)* |" in render_markdown(doc)
    True
    """
    lines = [f"# {md_escape(doc.title)}", ""]
    lines += [f"{md_escape(s, line_start=True)}  " for s in doc.subtitle] + [""]
    if doc.summary:
        lines += ["**In short**", ""] + [f"- {md_escape(s)}" for s in doc.summary] + [""]
    has_fig = False
    for sec in doc.sections:
        if sec.collapsed:
            continue
        lines += [f"## {md_escape(sec.title)}", ""]
        for block in sec.blocks:
            if isinstance(block, Table):
                lines += _table(block)
            elif isinstance(block, KeyValues):
                lines += [f"- **{md_escape(k)}**: {_cell(v)}" for k, v in block.items]
            elif isinstance(block, Figure):
                has_fig = True
                lines.append(f"*Figure (in report.html): {md_escape(block.caption)}*")
            elif isinstance(block, Code):
                fence = _fence(block.text)
                lines += [fence, block.text, fence]
            else:
                lines.append(md_escape(block, line_start=True))
            lines.append("")
    lines.append("Every column of every row: `results.csv`; full provenance: `metadata.json`"
                 + ("; figures: `report.html`." if has_fig else "."))
    return "\n".join(lines) + "\n"

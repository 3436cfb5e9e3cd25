"""Self-contained HTML rendering of a report document.

The page has inline CSS, figures as inline SVG, no scripts, and no reference
to anything outside the file (no ``src``/``href`` with a scheme, no ``url()``
to the network, no web fonts): it opens from disk in any browser, offline. It
is laid out for a 1280 px wide window and reflows on narrower ones; wide tables
scroll inside their own box.
"""

from __future__ import annotations

import html
import re

from qvc.errors import QvcUsageError
from qvc.report.document import Code, Document, Figure, KeyValues, Link, Table
from qvc.report.plots import prefix_ids

_CSS = """
:root { --fg:#1d2430; --muted:#5b6575; --line:#d9dee7; --bg:#ffffff; --panel:#f6f8fb; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
p.sub { margin: 0; color: var(--muted); }
nav { margin: 14px 0 0; font-size: 14px; }
nav a { margin-right: 14px; color: #2457a6; text-decoration: none; }
.summary { background: var(--panel); border-left: 4px solid #2457a6; padding: 10px 16px; margin: 18px 0 0; }
.summary li { margin: 4px 0; }
.tablebox { overflow-x: auto; margin: 10px 0 4px; }
table { border-collapse: collapse; font-size: 14px; min-width: 50%; }
th, td { border: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num { font-variant-numeric: tabular-nums; }
caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: 13px; padding-top: 4px; }
.lbl { display: inline-block; font-size: 11px; line-height: 1.3; padding: 1px 6px; margin-left: 6px;
  border-radius: 9px; border: 1px solid; white-space: nowrap; vertical-align: 1px; }
.lbl-measured { color:#1b6e2e; border-color:#1b6e2e; background:#e8f5ec; }
.lbl-estimated { color:#8a5300; border-color:#b36b00; background:#fff3e0; }
.lbl-modelled { color:#1f4e99; border-color:#1f4e99; background:#e8effb; }
.lbl-hardware-reported { color:#6a1b9a; border-color:#6a1b9a; background:#f3e5f5; }
.lbl-projected { color:#00695c; border-color:#00695c; background:#e0f2f1; }
.lbl-other { color:#555; border-color:#888; background:#f0f0f0; }
figure { margin: 14px 0 22px; }
figure svg { display:block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; max-width: 1000px; }
dl { display: grid; grid-template-columns: minmax(160px, max-content) 1fr; gap: 3px 16px; margin: 6px 0 12px; }
dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
pre { background: var(--panel); padding: 10px; overflow-x: auto; font-size: 12.5px; }
details summary { cursor: pointer; font-weight: 600; margin: 8px 0; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
"""

_KNOWN_LABELS = ("measured", "estimated", "modelled", "hardware-reported", "projected")
_SCHEME = re.compile(r"^\s*[a-zA-Z][a-zA-Z0-9+.-]*:|^\s*//")


def _label_html(label: str) -> str:
    parts = [p.strip() for p in str(label).split("+")]
    out = []
    for p in parts:
        cls = f"lbl-{p}" if p in _KNOWN_LABELS else "lbl-other"
        out.append(f'<span class="lbl {cls}">{html.escape(p)}</span>')
    return "".join(out)


def _cell_html(c) -> str:
    if isinstance(c, Link):
        if _SCHEME.match(c.href):
            raise QvcUsageError(f"report links must be relative paths, got {c.href!r}")
        return f'<a href="{html.escape(c.href, quote=True)}">{html.escape(c.text)}</a>'
    if isinstance(c, tuple):
        text, label = c
        return f"{html.escape(str(text))}{_label_html(label)}"
    return html.escape(str(c))


def _is_num(c) -> bool:
    text = c[0] if isinstance(c, tuple) else c
    return isinstance(text, str) and bool(re.match(r"^[-+]?[\d.]", text))


def _table_html(t: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.columns)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="num">{_cell_html(c)}</td>' if _is_num(c) else f"<td>{_cell_html(c)}</td>"
            for c in row
        ) + "</tr>"
        for row in t.rows
    )
    cap = f"<caption>{html.escape(t.caption)}</caption>" if t.caption else ""
    return f'<div class="tablebox"><table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _block_html(block, fig_counter: list[int]) -> str:
    if isinstance(block, Table):
        return _table_html(block)
    if isinstance(block, KeyValues):
        items = "".join(f"<dt>{html.escape(k)}</dt><dd>{_cell_html(v)}</dd>" for k, v in block.items)
        return f"<dl>{items}</dl>"
    if isinstance(block, Figure):
        fig_counter[0] += 1
        n = fig_counter[0]
        svg = prefix_ids(block.svg, f"fig{n}")
        svg = re.sub(r"^<svg\b", f'<svg role="img" aria-label="Figure {n}"', svg)
        return (f"<figure>{svg}<figcaption>Figure {n}. {html.escape(block.caption)}"
                "</figcaption></figure>")
    if isinstance(block, Code):
        return f"<pre>{html.escape(block.text)}</pre>"
    return f"<p>{html.escape(str(block))}</p>"


def render_html(doc: Document) -> str:
    """Render a report document as one self-contained HTML page.

    Examples
    --------
    >>> from qvc.report.document import Document, Section, Table
    >>> page = render_html(Document("t", ["sub"], [Section("S", [Table(["a"], [[("1", "measured")]])])]))
    >>> page.startswith("<!DOCTYPE html>"), "lbl-measured" in page, "http" in page
    (True, True, False)
    """
    fig_counter = [0]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(doc.title)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>{html.escape(doc.title)}</h1>",
    ]
    parts += [f'<p class="sub">{html.escape(s)}</p>' for s in doc.subtitle]
    anchors = [(s.anchor, s.title) for s in doc.sections if s.anchor]
    if len(anchors) > 2:
        parts.append("<nav>" + "".join(f'<a href="#{html.escape(a)}">{html.escape(t)}</a>'
                                       for a, t in anchors) + "</nav>")
    if doc.summary:
        parts.append('<div class="summary"><strong>In short</strong><ul>'
                     + "".join(f"<li>{html.escape(s)}</li>" for s in doc.summary) + "</ul></div>")
    for sec in doc.sections:
        anchor = f' id="{html.escape(sec.anchor)}"' if sec.anchor else ""
        inner = "".join(_block_html(b, fig_counter) for b in sec.blocks)
        if sec.collapsed:
            parts.append(f"<h2{anchor}>{html.escape(sec.title)}</h2><details><summary>show "
                         f"</summary>{inner}</details>")
        else:
            parts.append(f"<h2{anchor}>{html.escape(sec.title)}</h2>{inner}")
    parts.append("<footer>Written by qvc from results.csv and metadata.json; self-contained "
                 "(no scripts, no network).</footer></main></body></html>")
    return "\n".join(parts) + "\n"

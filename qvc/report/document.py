"""The document model of every report: sections of paragraphs, tables, key/value lists,
figures and code, independent of the format.

:mod:`qvc.report.run_report`, :mod:`qvc.report.compare_report` and
:mod:`qvc.report.sweep_report` build a :class:`Document`; :mod:`qvc.report.markdown` and
:mod:`qvc.report.html` render the same document, so the two files never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Link:
    """A link to a file relative to the page (never a URL with a scheme)."""

    text: str
    href: str


#: A table cell: plain text, ``(text, label)`` where label is measured/estimated/..., or a Link.
Cell = str | tuple[str, str] | Link


@dataclass
class Table:
    """A table: header, rows of cells, optional caption."""

    columns: list[str]
    rows: list[list[Cell]]
    caption: str = ""


@dataclass
class Figure:
    """An embedded figure (SVG text) with its caption."""

    svg: str
    caption: str


@dataclass
class KeyValues:
    """A definition list."""

    items: list[tuple[str, Cell]]


@dataclass
class Code:
    """Preformatted text."""

    text: str


@dataclass
class Section:
    """A titled section made of blocks (str paragraphs, tables, figures ...)."""

    title: str
    blocks: list = field(default_factory=list)
    anchor: str = ""
    collapsed: bool = False


@dataclass
class Document:
    """A whole report."""

    title: str
    subtitle: list[str]
    sections: list[Section]
    summary: list[str] = field(default_factory=list)

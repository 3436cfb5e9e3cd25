"""docs/OPTIONS.md: every experiment setting's Python field, ``qvc run`` flag and spec-file key.

Generated from the declarations (:data:`~qvc.experiment.spec.OPTIONS`) so that it cannot lag
the code; ``tests/test_docs.py`` fails when the committed file differs. Regenerate with::

    python -m qvc.experiment.optiondoc --write
"""

from __future__ import annotations

import argparse
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "OPTIONS.md"

_HEAD = """# Experiment settings: one name per setting

Generated from `ExperimentSpec`'s field declarations (`qvc/experiment/spec.py`) by
`python -m qvc.experiment.optiondoc --write`; a test fails when this file differs from them.
Each row is one setting: its name in Python (`qvc.ExperimentSpec(...)`), its `qvc run` flag
and its spec-file key (docs/SWEEPS.md; empty: command line and Python only).

| Python field | `qvc run` flag | spec-file key | type | default | meaning |
|---|---|---|---|---|---|
"""

_TAIL = """
Old spellings still accepted, each with a one-line deprecation message: {aliases}; and
`qvc estimate --mode` for `qvc estimate --attribution`.
"""

#: Spec-file types as the table writes them.
_TYPE_WORDS = {"shots": 'integer or `"auto"`', "frontier": "`true` or list"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def options_markdown() -> str:
    """The text of docs/OPTIONS.md, from the spec's declarations.

    Examples
    --------
    >>> "| `max_iter` | `--max-iter` | `max_iter` |" in options_markdown()
    True
    """
    from qvc.experiment.spec import DEPRECATED_NAMES, OPTIONS, SPEC_DEFAULTS, format_default, help_text

    rows = []
    for name, opt in OPTIONS.items():
        default = "(required)" if name not in SPEC_DEFAULTS else (
            "none" if SPEC_DEFAULTS[name] in (None, (), {}) else format_default(SPEC_DEFAULTS[name]))
        flag = f"`{opt.flag}`" if opt.flag.startswith("-") else f"`{opt.flag}` (positional)"
        key = f"`{opt.file_key}`" if opt.file_key else ""
        kind = _TYPE_WORDS.get(opt.file_type, opt.file_type)
        rows.append(f"| `{name}` | {flag} | {key} | {kind} | {_cell(default)} | {_cell(help_text(name))} |")
    renamed = {**DEPRECATED_NAMES, **{alias: opt.flag for opt in OPTIONS.values() for alias in opt.aliases}}
    aliases = ", ".join(f"`{old}` for `{new}`" for old, new in renamed.items())
    return _HEAD + "\n".join(rows) + "\n" + _TAIL.format(aliases=aliases)


def main(argv: list[str] | None = None) -> int:
    """Print docs/OPTIONS.md, or write it with ``--write``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {DOC}")
    args = parser.parse_args(argv)
    text = options_markdown()
    if args.write:
        from qvc._io import atomic_write_text

        atomic_write_text(DOC, text)
        print(DOC)
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

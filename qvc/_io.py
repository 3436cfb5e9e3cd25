"""Low-level file helpers every layer shares: atomic writes, JSON, UTC timestamps.

One home for the temp-file-then-rename idiom, so a crash never leaves half a
file, and for the timestamp format of every record qvc writes. The files of a
run folder are read and written through :mod:`qvc.record.runfolder`.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any


def utc_now() -> str:
    """ISO-8601 UTC timestamp to the second.

    Examples
    --------
    >>> utc_now().endswith("+00:00")
    True
    """
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextmanager
def atomic_open(path: str | Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """Open a temp file next to ``path`` for writing; on success it replaces ``path``.

    On any error the temp file is removed and ``path`` keeps its old content.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_open(p) as fh:
    ...     _ = fh.write("hello")
    >>> p.read_text()
    'hello'
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_open(path) as fh:
        fh.write(text)


def strict(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, +-inf; NumPy scalars too) replaced by ``None``.

    JSON has no NaN or Infinity (RFC 8259); Python's ``json`` writes them as bare words that
    strict readers (``jq``, JavaScript, ``json.loads(..., parse_constant=...)``) refuse.

    Examples
    --------
    >>> strict({"a": float("nan"), "b": [1.0, float("inf")], "c": "x"})
    {'a': None, 'b': [1.0, None], 'c': 'x'}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    item = getattr(value, "item", None)  # NumPy scalars
    if callable(item) and type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return strict(item())
    return value


def json_text(data: Any, **kwargs: Any) -> str:
    """``data`` as strict JSON text: the one way qvc turns data into JSON.

    Non-finite numbers become ``null`` (:func:`strict`), other non-JSON values ``str``, and
    ``allow_nan=False`` guards the result. Keyword arguments go to :func:`json.dumps`.

    Examples
    --------
    >>> json_text({"x": float("nan")})
    '{"x": null}'
    """
    kwargs.setdefault("default", str)
    return json.dumps(strict(data), allow_nan=False, **kwargs)


def write_json(data: Any, path: str | Path) -> None:
    """Write ``data`` as indented strict JSON atomically (:func:`json_text`)."""
    atomic_write_text(path, json_text(data, indent=2, sort_keys=False) + "\n")

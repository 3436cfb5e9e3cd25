"""The sweep store: one JSON line per finished point, appended atomically.

``points.jsonl`` in the run folder is the source of truth of a sweep. Only the
process that drives the sweep writes it, one ``os.write`` of one complete line
per finished point followed by ``fsync``; a line is never rewritten. A crash
(``kill -9``, power loss) can at worst leave a torn last line without its
newline, which :meth:`PointStore.open` cuts off before appending again, so
every stored point appears exactly once and keeps the values it was stored
with. ``results.csv`` is a derived view, rewritten atomically from the store.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from qvc._io import json_text
from qvc.errors import QvcUsageError
from qvc.record.results import write_results

STORE_NAME = "points.jsonl"


def _plain(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


class PointStore:
    """Append-only store of result rows keyed by ``point_id``.

    Parameters
    ----------
    run_dir : str or Path
        The sweep's run folder.

    Examples
    --------
    >>> import tempfile
    >>> store = PointStore(tempfile.mkdtemp()).open()
    >>> store.append({"point_id": "a1", "model": "svm", "schema_version": 1})
    >>> store.done_ids(), len(PointStore(store.run_dir).open().rows())
    ({'a1'}, 1)
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / STORE_NAME
        self._rows: dict[str, dict] = {}
        self.torn_bytes = 0

    def open(self, *, repair: bool = True) -> PointStore:
        """Read the store, cutting off a torn last line left by a crash (``repair=False``: read only,
        the file is neither created nor cut)."""
        self._rows = {}
        if not self.path.exists():
            if repair:
                self.path.touch()
            return self
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1  # everything after the last newline is a torn write
        if end < len(data) and repair:
            self.torn_bytes = len(data) - end
            with open(self.path, "r+b") as fh:
                fh.truncate(end)
                fh.flush()
                os.fsync(fh.fileno())
        for n, line in enumerate(data[:end].splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise QvcUsageError(
                    f"{self.path}: line {n} is not valid JSON; the store was edited by hand?"
                ) from None
            # The first record of a point wins; a point is never stored twice by qvc.
            self._rows.setdefault(row["point_id"], row)
        return self

    def append(self, row: dict) -> None:
        """Append one finished point (a complete line, then ``fsync``)."""
        if "point_id" not in row:
            raise ValueError("a stored row needs a 'point_id'")
        if row["point_id"] in self._rows:
            return
        clean = {k: _plain(v) for k, v in row.items()}
        line = (json_text(clean, sort_keys=False) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(line)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        self._rows[clean["point_id"]] = clean

    def done_ids(self) -> set[str]:
        """Point ids already stored."""
        return set(self._rows)

    def rows(self) -> list[dict]:
        """Stored rows, in the order they were stored."""
        return list(self._rows.values())

    def write_csv(self, order: list[str] | None = None) -> Path:
        """Rewrite ``results.csv`` atomically from the store (rows in ``order`` of point ids)."""
        rows = self.rows()
        if order is not None:  # rows of points no longer in the plan stay in the store, not in the table
            rank = {pid: i for i, pid in enumerate(order)}
            rows = sorted((r for r in rows if r["point_id"] in rank), key=lambda r: rank[r["point_id"]])
        path = self.run_dir / "results.csv"
        rows = [{k: (np.nan if v is None else v) for k, v in r.items()} for r in rows]
        write_results(rows, path)
        return path

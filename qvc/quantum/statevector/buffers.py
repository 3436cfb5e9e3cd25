"""Memory for the engine: prefaulted state matrices and per-thread scratch buffers reused across calls.

Two things made large batches slow and their timings bimodal: every gate layer wrote into a
fresh full-size array, and fresh pages of a numpy array of a few hundred MB fault in either as
4 KiB pages or as transparent huge pages after a memory compaction, depending on what ran
before (on this project's 2-vCPU VM: 0.1 s or 3 s of system time for the same 315 MB).

* :func:`prefaulted_empty` allocates a large array as an anonymous ``mmap`` with
  ``MAP_POPULATE``: the kernel maps every page in one call, 4 KiB pages without compaction,
  so the cost is steady (measured here: 0.09-0.11 s of CPU for 300 MB against 0.16-0.50 s for
  ``np.empty`` + first touch). Elsewhere (no ``MAP_POPULATE``) it is ``np.empty``.
* :class:`Workspace` holds the scratch arrays of one simulating thread (the alternate state
  buffer of a layer, phase tables, the doubling scratch), sized for one chunk of rows and
  reused by every chunk and every call: the engine's working memory beyond the result is
  bounded by :data:`~qvc._validation.ENGINE_CHUNK_BYTES` (at least one state per buffer), not
  by the batch.
"""

from __future__ import annotations

import math
import mmap
import queue

import numpy as np

from qvc._validation import engine_chunk_rows, engine_scratch_bytes

#: Arrays at least this large are allocated prefaulted (smaller ones: ``np.empty``).
PREFAULT_MIN_BYTES = 4 * 2**20
#: Workspaces larger than this are released after the call instead of kept for the next one.
KEEP_WORKSPACE_BYTES = 128 * 2**20

_POPULATE = getattr(mmap, "MAP_POPULATE", None)


def chunk_rows(num_qubits: int, rows: int) -> int:
    """Rows of one chunk: as many states as fit in :data:`~qvc._validation.ENGINE_CHUNK_BYTES`.

    Examples
    --------
    >>> chunk_rows(16, 300), chunk_rows(20, 40), chunk_rows(4, 569)
    (4, 1, 569)
    """
    return engine_chunk_rows(num_qubits, rows)


def workspace_bytes(num_qubits: int, rows: int, threads: int = 1) -> int:
    """Bytes of scratch the engine holds besides its result (:func:`~qvc._validation.engine_scratch_bytes`)."""
    return engine_scratch_bytes(num_qubits, rows, threads)


def prefaulted_empty(shape: tuple[int, ...], dtype=complex) -> np.ndarray:
    """An uninitialised C-contiguous array whose pages are mapped before it is returned.

    Examples
    --------
    >>> a = prefaulted_empty((64, 2**14))
    >>> a.shape, a.dtype, a.flags.c_contiguous, a.flags.writeable
    ((64, 16384), dtype('complex128'), True, True)
    """
    dt = np.dtype(dtype)
    count = math.prod(int(v) for v in shape)
    nbytes = count * dt.itemsize
    if _POPULATE is None or nbytes < PREFAULT_MIN_BYTES:
        return np.empty(shape, dtype=dt)
    try:
        mm = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _POPULATE)
    except (OSError, ValueError):  # no address space or the flag refused: numpy's own allocation
        return np.empty(shape, dtype=dt)
    # the array holds the mapping (its base); unmapped when the last view is gone
    return np.frombuffer(mm, dtype=dt, count=count).reshape(shape)


class Workspace:
    """Named scratch arrays of one simulating thread, grown on demand and reused.

    :meth:`get` returns a ``(rows, cols)`` C-contiguous view of a flat buffer that only ever
    grows, so a chunk of any size up to the largest seen reuses mapped pages.

    Examples
    --------
    >>> ws = Workspace()
    >>> a = ws.get("alt", 4, 8); b = ws.get("alt", 2, 8)
    >>> bool(np.shares_memory(a, b)), ws.nbytes
    (True, 512)
    """

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def get(self, name: str, rows: int, cols: int) -> np.ndarray:
        need = int(rows) * int(cols)
        buf = self._buffers.get(name)
        if buf is None or buf.size < need:
            buf = self._buffers[name] = prefaulted_empty((need,))
        return buf[:need].reshape(rows, cols)

    def flat(self, name: str, size: int) -> np.ndarray:
        """A flat scratch array of at least ``size`` complex entries (a view of the first ``size``)."""
        return self.get(name, 1, size)[0]

    @property
    def nbytes(self) -> int:
        return int(sum(b.nbytes for b in self._buffers.values()))

    def clear(self) -> None:
        self._buffers.clear()


class WorkspacePool:
    """Workspaces handed out one per running thread (a thread returns its own when done)."""

    def __init__(self) -> None:
        self._free: queue.SimpleQueue[Workspace] = queue.SimpleQueue()
        self._all: list[Workspace] = []

    def acquire(self) -> Workspace:
        try:
            return self._free.get_nowait()
        except queue.Empty:
            ws = Workspace()
            self._all.append(ws)
            return ws

    def release(self, ws: Workspace) -> None:
        self._free.put(ws)

    @property
    def nbytes(self) -> int:
        return int(sum(ws.nbytes for ws in self._all))

    def trim(self, keep_bytes: int = KEEP_WORKSPACE_BYTES) -> None:
        """Drop the buffers when they hold more than ``keep_bytes`` (large states: not kept between calls)."""
        if self.nbytes > keep_bytes:
            for ws in self._all:
                ws.clear()

"""The IBM job store: a SQLite file that remembers every job qvc submits.

(Called the "job ledger" before; renamed so it is not confused with the
*circuit ledger* of :mod:`qvc.quantum.ledger`, which counts the circuits a model
would run. The file keeps its name, ``ibm_ledger.sqlite``, and older files are
migrated in place when opened.)

A row is written *before* a job is submitted (status ``SUBMITTING``, with a
fresh tag that is also sent to IBM as the job tag) and updated after: job id,
status, timestamps, QPU seconds, and where the counts were stored. Each circuit
of a job is one row of ``circuits``, keyed by a hash of the logical circuit and
its parameter values; together with backend, service and shots that key is what
makes re-runs reuse finished jobs and resume pending ones instead of submitting
again.

Where it lives: ``<out>/ibm_ledger.sqlite`` next to the run folders that ``qvc
run --out <out>`` writes (default ``reports/``), so every run into the same
folder shares it; counts go to ``<out>/ibm_results/<tag>.json``. The
``QVC_IBM_LEDGER`` environment variable overrides the path. It holds no
credentials.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from qvc._io import atomic_write_text, json_text
from qvc._io import utc_now as utc_now  # re-exported for the IBM modules
from qvc.errors import QvcUsageError
from qvc.quantum.ibm.service import JobStatus

#: Bumped when the tables change (2: owner, session id, execution seconds, sessions table).
STORE_SCHEMA = 2
#: File name of the job store inside the output folder (kept from when it was the "job ledger").
STORE_FILE_NAME = "ibm_ledger.sqlite"
#: Statuses a row can have beyond IBM's job states (kept as names for older imports).
SUBMITTING, SUBMIT_FAILED, LOST = JobStatus.SUBMITTING, JobStatus.SUBMIT_FAILED, JobStatus.LOST

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS jobs (
    row_id INTEGER PRIMARY KEY AUTOINCREMENT,
    tag TEXT UNIQUE NOT NULL,
    run_id TEXT, experiment TEXT, model TEXT, phase TEXT,
    backend TEXT NOT NULL, service TEXT NOT NULL, execution_mode TEXT,
    shots INTEGER NOT NULL, n_circuits INTEGER NOT NULL, n_pubs INTEGER,
    job_id TEXT, status TEXT NOT NULL, error TEXT,
    created_utc TEXT, submitted_utc TEXT, finished_utc TEXT,
    qpu_seconds REAL, usage_source TEXT, modelled_shot_seconds REAL,
    metrics_json TEXT, result_path TEXT
);
CREATE TABLE IF NOT EXISTS circuits (
    row_id INTEGER NOT NULL, idx INTEGER NOT NULL, hash TEXT NOT NULL,
    PRIMARY KEY (row_id, idx)
);
CREATE INDEX IF NOT EXISTS circuits_hash ON circuits (hash);
CREATE TABLE IF NOT EXISTS uses (
    run_id TEXT NOT NULL, row_id INTEGER NOT NULL, PRIMARY KEY (run_id, row_id)
);
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY, mode TEXT NOT NULL, backend TEXT, service TEXT,
    run_id TEXT, owner TEXT, opened_utc TEXT, closed_utc TEXT,
    usage_seconds REAL, usage_source TEXT
);
"""

#: Columns added to ``jobs`` by schema 2 (added in place to older files).
_JOBS_V2 = (("owner", "TEXT"), ("session_id", "TEXT"), ("exec_seconds", "REAL"))


_JOB_COLUMNS = (
    "row_id, tag, run_id, experiment, model, phase, backend, service, execution_mode, shots, "
    "n_circuits, n_pubs, job_id, status, error, created_utc, submitted_utc, finished_utc, "
    "qpu_seconds, usage_source, modelled_shot_seconds, metrics_json, result_path, owner, "
    "session_id, exec_seconds"
)


def default_store_path(out_dir: str | os.PathLike = "reports") -> Path:
    """``$QVC_IBM_LEDGER`` if set, else ``<out_dir>/ibm_ledger.sqlite``.

    Examples
    --------
    >>> default_store_path("reports").name
    'ibm_ledger.sqlite'
    """
    env = os.environ.get("QVC_IBM_LEDGER")
    return Path(env) if env else Path(out_dir) / STORE_FILE_NAME


def damaged_store(path: Path, exc: BaseException) -> QvcUsageError:
    """The one-line error for a job store SQLite cannot read (or that is locked for too long)."""
    text = (str(exc).splitlines() or [type(exc).__name__])[0]
    if "locked" in text.lower():
        return QvcUsageError(f"the IBM job store {str(path)!r} is locked by another qvc process ({text}); "
                             "wait for it to finish, then re-run")
    return QvcUsageError(
        f"the IBM job store {str(path)!r} is damaged ({type(exc).__name__}: {text}); move it aside "
        f"(mv '{path}' '{path}.damaged') and re-run. Nothing is lost on IBM's side: jobs can be "
        "re-fetched by id if the store is recovered"
    )


def check_store_file(path: str | os.PathLike) -> None:
    """Refuse a damaged job store before a run creates anything (a missing one is fine).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "ibm_ledger.sqlite"
    >>> _ = bad.write_bytes(b"not a database" * 100)
    >>> try:
    ...     check_store_file(bad)
    ... except QvcUsageError as exc:
    ...     print(str(exc).split(" (")[0])
    the IBM job store '...ibm_ledger.sqlite' is damaged
    """
    path = Path(path)
    if not path.exists():
        return
    if not path.is_file():
        raise QvcUsageError(f"the IBM job store {str(path)!r} is not a file; move it aside or set "
                            "QVC_IBM_LEDGER to another path")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if con.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("integrity check failed")
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise damaged_store(path, exc) from None


@dataclass
class JobRow:
    """One row of the ``jobs`` table."""

    row_id: int
    tag: str
    run_id: str | None
    experiment: str | None
    model: str | None
    phase: str | None
    backend: str
    service: str
    execution_mode: str | None
    shots: int
    n_circuits: int
    n_pubs: int | None
    job_id: str | None
    status: JobStatus
    error: str | None
    created_utc: str | None
    submitted_utc: str | None
    finished_utc: str | None
    qpu_seconds: float | None
    usage_source: str | None
    modelled_shot_seconds: float | None
    metrics_json: str | None
    result_path: str | None
    owner: str | None = None
    session_id: str | None = None
    exec_seconds: float | None = None

    def __post_init__(self) -> None:
        self.status = JobStatus.of(self.status)

    @property
    def pending(self) -> bool:
        """Submitted and not finished."""
        return self.status.pending

    @property
    def final(self) -> bool:
        """Finished one way or another (done, error, cancelled, lost, never submitted)."""
        return self.status.final

    @property
    def collected(self) -> bool:
        """Done, and its counts are stored."""
        return self.status == JobStatus.DONE and bool(self.result_path)


@dataclass
class SessionRow:
    """One row of the ``sessions`` table: a Session or Batch qvc opened."""

    session_id: str
    mode: str
    backend: str | None
    service: str | None
    run_id: str | None
    owner: str | None
    opened_utc: str | None
    closed_utc: str | None
    usage_seconds: float | None
    usage_source: str | None


def _plain(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


class JobStore:
    """The SQLite job store (see the module docstring for where it lives).

    Parameters
    ----------
    path : str or Path
        The ``.sqlite`` file; created with its folder if missing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> ledger = JobStore(pathlib.Path(tempfile.mkdtemp()) / "ibm_ledger.sqlite")
    >>> row = ledger.add_job(tag="qvc-1", backend="fake_manila", service="local", shots=64,
    ...                      hashes=["a", "b"], model="qsvc", phase="fit")
    >>> str(ledger.get(row).status), ledger.get(row).n_circuits
    ('SUBMITTING', 2)
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(_SCHEMA)
            have = {r[1] for r in con.execute("PRAGMA table_info(jobs)")}
            for name, kind in _JOBS_V2:
                if name not in have:  # a schema-1 file: add the column in place
                    con.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")
            con.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)", (str(STORE_SCHEMA),)
            )

    @property
    def results_dir(self) -> Path:
        """Folder holding the counts of finished jobs (``ibm_results/`` next to the ledger)."""
        return self.path.parent / "ibm_results"

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection (closed afterwards); a damaged file becomes one line naming it and the fix."""
        try:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise damaged_store(self.path, exc) from None
        try:
            with con:
                con.execute("PRAGMA busy_timeout = 30000")
                yield con
        except sqlite3.DatabaseError as exc:
            raise damaged_store(self.path, exc) from None
        finally:
            con.close()

    # -- writing ---------------------------------------------------------------------------
    def add_job(
        self,
        *,
        tag: str,
        backend: str,
        service: str,
        shots: int,
        hashes: Sequence[str],
        run_id: str | None = None,
        experiment: str | None = None,
        model: str | None = None,
        phase: str | None = None,
        execution_mode: str | None = None,
        n_pubs: int | None = None,
        modelled_shot_seconds: float | None = None,
        owner: str | None = None,
        session_id: str | None = None,
    ) -> int:
        """Record a job about to be submitted (status ``SUBMITTING``); returns its row id.

        ``owner`` names who the job's QPU time is attributed to (the model and seed
        of ``run_id`` that submitted it); runs that reuse the job do not count it again.
        """
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            cur = con.execute(
                "INSERT INTO jobs (tag, run_id, experiment, model, phase, backend, service, "
                "execution_mode, shots, n_circuits, n_pubs, status, created_utc, "
                "modelled_shot_seconds, owner, session_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (tag, run_id, experiment, model, phase, backend, service, execution_mode,
                 int(shots), len(hashes), n_pubs, SUBMITTING.value, utc_now(),
                 modelled_shot_seconds, owner, session_id),
            )
            assert cur.lastrowid is not None  # an INSERT always sets it
            row_id = int(cur.lastrowid)
            con.executemany(
                "INSERT INTO circuits (row_id, idx, hash) VALUES (?,?,?)",
                [(row_id, i, h) for i, h in enumerate(hashes)],
            )
            con.execute("COMMIT")
        return row_id

    def update(self, row_id: int, **fields: object) -> None:
        """Set columns of one row."""
        if not fields:
            return
        cols = ", ".join(f"{k} = ?" for k in fields)
        values = tuple(_plain(v) for v in fields.values())
        with self._connect() as con:
            con.execute(f"UPDATE jobs SET {cols} WHERE row_id = ?", (*values, row_id))

    def add_session(self, session_id: str, *, mode: str, backend: str, service: str,
                    run_id: str | None = None, owner: str | None = None) -> None:
        """Record a Session or Batch that was opened (its id is what its usage is read by)."""
        with self._connect() as con:
            con.execute(
                "INSERT OR IGNORE INTO sessions (session_id, mode, backend, service, run_id, owner, "
                "opened_utc) VALUES (?,?,?,?,?,?,?)",
                (session_id, mode, backend, service, run_id, owner, utc_now()))

    def update_session(self, session_id: str, **fields: object) -> None:
        """Set columns of one session row."""
        if not fields:
            return
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self._connect() as con:
            con.execute(f"UPDATE sessions SET {cols} WHERE session_id = ?",
                        (*(_plain(v) for v in fields.values()), session_id))

    def sessions(self, where: str = "1", params: Sequence[object] = ()) -> list[SessionRow]:
        """Session rows matching an SQL condition."""
        with self._connect() as con:
            cur = con.execute(f"SELECT session_id, mode, backend, service, run_id, owner, opened_utc, "
                              f"closed_utc, usage_seconds, usage_source FROM sessions WHERE {where} "
                              "ORDER BY opened_utc", tuple(params))
            return [SessionRow(*r) for r in cur.fetchall()]

    def session(self, session_id: str) -> SessionRow | None:
        """One session row by id."""
        rows = self.sessions("session_id = ?", (session_id,))
        return rows[0] if rows else None

    def owned_rows(self, run_id: str, owner: str) -> list[JobRow]:
        """Jobs whose QPU time is attributed to ``owner`` of ``run_id`` (it submitted them)."""
        return self.rows("run_id = ? AND owner = ?", (run_id, owner))

    def store_counts(self, row: JobRow, counts: list[dict[str, int]], num_bits: int) -> Path:
        """Write a finished job's counts (one dict per circuit, in ledger order) atomically."""
        self.results_dir.mkdir(parents=True, exist_ok=True)
        path = self.results_dir / f"{row.tag}.json"
        payload = {"tag": row.tag, "job_id": row.job_id, "backend": row.backend,
                   "shots": row.shots, "num_bits": int(num_bits), "counts": counts}
        atomic_write_text(path, json_text(payload))
        return path

    def load_counts(self, row: JobRow) -> tuple[list[dict[str, int]], int]:
        """Counts and bit width of a finished job."""
        path = Path(row.result_path or "")
        if not path.is_absolute():
            path = self.path.parent / path
        payload = json.loads(path.read_text())
        return payload["counts"], int(payload["num_bits"])

    def record_use(self, run_id: str, row_ids: Iterable[int]) -> None:
        """Remember that run ``run_id`` relies on these jobs (submitted by it or reused)."""
        if not run_id:
            return
        with self._connect() as con:
            con.executemany("INSERT OR IGNORE INTO uses (run_id, row_id) VALUES (?, ?)",
                            [(run_id, int(r)) for r in row_ids])

    # -- reading ---------------------------------------------------------------------------
    def rows_for_run(self, run_id: str) -> list[JobRow]:
        """Jobs a run submitted or relies on (reused from earlier runs), oldest first."""
        return self.rows("run_id = ? OR row_id IN (SELECT row_id FROM uses WHERE run_id = ?)",
                         (run_id, run_id))

    def get(self, row_id: int) -> JobRow:
        """One row by id."""
        rows = self.rows(where="row_id = ?", params=(row_id,))
        if not rows:
            raise KeyError(row_id)
        return rows[0]

    def rows(self, where: str = "1", params: Sequence[object] = ()) -> list[JobRow]:
        """Rows matching an SQL condition, oldest first."""
        with self._connect() as con:
            cur = con.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE {where} ORDER BY row_id",
                              tuple(params))
            return [JobRow(*r) for r in cur.fetchall()]

    def find_job(self, job_id_or_tag: str) -> JobRow | None:
        """The row with this IBM job id or qvc tag."""
        rows = self.rows("job_id = ? OR tag = ?", (job_id_or_tag, job_id_or_tag))
        return rows[-1] if rows else None

    def circuit_hashes(self, row_id: int) -> list[str]:
        """Circuit hashes of a job in submission order."""
        with self._connect() as con:
            cur = con.execute("SELECT hash FROM circuits WHERE row_id = ? ORDER BY idx", (row_id,))
            return [r[0] for r in cur.fetchall()]

    def lookup(
        self, hashes: Iterable[str], *, backend: str, service: str, shots: int
    ) -> dict[str, tuple[int, int]]:
        """Map circuit hash -> (row id, index) for circuits already done or still pending.

        Collected (``DONE`` with stored counts) jobs win over pending ones, newer
        over older; a ``DONE`` row without counts (an older qvc wrote those) counts
        as pending, so the caller collects it; jobs that ended in
        ``ERROR``/``CANCELLED``/``LOST`` or never got submitted are not reused. Rows
        still ``SUBMITTING`` are returned so the caller can resolve them (see
        :class:`qvc.quantum.ibm.sampler.IbmSampler`).
        """
        wanted = list(dict.fromkeys(hashes))
        usable = tuple(s.value for s in JobStatus if s.pending or s in (JobStatus.DONE,
                                                                        JobStatus.SUBMITTING))
        found: dict[str, tuple[int, int, int]] = {}
        marks = ",".join("?" * len(usable))
        with self._connect() as con:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                q = ",".join("?" * len(chunk))
                cur = con.execute(
                    f"SELECT c.hash, c.row_id, c.idx, j.status, j.result_path FROM circuits c JOIN jobs j "
                    f"ON c.row_id = j.row_id WHERE c.hash IN ({q}) AND j.backend = ? AND "
                    f"j.service = ? AND j.shots = ? AND j.status IN ({marks})",
                    (*chunk, backend, service, int(shots), *usable),
                )
                for h, row_id, idx, status, result_path in cur.fetchall():
                    rank = (2 if status == JobStatus.DONE and result_path else 1) * 10**12 + row_id
                    if h not in found or rank > found[h][2]:
                        found[h] = (row_id, idx, rank)
        return {h: (r, i) for h, (r, i, _) in found.items()}

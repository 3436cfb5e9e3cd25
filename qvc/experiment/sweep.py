"""Sweeps: many independent points, run on a local process pool or a Dask cluster.

Each point (one model, one seed, one setting of every axis) is a task that
runs :func:`~qvc.experiment.runner.run_point` in a worker process, which meters
its own fit and predict. The driving process appends each finished row to the
run's :class:`~qvc.record.store.PointStore` as it arrives, so an
interrupted sweep (Ctrl-C, ``kill -9``, reboot) resumes with
:func:`resume_sweep`, running only the points not yet stored.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qvc import __version__
from qvc._io import atomic_write_text
from qvc._progress import format_seconds
from qvc.errors import QvcUsageError, interruption
from qvc.experiment.runner import new_run_dir
from qvc.experiment.specfile import Point, SweepSpec
from qvc.record import metadata as md
from qvc.record.results import SCHEMA_VERSION
from qvc.record.runfolder import read_sweep_meta, write_sweep_meta
from qvc.record.store import PointStore


@dataclass
class SweepResult:
    """Where a sweep was written, its rows (in point order) and its metadata."""

    run_dir: Path
    rows: list[dict]
    metadata: dict


def execute_point(point: dict, run_id: str) -> dict:
    """Run one point in this process and return its row (the task a worker executes).

    Parameters
    ----------
    point : dict
        :meth:`Point.to_dict` of the point.
    run_id : str
        The sweep's run folder name.

    Returns
    -------
    dict
        The :func:`~qvc.experiment.runner.run_point` row plus ``point_id``,
        ``samples``, ``worker`` (host:pid that metered it) and ``point_seconds``.

    Examples
    --------
    >>> from qvc.experiment.spec import ExperimentSpec
    >>> p = Point.make(ExperimentSpec("iris", qubits=2, samples=40, tune=False), "svm", 0)
    >>> row = execute_point(p.to_dict(), "demo")
    >>> row["point_id"] == p.point_id, row["n_train"] + row["n_test"]
    (True, 40)
    """
    from qvc.experiment.runner import run_point

    p = Point.from_dict(point)
    t0 = time.perf_counter()
    row = run_point(p.to_experiment_spec(), p.model, p.seed, run_id=run_id)
    row["point_id"] = p.point_id
    row["samples"] = p.samples
    row["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    row["point_seconds"] = time.perf_counter() - t0
    return row


def _estimated_cost(p: Point) -> float:
    """Rough relative cost (the registry's), only used to start the longest points first."""
    from qvc.models.registry import get_model

    n = p.samples or 200
    from qvc.quantum.execution import parse_execution

    entry = get_model(p.model)
    if entry.mps_cost is not None and parse_execution(p.execution).kind == "mps":
        cost = entry.mps_cost(n, p.qubits or 4)
    else:
        cost = entry.relative_cost(n, p.qubits or 4, p.max_iter)
    return cost * (p.tune_budget * 3 if p.tune else 1)


class _Progress:
    """One stderr line per finished point: count, percent, elapsed and ETA."""

    def __init__(self, total: int, already: int, stream=None) -> None:
        self.total, self.done, self.start_done = total, already, already
        self.t0 = time.perf_counter()
        self.stream = stream

    def update(self, label: str, seconds: float) -> None:
        self.done += 1
        if self.stream is None:
            return
        elapsed = time.perf_counter() - self.t0
        new = self.done - self.start_done
        remaining = self.total - self.done
        eta = elapsed / new * remaining if new else float("nan")
        pct = 100.0 * self.done / self.total if self.total else 100.0
        print(
            f"qvc: [{self.done}/{self.total}] {pct:3.0f}% elapsed {format_seconds(elapsed)} "
            f"ETA {format_seconds(eta) if remaining else '0m00s'}  {label} ({seconds:.1f} s)",
            file=self.stream, flush=True,
        )


def _lock(run_dir: Path):
    """Hold an exclusive lock on the run folder (released by the OS even on kill -9)."""
    import fcntl

    fh = open(run_dir / ".lock", "a+")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise QvcUsageError(
            f"{run_dir} is in use by another 'qvc sweep'; wait for it or stop it first"
        ) from None
    return fh


def _executor_description(workers: int, scheduler: str | None, concurrency: str) -> dict:
    if scheduler:
        where = f"Dask distributed scheduler {scheduler}"
    elif workers == 1:
        where = "in the driving process, one point at a time"
    else:
        where = (f"local process pool of {workers} worker processes on {os.cpu_count()} CPUs, "
                 f"{_worker_threads(workers)} BLAS/OpenMP thread(s) each")
    if concurrency == "exclusive":
        how = ("exclusive: one point ran at a time, so a machine-wide counter saw only that "
               "point (plus idle background)")
    else:
        how = ("parallel: points ran concurrently; each point's energy was metered in the "
               "worker process that ran it. A per-process meter (process CPU time) is not "
               "disturbed by neighbours except through contention; a machine-wide counter "
               "(e.g. RAPL) would include every concurrent point's draw")
    return {"where": where, "workers": workers, "scheduler": scheduler, "attribution": how}


def run_sweep(
    spec: SweepSpec,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    out_dir: str | Path | None = None,
    progress: bool = True,
) -> SweepResult:
    """Run every point of ``spec`` into a new run folder.

    The folder gets ``sweep.json`` (spec, points, settings), ``spec.toml``,
    ``points.jsonl`` (one line per finished point) and ``results.csv``.

    Parameters
    ----------
    spec : SweepSpec
        From :func:`~qvc.experiment.specfile.load_spec_file`.
    workers : int, optional
        Local worker processes (default: the spec's ``workers``, else the CPU count).
        Ignored with ``scheduler``.
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a running Dask distributed scheduler.
    out_dir : str or Path, optional
        Overrides the spec's ``out_dir``.
    progress : bool, default True
        Progress lines with ETA on stderr.

    Returns
    -------
    SweepResult

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from qvc.experiment.specfile import load_spec_file
    >>> d = pathlib.Path(tempfile.mkdtemp()); f = d / "s.toml"
    >>> _ = f.write_text('dataset = "iris"\\nmodels = ["svm"]\\nseeds = [1]\\nqubits = [2, 3]\\nsamples = 40\\n')
    >>> res = run_sweep(load_spec_file(f), workers=1, out_dir=d, progress=False)
    >>> len(res.rows), res.metadata["status"]
    (2, 'complete')
    """
    run_dir = new_run_dir(out_dir if out_dir is not None else spec.out_dir, spec.name)
    atomic_write_text(run_dir / "spec.toml", spec.text)
    meta: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "kind": "sweep",
        "run_id": run_dir.name,
        "qvc_version": __version__,
        "spec_file": str(spec.path),
        "name": spec.name,
        "concurrency": spec.concurrency,
        "analysis": spec.analysis,
        "created_utc": md.utc_now(),
        "status": "created",
        "sessions": [],
        "versions": md.versions(),
        "machine": md.machine(),
        "git_revision": md.git_revision(),
        "points": [dict(p.to_dict(), point_id=p.point_id) for p in spec.points],
    }
    meta["plan"] = _plan_digest(spec.text, meta["points"])
    write_sweep_meta(meta, run_dir)
    w = workers or spec.workers or os.cpu_count() or 1
    return _drive(run_dir, meta, workers=w, scheduler=scheduler, progress=progress)


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _plan_digest(spec_text: str, points: list[dict]) -> dict[str, str]:
    """What a sweep's plan was made from: the spec file's text and the point list, as SHA-256."""
    import json

    return {"spec_sha256": _digest(spec_text), "points_sha256": _digest(json.dumps(points, sort_keys=True))}


def check_plan(run_dir: str | Path, meta: dict) -> tuple[list[str], list[dict] | None]:
    """How the folder's plan differs from what its store was made from.

    Compares ``spec.toml`` and the point list of ``sweep.json`` with the digests recorded when
    the sweep was made (folders made before the digests: each point's id against its settings),
    and the stored rows with the plan.

    Returns
    -------
    changes, points
        One phrase per difference (empty: unchanged), and the plan as it now reads (``None``
        when unchanged): the edited spec file's points, else the hand-edited points with their
        ids recomputed.

    Raises
    ------
    QvcUsageError
        If the edited plan cannot be run at all (the spec file no longer loads, a point is invalid).
    """
    import json

    from qvc.experiment.specfile import load_spec_file

    run_dir = Path(run_dir)
    recorded = meta.get("plan") or {}
    points = meta.get("points")
    if not isinstance(points, list) or not all(isinstance(d, dict) and "point_id" in d for d in points):
        raise QvcUsageError(f"{run_dir / 'sweep.json'}: 'points' is not a list of points with ids; the file was "
                            "damaged or edited: restore it")
    changes: list[str] = []
    new_points: list[dict] | None = None
    old_ids = [d["point_id"] for d in points]
    spec_path = run_dir / "spec.toml"
    spec_text = spec_path.read_text(encoding="utf-8", errors="surrogateescape") if spec_path.is_file() else None
    if spec_text is not None and recorded.get("spec_sha256") not in (None, _digest(spec_text)):
        try:
            edited = load_spec_file(spec_path)
        except QvcUsageError as exc:
            raise QvcUsageError(f"{spec_path} was edited since the sweep was made and no longer loads ({exc}); "
                                "restore it to resume") from None
        new_points = [dict(p.to_dict(), point_id=p.point_id) for p in edited.points]
        new_ids = {d["point_id"] for d in new_points}
        added, removed = len(new_ids - set(old_ids)), len(set(old_ids) - new_ids)
        changes.append(f"spec.toml edited ({added} point(s) added, {removed} removed, of {len(old_ids)})")
    else:
        rebuilt = []
        for i, d in enumerate(points, start=1):
            try:
                p = Point.from_dict(d)
                if p.point_id != d["point_id"]:  # edited by hand: it must still be a valid point
                    p.to_experiment_spec().validate()
            except (QvcUsageError, TypeError, KeyError, ValueError) as exc:
                raise QvcUsageError(f"{run_dir / 'sweep.json'}: point {i} ({d.get('point_id')}) cannot run: "
                                    f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}; restore "
                                    "the file") from None
            rebuilt.append(dict(p.to_dict(), point_id=p.point_id))
        edited_ids = [i for i, (d, r) in enumerate(zip(points, rebuilt), start=1) if d["point_id"] != r["point_id"]]
        listed = recorded.get("points_sha256")
        if edited_ids or (listed is not None and listed != _digest(json.dumps(points, sort_keys=True))):
            where = f" (point {', '.join(map(str, edited_ids[:3]))}{' ...' if len(edited_ids) > 3 else ''})"
            changes.append(f"the point list in sweep.json edited{where if edited_ids else ''}")
            new_points = rebuilt
    plan_ids = {d["point_id"] for d in (new_points if new_points is not None else points)}
    stray = sorted(set(PointStore(run_dir).open(repair=False).done_ids()) - plan_ids)
    if stray:
        changes.append(f"{len(stray)} stored row(s) of points not in the plan (left out of the results)")
    if len(plan_ids) < len(new_points if new_points is not None else points):
        changes.append("a point listed twice")
    return changes, new_points


def resume_sweep(
    run_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    force: bool = False,
) -> SweepResult:
    """Finish an interrupted sweep: run only the points its store does not hold.

    Rows stored before the interruption are kept as they are; no point is run
    (or stored) twice. The plan is checked first (:func:`check_plan`): a ``spec.toml`` or point
    list that differs from what the store was made from is refused with a one-line summary,
    unless ``force``, which runs the plan as it now reads and records the change in
    ``sweep.json`` (``plan_changes``).

    Parameters
    ----------
    run_dir : str or Path
        The sweep's run folder (holds ``sweep.json`` and ``points.jsonl``).
    workers, scheduler, progress
        As in :func:`run_sweep`.
    force : bool, default False
        Accept a changed plan (``qvc sweep --resume RUN_DIR --force``).

    Returns
    -------
    SweepResult
    """
    run_dir = Path(run_dir)
    meta = read_sweep_meta(run_dir)
    changes, new_points = check_plan(run_dir, meta)
    if changes and not force:
        raise QvcUsageError(f"{run_dir.name}: the plan differs from what its store was made from: "
                            f"{'; '.join(changes)}; restore the files, or add --force to run the plan as it now "
                            "reads (recorded in sweep.json)")
    if changes:
        if new_points is not None:
            meta["points"] = new_points
        spec_path = run_dir / "spec.toml"
        spec_text = spec_path.read_text(encoding="utf-8", errors="surrogateescape") if spec_path.is_file() else ""
        meta["plan"] = _plan_digest(spec_text, meta["points"])
        meta.setdefault("plan_changes", []).append({"utc": md.utc_now(), "accepted_with": "--force",
                                                    "changes": changes})
        print(f"qvc: sweep {run_dir.name}: plan changed, accepted with --force: {'; '.join(changes)}",
              file=sys.stderr, flush=True)
    w = workers or os.cpu_count() or 1
    return _drive(run_dir, meta, workers=w, scheduler=scheduler, progress=progress)


def _drive(run_dir: Path, meta: dict, *, workers: int, scheduler: str | None, progress: bool) -> SweepResult:
    if workers < 1:
        raise QvcUsageError(f"--workers must be >= 1 (got {workers})")
    lock = _lock(run_dir)
    try:
        store = PointStore(run_dir).open()
        points = [Point.from_dict(d) for d in meta["points"]]
        order = [d["point_id"] for d in meta["points"]]
        done = store.done_ids()
        todo = [p for p in points if p.point_id not in done]
        todo.sort(key=_estimated_cost, reverse=True)
        if meta.get("concurrency") == "exclusive":
            workers = 1
        session: dict[str, Any] = {
            "started_utc": md.utc_now(), "finished_utc": None, "host": socket.gethostname(),
            "points_already_stored": len(done), "points_to_run": len(todo),
            "torn_bytes_discarded": store.torn_bytes,
            "executor": _executor_description(workers, scheduler, meta.get("concurrency", "parallel")),
        }
        meta["sessions"].append(session)
        meta["status"] = "running"
        meta.update(md.process_identity())  # a sweep that dies shows as interrupted (md.run_state)
        write_sweep_meta(meta, run_dir)
        bar = _Progress(len(points), len(done), sys.stderr if progress else None)
        if progress:
            print(f"qvc: sweep {run_dir.name}: {len(todo)} of {len(points)} points to run, "
                  f"{session['executor']['where']}", file=sys.stderr, flush=True)

        by_id = {p.point_id: p for p in points}

        def finished(row: dict) -> None:
            store.append(row)
            store.write_csv(order)
            seconds = float(row["point_seconds"])
            bar.update(by_id[row["point_id"]].label(), seconds)

        try:
            if scheduler:
                _run_dask(todo, meta["run_id"], scheduler, finished,
                          exclusive=meta.get("concurrency") == "exclusive")
            elif workers == 1:
                for p in todo:
                    finished(execute_point(p.to_dict(), meta["run_id"]))
            else:
                _run_pool(todo, meta["run_id"], workers, finished)
            meta["status"] = "complete"
        except BaseException as exc:
            meta["status"] = f"interrupted: {interruption(exc)}"
            raise
        finally:
            session["finished_utc"] = md.utc_now()
            write_sweep_meta(meta, run_dir)
            # Re-read the store: a signal can land between a row's fsync and the in-memory
            # update, and results.csv must hold every row points.jsonl holds.
            store.open()
            if store.rows():
                store.write_csv(order)
        rank = {pid: i for i, pid in enumerate(order)}
        rows = sorted((r for r in store.rows() if r["point_id"] in rank), key=lambda r: rank[r["point_id"]])
        return SweepResult(run_dir, rows, meta)
    finally:
        lock.close()


def _worker_threads(workers: int) -> int:
    """BLAS/OpenMP threads per pool worker: the runner's one policy for every metered process
    (:data:`~qvc.experiment.runner.METERED_BLAS_THREADS`), never more than the CPUs shared out."""
    from qvc.experiment.runner import METERED_BLAS_THREADS

    return max(1, min(METERED_BLAS_THREADS, (os.cpu_count() or 1) // max(1, workers)))


def _limit_worker_threads(n_threads: int) -> None:
    # Without a limit every worker starts one BLAS thread per CPU: with 2 workers on 2 CPUs
    # the busy-waiting threads oversubscribe the cores and inflate the CPU time (and so the
    # estimated energy) of small fits several-fold (seen: MLP fit 0.39 s instead of 0.03 s).
    from threadpoolctl import threadpool_limits

    global _WORKER_LIMITS
    _WORKER_LIMITS = threadpool_limits(limits=n_threads)
    _die_with_parent()


_WORKER_LIMITS = None


def _run_pool(todo: list[Point], run_id: str, workers: int, finished: Callable[[dict], None]) -> None:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    # spawn: workers start clean (no forked threads of qiskit/BLAS in the parent).
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=mp.get_context("spawn"),
        initializer=_limit_worker_threads, initargs=(_worker_threads(workers),),
    )
    try:
        pending = {pool.submit(execute_point, p.to_dict(), run_id) for p in todo}
        while pending:
            ready, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in ready:
                finished(fut.result())
    except BaseException:
        _stop_workers(pool)  # a signal or a failed point: no worker outlives the sweep
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _stop_workers(pool) -> None:
    """Terminate a process pool's workers and wait for them (their running points are lost;
    the store keeps every finished one)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=5)


def _die_with_parent() -> None:
    """Linux: a worker gets SIGTERM when the driving process dies, even by ``kill -9``."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _run_dask(
    todo: list[Point], run_id: str, scheduler: str, finished: Callable[[dict], None], *, exclusive: bool,
) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise QvcUsageError(
            "--scheduler needs Dask distributed; install it with: pip install 'qvc[dask]'"
        ) from None
    try:
        client = Client(scheduler, timeout=os.environ.get("QVC_DASK_CONNECT_TIMEOUT", "20s"))
    except (OSError, TimeoutError) as exc:
        raise QvcUsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        if exclusive:
            for p in todo:
                fut = client.submit(execute_point, p.to_dict(), run_id, pure=False)
                try:
                    finished(fut.result())
                except BaseException:
                    client.cancel([fut])
                    raise
            return
        futures = [client.submit(execute_point, p.to_dict(), run_id, pure=False) for p in todo]
        try:
            for fut in as_completed(futures):
                finished(fut.result())
        except BaseException:
            client.cancel(futures)  # a signal or a failed point: the cluster stops this sweep's work
            raise
    finally:
        client.close()

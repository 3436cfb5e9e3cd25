"""Input validation shared by every layer (one place, as in scikit-learn's ``utils.validation``)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from pathlib import Path

from qvc.errors import QvcUsageError

#: Bytes per complex128 amplitude of a statevector.
_AMPLITUDE_BYTES = 16


def check_positive_int(value: object, name: str, *, minimum: int = 1, maximum: int | None = None,
                       why: str = "") -> int:
    """Return ``value`` as an int, or raise a usage error naming ``name``.

    ``maximum`` bounds it from above; ``why`` (the reason for the bound) goes into the message.

    Examples
    --------
    >>> check_positive_int("3", "--qubits")
    3
    >>> check_positive_int(10**20, "--shots", maximum=10**9, why="too many")
    Traceback (most recent call last):
    ...
    qvc.errors.QvcUsageError: --shots must be <= 1000000000 (got 100000000000000000000): too many
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        number = int(value)
    else:
        try:
            as_float = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            raise QvcUsageError(f"{name} must be an integer (got {value!r})") from None
        if not math.isfinite(as_float) or not as_float.is_integer():
            raise QvcUsageError(f"{name} must be an integer (got {value!r})")
        number = int(as_float)
    if number < minimum:
        raise QvcUsageError(f"{name} must be >= {minimum} (got {number})")
    if maximum is not None and number > maximum:
        raise QvcUsageError(f"{name} must be <= {maximum} (got {number})" + (f": {why}" if why else ""))
    return number


def check_float(value: object, name: str, *, minimum: float = 0.0, maximum: float | None = None,
                why: str = "") -> float:
    """``value`` as a finite float in ``[minimum, maximum]``, or a usage error naming ``name``.

    ``why`` (the reason for the bound) goes into the message.

    Examples
    --------
    >>> check_float("2.5", "--idle-baseline", maximum=60)
    2.5
    """
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise QvcUsageError(f"{name} must be a number (got {value!r})") from None
    if not math.isfinite(x) or x < minimum:
        raise QvcUsageError(f"{name} must be a finite number >= {minimum:g} (got {value!r})")
    if maximum is not None and x > maximum:
        raise QvcUsageError(f"{name} must be <= {maximum:g} (got {value!r})" + (f": {why}" if why else ""))
    return x


def check_nonnegative_float(value: object, name: str) -> float:
    """Return ``value`` as a finite float >= 0, or raise a usage error naming ``name``.

    Examples
    --------
    >>> check_nonnegative_float("2.5", "--idle-baseline")
    2.5
    """
    try:
        as_float = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise QvcUsageError(f"{name} must be a number (got {value!r})") from None
    if not math.isfinite(as_float) or as_float < 0:
        raise QvcUsageError(f"{name} must be a finite number >= 0 (got {value!r})")
    return as_float


def check_mitigation_factor(value: object, name: str = "mitigation_factor") -> float:
    """Return ``value`` as a float >= 1 (the shots multiplier of error mitigation), or a usage error.

    Examples
    --------
    >>> check_mitigation_factor("2")
    2.0
    """
    try:
        as_float = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        as_float = float("nan")
    if isinstance(value, bool) or not math.isfinite(as_float) or as_float < 1.0:
        raise QvcUsageError(f"{name} must be a number >= 1 (got {value!r}); 1 means no mitigation")
    return as_float


def check_choice(value: str, choices: Iterable[str], name: str) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise a usage error listing them."""
    options = list(choices)
    if value not in options:
        raise QvcUsageError(f"unknown {name} {value!r}; choose one of: {', '.join(options)}")
    return value


def statevector_bytes(num_qubits: int, n_states: int = 1) -> int:
    """Bytes needed to hold ``n_states`` complex128 statevectors of ``num_qubits`` qubits."""
    return int(n_states) * (2 ** int(num_qubits)) * _AMPLITUDE_BYTES


#: Where the cgroup file systems are mounted (tests point this at a fake tree).
CGROUP_ROOT = Path("/sys/fs/cgroup")
#: The process's cgroup membership (tests point this at a fake file).
PROC_SELF_CGROUP = Path("/proc/self/cgroup")
#: cgroup v1 writes "no limit" as a page-rounded 2**63 - 1; anything this large is no limit.
_NO_LIMIT = 2**60


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    if text == "max":
        return None
    try:
        value = int(text)
    except ValueError:
        return None
    return None if value >= _NO_LIMIT else value


def _stat_value(path: Path, *keys: str) -> int:
    """First of ``keys`` found in a ``memory.stat`` file (0 when absent)."""
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return 0
    found = dict(line.split(None, 1) for line in lines if len(line.split()) == 2)
    for key in keys:
        if key in found:
            try:
                return int(found[key])
            except ValueError:
                return 0
    return 0


def _cgroup_paths(proc_cgroup: Path) -> tuple[str | None, str | None]:
    """The process's cgroup v2 path and cgroup v1 memory-controller path (``None``: not listed)."""
    v2 = v1 = None
    try:
        lines = proc_cgroup.read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return None, None
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hid, controllers, rel = parts
        if hid == "0" and controllers == "":
            v2 = rel
        elif "memory" in controllers.split(","):
            v1 = rel
    return v2, v1


def _levels(base: Path, rel: str | None) -> list[Path]:
    """The cgroup folder of ``rel`` under ``base`` and its ancestors up to ``base``.

    In a container with its own cgroup namespace the listed path may not exist under the
    mount (the mount *is* the container's cgroup); then the mount root is used alone.
    """
    rel = (rel or "/").strip("/")
    here = base / rel if rel else base
    if not here.is_dir():
        return [base]
    out = [here]
    while here != base and base in here.parents:
        here = here.parent
        out.append(here)
    return out


def cgroup_memory_headroom(root: Path | None = None, proc_cgroup: Path | None = None) -> int | None:
    """Bytes this process's cgroup may still allocate, or ``None`` without a memory limit.

    Reads cgroup v2 (``memory.max`` minus ``memory.current``) and cgroup v1
    (``memory.limit_in_bytes`` minus ``memory.usage_in_bytes``, honouring
    ``hierarchical_memory_limit``) for the process's cgroup and its ancestors;
    reclaimable page cache (``inactive_file``) counts as free. The smallest
    headroom of all limited levels wins.

    Parameters
    ----------
    root : Path, optional
        Mount point of the cgroup file systems (default :data:`CGROUP_ROOT`).
    proc_cgroup : Path, optional
        The ``/proc/self/cgroup`` file (default :data:`PROC_SELF_CGROUP`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "cgroup").write_text("0::/\\n")
    >>> _ = (d / "memory.max").write_text(str(768 * 2**20) + "\\n")
    >>> _ = (d / "memory.current").write_text(str(268 * 2**20) + "\\n")
    >>> cgroup_memory_headroom(d, d / "cgroup") // 2**20
    500
    """
    root = CGROUP_ROOT if root is None else Path(root)
    proc_cgroup = PROC_SELF_CGROUP if proc_cgroup is None else Path(proc_cgroup)
    v2, v1 = _cgroup_paths(proc_cgroup)
    headrooms: list[int] = []
    v2_base = root / "unified" if (root / "unified" / "cgroup.controllers").exists() else root
    if v2 is not None:
        for level in _levels(v2_base, v2):
            limit = _read_int(level / "memory.max")
            if limit is None:
                continue
            used = _read_int(level / "memory.current") or 0
            used -= _stat_value(level / "memory.stat", "inactive_file")
            headrooms.append(limit - max(used, 0))
    v1_base = root / "memory"
    if v1 is not None and v1_base.is_dir():
        for level in _levels(v1_base, v1)[:1]:  # hierarchical_memory_limit covers the ancestors
            limits = [_read_int(level / "memory.limit_in_bytes"),
                      _read_int(level / "memory.memsw.limit_in_bytes")]
            hier = _stat_value(level / "memory.stat", "hierarchical_memory_limit")
            limits.append(hier if 0 < hier < _NO_LIMIT else None)
            known = [x for x in limits if x is not None]
            if not known:
                continue
            used = _read_int(level / "memory.usage_in_bytes") or 0
            used -= _stat_value(level / "memory.stat", "total_inactive_file", "inactive_file")
            headrooms.append(min(known) - max(used, 0))
    return max(0, min(headrooms)) if headrooms else None


def host_available_bytes() -> int:
    """Memory the host reports as available (``MemAvailable``; psutil elsewhere)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    import psutil

    return int(psutil.virtual_memory().available)


def available_memory_bytes() -> int:
    """Memory the process may still use: the host's available memory or, in a
    memory-limited cgroup (container, CI job), the cgroup's headroom if that is smaller.

    Examples
    --------
    >>> available_memory_bytes() > 0
    True
    """
    host = host_available_bytes()
    cgroup = cgroup_memory_headroom()
    return host if cgroup is None else min(host, cgroup)


def memory_limit_source() -> str:
    """Which limit :func:`available_memory_bytes` applied, in words (for messages)."""
    cgroup = cgroup_memory_headroom()
    if cgroup is not None and cgroup < host_available_bytes():
        return "under this container's (cgroup) memory limit"
    return "on this machine"


def format_bytes(n: float) -> str:
    """Human-readable size, e.g. ``'16.0 GiB'``."""
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    size = float(n)
    for unit in units:
        if size < 1024 or unit == units[-1]:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} EiB"  # pragma: no cover


#: Bytes of one chunk of rows the statevector engine simulates at a time (at least one state):
#: the result is written chunk by chunk, so a thread's scratch is a few buffers of this size
#: (``qvc.quantum.statevector.buffers``). 4 MiB keeps a chunk within this machine's L3 cache
#: (measured 16 x 300 state build, CPU s: 1 MiB 0.52-0.58, 4 MiB 0.48-0.49, 64 MiB 0.57-0.60).
ENGINE_CHUNK_BYTES = 4 * 2**20
#: Scratch buffers of one chunk: the alternate state, a shared phase table, another table, and
#: the doubling's half-size factor tables.
ENGINE_BUFFERS_PER_CHUNK = 3.5


def engine_chunk_rows(num_qubits: int, rows: int, chunk_bytes: int | None = None) -> int:
    """Rows of one engine chunk: the states that fit in ``chunk_bytes`` (at least 1, at most ``rows``).

    Examples
    --------
    >>> engine_chunk_rows(16, 300), engine_chunk_rows(20, 40), engine_chunk_rows(4, 569)
    (4, 1, 569)
    """
    budget = ENGINE_CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    per_state = 16 * 2.0 ** min(int(num_qubits), 4096)
    return int(max(1, min(int(rows), budget // per_state)))


def engine_scratch_bytes(num_qubits: int, rows: int, threads: int = 1) -> int:
    """Bytes of scratch the engine holds besides its result for ``rows`` states on ``threads`` threads.

    Examples
    --------
    >>> engine_scratch_bytes(20, 569) // 2**20
    56
    """
    per = engine_chunk_rows(num_qubits, rows) * 16 * 2.0 ** min(int(num_qubits), 4096)
    return int(ENGINE_BUFFERS_PER_CHUNK * per * max(1, min(int(threads), max(1, int(rows)))))


#: Most times a blocked Gram step may simulate each state on average before a run is refused
#: (with 4 states of 569 in the budget it would be ~70: days of work for one kernel).
MAX_GRAM_RECOMPUTE = 8.0


def gram_block_plan(num_qubits: int, n_states: int, budget_bytes: float) -> tuple[int, int] | None:
    """``(panel rows, stream rows)`` of a blocked Gram step in ``budget_bytes``; ``None``: all fit.

    A panel of states is held while the states after it are built ``stream`` rows at a time.
    ``(0, 0)``: not even two states fit.

    Examples
    --------
    >>> gram_block_plan(10, 100, 10**9) is None
    True
    >>> gram_block_plan(10, 100, 40 * 16 * 2**10)
    (30, 10)
    """
    fit = int(budget_bytes // (16 * 2.0 ** min(int(num_qubits), 4096)))
    if fit >= n_states:
        return None
    if fit < 2:
        return 0, 0
    stream = max(1, fit // 4)
    return fit - stream, stream


def gram_recompute_factor(num_qubits: int, n_states: int, budget_bytes: float) -> float:
    """States a (blocked) symmetric Gram step simulates per sample: 1 when all fit, inf below two.

    Examples
    --------
    >>> gram_recompute_factor(10, 100, 40 * 16 * 2**10)
    2.2
    """
    plan = gram_block_plan(num_qubits, n_states, budget_bytes)
    if plan is None:
        return 1.0
    panel = plan[0]
    if panel <= 0:
        return float("inf")
    built = n_states + sum(n_states - min(n_states, p0 + panel) for p0 in range(0, n_states, panel))
    return built / max(1, n_states)


def check_statevector_fits(num_qubits: int, n_states: int = 1, *, fraction: float = 0.8) -> None:
    """Raise a usage error if exact simulation of ``num_qubits`` would not fit in memory.

    Parameters
    ----------
    num_qubits : int
        Width of the circuit.
    n_states : int, default 1
        How many statevectors are held at once (a kernel holds one per sample).
    fraction : float, default 0.8
        Share of the available memory the simulation may take.
    """
    need = _AMPLITUDE_BYTES * max(1, n_states) * 2.0 ** min(int(num_qubits), 4096)
    have = available_memory_bytes() * fraction
    if need > have:
        raise QvcUsageError(
            f"exact simulation of {num_qubits} qubits needs {format_bytes(need)} for "
            f"{max(1, n_states)} statevector(s) but only {format_bytes(have)} is available "
            f"{memory_limit_source()}; use fewer qubits or fewer samples"
        )


#: Most qubits a circuit file or a device file may declare. No QPU announced so far holds more than
#: about 1,200 physical qubits (IBM Condor 1,121; Atom Computing ~1,180: press releases, unverified);
#: 4,096 leaves room and keeps every per-qubit table qvc builds small.
MAX_FILE_QUBITS = 4096
WHY_FILE_QUBITS = ("no QPU announced holds more than about 1,200 physical qubits (unverified); "
                   "4,096 leaves room and keeps per-qubit tables small")


#: Longest name qvc makes a folder or file from (most file systems allow 255 bytes per name; the run
#: folder adds a 20-character timestamp and a suffix).
MAX_NAME_BYTES = 200


def check_file_name(value: object, what: str) -> str:
    """``value`` as one file name: no folder separators, not ``.``/``..``, no NUL, not absolute.

    Names from spec files become folder names under ``--out``; a path there would write elsewhere.

    Examples
    --------
    >>> check_file_name("scaling", "name")
    'scaling'
    >>> check_file_name("../escape", "name")
    Traceback (most recent call last):
    ...
    qvc.errors.QvcUsageError: name: expected a file name, not a path (got '../escape'); ...
    """
    import os

    fix = "give a plain name such as 'scaling'; the folder goes under --out"
    if not isinstance(value, str) or not value.strip():
        raise QvcUsageError(f"{what}: expected a non-empty name (got {value!r}); {fix}")
    seps = {"/", "\\", os.sep, *(os.altsep or "")}
    if any(s in value for s in seps) or value in (".", "..") or os.path.isabs(value) or ":" in value[:2]:
        raise QvcUsageError(f"{what}: expected a file name, not a path (got {value!r}); {fix}")
    if "\0" in value or any(ord(c) < 32 for c in value):
        raise QvcUsageError(f"{what}: expected a name without control characters (got {value!r}); {fix}")
    if len(value.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise QvcUsageError(f"{what}: at most {MAX_NAME_BYTES} bytes (file systems allow 255 per name; the run "
                            f"folder adds a timestamp), got {len(value.encode('utf-8', 'surrogateescape'))}")
    return value


def check_inside(path: str | Path, folder: str | Path) -> Path:
    """``path`` resolved, refused unless it lies inside ``folder`` (resolved too: links followed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_inside(d / "a" / "b.txt", d) == (d / "a" / "b.txt").resolve()
    True
    """
    resolved, root = Path(path).resolve(), Path(folder).resolve()
    if resolved != root and root not in resolved.parents:
        raise QvcUsageError(f"refusing to write {str(resolved)!r}: it is outside the output folder {str(root)!r} "
                            "(a name or link leads out of it); use a plain name")
    return resolved

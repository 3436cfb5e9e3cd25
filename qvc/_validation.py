"""Input validation shared by every layer (one place, as in scikit-learn's ``utils.validation``)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from qvc.errors import QvcUsageError

#: Bytes per complex128 amplitude of a statevector.
_AMPLITUDE_BYTES = 16


def check_positive_int(value: object, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise a usage error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        try:
            as_float = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise QvcUsageError(f"{name} must be an integer (got {value!r})") from None
        if not as_float.is_integer():
            raise QvcUsageError(f"{name} must be an integer (got {value!r})")
        value = int(as_float)
    if value < minimum:
        raise QvcUsageError(f"{name} must be >= {minimum} (got {value})")
    return int(value)


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
    if not np.isfinite(as_float) or as_float < 0:
        raise QvcUsageError(f"{name} must be a finite number >= 0 (got {value!r})")
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


def available_memory_bytes() -> int:
    """Memory the process may still use (psutil's ``available``)."""
    import psutil

    return int(psutil.virtual_memory().available)


def format_bytes(n: float) -> str:
    """Human-readable size, e.g. ``'16.0 GiB'``."""
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    size = float(n)
    for unit in units:
        if size < 1024 or unit == units[-1]:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} EiB"  # pragma: no cover


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
    need = statevector_bytes(num_qubits, max(1, n_states))
    have = available_memory_bytes() * fraction
    if need > have:
        raise QvcUsageError(
            f"exact simulation of {num_qubits} qubits needs {format_bytes(need)} for "
            f"{max(1, n_states)} statevector(s) but only {format_bytes(have)} is available; "
            "use fewer qubits or fewer samples"
        )

"""ZHERK and ZGEMM that release the GIL, for the engine's own threads.

scipy's ``scipy.linalg.blas`` wrappers (f2py) hold the GIL while BLAS runs, so two Python
threads calling them run one after the other (measured: a 16-qubit x 300-sample Gram on two
threads 0.98x the one-thread wall time). scipy also exports the same BLAS routines as C
functions (``scipy.linalg.cython_blas``, a stable public API); called through :mod:`ctypes`
they run with the GIL released. This module wraps the two the kernel needs, on C-ordered
``(rows, amplitudes)`` state matrices, which BLAS reads in place as column-major
``amplitudes x rows`` matrices. :func:`available` is false when the capsules cannot be read
(another scipy build); callers then fall back to one thread.
"""

from __future__ import annotations

import ctypes
from functools import cache
from typing import Any

import numpy as np

_P = ctypes.c_void_p
_CHAR = ctypes.c_char_p
_INT = ctypes.POINTER(ctypes.c_int)
_ZHERK = ctypes.CFUNCTYPE(None, _CHAR, _CHAR, _INT, _INT, _P, _P, _INT, _P, _P, _INT)
_ZGEMM = ctypes.CFUNCTYPE(None, _CHAR, _CHAR, _INT, _INT, _INT, _P, _P, _INT, _P, _INT, _P, _P,
                          _INT)


@cache
def _routines() -> tuple[Any, Any] | None:
    """``(zherk, zgemm)`` as ctypes functions, or None when scipy does not export them."""
    try:
        from scipy.linalg import cython_blas
        capi = cython_blas.__pyx_capi__
        get_name = ctypes.pythonapi.PyCapsule_GetName
        get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
        get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
        get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object,
                                                                     ctypes.c_char_p]

        def pointer(name: str) -> int:
            capsule = capi[name]
            return int(get_pointer(capsule, get_name(capsule)))

        return _ZHERK(pointer("zherk")), _ZGEMM(pointer("zgemm"))
    except (ImportError, AttributeError, KeyError, TypeError, ValueError):
        return None


def available() -> bool:
    """Whether the GIL-free routines could be loaded from scipy."""
    return _routines() is not None


def _int(v: int) -> ctypes.c_int:
    return ctypes.c_int(int(v))


def _address(a: np.ndarray, offset_elements: int = 0) -> int:
    return int(a.ctypes.data) + 16 * int(offset_elements)


def _check_states(states: np.ndarray) -> None:
    if states.dtype != np.complex128 or not states.flags.c_contiguous or states.ndim != 2:
        raise ValueError("expected a C-contiguous complex128 (rows, amplitudes) matrix")


def zherk_slice(states: np.ndarray, k0: int, k1: int, out: np.ndarray,
                beta: float = 0.0) -> None:
    """``out = sum_{k0<=a<k1} conj(S[:, a]) S[:, a]^T + beta out``, upper triangle only.

    ``states`` is C-ordered ``(m, dim)``; ``out`` a Fortran-ordered complex ``(m, m)`` matrix
    whose upper triangle receives ``<s_i|s_j>`` restricted to amplitudes ``k0..k1`` (the lower
    triangle is not touched). The GIL is released while BLAS runs.
    """
    routines = _routines()
    if routines is None:
        raise RuntimeError("scipy.linalg.cython_blas is not available")
    _check_states(states)
    m, dim = states.shape
    if out.shape != (m, m) or out.dtype != np.complex128 or not out.flags.f_contiguous:
        raise ValueError("out must be a Fortran-ordered complex128 (m, m) matrix")
    zherk = routines[0]
    alpha, b = ctypes.c_double(1.0), ctypes.c_double(beta)
    zherk(b"U", b"C", ctypes.byref(_int(m)), ctypes.byref(_int(k1 - k0)), ctypes.byref(alpha),
          _P(_address(states, k0)), ctypes.byref(_int(dim)), ctypes.byref(b),
          _P(_address(out)), ctypes.byref(_int(m)))


def zgemm_rows(sx: np.ndarray, sy: np.ndarray, k0: int, k1: int, out: np.ndarray) -> None:
    """``out = conj(S_x[:, k0:k1]) S_y[:, k0:k1]^T``: ``<s_x|s_y>`` on amplitudes k0..k1.

    ``sx`` ``(mx, dim)`` and ``sy`` ``(my, dim)`` C-ordered (``sy`` may be a row slice of a
    C-ordered matrix); ``out`` Fortran-ordered complex ``(mx, my)``. The GIL is released while
    BLAS runs.
    """
    routines = _routines()
    if routines is None:
        raise RuntimeError("scipy.linalg.cython_blas is not available")
    _check_states(sx)
    _check_states(sy)
    mx, dim = sx.shape
    my = sy.shape[0]
    if sy.shape[1] != dim:
        raise ValueError("sx and sy must have the same number of amplitudes")
    if out.shape != (mx, my) or out.dtype != np.complex128 or not out.flags.f_contiguous:
        raise ValueError("out must be a Fortran-ordered complex128 (mx, my) matrix")
    zgemm = routines[1]
    alpha, b = (ctypes.c_double * 2)(1.0, 0.0), (ctypes.c_double * 2)(0.0, 0.0)
    zgemm(b"C", b"N", ctypes.byref(_int(mx)), ctypes.byref(_int(my)), ctypes.byref(_int(k1 - k0)),
          ctypes.cast(alpha, _P), _P(_address(sx, k0)), ctypes.byref(_int(dim)),
          _P(_address(sy, k0)), ctypes.byref(_int(dim)), ctypes.cast(b, _P), _P(_address(out)),
          ctypes.byref(_int(mx)))

"""The user's own circuits, named on the command line or in a spec file.

A circuit is named by ``module:function`` (an importable module, e.g. on ``PYTHONPATH``, whose
function takes no arguments and returns a qiskit ``QuantumCircuit``) or by the path of an
OpenQASM 3 file whose ``input float`` declarations are its parameters (read by
:func:`qvc.quantum.qasm.load_qasm`). Every failure is a one-line
:class:`~qvc.errors.QvcUsageError`.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from qiskit import QuantumCircuit

from qvc.errors import QvcUsageError

_LOADED: dict[str, QuantumCircuit] = {}


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def describe_source(source: str) -> str:
    """How the report names a circuit's source.

    Examples
    --------
    >>> describe_source("mymod:make_map")
    'Python function mymod:make_map'
    >>> describe_source("maps/zz.qasm")
    'OpenQASM 3 file maps/zz.qasm'
    """
    if _is_file(source):
        return f"OpenQASM 3 file {source}"
    return f"Python function {source}"


def _is_file(source: str) -> bool:
    return source.lower().endswith((".qasm", ".qasm3")) or Path(source).is_file()


def load_circuit(source: str, key: str = "feature_map") -> QuantumCircuit:
    """The circuit ``source`` names (loaded once per process).

    Parameters
    ----------
    source : str
        ``module:function`` or an OpenQASM 3 file path.
    key : str
        The option it came from (``feature_map`` or ``ansatz``), for the error.

    Examples
    --------
    >>> load_circuit("math:pi")
    Traceback (most recent call last):
    ...
    qvc.errors.QvcUsageError: --feature-map math:pi: 'pi' is a float, not a function returning a QuantumCircuit
    >>> load_circuit("no_such_module_xyz:f")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qvc.errors.QvcUsageError: --feature-map no_such_module_xyz:f: module 'no_such_module_xyz' does not import (...); ...
    """
    hit = _LOADED.get(source)
    if hit is not None:
        return hit
    flag = "--" + key.replace("_", "-")
    text = str(source).strip()
    if _is_file(text):
        from qvc.quantum.qasm import load_qasm

        if not Path(text).is_file():
            raise QvcUsageError(f"{flag} {text}: no such file", key=key)
        circuit = load_qasm(text)
    else:
        module, sep, name = text.partition(":")
        if not sep or not module or not name:
            raise QvcUsageError(f"{flag} {text!r}: name a circuit as module:function (an importable module whose "
                                "function returns a QuantumCircuit) or an OpenQASM 3 file (.qasm)", key=key)
        if "" not in sys.path and "." not in sys.path:  # like `python -c`: the working directory imports too
            sys.path.append("")
        try:
            mod = importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - any import failure is the user's module
            raise QvcUsageError(f"{flag} {text}: module {module!r} does not import ({_one_line(exc)}); "
                                "put its folder on PYTHONPATH", key=key) from None
        func = getattr(mod, name, None)
        if func is None:
            raise QvcUsageError(f"{flag} {text}: module {module!r} has no {name!r}", key=key)
        if isinstance(func, QuantumCircuit):
            circuit = func
        elif not callable(func):
            raise QvcUsageError(f"{flag} {text}: {name!r} is a {type(func).__name__}, not a function "
                                "returning a QuantumCircuit", key=key)
        else:
            try:
                circuit = func()
            except Exception as exc:  # noqa: BLE001 - the user's function failed
                raise QvcUsageError(f"{flag} {text}: calling it failed ({_one_line(exc)})", key=key) from None
    if not isinstance(circuit, QuantumCircuit):
        raise QvcUsageError(f"{flag} {text}: returned a {type(circuit).__name__}, not a qiskit QuantumCircuit",
                            key=key)
    if circuit.num_parameters == 0:
        raise QvcUsageError(f"{flag} {text}: the circuit has no free parameters (it needs one "
                            f"{'per feature' if key == 'feature_map' else 'per trainable weight'})", key=key)
    _LOADED[text] = circuit
    return circuit


def check_circuit_source(source: str, n_features: int | None, key: str = "feature_map") -> QuantumCircuit:
    """Load ``source`` and, for a feature map with ``n_features`` known, check one parameter per feature."""
    circuit = load_circuit(source, key)
    if key == "feature_map" and n_features is not None and circuit.num_parameters != int(n_features):
        raise QvcUsageError(f"--feature-map {source}: the circuit has {circuit.num_parameters} parameters but the "
                            f"run has {n_features} features (qubits); give one parameter per feature or set "
                            "--qubits", key=key)
    return circuit

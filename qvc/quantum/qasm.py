"""Read OpenQASM 2 or 3 files into Qiskit circuits, with one-line errors."""

from __future__ import annotations

import re
from pathlib import Path

from qiskit import QuantumCircuit

from qvc.errors import QvcUsageError

_VERSION = re.compile(r"^\s*OPENQASM\s+(\d+)(?:\.\d+)?\s*;", re.MULTILINE)


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    return re.sub(r"//[^\n]*", "", text)


_INCLUDE = re.compile(r"\binclude\s*(\"[^\"]*\"|'[^']*'|\S*)")
#: The standard library each version may include by name.
_STDLIB = {2: ("qelib1.inc",), 3: ("stdgates.inc",)}


def _check_includes(path: Path, code: str, version: int) -> None:
    """Allow only the standard library and (OpenQASM 2) files in the circuit file's own folder.

    An include anywhere else is refused before any parser opens it, so a circuit file
    cannot make qvc read (and quote in an error) a file outside its folder.
    """
    folder = path.resolve().parent
    for m in _INCLUDE.finditer(code):
        name = m.group(1).strip("\"'")
        if name in _STDLIB.get(version, ()):
            continue
        if version != 2:
            raise QvcUsageError(f"{path}: OpenQASM {version} files may include only "
                                f"{', '.join(_STDLIB.get(version, ()))}; inline the other definitions")
        target = (folder / name).resolve() if name else folder
        if not name or folder not in target.parents or not target.is_file():
            raise QvcUsageError(f"{path}: include {name!r} is not allowed: OpenQASM 2 files may include "
                                f"qelib1.inc or a file in their own folder ({folder})")


def load_qasm(path: str | Path) -> QuantumCircuit:
    """Load an OpenQASM 2 (``qelib1.inc``) or OpenQASM 3 (``stdgates.inc``) file.

    The version comes from the ``OPENQASM`` header (3 when there is none).

    Only the standard library (``qelib1.inc``, ``stdgates.inc``) and, for OpenQASM 2,
    files in the circuit file's own folder may be included.

    Raises
    ------
    QvcUsageError
        If the file is missing, empty, includes a file it may not, or does not parse; the
        message names the file and the first error.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "bell.qasm"
    >>> _ = p.write_text('OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; creg c[2]; '
    ...                  'h q[0]; cx q[0],q[1]; measure q -> c;')
    >>> load_qasm(p).count_ops()["cx"]
    1
    """
    path = Path(path)
    if not path.is_file():
        raise QvcUsageError(f"circuit file {str(path)!r} does not exist; give an OpenQASM 2 or 3 file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise QvcUsageError(f"{path}: not a text file; give an OpenQASM 2 or 3 file") from None
    code = _strip_comments(text)
    if not code.strip():
        raise QvcUsageError(f"{path}: the file is empty (no OpenQASM statements); give an OpenQASM 2 or 3 file")
    match = _VERSION.search(code)
    version = int(match.group(1)) if match else 3
    _check_includes(path, code, version)
    try:
        if version == 2:
            from qiskit import qasm2

            circuit = qasm2.loads(text, include_path=(str(path.resolve().parent),),
                                  custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        elif version == 3:
            from qiskit import qasm3

            circuit = qasm3.loads(text)
        else:
            raise QvcUsageError(f"{path}: OpenQASM version {version} is not supported; use 2 or 3")
    except QvcUsageError:
        raise
    except Exception as exc:  # qasm2.QASM2ParseError, qasm3.QASM3ImporterError, parser errors
        message = " ".join(str(exc).split()).replace("<input>:", "at ").strip('"') or type(exc).__name__
        raise QvcUsageError(
            f"{path}: malformed OpenQASM {version}: {message[:300]}; fix the file"
        ) from None
    if circuit.num_qubits == 0:
        raise QvcUsageError(f"{path}: the circuit has no qubits")
    return circuit

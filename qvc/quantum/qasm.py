"""Read OpenQASM 2 or 3 files into Qiskit circuits, with one-line errors."""

from __future__ import annotations

import re
from pathlib import Path

from qiskit import QuantumCircuit

from qvc._validation import MAX_FILE_QUBITS, WHY_FILE_QUBITS
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


#: Largest circuit file read (bytes): ~200,000 gate lines; larger ones are refused before reading.
MAX_QASM_BYTES = 8 * 2**20
#: Most operations a file may expand to (gate definitions inlined, register broadcasts and loops
#: unrolled): translating 10^6 gates to a device's basis already takes minutes and gigabytes.
MAX_EXPANDED_GATES = 1_000_000
#: Deepest nesting of gate definitions (a gate defined from gates defined from gates ...) and of blocks.
MAX_DEFINITION_DEPTH = 32
#: Most qubits a ``pow(k) @`` gate may act on: qiskit builds its matrix (4^n entries).
MAX_POWER_QUBITS = 10

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DECL = re.compile(r"^(qreg|creg)\s+([A-Za-z_]\w*)\s*\[\s*([^\]]*)\]$|"
                   r"^(qubit|bit)\s*(?:\[\s*([^\]]*)\])?\s+([A-Za-z_]\w*)(?:\s*=.*)?$")
_CONST = re.compile(r"^const\s+\w+(?:\[[^\]]*\])?\s+([A-Za-z_]\w*)\s*=\s*(\d{1,18})$")
_MODIFIER = re.compile(r"^(inv|ctrl|negctrl|pow)\s*(\([^()]*\))?\s*@\s*")
_RANGE = re.compile(r"\bin\s*\[\s*([^\]:]+?)\s*:\s*([^\]:]+?)\s*(?::\s*([^\]:]+?)\s*)?\]")
_SET = re.compile(r"\bin\s*\{([^}]*)\}")


def _blocks(code: str, where: str) -> list:
    """``code`` as a tree: a statement is a string, a block ``(header, [items])``; bounded depth."""
    root: list = []
    stack: list[list] = [root]
    headers: list[str] = []
    buf: list[str] = []
    for ch in code:
        if ch == ";":
            stmt = "".join(buf).strip()
            if stmt:
                stack[-1].append(stmt)
            buf = []
        elif ch == "{":
            if len(stack) > MAX_DEFINITION_DEPTH:
                raise QvcUsageError(f"{where}: blocks nest deeper than {MAX_DEFINITION_DEPTH} levels; "
                                    "flatten the circuit")
            headers.append("".join(buf).strip())
            buf = []
            stack.append([])
        elif ch == "}":
            if len(stack) == 1:
                return root  # unbalanced: the parser reports it
            body = stack.pop()
            tail = "".join(buf).strip()
            if tail:
                body.append(tail)
            buf = []
            stack[-1].append((headers.pop(), body))
        else:
            buf.append(ch)
    return root


class _Bounds:
    """Counts what a circuit file asks qiskit to build, without building it."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.consts: dict[str, int] = {}
        self.registers: dict[str, int] = {}
        self.qubits = self.clbits = 0
        self.gates: dict[str, tuple[int, int]] = {}  # defined gate -> (expanded size, definition depth)

    def fail(self, what: str, fix: str) -> QvcUsageError:
        return QvcUsageError(f"{self.where}: {what}; {fix}")

    def number(self, text: str, what: str) -> int:
        text = text.strip()
        if text in self.consts:
            return self.consts[text]
        if re.fullmatch(r"\d{1,18}", text):
            return int(text)
        if re.fullmatch(r"\d+", text):
            return 10**18
        raise self.fail(f"{what} {text!r} is not a number qvc can bound before building the circuit",
                        "write it as an integer literal")

    def declare(self, stmt: str) -> bool:
        m = _CONST.match(stmt)
        if m:
            self.consts[m.group(1)] = int(m.group(2))
            return True
        m = _DECL.match(stmt)
        if not m:
            return False
        if m.group(1):
            kind, name, size = m.group(1), m.group(2), self.number(m.group(3), "register size")
        else:
            kind, name = m.group(4), m.group(6)
            size = 1 if m.group(5) is None else self.number(m.group(5), "register size")
        self.registers[name] = size
        if kind in ("qreg", "qubit"):
            self.qubits += size
        else:
            self.clbits += size
        for count, label in ((self.qubits, "qubits"), (self.clbits, "classical bits")):
            if count > MAX_FILE_QUBITS:
                raise self.fail(f"declares {count:,} {label}, more than {MAX_FILE_QUBITS:,} ({WHY_FILE_QUBITS})",
                                "use a smaller register")
        return True

    def call(self, stmt: str, scope: set[str]) -> tuple[int, int]:
        """(operations after expansion, definition depth) of one statement."""
        stmt = re.sub(r"^if\s*\([^()]*\)\s*", "", stmt)
        stmt = re.sub(r"^[A-Za-z_]\w*(\s*\[[^\]]*\])?\s*=\s*(?=measure\b)", "", stmt)
        power = False
        while True:
            m = _MODIFIER.match(stmt)
            if not m:
                break
            power = power or m.group(1) == "pow"
            stmt = stmt[m.end():]
        m = _WORD.match(stmt)
        if not m:
            return 1, 0
        name, rest = m.group(0), stmt[m.end():].lstrip()
        if rest.startswith("("):  # parameters, possibly nested parentheses
            depth = 0
            for i, ch in enumerate(rest):
                depth += (ch == "(") - (ch == ")")
                if depth == 0:
                    rest = rest[i + 1:]
                    break
        operands = [o.strip() for o in rest.replace("->", ",").split(",") if o.strip()]
        if power and len(operands) > MAX_POWER_QUBITS:
            raise self.fail(f"a pow(k) @ gate on {len(operands)} qubits (its matrix has 4^{len(operands)} "
                            f"entries; at most {MAX_POWER_QUBITS})", "write the repeated gate out instead")
        broadcast = 1
        for o in operands:
            base = _WORD.match(o)
            if base and base.group(0) not in scope and "[" not in o:
                broadcast = max(broadcast, self.registers.get(base.group(0), 1))
        size, depth = self.gates.get(name, (1, 0))
        return size * broadcast, depth

    def items(self, items: list, scope: set[str], depth: int) -> int:
        total = 0
        for item in items:
            if isinstance(item, str):
                if not self.declare(item):
                    total += self.call(item, scope)[0]
            else:
                total += self.block(*item, scope=scope, depth=depth)
            if total > MAX_EXPANDED_GATES:
                break
        return total

    def block(self, header: str, body: list, *, scope: set[str], depth: int) -> int:
        m = re.match(r"^gate\s+([A-Za-z_]\w*)\s*(?:\([^)]*\))?\s*(.*)$", header, re.DOTALL)
        if m:
            args = {a.strip() for a in m.group(2).split(",") if a.strip()}
            size, deepest = 0, 0
            for stmt in (s for s in body if isinstance(s, str)):
                s, d = self.call(stmt, args)
                size, deepest = min(size + s, MAX_EXPANDED_GATES + 1), max(deepest, d)
            if deepest + 1 > MAX_DEFINITION_DEPTH:
                raise self.fail(f"gate {m.group(1)!r} is defined {deepest + 1} definitions deep (at most "
                                f"{MAX_DEFINITION_DEPTH})", "define it from standard gates")
            self.gates[m.group(1)] = (max(size, 1), deepest + 1)
            return 0
        times = 1
        if header.startswith("for"):
            r, members = _RANGE.search(header), _SET.search(header)
            if r:
                start = self.number(r.group(1), "loop bound")
                stop = self.number(r.group(3) or r.group(2), "loop bound")
                step = self.number(r.group(2), "loop step") if r.group(3) else 1
                times = abs(stop - start) // max(step, 1) + 1
            elif members:
                times = len([v for v in members.group(1).split(",") if v.strip()])
            else:
                raise self.fail(f"the loop {header!r} has no literal range", "give it [start:stop] in integers")
        return min(times * self.items(body, scope, depth + 1), MAX_EXPANDED_GATES + 1)


def check_qasm_size(code: str, where: str) -> None:
    """Refuse a circuit that would grow past the stated bounds before qiskit builds it.

    Counts, from the text alone and in time linear in its length: declared qubits and
    classical bits (at most :data:`~qvc._validation.MAX_FILE_QUBITS`), operations after
    inlining gate definitions, broadcasting over registers and unrolling ``for`` loops (at
    most :data:`MAX_EXPANDED_GATES`), and the depth of gate definitions and blocks (at most
    :data:`MAX_DEFINITION_DEPTH`). The count is an upper bound of what the parser and the
    transpiler would build.

    Examples
    --------
    >>> check_qasm_size('OPENQASM 2.0; include "qelib1.inc"; qreg q[100000000];', "big.qasm")
    Traceback (most recent call last):
    ...
    qvc.errors.QvcUsageError: big.qasm: declares 100,000,000 qubits, more than 4,096 (no QPU announced ...
    """
    bounds = _Bounds(where)
    total = bounds.items(_blocks(code, where), set(), 0)
    if total > MAX_EXPANDED_GATES:
        raise bounds.fail(f"expands to more than {MAX_EXPANDED_GATES:,} operations (gate definitions inlined, "
                          "registers broadcast, loops unrolled), beyond what qvc translates in reasonable "
                          "time and memory", "estimate a smaller circuit")


def _with_local_includes(path: Path, code: str, version: int, depth: int = 0) -> str:
    """``code`` with the OpenQASM 2 files it includes from its folder inlined (for the size check only)."""
    if version != 2:
        return code
    parts, total = [], len(code)
    for m in _INCLUDE.finditer(code):
        name = m.group(1).strip("\"'")
        if name in _STDLIB[2] or not name:
            continue
        target = (path.resolve().parent / name)
        if depth >= 8:
            raise QvcUsageError(f"{path}: includes nest deeper than 8 files; inline them")
        total += target.stat().st_size
        if total > MAX_QASM_BYTES:
            raise QvcUsageError(f"{path}: with its includes more than {MAX_QASM_BYTES // 2**20} MiB; "
                                "estimate a smaller circuit")
        inner = _strip_comments(target.read_text(encoding="utf-8", errors="replace"))
        _check_includes(target, inner, 2)
        parts.append(_with_local_includes(target, inner, 2, depth + 1))
    return "\n".join([*parts, _INCLUDE.sub(";", code)]) if parts else code


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
    if path.stat().st_size > MAX_QASM_BYTES:
        raise QvcUsageError(f"{path}: {path.stat().st_size:,} bytes, more than the {MAX_QASM_BYTES // 2**20} MiB "
                            "a circuit file may have; estimate a smaller circuit")
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
    check_qasm_size(_with_local_includes(path, code, version), str(path))
    try:
        if version == 2:
            from qiskit import qasm2

            circuit = qasm2.loads(text, include_path=(str(path.resolve().parent),),
                                  custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        elif version == 3:
            import contextlib
            import io

            from qiskit import qasm3

            # the OpenQASM 3 parser's ANTLR lexer prints its own "line 1:0 token recognition error"
            # to stderr before raising; the raised error becomes the one line below
            with contextlib.redirect_stderr(io.StringIO()):
                circuit = qasm3.loads(text)
        else:
            raise QvcUsageError(f"{path}: OpenQASM version {version} is not supported; use 2 or 3")
    except QvcUsageError:
        raise
    except Exception as exc:  # qasm2.QASM2ParseError, qasm3.QASM3ImporterError, parser errors
        message = " ".join(str(exc).split()).replace("<input>:", "at ").strip('"') or type(exc).__name__
        message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)  # e.g. a NUL byte: \x00
        raise QvcUsageError(
            f"{path}: malformed OpenQASM {version}: {message[:300]}; fix the file"
        ) from None
    if circuit.num_qubits == 0:
        raise QvcUsageError(f"{path}: the circuit has no qubits")
    return circuit

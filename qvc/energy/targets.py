"""Committed snapshots of the fake-backend Targets that price the IBM device presets.

Pricing an IBM preset (``ibm_heron``: FakeTorino, ``ibm_eagle``: FakeSherbrooke,
``ibm_heron_r2``: FakeFez, ``ibm_heron_r2_marrakesh``: FakeMarrakesh, ``ibm_heron_r2_kingston``:
FakeKingston, ``ibm_nighthawk``: FakeNighthawk) transpiles each circuit template to the
backend's ``Target`` and reads gate durations and error rates per physical qubit from it. Importing
``qiskit_ibm_runtime.fake_provider`` and building the backend costs about
1.5 s (4 s and more on a loaded machine) in every ``qvc run``; the Target itself is a
few hundred numbers. This module stores those numbers (every operation's
duration and error on every qubit tuple, the qubit properties and the timing
constraints; operations that are no standard gate, such as FakeKingston's
``measure_2``, by name and width) as JSON next to it, with the backend class, its name and the
qiskit-ibm-runtime version they were read from, and rebuilds an equal
``Target`` from them without importing qiskit-ibm-runtime.

The fake backends themselves are still loaded where a backend is needed: noisy
and IBM execution modes, ``mps:matched`` and ``ibm:<backend>`` pricing.

Regenerate after upgrading qiskit-ibm-runtime (``tests/test_energy_devices.py``
checks the snapshot against the installed fake backend when the versions match)::

    python -m qvc.energy.targets FakeTorino FakeSherbrooke FakeFez FakeMarrakesh FakeKingston FakeNighthawk
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

#: Where the snapshots live: ``<class name>.json``.
SNAPSHOT_DIR = Path(__file__).with_name("target_snapshots")

_CONTROL_FLOW = ("if_else", "while_loop", "for_loop", "switch_case")
_FORMAT = 1
#: The presets' fake backends, whose snapshots are committed.
SNAPSHOT_CLASSES = ("FakeTorino", "FakeSherbrooke", "FakeFez", "FakeMarrakesh", "FakeKingston",
                    "FakeNighthawk")


def snapshot_path(class_name: str) -> Path:
    """The snapshot file of fake backend class ``class_name``."""
    return SNAPSHOT_DIR / f"{class_name}.json"


def snapshot_of(class_name: str) -> dict:
    """Read fake backend ``class_name`` from the installed qiskit-ibm-runtime into a plain dict."""
    import warnings

    import qiskit_ibm_runtime
    from qiskit.circuit.library import get_standard_gate_name_mapping
    from qiskit_ibm_runtime import fake_provider

    with warnings.catch_warnings():  # FakeNighthawk warns that its errors are not typical (said in its preset)
        warnings.simplefilter("ignore", UserWarning)
        backend = getattr(fake_provider, class_name)()
    target = backend.target
    standard = get_standard_gate_name_mapping()
    ops: dict[str, Any] = {}
    custom: dict[str, list[int]] = {}
    flow = []
    for name in sorted(target.operation_names):
        if name in _CONTROL_FLOW:
            flow.append(name)
            continue
        if name not in standard:  # e.g. measure_2: kept as a plain instruction of its width
            op = target.operation_from_name(name)
            custom[name] = [int(op.num_qubits), int(op.num_clbits)]
        props = target[name]
        rows = []
        for qargs, p in sorted(props.items(), key=lambda kv: kv[0] or ()):
            rows.append([list(qargs) if qargs is not None else None,
                         None if p is None else p.duration, None if p is None else p.error])
        ops[name] = rows
    return {
        "format": _FORMAT,
        "source": {"backend_class": class_name, "backend_name": backend.name,
                   "package": "qiskit-ibm-runtime", "version": qiskit_ibm_runtime.__version__},
        "num_qubits": target.num_qubits,
        "dt": target.dt, "granularity": target.granularity, "min_length": target.min_length,
        "pulse_alignment": target.pulse_alignment, "acquire_alignment": target.acquire_alignment,
        "qubit_properties": None if target.qubit_properties is None else [
            [q.t1, q.t2, q.frequency] for q in target.qubit_properties],
        "operations": ops,
        **({"custom_operations": custom} if custom else {}),
        "control_flow": flow,
    }


def write_snapshot(class_name: str) -> Path:
    """Write the snapshot of ``class_name`` (see the module docstring)."""
    path = snapshot_path(class_name)
    path.write_text(json.dumps(snapshot_of(class_name), indent=None, separators=(",", ":")) + "\n")
    return path


@cache
def _read(class_name: str) -> dict | None:
    path = snapshot_path(class_name)
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return data if data.get("format") == _FORMAT else None


def snapshot_source(class_name: str) -> str | None:
    """Citation of the snapshot, e.g. ``'FakeTorino (fake_torino), qiskit-ibm-runtime 0.51.0'``."""
    data = _read(class_name)
    if data is None:
        return None
    s = data["source"]
    return f"{s['backend_class']} ({s['backend_name']}), {s['package']} {s['version']}"


@cache
def snapshot_target(class_name: str):
    """The ``Target`` stored for ``class_name`` (built once), or ``None`` without a snapshot."""
    data = _read(class_name)
    if data is None:
        return None
    from qiskit.circuit import IfElseOp, Instruction, WhileLoopOp
    from qiskit.circuit.controlflow import ForLoopOp, SwitchCaseOp
    from qiskit.circuit.library import get_standard_gate_name_mapping
    from qiskit.providers import QubitProperties
    from qiskit.transpiler import InstructionProperties, Target

    qprops = data["qubit_properties"]
    target = Target(
        num_qubits=data["num_qubits"], dt=data["dt"], granularity=data["granularity"],
        min_length=data["min_length"], pulse_alignment=data["pulse_alignment"],
        acquire_alignment=data["acquire_alignment"],
        qubit_properties=None if qprops is None else [
            QubitProperties(t1=t1, t2=t2, frequency=f) for t1, t2, f in qprops],
    )
    standard = get_standard_gate_name_mapping()
    custom = data.get("custom_operations", {})
    for name, rows in data["operations"].items():
        props = {}
        for qargs, duration, error in rows:
            key = None if qargs is None else tuple(qargs)
            props[key] = (None if duration is None and error is None
                          else InstructionProperties(duration=duration, error=error))
        op = standard[name] if name not in custom else Instruction(name, *custom[name], params=[])
        target.add_instruction(op, props, name=name)
    classes = {"if_else": IfElseOp, "while_loop": WhileLoopOp, "for_loop": ForLoopOp,
               "switch_case": SwitchCaseOp}
    for name in data["control_flow"]:
        target.add_instruction(classes[name], name=name)
    return target


if __name__ == "__main__":  # pragma: no cover - maintenance command
    for cls in sys.argv[1:] or SNAPSHOT_CLASSES:
        print(write_snapshot(cls))

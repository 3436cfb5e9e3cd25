"""The circuit ledger: what a QPU would have had to run for a model phase.

Whatever computed the numbers (exact statevector, shots, Aer, hardware), the
quantum models record here the circuits a quantum computer would execute. The
hardware cost model (:mod:`qvc.energy.hardware`) prices a ledger; it never
looks at how the simulation was done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qiskit import QuantumCircuit


@dataclass
class LedgerEntry:
    """One kind of circuit a phase executes, and how often.

    Parameters
    ----------
    model : str
        Model name (``"qsvc"``, ``"vqc"`` ...).
    phase : str
        ``"fit"`` or ``"predict"``.
    template : QuantumCircuit
        The parametrised circuit (with measurements) that every execution binds.
        Gate counts do not depend on the bound values, so pricing transpiles it once.
    n_circuits : int
        Number of circuit executions (parameter bindings).
    shots : int
        Shots per execution that a hardware run would take.
    kind : str
        ``"kernel"`` (compute-uncompute fidelity) or ``"qnn"`` (forward/gradient).
    note : str
        How ``n_circuits`` was counted, in words, for the report.
    sequential_jobs : int
        Rounds that must run one after another because each needs the previous
        result (optimizer evaluations of a training loop): the entry is submitted as at
        least this many jobs, ``n_circuits / sequential_jobs`` circuits each. 0: no
        such dependency (batched freely).
    host_seconds_per_round : float
        Classical host time between two sequential rounds (the optimizer's step),
        during which a session holds the QPU.
    """

    model: str
    phase: str
    template: QuantumCircuit
    n_circuits: int
    shots: int
    kind: str
    note: str = ""
    sequential_jobs: int = 0
    host_seconds_per_round: float = 0.0

    @property
    def total_shots(self) -> int:
        """Shots summed over all executions of this entry."""
        return int(self.n_circuits) * int(self.shots)


def optimizer_rounds_entry(
    model: str, template: QuantumCircuit, *, rounds: int, circuits: int, shots: int,
    host_seconds_per_round: float = 0.0, note: str = "",
) -> LedgerEntry:
    """The ledger entry of an iterative optimizer: ``circuits`` over ``rounds`` evaluations, one job each.

    Each evaluation needs the previous result (COBYLA proposes the next weights from
    the last loss), so a QPU run submits one job per round and the host's optimizer
    step sits between jobs. The one place that shapes training work for pricing:
    :class:`~qvc.models.quantum.VQCClassifier` records it for a run, and
    :func:`qvc.experiment.ibm.estimate_training` prices it before a run.

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(1); _ = qc.h(0); _ = qc.measure_all()
    >>> e = optimizer_rounds_entry("vqc", qc, rounds=30, circuits=30 * 40, shots=1024)
    >>> e.n_circuits, e.sequential_jobs
    (1200, 30)
    """
    return LedgerEntry(model, "fit", template, int(circuits), int(shots), "qnn",
                       note or "optimizer evaluations x training samples, one job per evaluation",
                       int(rounds), float(host_seconds_per_round))


@dataclass
class CircuitLedger:
    """An append-only list of :class:`LedgerEntry`, one per (model, phase, template).

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> from qvc.quantum.ledger import CircuitLedger
    >>> qc = QuantumCircuit(1); _ = qc.h(0); _ = qc.measure_all()
    >>> ledger = CircuitLedger()
    >>> ledger.record("qsvc", "fit", qc, n_circuits=45, shots=1024, kind="kernel")
    >>> ledger.circuits(phase="fit")
    45
    """

    entries: list[LedgerEntry] = field(default_factory=list)

    def record(
        self,
        model: str,
        phase: str,
        template: QuantumCircuit,
        *,
        n_circuits: int,
        shots: int,
        kind: str,
        note: str = "",
        sequential_jobs: int = 0,
        host_seconds_per_round: float = 0.0,
    ) -> None:
        """Append an entry (zero-circuit entries are dropped)."""
        if n_circuits <= 0:
            return
        self.entries.append(
            LedgerEntry(model, phase, template, int(n_circuits), int(shots), kind, note,
                        int(sequential_jobs), float(host_seconds_per_round))
        )

    def select(self, *, model: str | None = None, phase: str | None = None) -> list[LedgerEntry]:
        """Entries matching ``model`` and/or ``phase``."""
        return [
            e
            for e in self.entries
            if (model is None or e.model == model) and (phase is None or e.phase == phase)
        ]

    def circuits(self, *, model: str | None = None, phase: str | None = None) -> int:
        """Total circuit executions of the selected entries."""
        return sum(e.n_circuits for e in self.select(model=model, phase=phase))

    def shots(self, *, model: str | None = None, phase: str | None = None) -> int:
        """Total shots of the selected entries."""
        return sum(e.total_shots for e in self.select(model=model, phase=phase))

    def clear(self) -> None:
        """Forget every entry (a refit starts a fresh ledger)."""
        self.entries.clear()

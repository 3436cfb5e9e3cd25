"""Execution modes: how the quantum models turn circuits into numbers.

One switch for every quantum model, given as a string:

``exact``
    Exact statevector probabilities (:mod:`qvc.quantum.statevector`), no shot noise.
``shots``
    Noiseless finite sampling: exact probabilities, then seeded binomial /
    multinomial draws with ``shots`` samples per circuit -- the same distribution
    as running each circuit with that many shots on an ideal machine.
``noisy:<fake backend>``
    qiskit-aer with the noise model of a qiskit-ibm-runtime fake backend, e.g.
    ``noisy:fake_torino``: each circuit is transpiled to the device once and cut down to
    the physical qubits it uses; each binding's noisy outcome distribution is computed once
    (Aer density matrix with the noise model restricted to those qubits, then the readout
    assignment matrices, :class:`NoisyDistribution`) and the shots are drawn from it
    multinomially, so the cost does not grow with the shots. ``SamplerExecutor(...,
    per_shot=True)`` samples every shot on Aer's ``SamplerV2`` instead (the reference).
``ibm:<backend>[:batch|:session]``
    IBM Quantum through qiskit-ibm-runtime, or a fake backend in local testing mode
    (``ibm:fake_manila``); see :mod:`qvc.quantum.ibm`. The quantum models route this
    mode to that package's job-ledger sampler.

The string is parsed once (:func:`parse_execution`) into an :class:`ExecutionMode`,
which callers carry and ask (``mode.is_ibm``, ``mode.uses_sampler``) instead of
matching prefixes. Sampler-based modes (``noisy``, ``ibm``) share
:class:`SamplerExecutor`, which only needs a transpilation target and a
``BaseSamplerV2``; a new backend -- an existing kind or a new one such as a
matrix-product-state simulator -- plugs in with :func:`register_sampler_backend`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import numpy as np
from qiskit import QuantumCircuit

from qvc import _progress as progress
from qvc.errors import QvcUsageError
from qvc.quantum.backends import fake_backend, fake_backend_names

if TYPE_CHECKING:
    from qvc.quantum.ibm.service import IbmTarget

#: Built-in mode names; ``noisy`` and ``ibm`` take a backend after a colon
#: (:func:`execution_kinds` also lists kinds registered later).
EXECUTION_KINDS = ("exact", "shots", "noisy", "ibm", "mps")
#: How the built-in modes are spelled for users (help texts and error messages).
EXECUTION_MODES = ("exact", "shots", "noisy:<fake backend>", "ibm:<backend>[:session]",
                   "mps[:chi=D,trunc=T,fidelity=F|matched]")


@dataclass(frozen=True)
class _Kind:
    """What the parser and the executors know about one mode name."""

    backend: Literal["none", "required", "optional"]
    spelling: str
    sampler: bool
    stochastic: bool = True
    check_backend: Callable[[str], None] | None = None


def _check_ibm_backend(backend: str) -> None:
    from qvc.quantum.ibm.service import parse_ibm_execution

    parse_ibm_execution(f"ibm:{backend}")


def _check_mps_options(options: str) -> None:
    from qvc.quantum.mps import parse_mps_options  # mps imports nothing of execution: no circle

    parse_mps_options(options)


def _check_fake_backend(backend: str) -> None:
    names = fake_backend_names()
    if backend not in names:
        raise QvcUsageError(f"unknown fake backend {backend!r}; choose one of: {', '.join(sorted(names))}")


_KINDS: dict[str, _Kind] = {
    "exact": _Kind("none", "exact", sampler=False, stochastic=False),
    "shots": _Kind("none", "shots", sampler=False),
    "noisy": _Kind("required", "noisy:<fake backend>", sampler=True, check_backend=_check_fake_backend),
    "ibm": _Kind("required", "ibm:<backend>[:session]", sampler=True, check_backend=_check_ibm_backend),
    # matrix-product states on Aer (qvc.quantum.mps): kernel model only, deterministic
    "mps": _Kind("optional", "mps[:chi=D,trunc=T,fidelity=F|matched]", sampler=False, stochastic=False,
                 check_backend=_check_mps_options),
}


def execution_kinds() -> tuple[str, ...]:
    """Every mode name the parser accepts now (built-in and registered).

    Examples
    --------
    >>> execution_kinds()[:4]
    ('exact', 'shots', 'noisy', 'ibm')
    """
    return tuple(_KINDS)


def execution_modes() -> tuple[str, ...]:
    """How every accepted mode is spelled for users (built-in and registered)."""
    return tuple(k.spelling for k in _KINDS.values())


@dataclass(frozen=True)
class ExecutionMode:
    """A parsed execution mode.

    Examples
    --------
    >>> parse_execution("noisy:fake_torino")
    ExecutionMode(kind='noisy', backend='fake_torino')
    >>> str(parse_execution("exact")), parse_execution("shots").stochastic
    ('exact', True)
    """

    kind: str
    backend: str | None = None

    def __str__(self) -> str:
        return self.kind if self.backend is None else f"{self.kind}:{self.backend}"

    @property
    def stochastic(self) -> bool:
        """True when results carry shot noise (every built-in mode but ``exact``)."""
        kind = _KINDS.get(self.kind)
        return kind.stochastic if kind is not None else True

    @property
    def uses_sampler(self) -> bool:
        """True when circuits run on a sampler primitive (``noisy``, ``ibm``, registered kinds)."""
        kind = _KINDS.get(self.kind)
        return kind.sampler if kind is not None else False

    @property
    def is_ibm(self) -> bool:
        """True for ``ibm:<backend>``: IBM Quantum (or its local testing mode) through the job store.

        Examples
        --------
        >>> parse_execution("ibm:fake_manila").is_ibm, parse_execution("noisy:fake_manila").is_ibm
        (True, False)
        """
        return self.kind == "ibm"

    @property
    def ibm_target(self) -> IbmTarget:
        """Backend and batch/session mode of an ``ibm:`` execution (usage error otherwise)."""
        from qvc.quantum.ibm.service import parse_ibm_execution

        return parse_ibm_execution(str(self))


def parse_execution(text: str | ExecutionMode) -> ExecutionMode:
    """Parse and validate an execution-mode string.

    Raises
    ------
    QvcUsageError
        Unknown mode, missing or unknown backend.

    Examples
    --------
    >>> parse_execution("shots")
    ExecutionMode(kind='shots', backend=None)
    """
    if isinstance(text, ExecutionMode):
        return text
    if not isinstance(text, str):
        raise QvcUsageError(f"execution mode must be a string (got {text!r}); choose one of: "
                            + ", ".join(execution_modes()))
    name, _, backend = text.strip().partition(":")
    name = name.lower()
    kind = _KINDS.get(name)
    if kind is None:
        raise QvcUsageError(f"unknown execution mode {text!r}; choose one of: {', '.join(execution_modes())}")
    if kind.backend == "none":
        if backend:
            raise QvcUsageError(f"execution mode {name!r} takes no backend (got {text!r}); use {name!r}")
        return ExecutionMode(name)
    if not backend:
        if kind.backend == "optional":
            return ExecutionMode(name)
        raise QvcUsageError(f"execution mode {name!r} needs a backend, e.g. {kind.spelling!r}")
    if kind.check_backend is not None:
        kind.check_backend(backend)
    return ExecutionMode(name, backend)


#: Shots per circuit of the stochastic modes when none are given.
DEFAULT_SHOTS = 1024


def resolve_shots(execution: str | ExecutionMode | None, shots: int | None) -> tuple[ExecutionMode, int | None]:
    """The execution mode and shot count that ``execution`` and ``shots`` select together.

    As in qiskit-machine-learning, ``shots`` alone switches shot noise on: with no
    ``execution``, ``shots=None`` is exact and ``shots=N`` samples ``N`` shots. An explicit
    ``execution="exact"`` with a shot count is refused (it would silently be exact);
    the stochastic modes default to :data:`DEFAULT_SHOTS`.

    Examples
    --------
    >>> resolve_shots(None, None), resolve_shots(None, 10)
    ((ExecutionMode(kind='exact', backend=None), None), (ExecutionMode(kind='shots', backend=None), 10))
    >>> resolve_shots("shots", None)
    (ExecutionMode(kind='shots', backend=None), 1024)
    """
    from qvc._validation import check_positive_int

    if execution is None:
        execution = "exact" if shots is None else "shots"
    mode = parse_execution(execution)
    if not mode.stochastic:
        if shots is not None:
            raise QvcUsageError(
                f"shots={shots!r} has no effect with execution='exact' (exact probabilities); "
                "drop shots, or use execution='shots' for shot noise"
            )
        return mode, None
    return mode, check_positive_int(DEFAULT_SHOTS if shots is None else shots, "shots")


# ---------------------------------------------------------------------------
# sampler-based execution (noisy simulation now, hardware later)
# ---------------------------------------------------------------------------


@dataclass
class _Prepared:
    circuit: QuantumCircuit       # device-ready, possibly compacted to the used qubits
    order: list[int]              # column of the caller's values for each circuit parameter
    num_bits: int


class SamplerExecutor:
    """Runs parametrised measured circuits through a ``BaseSamplerV2``.

    Parameters
    ----------
    mode : ExecutionMode
        A sampler-based mode.
    shots : int
    seed : int or None

    Examples
    --------
    >>> ex = SamplerExecutor(parse_execution("noisy:fake_manila"), shots=64, seed=1)
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(1); _ = qc.measure_all()
    >>> float(ex.probabilities(qc, [], np.zeros((1, 0)))[0, 0]) > 0.8
    True
    """

    def __init__(self, mode: ExecutionMode, *, shots: int, seed: int | None = None,
                 per_shot: bool = False) -> None:
        if not mode.uses_sampler:
            raise QvcUsageError(f"execution mode {mode} does not run on a sampler")
        factory = _SAMPLER_FACTORIES.get(mode.kind)
        if factory is None:
            raise QvcUsageError(
                f"execution mode {mode.kind!r} has no sampler registered here; run it through "
                "QuantumKernelSVC / VQCClassifier (qvc.quantum.ibm) or use 'exact', 'shots' or "
                "'noisy:<fake backend>'"
            )
        self.mode = mode
        self.shots = int(shots)
        self.seed = seed
        self._factory = factory
        self._seeds = np.random.default_rng(seed)
        self._cache: dict[int, tuple[QuantumCircuit, _Prepared, object]] = {}
        #: ``noisy``: each circuit's distribution is computed once and the shots drawn from it
        #: (:class:`NoisyDistribution`); ``per_shot=True`` samples every shot on Aer's sampler instead.
        self._distribution_of = None if per_shot else _DISTRIBUTIONS.get(mode.kind)
        self._distributions: dict[int, tuple[QuantumCircuit, NoisyDistribution]] = {}

    def _prepare(self, circuit: QuantumCircuit, parameters: list):
        key = id(circuit)
        hit = self._cache.get(key)
        if hit is not None and hit[0] is circuit:
            return hit[1], hit[2]
        prepared_circuit, sampler = self._factory(self.mode, circuit, self.shots)
        position = {p: i for i, p in enumerate(parameters)}
        missing = [p.name for p in prepared_circuit.parameters if p not in position]
        if missing:
            raise QvcUsageError(f"circuit parameter {missing[0]!r} has no value; pass all parameters")
        order = [position[p] for p in prepared_circuit.parameters]
        prep = _Prepared(prepared_circuit, order, circuit.num_clbits)
        self._cache[key] = (circuit, prep, sampler)
        return prep, sampler

    def distribution(self, circuit: QuantumCircuit) -> NoisyDistribution | None:
        """The :class:`NoisyDistribution` of ``circuit`` (cached), or ``None`` when shots are sampled."""
        if self._distribution_of is None:
            return None
        hit = self._distributions.get(id(circuit))
        if hit is not None and hit[0] is circuit:
            return hit[1]
        dist = self._distribution_of(self.mode, circuit)
        self._distributions[id(circuit)] = (circuit, dist)
        return dist

    def _run_seed(self) -> int | None:
        return None if self.seed is None else int(self._seeds.integers(2**31))

    def _counts(self, dist: NoisyDistribution, parameters: list, values: np.ndarray) -> np.ndarray:
        """Multinomial(shots, p) counts ``(batch, 2**bits)`` drawn from the noisy distributions."""
        values = np.asarray(values, dtype=float)
        n = max(1, 1 if values.ndim == 1 else values.shape[0])
        with progress.task(n, "noisy distributions") as t:
            t.begin(n)
            p = dist.probabilities(parameters, values)
            t.advance(n)
        return np.random.default_rng(self._run_seed()).multinomial(self.shots, p)

    def outcomes(self, circuit: QuantumCircuit, parameters: list, values: np.ndarray,
                 chunk: int = 2000) -> np.ndarray:
        """Measured integers ``(batch, shots)`` (clbit 0 = least significant bit)."""
        dist = self.distribution(circuit)
        if dist is not None:
            counts = self._counts(dist, parameters, values)
            flat = np.repeat(np.tile(np.arange(counts.shape[1]), counts.shape[0]), counts.ravel())
            return np.random.default_rng(self._run_seed()).permuted(
                flat.reshape(counts.shape[0], self.shots), axis=1)
        prep, sampler = self._prepare(circuit, parameters)
        values = np.asarray(values, dtype=float)
        values = values.reshape(1, -1) if values.ndim == 1 else values
        out = []
        with progress.task(max(1, values.shape[0]), "sampled circuits") as t:
            for start in range(0, max(1, values.shape[0]), chunk):
                t.begin(min(chunk, max(1, values.shape[0]) - start))
                out.append(self._sample_block(prep, sampler, values[start:start + chunk]))
                t.advance(min(chunk, max(1, values.shape[0]) - start))
        return np.concatenate(out)[: values.shape[0]]

    def _sample_block(self, prep, sampler, block_values: np.ndarray) -> np.ndarray:
        """Measured integers of one block of bindings."""
        block = block_values[:, prep.order]
        pub = (prep.circuit, block) if prep.circuit.num_parameters else (prep.circuit,)
        run_seed = self._run_seed()
        result = sampler(run_seed).run([pub], shots=self.shots).result()[0]
        bits = next(iter(result.data.values()))
        arr = np.asarray(bits.array, dtype=np.int64).reshape(-1, self.shots, bits.array.shape[-1])
        nbytes = arr.shape[-1]
        ints = np.zeros(arr.shape[:2], dtype=np.int64)
        for i in range(nbytes):  # big-endian bytes: the last byte holds the lowest bits
            ints |= arr[:, :, i] << (8 * (nbytes - 1 - i))
        return ints

    def probabilities(self, circuit: QuantumCircuit, parameters: list, values: np.ndarray) -> np.ndarray:
        """Estimated outcome probabilities ``(batch, 2**num_clbits)``."""
        dist = self.distribution(circuit)
        if dist is not None:
            return self._counts(dist, parameters, values) / self.shots
        ints = self.outcomes(circuit, parameters, values)
        dim = 2**circuit.num_clbits
        rows = np.repeat(np.arange(ints.shape[0]), ints.shape[1])
        counts = np.bincount(rows * dim + ints.ravel(), minlength=ints.shape[0] * dim)
        return counts.reshape(ints.shape[0], dim) / self.shots

    def zero_probability(self, circuit: QuantumCircuit, parameters: list, values: np.ndarray) -> np.ndarray:
        """Share of shots that measured all zeros, per binding (the compute-uncompute fidelity)."""
        dist = self.distribution(circuit)
        if dist is not None:
            return self._counts(dist, parameters, values)[:, 0] / self.shots
        ints = self.outcomes(circuit, parameters, values)
        return np.mean(ints == 0, axis=1)


SamplerFactory = Callable[[ExecutionMode, QuantumCircuit, int], tuple[QuantumCircuit, Callable]]
_SAMPLER_FACTORIES: dict[str, SamplerFactory] = {}


def register_sampler_backend(
    kind: str,
    factory: SamplerFactory,
    *,
    backend: Literal["none", "required", "optional"] = "none",
    spelling: str | None = None,
    check_backend: Callable[[str], None] | None = None,
) -> None:
    """Register how mode ``kind`` prepares a circuit and builds its sampler.

    ``factory(mode, circuit, shots)`` returns ``(device_ready_circuit, make_sampler)``,
    where ``make_sampler(seed)`` gives a ``BaseSamplerV2``; the circuit keeps the
    original parameters and classical bits.

    A ``kind`` the parser does not know yet becomes a new execution mode: ``backend``
    says whether it takes a ``kind:<backend>`` argument, ``spelling`` how help texts
    show it, and ``check_backend(backend)`` raises a usage error for a bad argument.
    The settings of a built-in kind cannot be changed, only its factory.

    Examples
    --------
    >>> register_sampler_backend("noisy", _noisy_factory)  # what this module does itself
    """
    if not kind or not kind.isidentifier() or kind != kind.lower():
        raise QvcUsageError(f"execution mode names are lower-case identifiers (got {kind!r})")
    if kind not in _KINDS:
        _KINDS[kind] = _Kind(backend, spelling or (kind if backend == "none" else f"{kind}:<backend>"),
                             sampler=True, check_backend=check_backend)
    elif not _KINDS[kind].sampler:
        raise QvcUsageError(f"execution mode {kind!r} does not run on a sampler")
    _SAMPLER_FACTORIES[kind] = factory


class _TargetBackend:
    """The few attributes ``NoiseModel.from_backend`` reads from a BackendV2."""

    version = 2

    def __init__(self, target) -> None:
        self.target = target
        self.operation_names = list(target.operation_names)
        self.dt = target.dt
        self.num_qubits = target.num_qubits


def _restrict_target(target, physical: list[int]):
    """A copy of ``target`` on ``physical`` qubits only, renumbered 0..k-1."""
    from qiskit.transpiler import Target

    pos = {p: i for i, p in enumerate(physical)}
    props = target.qubit_properties
    sub = Target(
        num_qubits=len(physical), dt=target.dt,
        qubit_properties=[props[p] for p in physical] if props else None,
    )
    for name in target.operation_names:
        op = target.operation_from_name(name)
        inst_props = target[name]
        if inst_props is None or None in inst_props:
            sub.add_instruction(op, name=name)  # global instruction (e.g. control flow)
            continue
        kept = {
            tuple(pos[q] for q in qargs): p
            for qargs, p in inst_props.items()
            if all(q in pos for q in qargs)
        }
        if kept:
            sub.add_instruction(op, kept, name=name)
    return sub


@lru_cache(maxsize=32)
def _noise_model(backend_name: str, physical: tuple[int, ...]):
    from qiskit_aer.noise import NoiseModel

    target = _restrict_target(fake_backend(backend_name).target, list(physical))
    return NoiseModel.from_backend(_TargetBackend(target))


def _phase_free(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` with every parametrised ``p(theta)`` as ``rz(theta)`` and no global phase.

    They differ by a global phase only (``p = e^{i theta/2} rz``), which no measurement sees;
    but transpiling ``p`` gates with symbolic angles makes qiskit carry the sum of all their
    half-angles as a symbolic global phase, which slows transpilation by orders of magnitude
    when the angles have numeric factors (a feature map's bandwidth: > 80 s instead of 0.07 s
    for the 4-qubit kernel at bandwidth 0.1). The native gates are the same.
    """
    from qiskit.circuit import ParameterExpression
    from qiskit.circuit.library import RZGate

    out = circuit.copy_empty_like()
    out.global_phase = 0.0
    for inst in circuit.data:
        op = inst.operation
        if op.name == "p" and isinstance(op.params[0], ParameterExpression):
            op = RZGate(op.params[0])
        out.append(op, inst.qubits, inst.clbits)
    return out


def _device_circuit(mode: ExecutionMode, circuit: QuantumCircuit) -> tuple[QuantumCircuit, tuple[int, ...]]:
    """``circuit`` transpiled for the fake device and cut down to the physical qubits it uses."""
    from qiskit.transpiler import generate_preset_pass_manager

    backend = fake_backend(str(mode.backend))
    if circuit.num_qubits > backend.num_qubits:
        raise QvcUsageError(
            f"circuit needs {circuit.num_qubits} qubits but {mode.backend} has {backend.num_qubits}; "
            "use fewer qubits or a larger fake backend"
        )
    pm = generate_preset_pass_manager(optimization_level=1, target=backend.target, seed_transpiler=0)
    isa = pm.run(_phase_free(circuit))
    used = sorted({isa.find_bit(q).index for inst in isa.data for q in inst.qubits
                   if inst.operation.name != "barrier"})
    pos = {p: i for i, p in enumerate(used)}
    compact = QuantumCircuit(len(used), isa.num_clbits, global_phase=isa.global_phase)
    for inst in isa.data:
        if inst.operation.name == "barrier":
            continue
        compact.append(
            inst.operation,
            [pos[isa.find_bit(q).index] for q in inst.qubits],
            [isa.find_bit(c).index for c in inst.clbits],
        )
    return compact, tuple(used)


def _noisy_factory(mode: ExecutionMode, circuit: QuantumCircuit, shots: int):
    """Transpile for the fake device, keep only the used qubits, and attach their noise model."""
    from qiskit_aer.primitives import SamplerV2

    compact, used = _device_circuit(mode, circuit)
    noise = _noise_model(str(mode.backend), used)

    def make_sampler(run_seed: int | None):
        return SamplerV2(default_shots=int(shots), seed=run_seed,
                         options={"backend_options": {"noise_model": noise}})

    return compact, make_sampler


class NoisyDistribution:
    """The exact outcome distribution of a circuit under a fake backend's noise model.

    The circuit is transpiled and compacted as for Aer's sampler (:func:`_device_circuit`), its
    final measurements are replaced by ``save_probabilities`` on the measured qubits, and each
    binding is simulated once as a density matrix (``AerSimulator(method="density_matrix")``)
    with the gate noise of the same ``NoiseModel.from_backend``; the noise model's readout
    errors (``basic_device_readout_errors`` of the same target: one 2x2 assignment matrix per
    measured qubit) are then applied to the probabilities. The result is the distribution
    Aer's ``SamplerV2`` samples shots from, computed without shots: drawing ``shots`` from it
    multinomially has the same law, and the cost does not grow with the shots.

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(1); _ = qc.measure_all()
    >>> d = NoisyDistribution(parse_execution("noisy:fake_manila"), qc)
    >>> p = d.probabilities([], np.zeros((1, 0)))
    >>> p.shape, bool(0.9 < p[0, 0] < 1.0), round(float(p.sum()), 12)
    ((1, 2), True, 1.0)
    """

    def __init__(self, mode: ExecutionMode, circuit: QuantumCircuit) -> None:
        from qiskit_aer import AerSimulator
        from qiskit_aer.noise.device.models import basic_device_readout_errors

        compact, used = _device_circuit(mode, circuit)
        measured: dict[int, int] = {}  # clbit -> qubit (compact numbering)
        body = QuantumCircuit(compact.num_qubits, global_phase=compact.global_phase)
        done: set[int] = set()
        for inst in compact.data:
            qubits = [compact.find_bit(q).index for q in inst.qubits]
            if inst.operation.name == "measure":
                clbit = compact.find_bit(inst.clbits[0]).index
                if clbit in measured or qubits[0] in done:
                    raise QvcUsageError("the noisy distribution needs one final measurement per bit "
                                        "and qubit; use a circuit measured once at the end")
                measured[clbit] = qubits[0]
                done.add(qubits[0])
                continue
            if done.intersection(qubits) or inst.clbits:
                raise QvcUsageError("the noisy distribution needs measurements at the end of the circuit "
                                    "(found an operation after a measurement)")
            body.append(inst.operation, qubits)
        if sorted(measured) != list(range(compact.num_clbits)):
            raise QvcUsageError("the noisy distribution needs every classical bit measured once")
        order_q = [measured[c] for c in range(compact.num_clbits)]
        body.save_probabilities(order_q, label="probabilities")
        self.circuit = body
        self.num_bits = compact.num_clbits
        #: the device's physical qubits the circuit runs on
        self.physical_qubits = used
        noise = _noise_model(str(mode.backend), used)
        target = _restrict_target(fake_backend(str(mode.backend)).target, list(used))
        readout = {int(tuple(q)[0]): np.asarray(err.probabilities, dtype=float)
                   for q, err in basic_device_readout_errors(target=target)}
        #: per classical bit (bit 0 first): ``M[prepared, measured]`` of its qubit
        self.readout = [readout.get(q, np.eye(2)) for q in order_q]
        self._simulator = AerSimulator(method="density_matrix", noise_model=noise)

    def _order(self, parameters: list) -> list[int]:
        position = {p: i for i, p in enumerate(parameters)}
        missing = [p.name for p in self.circuit.parameters if p not in position]
        if missing:
            raise QvcUsageError(f"circuit parameter {missing[0]!r} has no value; pass all parameters")
        return [position[p] for p in self.circuit.parameters]

    def probabilities(self, parameters: list, values: np.ndarray, chunk: int = 4096) -> np.ndarray:
        """Noisy outcome probabilities ``(batch, 2**num_bits)`` (clbit 0 = least significant bit)."""
        values = np.asarray(values, dtype=float)
        values = values.reshape(1, -1) if values.ndim == 1 else values
        order = self._order(parameters)
        params = list(self.circuit.parameters)
        if not params:
            result = self._simulator.run(self.circuit).result()
            one = np.asarray(result.data(0)["probabilities"], dtype=float)
            return self._apply_readout(np.repeat(one[None, :], max(1, values.shape[0]), axis=0))
        out = []
        for start in range(0, values.shape[0], chunk):
            block = values[start:start + chunk][:, order]
            binds = [{p: block[:, k].tolist() for k, p in enumerate(params)}]
            result = self._simulator.run(self.circuit, parameter_binds=binds).result()
            out.append(np.array([result.data(i)["probabilities"] for i in range(block.shape[0])],
                                dtype=float))
        return self._apply_readout(np.concatenate(out))

    def _apply_readout(self, probs: np.ndarray) -> np.ndarray:
        k = self.num_bits
        t = probs.reshape((probs.shape[0],) + (2,) * k)  # axis 1 = highest bit, axis k = bit 0
        for bit, m in enumerate(self.readout):
            axis = k - bit
            t = np.moveaxis(np.tensordot(t, m, axes=([axis], [0])), -1, axis)
        p = np.clip(t.reshape(probs.shape), 0.0, None)
        return p / p.sum(axis=1, keepdims=True)


register_sampler_backend("noisy", _noisy_factory)
#: Kinds whose circuits' outcome distributions are computed once, then sampled (not shot by shot).
_DISTRIBUTIONS: dict[str, Callable[[ExecutionMode, QuantumCircuit], NoisyDistribution]] = {
    "noisy": NoisyDistribution,
}

"""Sampler-style quantum neural network on the batched statevector engine."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from numbers import Integral

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit_machine_learning.neural_networks import NeuralNetwork

from qvc._validation import check_statevector_fits
from qvc.errors import QvcUsageError
from qvc.quantum.execution import SamplerExecutor, resolve_shots
from qvc.quantum.statevector import CompiledCircuit, compile_circuit


def parity_interpret(num_classes: int) -> Callable[[int], int]:
    """qiskit-ml VQC's interpretation: class = measured bitstring (as an integer) mod ``num_classes``.

    Examples
    --------
    >>> parity_interpret(3)(7)
    1
    """
    return _Modulo(int(num_classes))


class _Modulo:
    """``x -> x % k``, a class rather than a closure so that a QNN using it pickles."""

    def __init__(self, k: int) -> None:
        self.k = k

    def __call__(self, x: int) -> int:
        return int(x) % self.k

    def __repr__(self) -> str:
        return f"parity_interpret({self.k})"


class StatevectorQNN(NeuralNetwork):
    """A :class:`~qiskit_machine_learning.neural_networks.NeuralNetwork` with ``SamplerQNN`` semantics.

    The output for one sample is the probability distribution of the measured
    bitstring, aggregated by ``interpret`` (like qiskit-ml's ``SamplerQNN``, whose own
    tests it runs in CI: ``tests/peer/run_qiskit_ml_suite.py``).
    In ``exact`` mode the forward pass is exact and batched over samples; weight
    (and optionally input) gradients are exact, by the parameter-shift rule
    evaluated on the statevector engine. The part of the circuit before the first
    weight-dependent gate (the feature map) is simulated once per input batch and
    cached, so an optimizer that re-evaluates the same data only pays for the ansatz.

    Parameters
    ----------
    circuit : QuantumCircuit
        Parametrised circuit (measurements optional; all qubits are read out). A
        transpiled circuit with a ``layout`` is read out over its virtual qubits, as
        ``SamplerQNN`` does: only the physical qubits it uses are simulated and the
        ancillas are marginalised.
    input_params, weight_params : sequence of Parameter
        Which circuit parameters are inputs and which are trainable weights.
    interpret : callable, optional
        Maps the measured integer to an output index (an int, or a tuple of ints for a
        tuple ``output_shape``); ``None`` keeps all ``2**num_virtual_qubits`` outcomes.
    output_shape : int or tuple of int, optional
        Required with ``interpret``.
    execution : str, optional
        ``exact``, ``shots`` (seeded multinomial sampling of the exact distribution)
        or ``noisy:<fake backend>`` (Aer with the device's noise model; forward only).
        Default: ``shots`` if ``shots`` is given, else ``exact``.
    shots : int or None, default None
        Shots per circuit; giving it alone selects ``shots``, and it is refused with
        ``execution="exact"``. The stochastic modes default to 1024.
    seed : int or None
    input_gradients : bool, default False
    sparse : bool, default False
        Return ``sparse.COO`` arrays (needs the ``sparse`` package), as ``SamplerQNN``
        does. The engine is dense, so they are converted from dense results: the same
        values, no memory saved.

    Notes
    -----
    Unlike ``SamplerQNN`` there is no ``sampler``, ``gradient`` or ``pass_manager``
    argument: the execution mode replaces the sampler, gradients are always the
    parameter-shift rule on the engine, and the logical circuit is simulated as given.
    A global phase (also one depending on a weight, as transpiling ``p``/``cp`` gates
    gives) does not change the outputs and is ignored. A QNN pickles (its compiled parts
    are rebuilt on loading; the cache of feature-map states is dropped).

    Attributes
    ----------
    forward_circuits, gradient_circuits : int
        Circuit executions a QPU would have run so far: one per sample per forward
        pass; two per differentiated gate angle per sample per backward pass.

    Examples
    --------
    >>> import numpy as np
    >>> from qiskit import QuantumCircuit
    >>> from qvc.quantum.circuits import ansatz, feature_map
    >>> fm, an = feature_map(2), ansatz(2, reps=1)
    >>> qc = fm.compose(an)
    >>> qnn = StatevectorQNN(qc, fm.parameters, an.parameters,
    ...                      interpret=parity_interpret(2), output_shape=2)
    >>> out = qnn.forward(np.array([[0.1, 0.2], [0.3, 0.4]]), np.zeros(4))
    >>> out.shape, bool(np.allclose(out.sum(axis=1), 1.0))
    ((2, 2), True)
    """

    def __init__(
        self,
        circuit: QuantumCircuit,
        input_params: Sequence[Parameter] | None = None,
        weight_params: Sequence[Parameter] | None = None,
        *,
        interpret: Callable[[int], int | tuple[int, ...]] | None = None,
        output_shape: int | tuple[int, ...] | None = None,
        execution: str | None = None,
        shots: int | None = None,
        seed: int | None = None,
        input_gradients: bool = False,
        sparse: bool = False,
    ) -> None:
        self._inputs = list(input_params or [])
        self._weights = list(weight_params or [])
        if sparse:
            _require_sparse()
        body, readout = _logical_body(circuit)
        dim = 2**body.num_qubits
        num_virtual = len(readout)
        # measured integer (virtual qubits) of every simulated basis state
        basis = np.arange(dim)
        virtual = np.zeros(dim, dtype=np.int64)
        for bit, position in enumerate(readout):
            virtual |= ((basis >> position) & 1) << bit
        shape, flat = _interpretation(interpret, output_shape, num_virtual)
        super().__init__(
            num_inputs=len(self._inputs), num_weights=len(self._weights), sparse=bool(sparse),
            output_shape=shape, input_gradients=input_gradients,
        )
        self._circuit = circuit
        self._interpret = interpret
        self.num_virtual_qubits = num_virtual
        self.mode, self.shots = resolve_shots(execution, shots)
        self._rng = np.random.default_rng(seed)
        self.seed = seed
        self._index = flat[virtual]
        self._virtual = virtual
        self._flat = flat
        out_dim = int(np.prod(shape))
        self._projector = np.zeros((dim, out_dim))
        self._projector[basis, self._index] = 1.0
        self.forward_circuits = 0
        self.gradient_circuits = 0
        #: forward / backward passes (each a batch a QPU would run as one job) and the
        #: seconds spent simulating them (the rest of a training loop is the host's optimizer)
        self.forward_calls = 0
        self.gradient_calls = 0
        self.simulation_seconds = 0.0
        self._body = body
        self._split(body)
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._full: CompiledCircuit | None = None
        self._executor: SamplerExecutor | None = None
        self._measured: QuantumCircuit | None = None

    def __getstate__(self) -> dict:
        # The compiled parts pickle as their source circuits (and compile again on loading);
        # the cached feature-map states and the Aer/sampler executor are rebuilt on demand.
        state = self.__dict__.copy()
        state["_cache"] = OrderedDict()
        state["_executor"] = None
        return state

    # -- qiskit-ml SamplerQNN properties ---------------------------------------
    @property
    def circuit(self) -> QuantumCircuit:
        """The circuit as given (with its measurements and layout)."""
        return self._circuit

    @property
    def input_params(self) -> list[Parameter]:
        """The circuit parameters that take the input data."""
        return list(self._inputs)

    @property
    def weight_params(self) -> list[Parameter]:
        """The circuit parameters that are trainable weights."""
        return list(self._weights)

    @property
    def interpret(self) -> Callable | None:
        """The function mapping measured integers to output indices (``None``: identity)."""
        return self._interpret

    def outcome_probabilities(self, input_data: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        """Exact probability of every measured integer, ``(batch, 2**num_virtual_qubits)``.

        What a noise model acts on before :attr:`measured_projector` groups the outcomes into
        outputs (``forward`` = ``outcome_probabilities @ measured_projector`` in exact mode).

        Examples
        --------
        >>> from qvc.quantum.circuits import ansatz, feature_map
        >>> fm, an = feature_map(2), ansatz(2, reps=1)
        >>> qnn = StatevectorQNN(fm.compose(an), fm.parameters, an.parameters,
        ...                      interpret=parity_interpret(2), output_shape=2)
        >>> x, w = np.array([[0.1, 0.2]]), np.zeros(4)
        >>> bool(np.allclose(qnn.outcome_probabilities(x, w) @ qnn.measured_projector, qnn.forward(x, w)))
        True
        """
        inputs = np.asarray(input_data, dtype=float)
        values = self._values(inputs, weights)
        states = self._suffix.run_angles(self._suffix.angles(values), self._prefix_states(inputs))
        probs = states.real**2 + states.imag**2
        out = np.zeros((probs.shape[0], 2**self.num_virtual_qubits))
        np.add.at(out.T, self._virtual, probs.T)
        return out

    @property
    def measured_projector(self) -> np.ndarray:
        """``(2**num_virtual_qubits, n_outputs)``: the output index of every measured integer (one-hot)."""
        proj = np.zeros((len(self._flat), self._projector.shape[1]))
        proj[np.arange(len(self._flat)), self._flat] = 1.0
        return proj

    # -- compilation ------------------------------------------------------------
    def _split(self, body: QuantumCircuit) -> None:
        """Prefix without weights (cached per input batch) + the weighted remainder."""
        weights = set(self._weights)
        cut = len(body.data)
        for i, inst in enumerate(body.data):
            if any(p in weights for p in _params_of(inst.operation)):
                cut = i
                break
        # a global phase never changes probabilities (and may depend on a weight)
        prefix = body.copy_empty_like()
        prefix.global_phase = 0.0
        suffix = body.copy_empty_like()
        suffix.global_phase = 0.0
        for i, inst in enumerate(body.data):
            (prefix if i < cut else suffix).append(inst)
        self._prefix = compile_circuit(prefix, self._inputs)
        self._suffix = compile_circuit(suffix, self._inputs + self._weights)

    def _prefix_states(self, inputs: np.ndarray) -> np.ndarray:
        key = inputs.tobytes() + str(inputs.shape).encode()
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        check_statevector_fits(self._body.num_qubits, 6 * inputs.shape[0])
        states = self._prefix.statevectors(inputs)
        self._cache[key] = states
        while len(self._cache) > 2:
            self._cache.popitem(last=False)
        return states

    def _values(self, inputs: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        w = np.zeros(0) if weights is None else np.asarray(weights, dtype=float)
        return np.hstack([inputs, np.broadcast_to(w, (inputs.shape[0], w.size))])

    @property
    def _shot_count(self) -> int:
        if self.shots is None:  # resolve_shots sets shots for every stochastic mode
            raise QvcUsageError("this QNN is exact; it draws no shots")
        return self.shots

    def _reduce(self, probs: np.ndarray) -> np.ndarray:
        if self.mode.kind == "shots":
            probs = np.clip(probs, 0, None)
            total = probs.sum(axis=1, keepdims=True)
            live = total[:, 0] > 0  # all-zero rows (no distribution) stay zero
            sampled = np.zeros_like(probs)
            if live.any():
                shots = self._shot_count
                sampled[live] = self._rng.multinomial(shots, probs[live] / total[live]) / shots
            probs = sampled
        return probs @ self._projector

    def _shaped(self, flat: np.ndarray, *trailing: int):
        """``(batch, n_out, ...)`` -> ``(batch, *output_shape, ...)``, sparse if asked for."""
        out = flat.reshape((flat.shape[0], *self._output_shape, *trailing))
        if self._sparse:
            import sparse

            return sparse.COO.from_numpy(out)
        return out

    # -- NeuralNetwork interface -----------------------------------------------
    def _forward(self, input_data: np.ndarray | None, weights: np.ndarray | None) -> np.ndarray:
        t0 = time.perf_counter()
        try:
            return self._forward_inner(input_data, weights)
        finally:
            self.forward_calls += 1
            self.simulation_seconds += time.perf_counter() - t0

    def _forward_inner(self, input_data: np.ndarray | None, weights: np.ndarray | None) -> np.ndarray:
        inputs = np.zeros((1, 0)) if input_data is None else np.asarray(input_data, dtype=float)
        values = self._values(inputs, weights)
        self.forward_circuits += values.shape[0]
        if self.mode.uses_sampler:
            return self._shaped(self._sampled_probabilities(values) @ self._projector)
        states = self._suffix.run_angles(self._suffix.angles(values), self._prefix_states(inputs))
        return self._shaped(self._reduce(states.real**2 + states.imag**2))

    def _backward(self, input_data: np.ndarray | None, weights: np.ndarray | None):
        t0 = time.perf_counter()
        try:
            return self._backward_inner(input_data, weights)
        finally:
            self.gradient_calls += 1
            self.simulation_seconds += time.perf_counter() - t0

    def _backward_inner(self, input_data: np.ndarray | None, weights: np.ndarray | None):
        if self.mode.uses_sampler:
            raise QvcUsageError(
                f"gradients are not available in execution mode {self.mode}; "
                "use a gradient-free optimizer such as COBYLA"
            )
        inputs = np.zeros((1, 0)) if input_data is None else np.asarray(input_data, dtype=float)
        values = self._values(inputs, weights)
        b = values.shape[0]
        n_in = len(self._inputs)
        weight_grad, shifted = self._gradients(
            self._suffix, values, list(range(n_in, n_in + len(self._weights))), self._prefix_states(inputs),
        )
        self.gradient_circuits += b * shifted
        input_grad = None
        if self._input_gradients and n_in:
            if self._full is None:
                body = self._body.copy()
                body.global_phase = 0.0
                self._full = compile_circuit(body, self._inputs + self._weights)
            input_grad, shifted = self._gradients(self._full, values, list(range(n_in)), None)
            self.gradient_circuits += b * shifted
            input_grad = self._shaped(input_grad, n_in)
        if weight_grad is not None:
            weight_grad = self._shaped(weight_grad, len(self._weights))
        return input_grad, weight_grad

    def _gradients(self, engine: CompiledCircuit, values: np.ndarray, wrt: list[int], initial):
        """Exact mode: adjoint differentiation (one backward sweep carrying the outputs' projected
        states, cost independent of the number of weights); shots mode, or a gate the sweep cannot
        differentiate: the parameter-shift rule. The circuit count is what a QPU would run
        (parameter shift) either way."""
        if self.mode.kind == "exact" and self._projector.shape[1] <= 2 * max(1, engine.shifted_circuits(wrt)):
            grad = engine.adjoint_gradients(values, wrt, self._projector, initial=initial)
            if grad is not None:
                return grad, engine.shifted_circuits(wrt)
        return engine.probability_gradients(values, wrt, self._reduce, initial=initial)

    def _sampled_probabilities(self, values: np.ndarray) -> np.ndarray:
        if self._executor is None:
            self._executor = SamplerExecutor(self.mode, shots=self._shot_count, seed=self.seed)
            qc = self._body.copy()
            qc.measure_all()
            self._measured = qc
        return self._executor.probabilities(self._measured, self._inputs + self._weights, values)


def _require_sparse() -> None:
    try:
        import sparse  # noqa: F401
    except ImportError:
        raise QvcUsageError("sparse=True needs the 'sparse' package (pip install sparse)") from None


def _logical_body(circuit: QuantumCircuit) -> tuple[QuantumCircuit, list[int]]:
    """The circuit to simulate (no final measurements) and where each virtual qubit is read.

    Without a layout: the circuit itself, read out on every qubit in order. With a layout
    (a transpiled circuit): only the physical qubits the circuit acts on or reads out,
    renumbered in order, and the position of each virtual qubit's final physical qubit.
    """
    body = circuit.remove_final_measurements(inplace=False)
    layout = getattr(circuit, "layout", None)
    if layout is None:
        return body, list(range(body.num_qubits))
    final = [int(q) for q in layout.final_index_layout(filter_ancillas=True)]
    used = set(final)
    for inst in body.data:
        if inst.operation.name not in ("barrier", "delay"):
            used.update(body.find_bit(q).index for q in inst.qubits)
    position = {q: i for i, q in enumerate(sorted(used))}
    reduced = QuantumCircuit(len(position), global_phase=body.global_phase)
    for inst in body.data:
        if inst.operation.name not in ("barrier", "delay"):
            reduced.append(inst.operation, [position[body.find_bit(q).index] for q in inst.qubits])
    return reduced, [position[q] for q in final]


def _interpretation(interpret, output_shape, num_virtual: int) -> tuple[tuple[int, ...], np.ndarray]:
    """Output shape and the flat output index of every measured integer ``0 .. 2**num_virtual - 1``."""
    n_outcomes = 2**num_virtual
    if interpret is None:
        return (n_outcomes,), np.arange(n_outcomes)
    if output_shape is None:
        raise QvcUsageError("output_shape is required with a custom interpret function")
    shape = (int(output_shape),) if isinstance(output_shape, Integral) else tuple(int(s) for s in output_shape)
    if not shape or min(shape) < 1:
        raise QvcUsageError(f"output_shape must be positive integers (got {output_shape!r})")
    flat = np.empty(n_outcomes, dtype=np.int64)
    for b in range(n_outcomes):
        key = interpret(b)
        if isinstance(key, Integral):
            if len(shape) != 1:
                raise QvcUsageError(
                    f"interpret returned the integer {key} but output_shape {shape} has {len(shape)} "
                    f"dimensions; return a tuple of {len(shape)} indices, or use an integer output_shape"
                )
            key = (int(key),)
        else:
            key = tuple(int(k) for k in np.ravel(key))
            if len(key) != len(shape):
                raise QvcUsageError(
                    f"interpret returned {key} ({len(key)} indices) for output_shape {shape}; "
                    f"it needs {len(shape)} indices"
                )
        if any(k < 0 or k >= s for k, s in zip(key, shape)):
            raise QvcUsageError(f"interpret returned the index {key}, outside output_shape {shape}")
        flat[b] = np.ravel_multi_index(key, shape)
    return shape, flat


def _params_of(operation) -> set:
    out = set()
    for p in getattr(operation, "params", []):
        if hasattr(p, "parameters"):
            out |= set(p.parameters)
    return out

"""Sampler-style quantum neural network on the batched statevector engine."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit_machine_learning.neural_networks import NeuralNetwork

from qvc._validation import check_positive_int, check_statevector_fits
from qvc.errors import QvcUsageError
from qvc.quantum.execution import SamplerExecutor, parse_execution
from qvc.quantum.statevector import CompiledCircuit


def parity_interpret(num_classes: int) -> Callable[[int], int]:
    """qiskit-ml VQC's interpretation: class = measured bitstring (as an integer) mod ``num_classes``.

    Examples
    --------
    >>> parity_interpret(3)(7)
    1
    """
    k = int(num_classes)

    def parity(x: int) -> int:
        return int(x) % k

    return parity


class StatevectorQNN(NeuralNetwork):
    """A :class:`~qiskit_machine_learning.neural_networks.NeuralNetwork` with ``SamplerQNN`` semantics.

    The output for one sample is the probability distribution of the measured
    bitstring, aggregated by ``interpret`` (like qiskit-ml's ``SamplerQNN``).
    In ``exact`` mode the forward pass is exact and batched over samples; weight
    (and optionally input) gradients are exact, by the parameter-shift rule
    evaluated on the statevector engine. The part of the circuit before the first
    weight-dependent gate (the feature map) is simulated once per input batch and
    cached, so an optimizer that re-evaluates the same data only pays for the ansatz.

    Parameters
    ----------
    circuit : QuantumCircuit
        Parametrised circuit (measurements optional; all qubits are read out).
    input_params, weight_params : sequence of Parameter
        Which circuit parameters are inputs and which are trainable weights.
    interpret : callable, optional
        Maps the measured integer to an output index; ``None`` keeps all ``2**n`` outcomes.
    output_shape : int, optional
        Required with ``interpret``.
    execution : str, default "exact"
        ``exact``, ``shots`` (seeded multinomial sampling of the exact distribution)
        or ``noisy:<fake backend>`` (Aer with the device's noise model; forward only).
    shots : int, default 1024
    seed : int or None
    input_gradients : bool, default False

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
        interpret: Callable[[int], int] | None = None,
        output_shape: int | None = None,
        execution: str = "exact",
        shots: int = 1024,
        seed: int | None = None,
        input_gradients: bool = False,
    ) -> None:
        self._inputs = list(input_params or [])
        self._weights = list(weight_params or [])
        n = circuit.num_qubits
        dim = 2**n
        if interpret is None:
            out_dim = dim
            index = np.arange(dim)
        else:
            if output_shape is None:
                raise QvcUsageError("output_shape is required with a custom interpret function")
            out_dim = int(np.prod(output_shape))
            index = np.fromiter((interpret(b) for b in range(dim)), dtype=np.int64, count=dim)
            if index.min() < 0 or index.max() >= out_dim:
                raise QvcUsageError(f"interpret returned an index outside 0..{out_dim - 1}")
        super().__init__(
            num_inputs=len(self._inputs), num_weights=len(self._weights), sparse=False,
            output_shape=out_dim, input_gradients=input_gradients,
        )
        self.circuit = circuit
        self.mode = parse_execution(execution)
        self.shots = check_positive_int(shots, "shots")
        self._rng = np.random.default_rng(seed)
        self.seed = seed
        self._index = index
        self._projector = np.zeros((dim, out_dim))
        self._projector[np.arange(dim), index] = 1.0
        self.forward_circuits = 0
        self.gradient_circuits = 0
        #: forward / backward passes (each a batch a QPU would run as one job) and the
        #: seconds spent simulating them (the rest of a training loop is the host's optimizer)
        self.forward_calls = 0
        self.gradient_calls = 0
        self.simulation_seconds = 0.0
        self._split(circuit)
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._full: CompiledCircuit | None = None
        self._executor: SamplerExecutor | None = None
        self._measured: QuantumCircuit | None = None

    # -- compilation ------------------------------------------------------------
    def _split(self, circuit: QuantumCircuit) -> None:
        """Prefix without weights (cached per input batch) + the weighted remainder."""
        weights = set(self._weights)
        body = circuit.remove_final_measurements(inplace=False)
        cut = len(body.data)
        for i, inst in enumerate(body.data):
            if any(p in weights for p in _params_of(inst.operation)):
                cut = i
                break
        prefix = body.copy_empty_like()
        suffix = body.copy_empty_like()
        suffix.global_phase = 0.0
        for i, inst in enumerate(body.data):
            (prefix if i < cut else suffix).append(inst)
        self._prefix = CompiledCircuit(prefix, self._inputs)
        self._suffix = CompiledCircuit(suffix, self._inputs + self._weights)

    def _prefix_states(self, inputs: np.ndarray) -> np.ndarray:
        key = inputs.tobytes() + str(inputs.shape).encode()
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        check_statevector_fits(self.circuit.num_qubits, 6 * inputs.shape[0])
        states = self._prefix.statevectors(inputs)
        self._cache[key] = states
        while len(self._cache) > 2:
            self._cache.popitem(last=False)
        return states

    def _values(self, inputs: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        w = np.zeros(0) if weights is None else np.asarray(weights, dtype=float)
        return np.hstack([inputs, np.broadcast_to(w, (inputs.shape[0], w.size))])

    def _reduce(self, probs: np.ndarray) -> np.ndarray:
        if self.mode.kind == "shots":
            probs = self._rng.multinomial(self.shots, np.clip(probs, 0, None) /
                                          probs.sum(axis=1, keepdims=True)) / self.shots
        return probs @ self._projector

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
            return self._sampled_probabilities(values) @ self._projector
        states = self._suffix.run_angles(self._suffix.angles(values), self._prefix_states(inputs))
        return self._reduce(states.real**2 + states.imag**2)

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
        weight_grad, shifted = self._suffix.probability_gradients(
            values, list(range(n_in, n_in + len(self._weights))), self._reduce,
            initial=self._prefix_states(inputs),
        )
        self.gradient_circuits += b * shifted
        input_grad = None
        if self._input_gradients and n_in:
            if self._full is None:
                body = self.circuit.remove_final_measurements(inplace=False)
                self._full = CompiledCircuit(body, self._inputs + self._weights)
            input_grad, shifted = self._full.probability_gradients(
                values, list(range(n_in)), self._reduce,
            )
            self.gradient_circuits += b * shifted
        return input_grad, weight_grad

    def _sampled_probabilities(self, values: np.ndarray) -> np.ndarray:
        if self._executor is None:
            self._executor = SamplerExecutor(self.mode, shots=self.shots, seed=self.seed)
            qc = self.circuit.remove_final_measurements(inplace=False)
            qc.measure_all()
            self._measured = qc
        return self._executor.probabilities(self._measured, self._inputs + self._weights, values)


def _params_of(operation) -> set:
    out = set()
    for p in getattr(operation, "params", []):
        if hasattr(p, "parameters"):
            out |= set(p.parameters)
    return out

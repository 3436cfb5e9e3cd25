"""Quantum halves of the matched pairs, as scikit-learn estimators.

Each fitted model keeps a :class:`~qvc.quantum.ledger.CircuitLedger` (``ledger_``) of
the circuits a QPU would have executed to train it; :meth:`predict_ledger` returns the
circuits a prediction runs. ``predict`` leaves ``ledger_`` alone, so predicting twice
never counts twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit_machine_learning.algorithms import NeuralNetworkClassifier
from qiskit_machine_learning.optimizers import COBYLA, L_BFGS_B, SPSA
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.svm import SVC
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from qvc import _progress as progress
from qvc._validation import check_statevector_fits
from qvc.errors import QvcUsageError
from qvc.quantum.circuits import (
    ansatz,
    feature_map,
    iqp_feature_map,
    kernel_template,
    qnn_template,
    reupload_circuit,
)
from qvc.quantum.execution import EXECUTION_MODES, parse_execution
from qvc.quantum.kernels import StatevectorKernel
from qvc.quantum.ledger import CircuitLedger, LedgerEntry, optimizer_rounds_entry
from qvc.quantum.qnn import StatevectorQNN, parity_interpret

if TYPE_CHECKING:
    from qvc.quantum.ibm import IbmSampler

__all__ = ["EXECUTION_MODES", "OPTIMIZERS", "READOUTS", "IQPKernelSVC", "ProjectedKernelSVC", "QuantumKernelSVC",
           "ReuploadingClassifier", "VQCClassifier", "check_execution", "check_user_circuit"]

#: VQC optimizers: name -> what it is.
OPTIMIZERS = {
    "cobyla": "COBYLA (gradient-free; one forward pass per evaluation)",
    "spsa": "SPSA (two forward passes per step; stochastic, seeded)",
    "lbfgs": "L-BFGS-B on exact parameter-shift gradients (2 circuits per weight per sample per gradient)",
}
#: VQC readouts: name -> how a bitstring becomes a class.
READOUTS = {"mod": "bitstring mod n_classes", "parity": "popcount(bitstring) mod n_classes"}


def _make_optimizer(name: str, max_iter: int, seed: int | None):
    if name == "cobyla":
        return COBYLA(maxiter=max_iter)
    if name == "spsa":
        # calibration draws a few extra evaluations; fixed learning rate/perturbation keep it cheap
        return SPSA(maxiter=max_iter, learning_rate=0.1, perturbation=0.1)
    if name == "lbfgs":
        return L_BFGS_B(maxiter=max_iter)
    raise QvcUsageError(f"unknown VQC optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}")


def popcount_interpret(num_classes: int):
    """Readout ``popcount(bitstring) mod num_classes`` (the parity on two classes).

    Examples
    --------
    >>> popcount_interpret(2)(0b1011)
    1
    """
    k = int(num_classes)

    def interpret(x: int) -> int:
        return bin(int(x)).count("1") % k

    return interpret


def _readout(name: str):
    if name == "mod":
        return parity_interpret
    if name == "parity":
        return popcount_interpret
    raise QvcUsageError(f"unknown VQC readout {name!r}; choose one of: {', '.join(READOUTS)}")


def check_execution(mode: str) -> str:
    """Validate an execution mode and return its normal spelling.

    ``exact``, ``shots``, ``noisy:<fake backend>`` (see :mod:`qvc.quantum.execution`)
    or ``ibm:<backend>[:batch|:session]`` (see :mod:`qvc.quantum.ibm`:
    ``ibm:fake_manila`` runs locally, ``ibm:ibm_torino`` on IBM Quantum).

    Examples
    --------
    >>> check_execution("noisy:fake_torino"), check_execution("ibm:fake_manila")
    ('noisy:fake_torino', 'ibm:fake_manila')
    """
    return str(parse_execution(mode))


def _is_ibm(mode: str) -> bool:
    return parse_execution(mode).is_ibm


def check_user_circuit(circuit: object, n_inputs: int, what: str = "feature_map") -> QuantumCircuit:
    """Check a user circuit: a ``QuantumCircuit`` with exactly ``n_inputs`` free parameters.

    Raises :class:`~qvc.errors.QvcUsageError` (one line) otherwise.

    Examples
    --------
    >>> from qiskit.circuit.library import zz_feature_map
    >>> check_user_circuit(zz_feature_map(2), 2).num_parameters
    2
    >>> check_user_circuit(zz_feature_map(2), 3)
    Traceback (most recent call last):
    ...
    qvc.errors.QvcUsageError: feature_map has 2 parameters but the data has 3 features (one parameter per feature)
    """
    if not isinstance(circuit, QuantumCircuit):
        raise QvcUsageError(f"{what} must be a qiskit QuantumCircuit (got {type(circuit).__name__})", key=what)
    if circuit.num_parameters != int(n_inputs):
        raise QvcUsageError(f"{what} has {circuit.num_parameters} parameters but the data has {n_inputs} features "
                            "(one parameter per feature)", key=what)
    return circuit


def _scaled_inputs(circuit: QuantumCircuit, bandwidth: float) -> QuantumCircuit:
    """``circuit`` with every input parameter ``x`` replaced by ``bandwidth * x`` (1: the circuit itself)."""
    if float(bandwidth) == 1.0:
        return circuit
    from qiskit.circuit import ParameterVector

    fresh = ParameterVector("x", circuit.num_parameters)
    return circuit.assign_parameters({p: float(bandwidth) * q for p, q in zip(circuit.parameters, fresh)})


class _IbmMixin:
    """Shared IBM plumbing: one :class:`~qvc.quantum.ibm.IbmSampler` per fitted model."""

    # parameters of the estimators that use this mixin (declared for the type checker only)
    execution: str
    shots: int
    seed: int | None
    _ibm: IbmSampler | None

    def _ibm_sampler(self, phase: str, model: str):
        from qvc.quantum.ibm import IbmSampler

        sampler = getattr(self, "_ibm", None)
        if sampler is None:
            sampler = self._ibm = IbmSampler(
                parse_execution(self.execution).ibm_target, default_shots=int(self.shots),
                seed=self.seed, model=model,
            )
        sampler.phase = phase
        return sampler

    def hardware_usage(self) -> dict | None:
        """Jobs, QPU seconds and their label behind the IBM results (``None`` if not on IBM)."""
        sampler = getattr(self, "_ibm", None)
        return None if sampler is None else sampler.usage()


class QuantumKernelSVC(_IbmMixin, ClassifierMixin, BaseEstimator):
    """Support-vector classifier on a fidelity quantum kernel (ZZ feature map by default).

    Parameters
    ----------
    feature_map_reps : int, default 2
        Repetitions of the ZZ feature map.
    entanglement : str, default "full"
        Entanglement of the ZZ feature map (see :data:`~qvc.quantum.circuits.ENTANGLEMENTS`).
    bandwidth : float, default 1.0
        Scales every rotation angle of the feature map (qiskit's ``alpha = 2 * bandwidth``);
        1.0 is qiskit's untuned map, ~0.05-0.25 the useful range on standardised data.
    C : float, default 1.0
        SVM regularisation.
    shots : int, default 1024
        Shots per circuit a hardware run would take (recorded in the ledger).
    execution : str, default "exact"
        How kernel entries are computed: ``exact`` (statevector), ``shots``
        (binomial shot noise on the exact fidelity, seeded) or
        ``noisy:<fake backend>`` (Aer with the device noise model); see
        :mod:`qvc.quantum.execution`. ``ibm:<backend>``: fidelities estimated from
        shots on an IBM backend (``fake_*`` backends run locally), through the job store.
    seed : int or None, default None
        Seed for stochastic execution modes.
    circuit_fidelity : callable or None, default None
        ``circuit -> (fidelity, how)``: the device's estimated fidelity of the feature map, the
        target of ``execution="mps:matched"`` (e.g. ``functools.partial(
        qvc.energy.devices.circuit_fidelity, device="ibm_heron")``; required for ``matched``).
    feature_map : QuantumCircuit or None, default None
        The user's own feature map: any circuit with one free parameter per feature (bound in
        ``circuit.parameters`` order, as qiskit-ml's kernels bind them). ``bandwidth`` then
        scales its inputs (``x -> bandwidth * x``); ``feature_map_reps`` and ``entanglement``
        do not apply. ``None``: the ZZ feature map.
    threads : int, default 1
        Threads of the exact engine's state build and Gram step (the kernel's ``threads``).

    Attributes
    ----------
    classes_ : ndarray
    svc_ : SVC
        The fitted ``SVC(kernel="precomputed")``.
    gram_ : ndarray
        The training Gram matrix (for diagnostics such as kernel concentration).
    ledger_ : CircuitLedger
        What fitting ran: ``N(N-1)/2`` compute-uncompute circuits (the diagonal is 1 by
        construction). Set by :meth:`fit` only; see :meth:`predict_ledger` for prediction.

    Notes
    -----
    Scale the features to angles (e.g. ``MinMaxScaler((0, np.pi))``) first: the ZZ feature
    map is periodic in its inputs, so unscaled data aliases. A fitted model pickles
    (the compiled simulator is rebuilt on loading); one trained on ``ibm:`` hardware
    holds a live job sampler, so it is pickled only if that sampler is.

    Examples
    --------
    >>> import numpy as np
    >>> from qvc.models import QuantumKernelSVC
    >>> X = np.array([[0.1, 0.2], [0.2, 0.1], [2.9, 3.0], [3.0, 2.8]]); y = [0, 0, 1, 1]
    >>> model = QuantumKernelSVC().fit(X, y)
    >>> model.ledger_.circuits(phase="fit"), model.predict_ledger(X).circuits(phase="predict")
    (6, 16)
    """

    def __init__(
        self,
        feature_map_reps: int = 2,
        entanglement: str = "full",
        C: float = 1.0,
        shots: int = 1024,
        execution: str = "exact",
        seed: int | None = None,
        bandwidth: float = 1.0,
        circuit_fidelity: Callable[[QuantumCircuit], tuple[float, str]] | None = None,
        feature_map: QuantumCircuit | None = None,
        threads: int = 1,
    ) -> None:
        self.feature_map_reps = feature_map_reps
        self.entanglement = entanglement
        self.C = C
        self.threads = threads
        self.bandwidth = bandwidth
        self.shots = shots
        self.execution = execution
        self.seed = seed
        self.circuit_fidelity = circuit_fidelity
        self.feature_map = feature_map

    #: The model's name in its ledger entries.
    _model = "qsvc"
    #: The measurement protocol in words (the result row's ``protocol``).
    protocol = ("fidelity kernel, compute-uncompute: fit N(N-1)/2 circuits (one per training pair), "
                "predict M x n_support")

    def kernel_circuits(self, n_features: int) -> tuple[QuantumCircuit, QuantumCircuit]:
        """The feature map this estimator simulates and the kernel circuit its ledger prices.

        The priced circuit is the map at bandwidth 1 (see :meth:`_ledger_template`).
        """
        if self.feature_map is not None:
            fmap = check_user_circuit(self.feature_map, n_features)
            return _scaled_inputs(fmap, self.bandwidth), kernel_template(fmap)
        return (feature_map(n_features, self.feature_map_reps, self.entanglement, self.bandwidth),
                self._template(n_features))

    def fit(self, X, y) -> QuantumKernelSVC:
        """Compute the training Gram matrix and fit the SVM on it."""
        check_execution(self.execution)
        X, y = validate_data(self, X, y)
        self.classes_ = unique_labels(y)
        n = X.shape[1]
        self.feature_map_, self.template_ = self.kernel_circuits(n)
        self._ibm = None
        if _is_ibm(self.execution):
            from qvc.quantum.ibm.kernel import hardware_kernel

            self._ibm_kernel = hardware_kernel(self.feature_map_, self._ibm_sampler("fit", self._model))
            gram = np.asarray(self._ibm_kernel.evaluate(X), dtype=float)
            self._train_rows = {np.ascontiguousarray(r, dtype=float).tobytes(): i
                                for i, r in enumerate(X)}
            n_fit = X.shape[0] * (X.shape[0] - 1) // 2
        else:
            mps = parse_execution(self.execution).kind == "mps"
            if not mps:  # the kernel blocks its Gram step when N states do not fit: two must
                check_statevector_fits(self.feature_map_.num_qubits, min(2, X.shape[0]))
            self.kernel_ = StatevectorKernel(
                feature_map=self.feature_map_, execution=self.execution, seed=self.seed,
                shots=self.shots if parse_execution(self.execution).stochastic else None,
                threads=self.threads,
            )
            if mps:
                self.kernel_.circuit_fidelity = self.circuit_fidelity
                self.kernel_.mps_simulator().check_fits(X.shape[0])
            gram = self.kernel_.evaluate(X)
            self.gram_ = gram
            n_fit = self.kernel_.last_circuits
        self.gram_ = gram
        self.svc_ = SVC(kernel="precomputed", C=self.C).fit(gram, y)
        self.X_train_ = X
        self.ledger_ = CircuitLedger()
        self.ledger_.record(
            self._model, "fit", self._ledger_template(),
            n_circuits=n_fit, shots=self.shots, kind="kernel",
            note="N(N-1)/2 compute-uncompute circuits for the symmetric Gram matrix",
        )
        return self

    def _ledger_template(self):
        """The circuit the ledger prices: the kernel circuit of the map at bandwidth 1.

        The bandwidth scales angles only; gate counts and durations do not depend on angle
        values, and a numeric scale in the symbolic angles slows qiskit's transpiler by orders
        of magnitude, so pricing uses the unscaled map (same gates).
        """
        return self.template_

    def _template(self, n_qubits: int) -> QuantumCircuit:
        if self.feature_map is not None:
            return kernel_template(check_user_circuit(self.feature_map, n_qubits))
        return kernel_template(feature_map(n_qubits, self.feature_map_reps, self.entanglement))

    def planned_ledger(self, n_features: int, n_train: int, n_test: int, *,
                       train_on_hardware: bool = False) -> list[LedgerEntry]:
        """The circuits a hardware run of this estimator would send, before it runs (an upper bound).

        Fit ``N(N-1)/2`` kernel circuits; predict ``M x N`` (every training sample taken for a
        support vector). The circuit is this estimator's own (its feature-map settings, as
        the fit's ledger prices it); ``train_on_hardware`` does not apply to a kernel.
        """
        template = self._template(n_features)
        return [
            LedgerEntry(self._model, "fit", template, n_train * (n_train - 1) // 2, int(self.shots), "kernel"),
            LedgerEntry(self._model, "predict", template, n_test * n_train, int(self.shots), "kernel"),
        ]

    def _gram_against_support(self, X) -> np.ndarray:
        check_is_fitted(self, "svc_")
        X = validate_data(self, X, reset=False)
        support = self.svc_.support_
        gram = np.zeros((X.shape[0], self.X_train_.shape[0]))
        if _is_ibm(self.execution):
            from qvc.quantum.ibm.kernel import kernel_against

            self._ibm_sampler("predict", self._model)
            gram[:, support] = kernel_against(
                self._ibm_kernel, X, self.X_train_[support], self._train_rows, self.gram_, support
            )
        else:
            gram[:, support] = self.kernel_.evaluate(X, self.X_train_[support])
        return gram

    def predict_ledger(self, X) -> CircuitLedger:
        """The circuits predicting ``X`` runs: ``M * n_support`` for ``M`` samples.

        Only support vectors have non-zero dual coefficients, so a hardware run evaluates
        the kernel against those only. Nothing is simulated and ``ledger_`` is unchanged.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.array([[0.1, 0.2], [0.2, 0.1], [2.9, 3.0], [3.0, 2.8]])
        >>> QuantumKernelSVC().fit(X, [0, 0, 1, 1]).predict_ledger(X[:2]).circuits()
        8
        """
        check_is_fitted(self, "svc_")
        X = validate_data(self, X, reset=False)
        ledger = CircuitLedger()
        ledger.record(
            self._model, "predict", self._ledger_template(),
            n_circuits=X.shape[0] * len(self.svc_.support_), shots=self.shots, kind="kernel",
            note="M x n_support circuits (kernel against support vectors only)",
        )
        return ledger

    def simulator_info(self) -> dict:
        """Which classical simulator computed the kernel, and its settings (the row's columns).

        ``simulator`` is ``statevector`` (qvc's engine), ``mps`` (Aer matrix-product
        states; with the truncation threshold, bond cap, largest bond dimension of the
        final states and the fidelity bound), or the sampler mode's name.
        """
        check_is_fitted(self, "svc_")
        mode = parse_execution(self.execution)
        info = {"simulator": {"exact": "statevector", "shots": "statevector"}.get(mode.kind, str(mode))}
        if mode.kind == "mps":
            info["simulator"] = "mps"
            info.update(self.kernel_.mps_simulator().describe())
        return info

    def decision_function(self, X) -> np.ndarray:
        """SVM decision values, from kernel entries against the support vectors only."""
        check_is_fitted(self, "svc_")
        return self.svc_.decision_function(self._gram_against_support(X))

    def predict(self, X) -> np.ndarray:
        """Predict class labels."""
        check_is_fitted(self, "svc_")
        return self.svc_.predict(self._gram_against_support(X))


class IQPKernelSVC(QuantumKernelSVC):
    """SVM on the IQP-embedding fidelity kernel, as qml-benchmarks' ``IQPKernelClassifier``.

    The feature map is :func:`~qvc.quantum.circuits.iqp_feature_map` (Hadamard layer, ``rz`` of
    each feature, ``rzz`` of each feature product, repeated); the kernel, its engine, ledger and
    protocol are :class:`QuantumKernelSVC`'s (``N(N-1)/2`` compute-uncompute circuits to fit).

    Parameters
    ----------
    repeats : int, default 2
        Repetitions of the IQP layer (qml-benchmarks' ``repeats``).
    C : float, default 1.0
    bandwidth : float, default 1.0
        qml-benchmarks' ``scaling``: the centred features are multiplied by it.
    shots, execution, seed, circuit_fidelity, threads
        As :class:`QuantumKernelSVC`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.1, 0.2], [0.2, 0.1], [2.9, 3.0], [3.0, 2.8]]); y = [0, 0, 1, 1]
    >>> IQPKernelSVC().fit(X, y).ledger_.circuits(phase="fit")
    6
    """

    _model = "iqp"
    protocol = ("fidelity kernel (IQP embedding), compute-uncompute: fit N(N-1)/2 circuits, "
                "predict M x n_support")

    def __init__(
        self,
        repeats: int = 2,
        C: float = 1.0,
        bandwidth: float = 1.0,
        shots: int = 1024,
        execution: str = "exact",
        seed: int | None = None,
        circuit_fidelity: Callable[[QuantumCircuit], tuple[float, str]] | None = None,
        threads: int = 1,
    ) -> None:
        self.repeats = repeats
        self.threads = threads
        self.C = C
        self.bandwidth = bandwidth
        self.shots = shots
        self.execution = execution
        self.seed = seed
        self.circuit_fidelity = circuit_fidelity

    # QuantumKernelSVC's parameters that do not apply to the IQP map
    feature_map = None

    def kernel_circuits(self, n_features: int) -> tuple[QuantumCircuit, QuantumCircuit]:
        """The IQP map at this ``bandwidth`` and its kernel circuit (priced as is: the scale is in the angles)."""
        fmap = iqp_feature_map(n_features, int(self.repeats), float(self.bandwidth))
        return fmap, kernel_template(fmap)

    def _template(self, n_qubits: int) -> QuantumCircuit:
        return self.kernel_circuits(n_qubits)[1]


class ProjectedKernelSVC(_IbmMixin, ClassifierMixin, BaseEstimator):
    """SVM on a projected quantum kernel (Huang et al., Nat. Commun. 12, 2631 (2021)).

    Each sample's state is prepared once per measurement basis (X, Y, Z); every qubit's
    expectation values form a ``3 n`` feature vector and the kernel is the RBF kernel on them,
    ``exp(-gamma ||f(x) - f(x')||^2)``, computed classically (:mod:`qvc.quantum.projected`).
    ``gamma = gamma_factor / (var(training features) * n_features)``, qml-benchmarks'
    ``ProjectedQuantumKernel`` default scaled by its ``gamma_factor`` (fixed from the training
    features at fit; qml-benchmarks recomputes it from each call's first argument).

    The state is qsvc's ZZ feature map (same ``bandwidth``, ``feature_map_reps``,
    ``entanglement``) or the user's ``feature_map``, so ``pqk`` and ``qsvc`` differ by their
    protocol, not their circuit. (qml-benchmarks' default embedding is a Trotterised Heisenberg
    evolution; its IQP option is ``iqp``'s map.)

    Parameters
    ----------
    feature_map_reps, entanglement, bandwidth, feature_map
        As :class:`QuantumKernelSVC`.
    gamma_factor : float, default 1.0
    C : float, default 1.0
    shots : int, default 1024
        Shots per circuit (``shots`` execution; recorded in the ledger).
    execution : str, default "exact"
        ``exact`` (exact expectation values) or ``shots`` (each sample's outcomes in each basis
        drawn ``Multinomial(shots)``, seeded).
    seed : int or None

    Attributes
    ----------
    classes_, svc_ : as :class:`QuantumKernelSVC`
    features_ : ndarray (N, 3 n)
        The training samples' Pauli features.
    gamma_ : float
    gram_ : ndarray
    ledger_ : CircuitLedger
        Fit: ``N`` circuits in each of the three bases (``3 N``). Predict: ``3 M``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.1, 0.2], [0.2, 0.1], [2.9, 3.0], [3.0, 2.8]]); y = [0, 0, 1, 1]
    >>> model = ProjectedKernelSVC().fit(X, y)
    >>> model.features_.shape, model.ledger_.circuits(phase="fit"), model.predict_ledger(X).circuits()
    ((4, 6), 12, 12)
    """

    _model = "pqk"
    protocol = ("projected kernel: each sample's state measured in the X, Y and Z bases (3 circuits per "
                "sample: fit 3N, predict 3M), kernel computed classically from one-qubit expectations")

    def __init__(
        self,
        feature_map_reps: int = 2,
        entanglement: str = "full",
        bandwidth: float = 1.0,
        gamma_factor: float = 1.0,
        C: float = 1.0,
        shots: int = 1024,
        execution: str = "exact",
        seed: int | None = None,
        feature_map: QuantumCircuit | None = None,
    ) -> None:
        self.feature_map_reps = feature_map_reps
        self.entanglement = entanglement
        self.bandwidth = bandwidth
        self.gamma_factor = gamma_factor
        self.C = C
        self.shots = shots
        self.execution = execution
        self.seed = seed
        self.feature_map = feature_map

    def _circuits(self, n_features: int) -> tuple[QuantumCircuit, QuantumCircuit]:
        """(simulated map, priced map at bandwidth 1)."""
        if self.feature_map is not None:
            fmap = check_user_circuit(self.feature_map, n_features)
            return _scaled_inputs(fmap, self.bandwidth), fmap
        return (feature_map(n_features, self.feature_map_reps, self.entanglement, self.bandwidth),
                feature_map(n_features, self.feature_map_reps, self.entanglement))

    def _check_mode(self) -> None:
        mode = parse_execution(check_execution(self.execution))
        if mode.kind not in ("exact", "shots"):
            raise QvcUsageError(f"the projected kernel (pqk) runs with --execution exact or shots, "
                                f"not {self.execution!r}", key="execution")

    def states(self, X) -> np.ndarray:
        """Exact statevectors of the feature map for each row of ``X`` (after :meth:`fit`)."""
        from qvc.quantum.kernels import batched_statevectors
        from qvc.quantum.statevector import compile_circuit

        check_is_fitted(self, "svc_")
        return batched_statevectors(compile_circuit(self.feature_map_), np.asarray(X, dtype=float))

    def _features(self, X: np.ndarray, draw: int) -> np.ndarray:
        from qvc.quantum.kernels import batched_statevectors
        from qvc.quantum.projected import pauli_features, sampled_pauli_features
        from qvc.quantum.statevector import compile_circuit

        states = batched_statevectors(compile_circuit(self.feature_map_), X)
        if parse_execution(self.execution).kind == "shots":
            seed = None if self.seed is None else [int(self.seed), draw]
            return sampled_pauli_features(states, int(self.shots), np.random.default_rng(seed))
        return pauli_features(states)

    def fit(self, X, y) -> ProjectedKernelSVC:
        """Measure the training samples' features, build the RBF Gram matrix, fit the SVM."""
        from qvc.quantum.projected import default_gamma, projected_gram

        self._check_mode()
        X, y = validate_data(self, X, y)
        self.classes_ = unique_labels(y)
        n = X.shape[1]
        self.feature_map_, self.priced_map_ = self._circuits(n)
        check_statevector_fits(self.feature_map_.num_qubits, X.shape[0])
        self.features_ = self._features(X, 0)
        self.gamma_ = float(self.gamma_factor) * default_gamma(self.features_, n)
        self.gram_ = projected_gram(self.features_, None, self.gamma_)
        self.svc_ = SVC(kernel="precomputed", C=self.C).fit(self.gram_, y)
        self.ledger_ = CircuitLedger()
        for entry in self._entries("fit", X.shape[0]):
            self.ledger_.entries.append(entry)
        return self

    def _entries(self, phase: str, count: int, priced: QuantumCircuit | None = None) -> list[LedgerEntry]:
        from qvc.quantum.projected import basis_templates

        templates = basis_templates(self.priced_map_ if priced is None else priced)
        what = "training" if phase == "fit" else "test"
        return [LedgerEntry(self._model, phase, t, int(count), int(self.shots), "projected",
                            f"one state preparation per {what} sample measured in the {basis} basis")
                for basis, t in templates.items() if count > 0]

    def planned_ledger(self, n_features: int, n_train: int, n_test: int, *,
                       train_on_hardware: bool = False) -> list[LedgerEntry]:
        """Fit ``3 N``, predict ``3 M`` circuits (one per sample and basis), before the run."""
        priced = self._circuits(n_features)[1]
        return self._entries("fit", n_train, priced) + self._entries("predict", n_test, priced)

    def predict_ledger(self, X) -> CircuitLedger:
        """The circuits predicting ``X`` runs: ``3 M`` (the kernel against the training set is classical)."""
        check_is_fitted(self, "svc_")
        X = validate_data(self, X, reset=False)
        return CircuitLedger(self._entries("predict", X.shape[0]))

    def _test_gram(self, X) -> np.ndarray:
        from qvc.quantum.projected import projected_gram

        check_is_fitted(self, "svc_")
        X = validate_data(self, X, reset=False)
        # shots: the test samples' draws are seeded apart from the training ones (and alike each call)
        return projected_gram(self._features(X, 1), self.features_, self.gamma_)

    def simulator_info(self) -> dict:
        """Which classical simulator computed the features (the row's columns)."""
        check_is_fitted(self, "svc_")
        return {"simulator": "statevector"}

    def decision_function(self, X) -> np.ndarray:
        """SVM decision values."""
        check_is_fitted(self, "svc_")
        return self.svc_.decision_function(self._test_gram(X))

    def predict(self, X) -> np.ndarray:
        """Predict class labels."""
        check_is_fitted(self, "svc_")
        return self.svc_.predict(self._test_gram(X))


class VQCClassifier(_IbmMixin, ClassifierMixin, BaseEstimator):
    """Variational quantum classifier: ZZ feature map + ``real_amplitudes`` ansatz.

    The circuit, loss and training loop are qiskit-ml VQC's: a
    :class:`~qvc.quantum.qnn.StatevectorQNN` (a qiskit-ml ``NeuralNetwork``) trained by
    qiskit-ml's ``NeuralNetworkClassifier`` with one-hot cross-entropy and COBYLA; the
    class is the measured bitstring (as an integer) modulo the number of classes.
    (qiskit-ml 0.9's ``VQC`` keeps ``mod 2`` for more than two classes, so on
    multi-class data it can never predict class 2; this estimator uses ``mod n_classes``.
    On binary data the two are the same model.)

    Parameters
    ----------
    feature_map_reps : int, default 2
    ansatz_reps : int, default 3
        The ansatz has ``n_qubits * (ansatz_reps + 1)`` trainable weights.
    max_iter : int, default 100
        Iteration budget of the optimizer.
    shots : int, default 1024
        Shots per circuit (used by the stochastic modes and recorded in the ledger).
    execution : str, default "exact"
        ``exact`` (exact probabilities, no shot noise), ``shots`` (seeded sampling),
        ``noisy:<fake backend>`` (Aer with the device noise model), or
        ``ibm:<backend>``: training stays on the local exact engine and inference runs
        on the backend through the job store (see ``train_on_hardware``).
    seed : int or None, default None
        Seeds the initial weights and the sampling.
    bandwidth : float, default 1.0
        Scales every rotation angle of the ZZ feature map (see :func:`~qvc.quantum.circuits.feature_map`).
    optimizer : str, default "cobyla"
        ``cobyla`` (gradient-free), ``spsa`` (two evaluations per step) or ``lbfgs``
        (L-BFGS-B on the engine's exact parameter-shift gradients; local execution only).
    readout : str, default "mod"
        How a measured bitstring ``b`` becomes a class: ``mod`` (``b mod n_classes``, qiskit-ml
        VQC's interpretation generalised) or ``parity`` (``popcount(b) mod n_classes``: the
        parity of the bitstring on binary data).
    entanglement : str, default "full"
        Entanglement of the ZZ feature map.
    train_on_hardware : bool, default False
        With an ``ibm:<backend>`` execution, train on the backend too, with qiskit-ml's
        ``SamplerQNN`` (``qvc run --train-on-hardware --confirm-qpu``). Every objective
        evaluation is then a hardware job; rejected with any other execution mode.
    feature_map : QuantumCircuit or None, default None
        The user's own feature map (one free parameter per feature; ``bandwidth`` scales its
        inputs; ``feature_map_reps`` and ``entanglement`` do not apply). ``None``: the ZZ map.
    ansatz : QuantumCircuit or None, default None
        The user's own ansatz (every free parameter a trainable weight; ``ansatz_reps`` does not
        apply). ``None``: ``real_amplitudes`` (without its ``cx`` layers for ``entanglement="none"``).

    Attributes
    ----------
    classes_ : ndarray
    weights_ : ndarray
        Trained ansatz weights.
    n_weights_ : int
    n_evaluations_ : int
        Objective evaluations the optimizer made (each one forward pass over the batch).
    n_iter_ : int
        Optimizer iterations (COBYLA evaluates the objective once per iteration, so this
        equals ``n_evaluations_`` unless the optimizer reports its own count).
    qnn_ : NeuralNetwork
        :class:`~qvc.quantum.qnn.StatevectorQNN`, or qiskit-ml's ``SamplerQNN`` on the
        IBM sampler when training on hardware.
    trained_on_ : str
        Where the weights were trained.
    ledger_ : CircuitLedger
        What fitting ran: the circuits the optimizer actually evaluated: ``N`` per forward
        pass plus ``N * 2 * n_weights`` per gradient (parameter shift; COBYLA takes none).
        Set by :meth:`fit` only; see :meth:`predict_ledger` for prediction.

    Notes
    -----
    Scale the features to angles (e.g. ``MinMaxScaler((0, np.pi))``) first: the feature map
    is periodic in its inputs. A fitted model pickles (the compiled simulator is rebuilt on
    loading), except one whose IBM job sampler cannot be pickled.

    Examples
    --------
    >>> import numpy as np
    >>> from qvc.models import VQCClassifier
    >>> X = np.array([[0.1, 0.2], [0.2, 0.1], [2.9, 3.0], [3.0, 2.8]]); y = [0, 0, 1, 1]
    >>> model = VQCClassifier(ansatz_reps=1, max_iter=10, seed=0).fit(X, y)
    >>> model.n_iter_, model.predict(X).shape, model.predict_ledger(X).circuits()
    (10, (4,), 4)
    """

    def __init__(
        self,
        feature_map_reps: int = 2,
        ansatz_reps: int = 3,
        max_iter: int = 100,
        shots: int = 1024,
        execution: str = "exact",
        seed: int | None = None,
        bandwidth: float = 1.0,
        optimizer: str = "cobyla",
        readout: str = "mod",
        entanglement: str = "full",
        train_on_hardware: bool = False,
        feature_map: QuantumCircuit | None = None,
        ansatz: QuantumCircuit | None = None,
    ) -> None:
        self.feature_map_reps = feature_map_reps
        self.ansatz_reps = ansatz_reps
        self.max_iter = max_iter
        self.shots = shots
        self.execution = execution
        self.seed = seed
        self.bandwidth = bandwidth
        self.optimizer = optimizer
        self.readout = readout
        self.entanglement = entanglement
        self.train_on_hardware = train_on_hardware
        self.feature_map = feature_map
        self.ansatz = ansatz

    #: The model's name in its ledger entries.
    _model = "vqc"
    #: Whether the circuit is a feature map followed by an ansatz (IBM execution needs the two apart).
    _composable = True
    #: The measurement protocol in words (the result row's ``protocol``).
    protocol = ("variational classifier: fit = the optimizer's evaluations x N circuits (one job per "
                "evaluation), predict M circuits")

    @staticmethod
    def weight_count(n_qubits: int, ansatz_reps: int = 3) -> int:
        """Number of trainable weights for ``n_qubits`` qubits."""
        return int(n_qubits) * (int(ansatz_reps) + 1)

    def _parts(self, n_features: int, bandwidth: float | None = None) -> tuple[QuantumCircuit, QuantumCircuit]:
        """(feature map, ansatz); ``bandwidth=None``: the priced map at bandwidth 1."""
        b = 1.0 if bandwidth is None else float(bandwidth)
        if self.feature_map is not None:
            fmap = _scaled_inputs(check_user_circuit(self.feature_map, n_features), b)
        else:
            fmap = feature_map(n_features, self.feature_map_reps, self.entanglement, b)
        if self.ansatz is not None:
            if not isinstance(self.ansatz, QuantumCircuit):
                raise QvcUsageError(f"ansatz must be a qiskit QuantumCircuit (got {type(self.ansatz).__name__})",
                                    key="ansatz")
            if self.ansatz.num_qubits != fmap.num_qubits:
                raise QvcUsageError(f"ansatz has {self.ansatz.num_qubits} qubits but the feature map has "
                                    f"{fmap.num_qubits}", key="ansatz")
            ans = self.ansatz
        else:
            ans = ansatz(fmap.num_qubits, self.ansatz_reps, self.entanglement)
        return fmap, ans

    def _qnn_circuit(self, n_features: int) -> tuple[QuantumCircuit, list, list]:
        """(simulated circuit, input parameters, weight parameters)."""
        fmap, ans = self._parts(n_features, self.bandwidth)
        circuit = QuantumCircuit(fmap.num_qubits)
        circuit.compose(fmap, inplace=True)
        circuit.compose(ans, inplace=True)
        return circuit, list(fmap.parameters), list(ans.parameters)

    def _template(self, n_qubits: int) -> QuantumCircuit:
        return qnn_template(*self._parts(n_qubits))

    def planned_ledger(self, n_features: int, n_train: int, n_test: int, *,
                       train_on_hardware: bool = False) -> list[LedgerEntry]:
        """The circuits a hardware run of this estimator would send, before it runs (an upper bound).

        Predict ``M + N`` (test and training accuracy); with ``train_on_hardware`` also
        ``max_iter x N`` training circuits, one job per optimizer evaluation. The circuit
        is this estimator's own (feature map and ansatz settings).
        """
        template = self._template(n_features)
        out = [LedgerEntry(self._model, "predict", template, n_test + n_train, int(self.shots), "qnn")]
        if train_on_hardware:
            out.append(optimizer_rounds_entry(self._model, template, rounds=int(self.max_iter),
                                              circuits=int(self.max_iter) * n_train, shots=int(self.shots)))
        return out

    def fit(self, X, y) -> VQCClassifier:
        """Train the ansatz weights."""

        check_execution(self.execution)
        if parse_execution(self.execution).kind == "mps":
            raise QvcUsageError("the mps execution mode covers the kernel model (qsvc) only; "
                                "run vqc with --execution exact, shots or noisy:<fake backend>")
        if self.train_on_hardware and not _is_ibm(self.execution):
            raise QvcUsageError(
                f"train_on_hardware=True needs an ibm:<backend> execution, not {self.execution!r}"
            )
        X, y = validate_data(self, X, y)
        self.classes_ = unique_labels(y)
        n = X.shape[1]
        circuit, inputs, weights = self._qnn_circuit(n)
        # the feature map and ansatz apart (IBM execution needs them); a re-uploading circuit has none
        fmap, ans = self._parts(n, self.bandwidth) if self._composable else (circuit, None)
        optimizer = _make_optimizer(self.optimizer, int(self.max_iter), self.seed)
        interpret = _readout(self.readout)
        self.feature_map_, self.ansatz_ = fmap, ans
        n_classes = max(2, len(self.classes_))
        self._ibm = None
        if self.train_on_hardware:
            from qvc.quantum.ibm.qnn import hardware_qnn

            if self.optimizer == "lbfgs":
                raise QvcUsageError("training on hardware supports the gradient-free optimizers cobyla and "
                                    "spsa (set --param vqc.optimizer=cobyla)", key="params")
            self.qnn_ = hardware_qnn(fmap, ans, n_classes, self._ibm_sampler("fit", self._model),
                                     interpret(n_classes))
            self.trained_on_ = self.execution
        else:
            check_statevector_fits(circuit.num_qubits, X.shape[0])
            local = "exact" if _is_ibm(self.execution) else self.execution
            self.qnn_ = StatevectorQNN(
                circuit, inputs, weights,
                interpret=interpret(n_classes), output_shape=n_classes,
                execution=local, seed=self.seed,
                shots=self.shots if parse_execution(local).stochastic else None,
            )
            self.trained_on_ = f"local statevector engine ({local})"
        rng = np.random.default_rng(self.seed)
        evaluations = _EvaluationCounter()
        self.classifier_ = NeuralNetworkClassifier(
            self.qnn_, loss="cross_entropy", one_hot=True,
            optimizer=optimizer,
            initial_point=rng.random(len(weights)),
            callback=evaluations,
        )
        y_idx = np.searchsorted(self.classes_, y)
        # one-hot over all classes, even if the training split lacks one
        t0 = time.perf_counter()
        with progress.task(int(self.max_iter), "optimizer evaluations budgeted") as steps:
            evaluations.steps = steps
            previous = None
            if self.optimizer == "spsa":  # SPSA draws its perturbations from qiskit-ml's global RNG
                from qiskit_machine_learning.utils import algorithm_globals

                previous = algorithm_globals.random_seed
                algorithm_globals.random_seed = self.seed
            try:
                self.classifier_.fit(X, np.eye(n_classes)[y_idx])
            finally:
                evaluations.steps = None  # the progress line is not part of the fitted model
                if self.optimizer == "spsa":
                    algorithm_globals.random_seed = previous
        loop_s = time.perf_counter() - t0
        self.weights_ = np.asarray(self.classifier_.weights)
        self.n_weights_ = len(weights)
        if isinstance(self.qnn_, StatevectorQNN):  # forward passes over the batch, whatever the optimizer
            self.n_evaluations_ = int(self.qnn_.forward_circuits // max(1, X.shape[0]))
        else:
            self.n_evaluations_ = evaluations.count
        nit = getattr(getattr(self.classifier_, "_fit_result", None), "nit", None)
        self.n_iter_ = int(nit) if nit is not None else self.n_evaluations_
        # priced circuit: the map at bandwidth 1 (same gates; see QuantumKernelSVC._ledger_template)
        self.template_ = self._template(n)
        self.ledger_ = CircuitLedger()
        if isinstance(self.qnn_, StatevectorQNN):
            forward, gradient = self.qnn_.forward_circuits, self.qnn_.gradient_circuits
            f_rounds, g_rounds = self.qnn_.forward_calls, self.qnn_.gradient_calls
            simulated = self.qnn_.simulation_seconds
        else:  # SamplerQNN on hardware: COBYLA/SPSA evaluate forward passes only
            forward, gradient = self.n_evaluations_ * X.shape[0], 0
            f_rounds, g_rounds, simulated = self.n_evaluations_, 0, loop_s
        rounds = f_rounds + g_rounds
        #: host seconds of the optimizer per evaluation (the loop minus the circuit simulation)
        self.optimizer_seconds_per_round_ = max(0.0, loop_s - simulated) / rounds if rounds else 0.0
        if forward:
            self.ledger_.entries.append(optimizer_rounds_entry(
                self._model, self.template_, rounds=max(f_rounds, 1), circuits=forward, shots=self.shots,
                host_seconds_per_round=self.optimizer_seconds_per_round_,
                note="forward passes the optimizer evaluated x training samples, one job each",
            ))
        if gradient:
            self.ledger_.entries.append(optimizer_rounds_entry(
                self._model, self.template_, rounds=max(g_rounds, 1), circuits=gradient, shots=self.shots,
                host_seconds_per_round=self.optimizer_seconds_per_round_,
                note="parameter-shift gradient circuits (2 per weight per sample per gradient), one job "
                     "per gradient",
            ))
        return self

    def predict_ledger(self, X) -> CircuitLedger:
        """The circuits predicting ``X`` runs: one per sample.

        Nothing is simulated and ``ledger_`` is unchanged.
        """
        check_is_fitted(self, "weights_")
        X = validate_data(self, X, reset=False)
        ledger = CircuitLedger()
        ledger.record(
            self._model, "predict", self.template_, n_circuits=X.shape[0], shots=self.shots,
            kind="qnn", note="one circuit per test sample",
        )
        return ledger

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (the QNN output for each sample)."""
        check_is_fitted(self, "weights_")
        X = validate_data(self, X, reset=False)
        if _is_ibm(self.execution):
            from qvc.quantum.ibm.qnn import hardware_class_probabilities

            n_classes = max(2, len(self.classes_))
            proba = hardware_class_probabilities(
                self.feature_map_, self.ansatz_, X, self.weights_, n_classes,
                self._ibm_sampler("predict", self._model), _readout(self.readout)(n_classes),
            )
        else:
            proba = self.qnn_.forward(X, self.weights_)
        return proba[:, : len(self.classes_)]

    def predict(self, X) -> np.ndarray:
        """Predict class labels (most probable class)."""
        check_is_fitted(self, "weights_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class _EvaluationCounter:
    """Optimizer callback counting objective evaluations (a class, not a closure, so it pickles)."""

    def __init__(self) -> None:
        self.count = 0
        self.steps: Any = None  # a progress task while fitting (see qvc._progress), else None

    def __call__(self, *args) -> None:  # (weights, value); SPSA passes five values
        self.count += 1
        if self.steps is not None:
            self.steps.advance()


class ReuploadingClassifier(VQCClassifier):
    """Data re-uploading classifier (Perez-Salinas et al., Quantum 4, 226 (2020)), paired with the MLP.

    The circuit is :func:`~qvc.quantum.circuits.reupload_circuit`: ``layers`` layers, each
    uploading every feature again as ``rx(w x_i + b)`` with a trainable scale and offset, then a
    trainable ``ry``, with ``cz`` brickwork between layers (none for ``entanglement="none"``).
    Training, readout, execution modes and the ledger are :class:`VQCClassifier`'s (one-hot
    cross-entropy through qiskit-ml's ``NeuralNetworkClassifier``; class = measured bitstring mod
    ``n_classes`` or its parity). qml-benchmarks' ``DataReuploadingClassifier`` packs three features
    per qubit in ``Rot`` gates and trains a weighted fidelity loss with Adam; this one keeps qvc's
    one qubit per feature, loss and optimizers, so it is compared with the VQC on equal terms.

    Parameters
    ----------
    layers : int, default 3
        Upload layers; ``3 x layers x n_qubits`` weights.
    max_iter, shots, execution, seed, optimizer, readout
        As :class:`VQCClassifier` (``exact`` and ``shots`` execution).
    entanglement : str, default "brickwork"
        ``brickwork`` (``cz`` between layers) or ``none``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.1, 0.2], [0.2, 0.1], [2.9, 3.0], [3.0, 2.8]]); y = [0, 0, 1, 1]
    >>> model = ReuploadingClassifier(layers=2, max_iter=20, seed=0).fit(X, y)
    >>> model.n_weights_, model.predict(X).shape, model.predict_ledger(X).circuits()
    (12, (4,), 4)
    """

    _model = "reupload"
    _composable = False
    protocol = ("data re-uploading classifier: fit = the optimizer's evaluations x N circuits (one job per "
                "evaluation), predict M circuits")

    def __init__(
        self,
        layers: int = 3,
        max_iter: int = 100,
        shots: int = 1024,
        execution: str = "exact",
        seed: int | None = None,
        optimizer: str = "cobyla",
        readout: str = "mod",
        entanglement: str = "brickwork",
    ) -> None:
        self.layers = layers
        self.max_iter = max_iter
        self.shots = shots
        self.execution = execution
        self.seed = seed
        self.optimizer = optimizer
        self.readout = readout
        self.entanglement = entanglement

    # VQCClassifier's parameters that do not apply
    train_on_hardware = False
    feature_map = None
    ansatz = None

    @staticmethod
    def weight_count(n_qubits: int, layers: int = 3) -> int:
        """Number of trainable weights for ``n_qubits`` qubits."""
        return 3 * int(layers) * int(n_qubits)

    def _qnn_circuit(self, n_features: int) -> tuple[QuantumCircuit, list, list]:
        return reupload_circuit(n_features, int(self.layers), self.entanglement)

    def _template(self, n_qubits: int) -> QuantumCircuit:
        qc = self._qnn_circuit(n_qubits)[0].copy()
        qc.measure_all()
        return qc

    def fit(self, X, y) -> ReuploadingClassifier:
        """Train the circuit's weights."""
        mode = parse_execution(check_execution(self.execution))
        if mode.kind not in ("exact", "shots"):
            raise QvcUsageError(f"the re-uploading classifier runs with --execution exact or shots, "
                                f"not {self.execution!r}", key="execution")
        super().fit(X, y)
        return self

"""Quantum halves of the matched pairs, as scikit-learn estimators.

Each model keeps a :class:`~qvc.quantum.ledger.CircuitLedger` (``ledger_``) of
the circuits a QPU would have executed for each phase.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.svm import SVC
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from qvc._validation import check_choice, check_statevector_fits
from qvc.quantum.circuits import ansatz, feature_map, kernel_template, qnn_template
from qvc.quantum.ledger import CircuitLedger

#: Execution modes the quantum models accept (plus ``ibm:<backend>[:session]``, see
#: :mod:`qvc.quantum.ibm`: ``ibm:fake_manila`` runs locally, ``ibm:ibm_torino`` on IBM Quantum).
EXECUTION_MODES = ("exact",)


def check_execution(mode: str) -> str:
    """Accept one of :data:`EXECUTION_MODES` or ``ibm:<backend>[:batch|:session]``."""
    from qvc.quantum.ibm.service import is_ibm_execution, parse_ibm_execution

    if is_ibm_execution(mode):
        parse_ibm_execution(mode)
        return mode
    return check_choice(mode, (*EXECUTION_MODES, "ibm:<backend>"), "execution mode")


class _IbmMixin:
    """Shared IBM plumbing: one :class:`~qvc.quantum.ibm.LedgerSampler` per fitted model."""

    def _ibm_sampler(self, phase: str, model: str):
        from qvc.quantum.ibm import LedgerSampler, parse_ibm_execution

        if getattr(self, "_ibm", None) is None:
            self._ibm = LedgerSampler(
                parse_ibm_execution(self.execution), default_shots=int(self.shots),
                seed=self.seed, model=model,
            )
        self._ibm.phase = phase
        return self._ibm

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
        Entanglement of the ZZ feature map.
    C : float, default 1.0
        SVM regularisation.
    shots : int, default 1024
        Shots per circuit a hardware run would take (recorded in the ledger).
    execution : str, default "exact"
        How kernel entries are computed: ``"exact"`` (statevector), or
        ``"ibm:<backend>"``: fidelities estimated from shots on an IBM backend
        (``fake_*`` backends run locally), through the job ledger.
    seed : int or None, default None
        Seed for stochastic execution modes.

    Attributes
    ----------
    classes_ : ndarray
    svc_ : SVC
        The fitted ``SVC(kernel="precomputed")``.
    ledger_ : CircuitLedger
        Fit: ``N(N-1)/2`` compute-uncompute circuits (the diagonal is 1 by construction).
        Predict on ``M`` samples: ``M * n_support`` circuits, because only support
        vectors have non-zero dual coefficients and a hardware run evaluates only those.

    Examples
    --------
    >>> import numpy as np
    >>> from qvc.models import QuantumKernelSVC
    >>> X = np.array([[0.1, 0.2], [0.2, 0.1], [2.9, 3.0], [3.0, 2.8]]); y = [0, 0, 1, 1]
    >>> QuantumKernelSVC().fit(X, y).ledger_.circuits(phase="fit")
    6
    """

    def __init__(
        self,
        feature_map_reps: int = 2,
        entanglement: str = "full",
        C: float = 1.0,
        shots: int = 1024,
        execution: str = "exact",
        seed: int | None = None,
    ) -> None:
        self.feature_map_reps = feature_map_reps
        self.entanglement = entanglement
        self.C = C
        self.shots = shots
        self.execution = execution
        self.seed = seed

    def _kernel(self, X: np.ndarray, Y: np.ndarray | None = None) -> np.ndarray:
        from qiskit_machine_learning.kernels import FidelityStatevectorKernel

        kernel = FidelityStatevectorKernel(feature_map=self.feature_map_)
        return np.asarray(kernel.evaluate(X, Y), dtype=float)

    def fit(self, X, y) -> QuantumKernelSVC:
        """Compute the training Gram matrix and fit the SVM on it."""
        check_execution(self.execution)
        X, y = validate_data(self, X, y)
        self.classes_ = unique_labels(y)
        n = X.shape[1]
        self.feature_map_ = feature_map(n, self.feature_map_reps, self.entanglement)
        self._ibm = None
        if self.execution.startswith("ibm:"):
            from qvc.quantum.ibm.kernel import hardware_kernel

            self._ibm_kernel = hardware_kernel(self.feature_map_, self._ibm_sampler("fit", "qsvc"))
            gram = np.asarray(self._ibm_kernel.evaluate(X), dtype=float)
            self.gram_ = gram
            self._train_rows = {np.ascontiguousarray(r, dtype=float).tobytes(): i
                                for i, r in enumerate(X)}
        else:
            check_statevector_fits(n, X.shape[0])
            gram = self._kernel(X)
        self.svc_ = SVC(kernel="precomputed", C=self.C).fit(gram, y)
        self.X_train_ = X
        self.ledger_ = CircuitLedger()
        self.ledger_.record(
            "qsvc", "fit", kernel_template(self.feature_map_),
            n_circuits=X.shape[0] * (X.shape[0] - 1) // 2, shots=self.shots, kind="kernel",
            note="N(N-1)/2 compute-uncompute circuits for the symmetric Gram matrix",
        )
        return self

    def _gram_against_support(self, X) -> np.ndarray:
        check_is_fitted(self, "svc_")
        X = validate_data(self, X, reset=False)
        support = self.svc_.support_
        gram = np.zeros((X.shape[0], self.X_train_.shape[0]))
        if self.execution.startswith("ibm:"):
            from qvc.quantum.ibm.kernel import kernel_against

            self._ibm_sampler("predict", "qsvc")
            gram[:, support] = kernel_against(
                self._ibm_kernel, X, self.X_train_[support], self._train_rows, self.gram_, support
            )
        else:
            gram[:, support] = self._kernel(X, self.X_train_[support])
        self.ledger_.record(
            "qsvc", "predict", kernel_template(self.feature_map_),
            n_circuits=X.shape[0] * len(support), shots=self.shots, kind="kernel",
            note="M x n_support circuits (kernel against support vectors only)",
        )
        return gram

    def decision_function(self, X) -> np.ndarray:
        """SVM decision values, from kernel entries against the support vectors only."""
        return self.svc_.decision_function(self._gram_against_support(X))

    def predict(self, X) -> np.ndarray:
        """Predict class labels."""
        return self.svc_.predict(self._gram_against_support(X))


class VQCClassifier(_IbmMixin, ClassifierMixin, BaseEstimator):
    """Variational quantum classifier: ZZ feature map + ``real_amplitudes`` ansatz.

    Trained by qiskit-machine-learning's ``VQC`` with COBYLA on a
    ``StatevectorSampler``; the class is the measured bitstring modulo the number
    of classes (qiskit-ml's parity interpretation).

    Parameters
    ----------
    feature_map_reps : int, default 2
    ansatz_reps : int, default 3
        The ansatz has ``n_qubits * (ansatz_reps + 1)`` trainable weights.
    max_iter : int, default 100
        COBYLA iteration budget.
    shots : int, default 1024
        Shots per circuit (used by the sampler and recorded in the ledger).
    execution : str, default "exact"
        ``"exact"``, or ``"ibm:<backend>"``: training stays on the local simulator and
        inference runs on the backend through the job ledger; training on the backend
        too only inside an :func:`~qvc.quantum.ibm.ibm_context` with
        ``train_on_hardware=True`` (``qvc run --train-on-hardware --confirm-qpu``).
    seed : int or None, default None
        Seeds the initial weights and the sampler.

    Attributes
    ----------
    classes_ : ndarray
    weights_ : ndarray
        Trained ansatz weights.
    n_weights_ : int
    n_evaluations_ : int
        Objective evaluations the optimizer made (each one forward pass over the batch).
    ledger_ : CircuitLedger
        Fit: ``n_evaluations * N`` circuits (COBYLA needs no gradients);
        predict on ``M`` samples: ``M`` circuits.

    Examples
    --------
    >>> from qvc.models import VQCClassifier
    >>> VQCClassifier(ansatz_reps=1).get_params()["ansatz_reps"]
    1
    """

    def __init__(
        self,
        feature_map_reps: int = 2,
        ansatz_reps: int = 3,
        max_iter: int = 100,
        shots: int = 1024,
        execution: str = "exact",
        seed: int | None = None,
    ) -> None:
        self.feature_map_reps = feature_map_reps
        self.ansatz_reps = ansatz_reps
        self.max_iter = max_iter
        self.shots = shots
        self.execution = execution
        self.seed = seed

    @staticmethod
    def weight_count(n_qubits: int, ansatz_reps: int = 3) -> int:
        """Number of trainable weights for ``n_qubits`` qubits."""
        return int(n_qubits) * (int(ansatz_reps) + 1)

    def fit(self, X, y) -> VQCClassifier:
        """Train the ansatz weights."""
        from qiskit.primitives import StatevectorSampler
        from qiskit_machine_learning.algorithms import VQC
        from qiskit_machine_learning.optimizers import COBYLA

        check_execution(self.execution)
        X, y = validate_data(self, X, y)
        self.classes_ = unique_labels(y)
        n = X.shape[1]
        fmap = feature_map(n, self.feature_map_reps)
        ans = ansatz(n, self.ansatz_reps)
        rng = np.random.default_rng(self.seed)
        evaluations = []
        self._ibm = None
        sampler = StatevectorSampler(default_shots=int(self.shots), seed=self.seed)
        self.trained_on_ = "local statevector sampler"
        if self.execution.startswith("ibm:"):
            from qvc.quantum.ibm import current_context

            if current_context().train_on_hardware:
                sampler = self._ibm_sampler("fit", "vqc")
                self.trained_on_ = self.execution
        if sampler.__class__ is StatevectorSampler:
            check_statevector_fits(n)
        self._vqc = VQC(
            feature_map=fmap,
            ansatz=ans,
            optimizer=COBYLA(maxiter=int(self.max_iter)),
            initial_point=rng.random(ans.num_parameters),
            callback=lambda w, v: evaluations.append(v),
            sampler=sampler,
        )
        y_idx = np.searchsorted(self.classes_, y)
        self._vqc.fit(X, y_idx)
        self.weights_ = np.asarray(self._vqc.weights)
        self.n_weights_ = int(ans.num_parameters)
        self.n_evaluations_ = len(evaluations)
        self.template_ = qnn_template(fmap, ans)
        self.ledger_ = CircuitLedger()
        self.ledger_.record(
            "vqc", "fit", self.template_, n_circuits=self.n_evaluations_ * X.shape[0],
            shots=self.shots, kind="qnn",
            note="objective evaluations x training samples (COBYLA, no gradient circuits)",
        )
        return self

    def predict(self, X) -> np.ndarray:
        """Predict class labels (most probable class)."""
        check_is_fitted(self, "weights_")
        X = validate_data(self, X, reset=False)
        if self.execution.startswith("ibm:"):
            from qvc.quantum.ibm.qnn import hardware_class_probabilities

            probs = hardware_class_probabilities(
                self._vqc.feature_map, self._vqc.ansatz, X, self.weights_, len(self.classes_),
                self._ibm_sampler("predict", "vqc"),
            )
            idx = np.argmax(probs, axis=1)
        else:
            idx = np.asarray(self._vqc.predict(X)).astype(int).ravel()
        self.ledger_.record(
            "vqc", "predict", self.template_, n_circuits=X.shape[0], shots=self.shots,
            kind="qnn", note="one circuit per test sample",
        )
        return self.classes_[idx]

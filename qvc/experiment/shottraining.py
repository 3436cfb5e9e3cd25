"""Training under shot noise: the VQC re-trained with the shots its hardware run is priced at.

``--shots auto`` chooses a VQC's shots from *inference*: the trained weights' test class
probabilities drawn with that many shots must reproduce the exact predictions
(:mod:`qvc.experiment.autoshots`). The same count prices the *training* circuits, but
COBYLA on a shot-noisy loss is a different optimisation from COBYLA on the exact one. Here
the model is trained again, with the same hyperparameters, seed (initial point) and
iteration budget, in the engine's ``shots`` mode at the priced shots -- every objective
evaluation draws each training circuit's outcome distribution from Multinomial(shots), as a
noiseless device would -- and its test predictions are drawn with the same shots. Its test
accuracy is what the priced training budget buys on an ideal (noise-free) QPU; the exact
row's ``accuracy_test`` is the same model without shot noise.

**Budget.** Re-simulation costs about one exact fit again: the training circuits times the
``2**qubits`` amplitudes each (plus the test pass). It runs when
``(circuits_fit + n_test) * 2**qubits <= SHOT_TRAINING_BUDGET`` (2**28, about 2.7e8); the
shots mode costs about 2e-7 s per circuit amplitude on a 2-core test machine (measured: 8
qubits, 426 samples, 100 COBYLA evaluations, 4,096 shots: 2.2 s; 12 qubits: 1.9e-7 s per
amplitude), so the budget is of order a minute. Above it, or where no shot count was priced,
the row says it was not re-simulated and that its training circuit count (``circuits_fit``,
the exact-loss optimizer's evaluations) is a lower bound for what training under shot noise
to the same accuracy would need.

Rows trained with sampling already (``--execution shots`` or ``noisy:<backend>``, priced at
those same shots) report their own accuracy; ``ibm:`` rows trained on the local exact engine
are not re-simulated (their training count is a lower bound as above).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: Largest (training circuits + test circuits) x 2**qubits re-simulated under shot noise.
SHOT_TRAINING_BUDGET = 2**28


@dataclass(frozen=True)
class ShotTraining:
    """Test accuracy of a model trained and evaluated under shot noise, or why there is none.

    Attributes
    ----------
    status : str
        ``"re-simulated"``, ``"trained with sampling"`` (the run's own execution sampled) or
        ``"not re-simulated"``.
    note : str
        The method or the reason, in words (recorded in the row's ``shot_training``).
    accuracy : float
        Test accuracy (NaN when not re-simulated).
    shots : int or None
        Shots per circuit of that training and evaluation.
    circuits_fit : int or None
        Training circuits the shot-noisy optimizer evaluated.
    """

    status: str
    note: str
    accuracy: float = float("nan")
    shots: int | None = None
    circuits_fit: int | None = None

    @property
    def text(self) -> str:
        """``status: note``, the ``shot_training`` column."""
        return f"{self.status}: {self.note}"


def _lower_bound(why: str) -> ShotTraining:
    return ShotTraining("not re-simulated", f"{why}; circuits_fit counts the exact-loss optimizer's "
                        "evaluations, a lower bound for training under shot noise to the same accuracy")


def shot_trained(est: Any, X_train, y_train, X_test, y_test, shots: int | None, *,
                 accuracy: float = float("nan"), budget: int = SHOT_TRAINING_BUDGET) -> ShotTraining | None:
    """Re-train a fitted ``VQCClassifier`` under shot noise at ``shots`` and score it on the test split.

    Returns ``None`` for estimators that are not trained by an optimizer over circuits (the
    kernel model's training under shot noise is the noisy-Gram refit of the auto-shots rule).
    ``accuracy`` is the run's own test accuracy, reported as it is when the run's execution
    sampled already. Nothing is metered: call it outside the fit and predict windows.

    Examples
    --------
    >>> import numpy as np
    >>> from qvc.models import VQCClassifier
    >>> X = np.array([[0.1, 0.2], [0.2, 0.1], [2.9, 3.0], [3.0, 2.8]]); y = np.array([0, 0, 1, 1])
    >>> vqc = VQCClassifier(ansatz_reps=1, max_iter=10, seed=0).fit(X, y)
    >>> out = shot_trained(vqc, X, y, X, y, 256)
    >>> out.status, out.shots, out.circuits_fit, 0.0 <= out.accuracy <= 1.0
    ('re-simulated', 256, 40, True)
    """
    from sklearn.base import clone

    from qvc.models.quantum import VQCClassifier
    from qvc.quantum.execution import parse_execution

    if not isinstance(est, VQCClassifier):
        return None
    mode = parse_execution(est.execution)
    if mode.kind in ("shots", "noisy"):
        return ShotTraining("trained with sampling",
                            f"the run itself trained and predicted with {est.shots} shots per circuit "
                            f"(--execution {est.execution}), the shots it is priced at",
                            float(accuracy), int(est.shots), int(est.ledger_.circuits()))
    if mode.is_ibm:
        if getattr(est, "train_on_hardware", False):
            return ShotTraining("trained with sampling", f"trained on {est.execution} itself",
                                float("nan"), int(est.shots), int(est.ledger_.circuits()))
        return _lower_bound(f"{est.execution}: trained on the local exact engine, inference on the backend")
    if shots is None:
        return _lower_bound("no shot count was priced (declined)")
    n_qubits = int(np.asarray(X_train).shape[1])
    cost = (int(est.ledger_.circuits()) + int(np.asarray(X_test).shape[0])) * 2**n_qubits
    if cost > budget:
        return _lower_bound(f"(training + test circuits) x 2^qubits = {cost:.3g} above the re-simulation "
                            f"budget {budget:.3g} (qvc.experiment.shottraining.SHOT_TRAINING_BUDGET)")
    noisy = clone(est).set_params(execution="shots", shots=int(shots)).fit(X_train, y_train)
    acc = float(np.mean(noisy.predict(X_test) == np.asarray(y_test)))
    return ShotTraining(
        "re-simulated",
        f"trained again in the engine's shots mode at the priced {int(shots)} shots per circuit (each "
        "objective evaluation draws every training circuit from Multinomial(shots); same "
        "hyperparameters, seed and iteration budget; tuning candidates not re-simulated), test "
        "predictions drawn with the same shots; an ideal QPU, no gate or readout noise",
        acc, int(shots), int(noisy.ledger_.circuits()))

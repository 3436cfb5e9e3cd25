"""Classical halves of the matched pairs (scikit-learn estimators)."""

from __future__ import annotations

from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC


def make_svm(seed: int = 42, C: float = 1.0) -> SVC:
    """RBF support-vector classifier, the classical side of the SVM pair.

    Examples
    --------
    >>> make_svm().kernel
    'rbf'
    """
    return SVC(kernel="rbf", C=C, gamma="scale", random_state=seed)


def make_mlp(hidden_units: int, max_iter: int, seed: int = 42) -> MLPClassifier:
    """One-hidden-layer MLP trained by L-BFGS for ``max_iter`` iterations.

    Examples
    --------
    >>> make_mlp(3, 50).hidden_layer_sizes
    (3,)
    """
    return MLPClassifier(
        hidden_layer_sizes=(int(hidden_units),),
        solver="lbfgs",
        max_iter=int(max_iter),
        random_state=seed,
        tol=0.0,
    )

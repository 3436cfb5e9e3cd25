"""Classical halves of the matched pairs (scikit-learn estimators)."""

from __future__ import annotations

from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC


def make_svm(seed: int = 42, C: float = 1.0, gamma: float | str = "scale") -> SVC:
    """RBF support-vector classifier, the classical side of the SVM pair.

    Examples
    --------
    >>> make_svm().kernel
    'rbf'
    """
    return SVC(kernel="rbf", C=C, gamma=gamma, random_state=seed)


def make_mlp(
    hidden_units: int | tuple[int, ...], max_iter: int, seed: int = 42, alpha: float = 1e-4
) -> MLPClassifier:
    """MLP trained by L-BFGS for ``max_iter`` iterations (one hidden layer per width given).

    Examples
    --------
    >>> make_mlp(3, 50).hidden_layer_sizes
    (3,)
    >>> make_mlp((8, 4), 50).hidden_layer_sizes
    (8, 4)
    """
    widths = (int(hidden_units),) if isinstance(hidden_units, (int, float)) else tuple(map(int, hidden_units))
    return MLPClassifier(
        hidden_layer_sizes=widths,
        alpha=float(alpha),
        solver="lbfgs",
        max_iter=int(max_iter),
        random_state=seed,
        tol=0.0,
    )

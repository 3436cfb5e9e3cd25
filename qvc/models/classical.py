"""Classical halves of the matched pairs (scikit-learn estimators)."""

from __future__ import annotations

from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier


def make_svm(seed: int = 42, C: float = 1.0, gamma: float | str = "scale") -> SVC:
    """RBF support-vector classifier, the classical side of the SVM pair.

    Examples
    --------
    >>> make_svm().kernel
    'rbf'
    """
    return SVC(kernel="rbf", C=C, gamma=gamma, random_state=seed)


def make_mlp(
    hidden_units: int | tuple[int, ...], max_iter: int, seed: int = 42, alpha: float = 1e-4, *,
    solver: str = "lbfgs", learning_rate_init: float = 1e-3, batch_size: int | str = "auto",
) -> MLPClassifier:
    """MLP trained by L-BFGS (or adam) for ``max_iter`` iterations (one hidden layer per width given).

    L-BFGS runs with ``tol=0`` (the whole shared budget unless it converges); adam with
    scikit-learn's default ``tol=1e-4`` and stopping rule, as the study's MLPClassifier
    (Bowles, Ahmed & Schuld 2024). ``learning_rate_init`` and ``batch_size`` apply to adam only.

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
        solver=solver,
        learning_rate_init=float(learning_rate_init),
        batch_size=batch_size if batch_size == "auto" else int(batch_size),
        max_iter=int(max_iter),
        random_state=seed,
        tol=0.0 if solver == "lbfgs" else 1e-4,
    )


def make_frontier(name: str, seed: int, params: dict):
    """A classical frontier model (scikit-learn), built from its registry hyperparameters.

    ``max_depth = "none"`` grows trees until their leaves are pure.

    Examples
    --------
    >>> make_frontier("knn", 0, {"n_neighbors": 3, "weights": "uniform"}).n_neighbors
    3
    """
    depth = lambda v: None if v in (None, "none") else int(v)  # noqa: E731
    if name == "logreg":
        return LogisticRegression(C=params["C"], max_iter=1000, random_state=seed)
    if name == "linsvm":
        return LinearSVC(C=params["C"], max_iter=10000, random_state=seed)
    if name == "knn":
        return KNeighborsClassifier(n_neighbors=int(params["n_neighbors"]), weights=params["weights"])
    if name == "gnb":
        return GaussianNB(var_smoothing=params["var_smoothing"])
    if name == "tree":
        return DecisionTreeClassifier(max_depth=depth(params["max_depth"]), random_state=seed)
    if name == "forest":
        return RandomForestClassifier(n_estimators=int(params["n_estimators"]), max_depth=depth(params["max_depth"]),
                                      random_state=seed, n_jobs=1)
    raise ValueError(f"no frontier model {name!r}")

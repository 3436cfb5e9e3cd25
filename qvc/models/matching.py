"""The matching rules that make a classical/quantum pair comparable."""

from __future__ import annotations

#: The rule, in words, written into the docs and into each result row.
MATCHING_RULE = (
    "same split, features (= qubits) and seed; MLP has one hidden layer whose width makes its "
    "trainable-parameter count closest to the QNN's weight count; both get the same iteration "
    "budget (MLP L-BFGS iterations = VQC COBYLA iterations)"
)


def mlp_param_count(n_features: int, hidden: int | tuple[int, ...], n_classes: int) -> int:
    """Trainable parameters of an ``MLPClassifier`` (``hidden``: one width or one per layer).

    scikit-learn uses one output unit for two classes and ``n_classes`` units otherwise.

    Examples
    --------
    >>> mlp_param_count(4, 2, 3)
    19
    >>> mlp_param_count(4, (2, 2), 3)
    25
    """
    n_out = 1 if n_classes == 2 else n_classes
    widths = [hidden] if isinstance(hidden, int) else list(hidden)
    sizes = [n_features, *widths, n_out]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def match_mlp_hidden_units(
    n_features: int, n_classes: int, target_params: int, max_hidden: int = 4096
) -> tuple[int, int]:
    """Hidden width whose parameter count is closest to ``target_params`` (ties: smaller).

    Returns
    -------
    hidden, n_params : int, int

    Examples
    --------
    >>> match_mlp_hidden_units(4, 3, 16)
    (2, 19)
    """
    best = (1, mlp_param_count(n_features, 1, n_classes))
    for h in range(2, max_hidden + 1):
        p = mlp_param_count(n_features, h, n_classes)
        if abs(p - target_params) < abs(best[1] - target_params):
            best = (h, p)
        if p > target_params:
            break
    return best

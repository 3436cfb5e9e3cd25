"""Bundled datasets and user CSV files, prepared identically for both sides of a pair."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qvc._validation import check_positive_int
from qvc.data.benchmarks import FAMILIES, generate
from qvc.errors import QvcUsageError

#: Datasets qvc ships loaders for, with one line each for ``qvc datasets``.
DATASETS: dict[str, str] = {
    "iris": "scikit-learn iris: 150 samples, 4 features, 3 classes",
    "breast_cancer": "scikit-learn breast cancer (Wisconsin): 569 samples, 30 features, 2 classes",
    "wine": "scikit-learn wine: 178 samples, 13 features, 3 classes",
    "moons": "scikit-learn make_moons: 200 samples, 2 features, 2 classes (noise 0.2)",
    "circles": "scikit-learn make_circles: 200 samples, 2 features, 2 classes (noise 0.1)",
    "ad_hoc": "qiskit-ml ad_hoc_data: 2 or 3 features, 2 classes, separable by a ZZ feature map",
    **FAMILIES,
}

#: Default number of qubits (= features) per bundled dataset.
DEFAULT_QUBITS: dict[str, int] = {
    "iris": 4,
    "breast_cancer": 4,
    "wine": 4,
    "moons": 2,
    "circles": 2,
    "ad_hoc": 2,
    **{name: 4 for name in FAMILIES},
    "bars_and_stripes": 16,  # 4x4 images: smaller ones cap accuracy (qvc.data.benchmarks.MIN_BARS_SIDE)
}

#: Angle range the features are scaled to (the ZZ feature map's natural range).
ANGLE_RANGE: tuple[float, float] = (0.0, float(np.pi))

#: Data protocols: qvc's own, and the exact replay of Bowles, Ahmed & Schuld (2024).
PROTOCOLS: dict[str, str] = {
    "qvc": "qvc's protocol: a fresh draw per seed, stratified split, standardise, min-max to [0, pi], "
           "3-fold shuffled CV, qvc's search space",
    "bowles2024": "Bowles, Ahmed & Schuld 2024 replayed: the study's datasets, 240/60 unstratified split, raw "
                  "features for the classical models and [-pi/2, pi/2] for the quantum ones, 5-fold CV, the "
                  "study's grids",
}

#: The study's quantum models' input scaling (``MinMaxScaler(feature_range=(-pi/2, pi/2))`` in
#: XanaduAI/qml-benchmarks src/qml_benchmarks/models/iqp_kernel.py and the other quantum models).
BOWLES_QUANTUM_RANGE: tuple[float, float] = (-float(np.pi) / 2, float(np.pi) / 2)


@dataclass(frozen=True)
class PreparedData:
    """Arrays that feed both models of a matched pair.

    Attributes
    ----------
    name : str
        Dataset name.
    X_train, X_test : ndarray of shape (n, n_features)
        Features reduced to ``n_features`` and scaled to ``feature_range``.
    y_train, y_test : ndarray of shape (n,)
        Integer class labels ``0..n_classes-1``.
    n_features : int
        Number of features, equal to the number of qubits.
    classes : tuple
        Original class labels, index ``i`` is encoded as ``i``.
    feature_range : tuple of float
        The angle range of the features.
    preprocessing : dict
        What was done (scaler, PCA with explained variance, split), for the metadata.
    """

    name: str
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    n_features: int
    classes: tuple
    feature_range: tuple[float, float]
    preprocessing: dict = field(default_factory=dict)
    #: The quantum models' own view ``(X_train, X_test, feature_range)`` where a protocol prepares
    #: them differently from the classical ones (``bowles2024``); ``None``: one view for both.
    quantum_view: tuple | None = None

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)

    def for_family(self, family: str) -> PreparedData:
        """The arrays model family ``family`` (``classical`` or ``quantum``) trains on.

        Both views share the split, labels and samples; only the features' preprocessing differs.
        """
        if family != "quantum" or self.quantum_view is None:
            return self
        from dataclasses import replace

        X_tr, X_te, rng = self.quantum_view
        return replace(self, X_train=X_tr, X_test=X_te, feature_range=rng, quantum_view=None)


def list_datasets() -> dict[str, str]:
    """Return the bundled dataset names with a one-line description each.

    Examples
    --------
    >>> from qvc.data import list_datasets
    >>> "iris" in list_datasets()
    True
    """
    return dict(DATASETS)


def _load_raw(name: str, seed: int, n_features: int | None, params: dict | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets as skd

    if params and name not in FAMILIES:
        raise QvcUsageError(f"--{next(iter(params)).replace('_', '-')} applies to a generated family "
                            f"({', '.join(FAMILIES)}), not {name}")
    if name == "iris":
        bunch = skd.load_iris()
        return bunch.data, bunch.target
    if name == "breast_cancer":
        bunch = skd.load_breast_cancer()
        return bunch.data, bunch.target
    if name == "wine":
        bunch = skd.load_wine()
        return bunch.data, bunch.target
    if name == "moons":
        return skd.make_moons(n_samples=200, noise=0.2, random_state=seed)
    if name == "circles":
        return skd.make_circles(n_samples=200, noise=0.1, factor=0.5, random_state=seed)
    if name in FAMILIES:  # generated in exactly n_features dimensions
        return generate(name, n_features or DEFAULT_QUBITS[name], seed, **(params or {}))
    raise QvcUsageError(f"unknown dataset {name!r}")  # pragma: no cover - guarded by caller


def _load_ad_hoc(n_features: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if n_features not in (2, 3):
        raise QvcUsageError(
            f"ad_hoc data exists for 2 or 3 qubits only (got --qubits {n_features})"
        )
    from qiskit_machine_learning.datasets import ad_hoc_data
    from qiskit_machine_learning.utils import algorithm_globals

    previous = algorithm_globals.random_seed
    algorithm_globals.random_seed = seed
    try:
        # qiskit-ml annotates gap as int (it is a float margin) and the return as 4 or 5 arrays
        # (5 only with include_sample_total=True).
        x_tr, y_tr, x_te, y_te = ad_hoc_data(  # type: ignore[misc]
            training_size=40, test_size=20, n=n_features, gap=0.3, one_hot=False,  # type: ignore[arg-type]
        )
    finally:
        algorithm_globals.random_seed = previous
    return np.vstack([x_tr, x_te]), np.concatenate([y_tr, y_te]).astype(int)


def load_csv(path: str | Path, target: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """Read a user CSV file: numeric feature columns and one target column.

    Parameters
    ----------
    path : str or Path
        CSV file with a header row.
    target : str
        Name of the label column; all other columns must be numeric features.

    Returns
    -------
    X, y, name
        Feature matrix, raw labels, and a dataset name derived from the file name.

    Raises
    ------
    QvcUsageError
        If the file is missing or unreadable, the target column is absent,
        or a feature is non-numeric or missing.
    """
    import pandas as pd

    path = Path(path)
    if target is None:
        raise QvcUsageError("--csv needs --target COLUMN naming the label column")
    if path.is_dir():
        raise QvcUsageError(f"--csv {str(path)!r} is a folder, not a CSV file; give the file's path")
    if path.exists() and not path.is_file():
        raise QvcUsageError(f"--csv {str(path)!r} is not a regular file (a device or pipe?); give a CSV file")
    if not path.is_file():
        raise QvcUsageError(f"CSV file {str(path)!r} does not exist; check the path given to --csv")
    try:
        frame = pd.read_csv(path)
    except Exception as exc:  # pandas raises many types for malformed files
        raise QvcUsageError(f"cannot read CSV {str(path)!r}: {exc}".splitlines()[0]) from None
    if frame.empty and len(frame.columns):
        raise QvcUsageError(f"{path.name} has a header row but no data rows; add samples")
    _check_column_names(path, _raw_header(path), target)
    if target not in frame.columns:
        cols = ", ".join(map(str, frame.columns[:10]))
        raise QvcUsageError(f"target column {target!r} not in {path.name} (columns: {cols})")
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise QvcUsageError(f"{path.name} has no feature columns besides {target!r}")
    bad = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if bad:
        raise QvcUsageError(
            f"{path.name}: feature column {bad[0]!r} is not numeric; "
            "encode it as numbers or drop it"
        )
    nan_cols = [c for c in features.columns if features[c].isna().any()]
    if nan_cols:
        raise QvcUsageError(
            f"{path.name}: feature column {nan_cols[0]!r} has missing values (NaN); "
            "impute or drop those rows"
        )
    if frame[target].isna().any():
        raise QvcUsageError(f"{path.name}: target column {target!r} has missing values")
    X = features.to_numpy(dtype=float)
    _check_finite(X, list(features.columns), path.name)
    _check_not_a_copy_of_target(path, features, frame[target], target)
    if len(constant_columns(X)) == X.shape[1]:
        raise QvcUsageError(f"{path.name}: every feature column holds one value in all rows, so no model can "
                            "learn anything (it would run at chance); give features that vary")
    return X, frame[target].to_numpy(), path.stem


def _raw_header(path: Path) -> list[str]:
    """The header row as written (pandas renames a repeated ``label`` to ``label.1``)."""
    import csv

    try:
        with open(path, newline="", encoding="utf-8", errors="replace") as fh:
            return next(csv.reader(fh), [])
    except (OSError, csv.Error):
        return []


def _check_column_names(path: Path, header: list[str], target: str) -> None:
    """Refuse repeated or ambiguous column names: a second copy of the target leaks the label.

    Ambiguous: two names equal up to case and surrounding spaces, or ``NAME.K`` next to ``NAME``
    (how pandas renames a repeated column, so the two cannot be told apart afterwards).
    """
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        if name in seen:
            what, why = ("the target column", " (a second copy of the target leaks the label)") if name == target \
                else ("column", "")
            raise QvcUsageError(f"{path.name}: {what} {name!r} appears twice (columns {seen[name]} and {i}); "
                                f"rename or drop one{why}")
        seen[name] = i
    folded: dict[str, str] = {}
    for name in header:
        key = name.strip().casefold()
        if key in folded:
            raise QvcUsageError(f"{path.name}: columns {folded[key]!r} and {name!r} differ only in case or spaces; "
                                "rename one so each column has one name")
        folded[key] = name
    for name in header:
        stem, dot, k = name.rpartition(".")
        if dot and k.isdigit() and stem in seen:
            whose = "the target column" if stem == target else "column"
            raise QvcUsageError(f"{path.name}: column {name!r} looks like a second copy of {whose} {stem!r} "
                                "(pandas' name for a repeated column); rename or drop it")


def _check_not_a_copy_of_target(path: Path, features, y, target: str) -> None:
    """Refuse a feature column that holds the target value for value (the label under another name)."""
    import pandas as pd

    codes = pd.Series(pd.factorize(y)[0])
    for col in features.columns:
        if features[col].nunique() > 1 and (pd.Series(pd.factorize(features[col])[0]) == codes).all():
            raise QvcUsageError(f"{path.name}: feature column {col!r} equals the target {target!r} row for row "
                                "(the label would leak into the features); drop it")


def constant_columns(X: np.ndarray) -> list[int]:
    """Indices of the columns of ``X`` holding one value in every row.

    Examples
    --------
    >>> constant_columns(np.array([[1.0, 2.0], [1.0, 3.0]]))
    [0]
    """
    return [j for j in range(X.shape[1]) if np.all(X[:, j] == X[0, j])]


#: Largest feature magnitude accepted: squares of larger values summed over many rows overflow
#: float64 (max ~1.8e308) in the standardisation, and the scaled features become nonsense.
MAX_FEATURE_MAGNITUDE = 1e150


def _check_finite(X: np.ndarray, columns: list, name: str) -> None:
    """One line naming the column and row of the first infinite or overflowing feature value."""
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(X) | (np.abs(X) > MAX_FEATURE_MAGNITUDE)
    if not bad.any():
        return
    row, col = (int(i) for i in np.argwhere(bad)[0])
    value = X[row, col]
    why = ("is not a finite number" if not np.isfinite(value) else
           f"is beyond +-{MAX_FEATURE_MAGNITUDE:g}, where scaling overflows")
    raise QvcUsageError(
        f"{name}: feature column {columns[col]!r}, data row {row + 1} holds {value!r}, which "
        f"{why}; fix or drop that row, or rescale the column"
    )


def prepare_dataset(
    name: str,
    *,
    n_features: int | None = None,
    seed: int = 42,
    test_size: float = 0.25,
    max_samples: int | None = None,
    csv_path: str | Path | None = None,
    target: str | None = None,
    protocol: str = "qvc",
    data_params: dict | None = None,
) -> PreparedData:
    """Load a dataset and prepare it for a matched pair.

    Steps: stratified train/test split with ``seed``; standardise and, when the
    data has more features than ``n_features``, PCA to ``n_features`` (both fitted
    on the training part only); min-max scale to :data:`ANGLE_RANGE` (fitted on
    the training part). ``ad_hoc`` data is already in its feature map's native
    range ``[0, 2*pi)`` and is only split.

    Parameters
    ----------
    name : str
        A bundled dataset (see :func:`list_datasets`) or ``"csv"`` with ``csv_path``.
    n_features : int, optional
        Number of features = qubits. Defaults to :data:`DEFAULT_QUBITS`.
    seed : int, default 42
        Seed of the split (and of generated datasets).
    test_size : float, default 0.25
        Fraction of samples held out for testing.
    max_samples : int, optional
        Stratified subsample of at most this many samples before the split.
    csv_path, target : optional
        A user CSV file and its label column.
    protocol : str, default "qvc"
        ``"bowles2024"``: the study's own dataset and split (:func:`qvc.data.bowles2024.study_split`;
        ``seed``, ``test_size`` and ``max_samples`` do not change it), raw features for the
        classical models and min-max to :data:`BOWLES_QUANTUM_RANGE` (fitted on the training
        split) for the quantum ones (:meth:`PreparedData.for_family`).
    data_params : dict, optional
        Parameters of a generated family (``manifold_dim``, ``degree``, ``n_hyperplanes``;
        :func:`qvc.data.benchmarks.generate`).

    Returns
    -------
    PreparedData

    Examples
    --------
    >>> from qvc.data import prepare_dataset
    >>> d = prepare_dataset("iris", n_features=2, seed=0)
    >>> d.X_train.shape[1], d.n_classes
    (2, 3)
    """
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelEncoder, MinMaxScaler, StandardScaler

    params = {k: v for k, v in (data_params or {}).items() if v is not None}
    if protocol == "bowles2024":
        return _prepare_bowles(name, n_features, params, csv_path)
    if protocol != "qvc":
        raise QvcUsageError(f"unknown protocol {protocol!r}; choose one of: {', '.join(PROTOCOLS)}")
    if csv_path is not None:
        X, y_raw, label = load_csv(csv_path, target)
        default_q = min(X.shape[1], 4)
    else:
        if name not in DATASETS:
            raise QvcUsageError(
                f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)} "
                "(or --csv PATH --target COLUMN)"
            )
        label = name
        default_q = DEFAULT_QUBITS[name]
    n_features = default_q if n_features is None else check_positive_int(n_features, "--qubits")
    if not 0.0 < float(test_size) < 1.0:
        raise QvcUsageError(f"test size must be between 0 and 1 (got {test_size})")

    if csv_path is None:
        if name == "ad_hoc":
            X, y_raw = _load_ad_hoc(n_features, seed)
        else:
            X, y_raw = _load_raw(name, seed, n_features, params)
    if n_features > X.shape[1]:
        raise QvcUsageError(
            f"{label} has {X.shape[1]} features, so --qubits must be <= {X.shape[1]} "
            f"(got {n_features})"
        )

    encoder = LabelEncoder()
    y = encoder.fit_transform(y_raw)
    classes = tuple(encoder.classes_.tolist())
    if len(classes) < 2:
        raise QvcUsageError(f"{label}: the target has a single class; need at least two")
    counts = np.bincount(y)
    if counts.min() < 2:
        raise QvcUsageError(
            f"{label}: class {classes[int(np.argmin(counts))]!r} has fewer than 2 samples; "
            "a stratified split needs at least 2 per class"
        )

    steps: dict = {"source": label, "n_samples_total": int(len(y))}
    if csv_path is not None and constant_columns(X):
        names = [c for c in _raw_header(Path(csv_path)) if c != target]
        const = [names[j] if j < len(names) else f"#{j + 1}" for j in constant_columns(X)]
        steps["constant_features"] = const  # kept (harmless after scaling) but said: runner and report
    if max_samples is not None:
        max_samples = check_positive_int(max_samples, "--samples", minimum=4)
        if max_samples < len(y):
            X, _, y, _ = train_test_split(
                X, y, train_size=max_samples, stratify=y, random_state=seed
            )
            steps["subsampled_to"] = int(max_samples)

    try:
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=test_size, stratify=y, random_state=seed
        )
    except ValueError as exc:
        raise QvcUsageError(f"{label}: cannot split {len(y)} samples: {exc}") from None
    steps["split"] = {"test_size": float(test_size), "stratified": True, "seed": int(seed)}

    if name == "ad_hoc" and csv_path is None:
        feature_range = (0.0, float(2 * np.pi))
        steps["scaling"] = "none (ad_hoc data is generated in the ZZ map's range [0, 2*pi))"
    else:
        scaler = StandardScaler().fit(X_tr)
        X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
        steps["standardize"] = True
        if n_features < X_tr.shape[1]:
            pca = PCA(n_components=n_features, random_state=seed).fit(X_tr)
            X_tr, X_te = pca.transform(X_tr), pca.transform(X_te)
            steps["pca"] = {
                "n_components": int(n_features),
                "explained_variance_ratio": float(pca.explained_variance_ratio_.sum()),
            }
        minmax = MinMaxScaler(feature_range=ANGLE_RANGE).fit(X_tr)
        X_tr, X_te = minmax.transform(X_tr), minmax.transform(X_te)
        feature_range = ANGLE_RANGE
        steps["scaling"] = "min-max to [0, pi] fitted on the training split"

    return PreparedData(
        name=label,
        X_train=np.ascontiguousarray(X_tr, dtype=float),
        X_test=np.ascontiguousarray(X_te, dtype=float),
        y_train=np.asarray(y_tr, dtype=int),
        y_test=np.asarray(y_te, dtype=int),
        n_features=int(n_features),
        classes=classes,
        feature_range=feature_range,
        preprocessing=steps,
    )


def _prepare_bowles(name: str, n_features: int | None, params: dict, csv_path) -> PreparedData:
    """The study's dataset and split, with one view per model family (see :func:`prepare_dataset`)."""
    from sklearn.preprocessing import LabelEncoder, MinMaxScaler

    from qvc.data.bowles2024 import SOURCE_COMMIT, SOURCE_REPO, study_split

    if csv_path is not None:
        raise QvcUsageError("--protocol bowles2024 replays the study's generated datasets; it takes no --csv")
    if name not in FAMILIES:
        raise QvcUsageError(f"--protocol bowles2024 covers the study's families ({', '.join(FAMILIES)}), not "
                            f"{name!r}")
    d = DEFAULT_QUBITS[name] if n_features is None else check_positive_int(n_features, "--qubits")
    split = study_split(name, d, **params)
    encoder = LabelEncoder().fit(np.concatenate([split.y_train, split.y_test]))
    minmax = MinMaxScaler(feature_range=BOWLES_QUANTUM_RANGE).fit(split.X_train)
    steps = {
        "source": name, "protocol": "bowles2024",
        "study_dataset": f"{SOURCE_REPO}@{SOURCE_COMMIT[:12]} paper/benchmarks: {split.folder}/{split.file}",
        "n_samples_total": int(len(split.y_train) + len(split.y_test)),
        "split": {"n_train": int(len(split.y_train)), "n_test": int(len(split.y_test)), "stratified": False,
                  "how": "the study's train_test_split(test_size=0.2) on its script's random stream"},
        "scaling": "classical models: the raw features (as the study's SVC and MLPClassifier get them); quantum "
                   "models: min-max to [-pi/2, pi/2] fitted on the training split (the study's quantum models)",
        **({"data_params": dict(params)} if params else {}),
    }
    return PreparedData(
        name=name,
        X_train=np.ascontiguousarray(split.X_train), X_test=np.ascontiguousarray(split.X_test),
        y_train=encoder.transform(split.y_train).astype(int), y_test=encoder.transform(split.y_test).astype(int),
        n_features=int(split.X_train.shape[1]), classes=tuple(encoder.classes_.tolist()),
        feature_range=(float(split.X_train.min()), float(split.X_train.max())), preprocessing=steps,
        quantum_view=(np.ascontiguousarray(minmax.transform(split.X_train)),
                      np.ascontiguousarray(minmax.transform(split.X_test)), BOWLES_QUANTUM_RANGE),
    )

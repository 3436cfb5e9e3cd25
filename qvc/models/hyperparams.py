"""Hyperparameter values given by the user and the search space, checked against the registry.

Three sources, one set of rules (:class:`~qvc.models.registry.HyperParameter`):

* ``--param MODEL.NAME=VALUE`` / ``[params.MODEL]`` in spec files / ``ExperimentSpec.params``:
  fixed values (taken out of the search);
* the search-space TOML file (:data:`DEFAULT_SEARCH_SPACE`, or ``--search-space FILE``):
  one table per model, one list of candidate values per hyperparameter.

Every mistake raises :class:`~qvc.errors.QvcUsageError` with ``key`` set to
``params`` or ``search_space``.
"""

from __future__ import annotations

from pathlib import Path

from qvc.errors import QvcUsageError

#: The search space shipped with qvc.
DEFAULT_SEARCH_SPACE = Path(__file__).with_name("search_space.toml")
#: The study's grids searched under ``--protocol bowles2024`` (over the default space's other tables).
BOWLES2024_SEARCH_SPACE = Path(__file__).with_name("search_space_bowles2024.toml")


def protocol_search_space(protocol: str, path: str | Path | None = None) -> dict:
    """The search space of a run under ``protocol``: ``path`` (or the default) for ``qvc``; for
    ``bowles2024`` the default space with the study's tables in place of qvc's where it has them.

    Examples
    --------
    >>> protocol_search_space("bowles2024")["svm"]["C"]
    [0.1, 1.0, 10.0, 100.0]
    """
    if protocol != "bowles2024":
        return load_search_space(path)
    return {**load_search_space(None), **load_search_space(BOWLES2024_SEARCH_SPACE)}


def _model(name: str, key: str):
    from qvc.models.registry import MODEL_NAMES, MODELS

    if name not in MODELS:
        raise QvcUsageError(f"{key}: unknown model {name!r}; choose from: {', '.join(MODEL_NAMES)}", key=key)
    return MODELS[name]


def check_params(params: dict, key: str = "params") -> dict:
    """Validate ``{model: {name: value}}``; return it with values converted.

    Examples
    --------
    >>> check_params({"qsvc": {"bandwidth": "0.1"}})
    {'qsvc': {'bandwidth': 0.1}}
    """
    if not isinstance(params, dict):
        raise QvcUsageError(f"{key} must be a table of models, e.g. [params.qsvc]", key=key)
    out: dict[str, dict] = {}
    for model, values in params.items():
        entry = _model(model, key)
        if not isinstance(values, dict):
            raise QvcUsageError(f"{key}.{model} must be a table of NAME = VALUE", key=key)
        out[model] = {}
        for name, value in values.items():
            hp = _hp(entry, name, key)
            out[model][name] = _parse(hp, value, f"{model}.{name}", key)
    return out


def _hp(entry, name: str, key: str):
    try:
        return entry.hyperparameter(name)
    except QvcUsageError as exc:
        raise QvcUsageError(str(exc), key=key) from None


def _parse(hp, value, label: str, key: str):
    try:
        return hp.parse(value, label)
    except QvcUsageError as exc:
        raise QvcUsageError(str(exc), key=key) from None


def parse_param_assignments(items: list[str] | tuple[str, ...]) -> dict:
    """``["qsvc.bandwidth=0.1", ...]`` -> ``{"qsvc": {"bandwidth": 0.1}}`` (checked).

    Examples
    --------
    >>> parse_param_assignments(["svm.C=10", "vqc.optimizer=lbfgs"])
    {'svm': {'C': 10.0}, 'vqc': {'optimizer': 'lbfgs'}}
    """
    raw: dict[str, dict] = {}
    for item in items:
        target, sep, value = str(item).partition("=")
        model, dot, name = target.strip().partition(".")
        if not sep or not dot or not model or not name or not value.strip():
            raise QvcUsageError(f"params: expected MODEL.NAME=VALUE (e.g. qsvc.bandwidth=0.1), got {item!r}",
                                key="params")
        raw.setdefault(model, {})[name.strip()] = value.strip()
    return check_params(raw)


def load_search_space(path: str | Path | None = None) -> dict:
    """Read and check a search-space file: ``{model: {name: [values]}}``.

    Examples
    --------
    >>> space = load_search_space()
    >>> sorted(space["qsvc"])
    ['C', 'bandwidth']
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    key = "search_space"
    p = DEFAULT_SEARCH_SPACE if path is None else Path(path)
    if not p.is_file():
        raise QvcUsageError(f"search-space file {str(p)!r} does not exist; check the path", key=key)
    try:
        doc = tomllib.loads(p.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise QvcUsageError(f"search-space file {p}: not valid TOML: {exc}".splitlines()[0], key=key) from None
    if not doc:
        raise QvcUsageError(f"search-space file {p} is empty; give one [MODEL] table with NAME = [values] "
                            "per model to tune (or use --no-tune)", key=key)
    out: dict[str, dict] = {}
    for model, table in doc.items():
        entry = _model(model, key)
        if not isinstance(table, dict):
            raise QvcUsageError(f"search-space file {p}: [{model}] must be a table of NAME = [values]", key=key)
        out[model] = {}
        for name, values in table.items():
            hp = _hp(entry, name, key)
            values = values if isinstance(values, list) else [values]
            if not values:
                raise QvcUsageError(f"search-space file {p}: {model}.{name} is an empty list; "
                                    "give at least one value (or remove the line)", key=key)
            parsed = [_parse(hp, v, f"{model}.{name}", key) for v in values]
            out[model][name] = list(dict.fromkeys(parsed))
    return out


def candidate_grid(model: str, space: dict, fixed: dict | None = None) -> dict:
    """The grid searched for ``model``: ``space[model]`` without the ``fixed`` names.

    Examples
    --------
    >>> candidate_grid("qsvc", {"qsvc": {"bandwidth": [0.1, 1.0], "C": [1.0]}}, {"C": 10.0})
    {'bandwidth': [0.1, 1.0]}
    """
    fixed = fixed or {}
    return {k: list(v) for k, v in space.get(model, {}).items() if k not in fixed}


def grid_size(grid: dict) -> int:
    """Number of candidates of a grid (1 for an empty grid: the defaults).

    Examples
    --------
    >>> grid_size({"a": [1, 2], "b": [3, 4, 5]})
    6
    """
    n = 1
    for values in grid.values():
        n *= len(values)
    return n

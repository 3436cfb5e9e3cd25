"""Angle tables: every gate parameter occurrence is one column of an angle table.

A column is a constant, a circuit parameter or a parameter expression; expressions of one
shape (e.g. ``2*(pi - a0)*(pi - a1)``) are vectorised once with sympy for all their uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, SupportsFloat, cast

# sympy is imported at module level on purpose: the runner meters fit/predict windows, and a
# library import is a once-per-process cost, not part of any model's fit.
import numpy as np
import sympy
from qiskit.circuit import Parameter, ParameterExpression

from qvc.errors import QvcUsageError


@dataclass
class _Angle:
    """How to compute one angle column from the parameter-value matrix."""

    const: float | None = None
    index: int | None = None          # plain parameter: its column
    func: Callable[..., Any] | None = None  # fallback: binds sample by sample
    args: tuple[int, ...] = ()
    expr: ParameterExpression | None = None
    depends: frozenset[int] = frozenset()
    template: _Template | None = None  # expression with its parameters as positional placeholders


class _Template:
    """One expression shape, e.g. ``2*(pi - a0)*(pi - a1)``, vectorised once with sympy for all its uses.

    Feature maps repeat a handful of shapes over many parameter pairs; lambdifying each shape
    once (per process) instead of each expression keeps compile time small.
    """

    def __init__(self, expr: ParameterExpression, placeholders: list) -> None:
        self.expr = expr                      # written in the placeholders
        self.placeholders = placeholders
        sym = expr.sympify()
        by_name = {str(v): v for v in sym.free_symbols}
        self.symbols = [by_name.get(p.name, sympy.Symbol(p.name)) for p in placeholders]
        self.sym = sym
        self.func = sympy.lambdify(self.symbols, sym, modules="numpy")
        probe = np.linspace(0.37, 1.91, len(placeholders))
        exact = complex(expr.bind(dict(zip(placeholders, probe)))).real
        got = np.real(np.asarray(self.func(*(np.array([v]) for v in probe)), dtype=complex)).ravel()[0]
        self.ok = bool(np.isclose(got, exact, rtol=1e-12, atol=1e-12))
        self._grads: list | None = None

    def __call__(self, *cols: np.ndarray) -> np.ndarray:
        return np.real(np.asarray(self.func(*cols), dtype=complex)) * np.ones(np.shape(cols[0]))

    def grads(self) -> list:
        """Per placeholder: the derivative as a constant (float) or a vectorised function."""
        if self._grads is None:
            out: list[float | Callable[..., np.ndarray]] = []
            for symbol in self.symbols:
                d = sympy.diff(self.sym, symbol)
                if d.free_symbols:
                    f = sympy.lambdify(self.symbols, d, modules="numpy")
                    out.append(lambda *c, _f=f: np.real(np.asarray(_f(*c), dtype=complex)) * np.ones(np.shape(c[0])))
                else:
                    out.append(float(sympy.re(d)))
            self._grads = out
        return self._grads


_TEMPLATES: dict[str, _Template] = {}
_PLACEHOLDERS: list = []


def _template_of(expr: ParameterExpression, params: list) -> _Template:
    while len(_PLACEHOLDERS) < len(params):
        _PLACEHOLDERS.append(Parameter(f"_qvc_arg{len(_PLACEHOLDERS)}"))
    holders = _PLACEHOLDERS[:len(params)]
    shape = expr.subs(dict(zip(params, holders)))
    key = f"{len(params)}|{shape}"
    hit = _TEMPLATES.get(key)
    if hit is None:
        hit = _TEMPLATES[key] = _Template(shape, holders)
    return hit


class _AngleTable:
    def __init__(self, parameters: list[Parameter]) -> None:
        self.parameters = list(parameters)
        self.position = {p: i for i, p in enumerate(self.parameters)}
        self.columns: list[_Angle] = []
        self._groups: list = []

    def add(self, value: object) -> int:
        """Register a gate parameter (number or expression); return its column."""
        if isinstance(value, ParameterExpression):
            if not value.parameters:
                value = complex(value)
                value = float(value.real)
            else:
                return self._add_expr(value)
        col = _Angle(const=float(cast(SupportsFloat, value)))
        self.columns.append(col)
        return len(self.columns) - 1

    def _add_expr(self, expr: ParameterExpression) -> int:
        missing = [p for p in expr.parameters if p not in self.position]
        if missing:
            raise QvcUsageError(
                f"circuit parameter {missing[0].name!r} is not among the simulator's parameters; "
                "pass every circuit parameter in `parameters`"
            )
        if isinstance(expr, Parameter):
            j = self.position[expr]
            col = _Angle(index=j, expr=expr, depends=frozenset({j}))
        else:
            params = sorted(expr.parameters, key=lambda p: self.position[p])
            args = tuple(self.position[p] for p in params)
            template = _template_of(expr, params)
            col = _Angle(args=args, expr=expr, depends=frozenset(args), template=template)
            if not template.ok:  # sympy's form disagrees with qiskit's: bind sample by sample
                col.func = _bind_each(expr, params)
        self.columns.append(col)
        return len(self.columns) - 1

    def finalize(self) -> None:
        """Group the expression columns by template: one vectorised call per template."""
        groups: dict[int, tuple] = {}
        for k, col in enumerate(self.columns):
            if col.template is not None and col.func is None:
                groups.setdefault(id(col.template), (col.template, [], []))
                groups[id(col.template)][1].append(k)
                groups[id(col.template)][2].append(col.args)
        self._groups = [(t, np.array(ks), np.array(args).T) for t, ks, args in groups.values()]

    def column_key(self, k: int) -> tuple:
        """Equal for columns that always hold equal values (same parameter, constant or
        expression shape on the same parameters); e.g. the columns of a map's repetitions."""
        col = self.columns[k]
        if col.const is not None:
            return ("const", col.const)
        if col.index is not None:
            return ("parameter", col.index)
        if col.template is not None and col.func is None:
            return ("template", id(col.template), col.args)
        return ("column", k)

    def evaluate(self, values: np.ndarray) -> np.ndarray:
        """Angle table ``(batch, n_columns)`` for parameter values ``(batch, n_parameters)``."""
        b = values.shape[0]
        out = np.empty((b, len(self.columns)))
        for template, ks, args in self._groups:
            out[:, ks] = template(*(values[:, a] for a in args))
        for k, col in enumerate(self.columns):
            if col.const is not None:
                out[:, k] = col.const
            elif col.index is not None:
                out[:, k] = values[:, col.index]
            elif col.func is not None:
                out[:, k] = col.func(*(values[:, j] for j in col.args))
        return out

    def derivatives(self, k: int, values: np.ndarray) -> dict[int, np.ndarray]:
        """``{parameter j: d angle_k / d parameter_j}`` per sample."""
        col = self.columns[k]
        if col.const is not None:
            return {}
        if col.index is not None:
            return {col.index: np.ones(values.shape[0])}
        if col.template is None or not col.template.ok:
            raise QvcUsageError(f"cannot differentiate parameter expression {col.expr}")
        out: dict[int, np.ndarray] = {}
        cols = [values[:, j] for j in col.args]
        for j, g in zip(col.args, col.template.grads()):
            d = np.full(values.shape[0], g) if isinstance(g, float) else g(*cols)
            out[j] = out.get(j, 0) + d
        return out


def _bind_each(expr: ParameterExpression, params: list):
    def bind_each(*cols):
        return np.array([complex(expr.bind(dict(zip(params, row)))).real for row in zip(*cols)])

    return bind_each

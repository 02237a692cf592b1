"""Marginal effects of discrete models: statsmodels' ``get_margeff`` and ``DiscreteMargins``.

A marginal effect is the derivative of the predicted mean ``E(y | x)`` with respect to a
regressor, evaluated at every observation and averaged (``at="overall"``), or evaluated at
one point (the regressors' means, medians, or zero), or reported per observation
(``at="all"``). A model supplies only its mean as a differentiable torch function of the
parameters and the design rows (``model.predict_mean(params, exog)``, shape ``(m,)``, or
``(m, J)`` with one column per outcome); everything else is autograd:

1. the slopes ``d mean_i / d x_ij`` are the gradient of ``sum_i mean_i`` with respect to the
   rows (one backward pass per outcome column, the rows being independent);
2. ``method`` rescales them: ``ex`` multiplies by ``x_ij``, ``ey`` divides by ``mean_i``;
3. with ``dummy=True`` a 0/1 column's effect is the discrete change ``mean(x_j = 1) -
   mean(x_j = 0)`` (``log`` of both for ``ey``); with ``count=True`` a count column's effect is
   ``(mean(x_j + 1) - mean(x_j - 1)) / 2``;
4. the standard errors are the delta method's, ``G V G'``, with ``G`` the exact Jacobian of
   the effects with respect to the parameters (autograd through step 1, i.e. second
   derivatives) and ``V`` the fit's covariance (robust if the fit is).

statsmodels differentiates the slopes numerically (complex step, or forward differences
where a function refuses complex numbers), so its standard errors agree with these to its
differentiation error; see ``docs/differences.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats._device import to_tensor
from torchstats._threads import ThreadScoped
from torchstats._typing import check_option
from torchstats.errors import DesignError, ShapeMismatchError
from torchstats.inference.distributions import critical_value, two_sided_pvalues
from torchstats.structured.block_matrix import dense_within_limit
from torchstats.summary.layouts import margins_summary
from torchstats.tables.document import Summary

__all__ = ["AT_OPTIONS", "MARGEFF_METHODS", "DiscreteMargins", "TRANSFORM_NAMES"]

AT_OPTIONS = ("overall", "mean", "median", "zero", "all")
"""Where ``get_margeff(at=...)`` evaluates the effects."""

MARGEFF_METHODS = ("dydx", "eyex", "dyex", "eydx")
"""``get_margeff(method=...)``: derivative, elasticity and the two semi-elasticities."""

TRANSFORM_NAMES = {
    "dydx": "dy/dx",
    "eyex": "d(lny)/d(lnx)",
    "dyex": "dy/d(lnx)",
    "eydx": "d(lny)/dx",
}
"""Column label of each method in ``summary()`` and ``summary_frame()`` (statsmodels')."""

_AT_ALL_MESSAGE = (
    "Only margeff are available when `at` is 'all'. Please input specific points if you "
    "would like to do inference."
)

MeanFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True, slots=True)
class _MarginsProblem:
    """What the effects depend on besides the parameters.

    Attributes
    ----------
    mean : callable
        ``(params, exog) -> E(y | x)``, shape (m,) or (m, J): the model's ``predict_mean``.
    exog : Tensor, shape (m, k)
        The rows the effects are evaluated at (after ``at`` and ``atexog``).
    method : str
    at : str
    dummy_idx, count_idx : tuple of int
        Columns whose effect is a discrete change.
    effects_idx : Tensor of bool, shape (k,)
        The non-constant columns, whose effects are reported.
    """

    mean: MeanFunction
    exog: torch.Tensor
    method: str
    at: str
    dummy_idx: tuple[int, ...]
    count_idx: tuple[int, ...]
    effects_idx: torch.Tensor

    def effects(self, params: torch.Tensor) -> torch.Tensor:
        """The reported effects, shape (k', J) (or (m, k', J) for ``at="all"``)."""
        with torch.enable_grad():
            per_row = self._effects_per_row(params)
        reduced = per_row.mean(dim=0) if self.at == "overall" else per_row
        if self.at in ("mean", "median", "zero"):
            reduced = reduced[0]
        return reduced[..., self.effects_idx, :]

    def _effects_per_row(self, params: torch.Tensor) -> torch.Tensor:
        """Effects at every evaluation row, shape (m, k, J)."""
        X = self.exog.detach().requires_grad_(True)
        mean = _as_columns(self.mean(params, X))
        slopes = torch.stack(
            [
                torch.autograd.grad(mean[:, j].sum(), X, create_graph=True)[0]
                for j in range(mean.shape[1])
            ],
            dim=-1,
        )
        if "ex" in self.method:
            slopes = slopes * self.exog[:, :, None]
        if "ey" in self.method:
            slopes = slopes / mean[:, None, :]
        columns = list(slopes.unbind(dim=1))
        for i in self.count_idx:
            columns[i] = self._change(params, i, self.exog[:, i] - 1, self.exog[:, i] + 1) / 2
        for i in self.dummy_idx:
            columns[i] = self._change(
                params, i, torch.zeros_like(X[:, i]), torch.ones_like(X[:, i])
            )
        return torch.stack(columns, dim=1)

    def _change(
        self, params: torch.Tensor, column: int, low: torch.Tensor, high: torch.Tensor
    ) -> torch.Tensor:
        """``mean(x_column = high) - mean(x_column = low)`` (of the logs for ``ey``), (m, J)."""
        values = []
        for setting in (low, high):
            X = self.exog.clone()
            X[:, column] = setting
            mean = _as_columns(self.mean(params, X))
            values.append(torch.log(mean) if "ey" in self.method else mean)
        return values[1] - values[0]


def _as_columns(mean: torch.Tensor) -> torch.Tensor:
    return mean[:, None] if mean.ndim == 1 else mean


# --- columns and evaluation points -----------------------------------------------------------


def _constant_columns(X: torch.Tensor) -> torch.Tensor:
    """Columns whose values are all equal, shape (k,) bool (statsmodels: ``var(0) == 0``)."""
    return (X == X[:1]).all(dim=0)


def _integer_valued(X: torch.Tensor) -> torch.Tensor:
    return (X == torch.floor(X)).all(dim=0)


def _dummy_columns(X: torch.Tensor) -> tuple[int, ...]:
    """0/1 columns: integers with minimum 0 and maximum 1 (statsmodels' ``_isdummy``)."""
    is_dummy = (X.min(dim=0).values == 0) & (X.max(dim=0).values == 1) & _integer_valued(X)
    return tuple(int(i) for i in torch.nonzero(is_dummy).reshape(-1).tolist())


def _count_columns(X: torch.Tensor) -> tuple[int, ...]:
    """Non-negative, non-constant integer columns that are not 0/1 (``_iscount``)."""
    is_count = _integer_valued(X) & ~_constant_columns(X) & (X >= 0).all(dim=0)
    dummies = set(_dummy_columns(X))
    return tuple(
        int(i) for i in torch.nonzero(is_count).reshape(-1).tolist() if int(i) not in dummies
    )


def _column_index(key: Any, names: list[str]) -> int:
    if isinstance(key, str):
        if key not in names:
            raise DesignError(
                f"atexog names the column {key!r}, which is not in exog_names ({names})"
            )
        return names.index(key)
    index = int(key)
    if not -len(names) <= index < len(names):
        raise DesignError(
            f"atexog has column index {index}; exog has {len(names)} columns (0..{len(names) - 1})"
        )
    return index


def _by_name(atexog: Any, names: list[str]) -> Any:
    """A labelled ``atexog`` (a DataFrame's columns, a Series' index) in the order of the
    design's columns ``names``; other input unchanged. Its labels were ignored: the design's
    own columns in another order gave other effects, unknown names none at all."""
    if isinstance(atexog, pd.DataFrame):
        labels = [str(c) for c in atexog.columns]
    elif isinstance(atexog, pd.Series):
        labels = [str(c) for c in atexog.index]
    else:
        return atexog
    if labels == list(names) or labels == [str(i) for i in range(len(labels))]:
        return atexog  # in order, or pandas' default labels 0..k-1: by position
    unknown = sorted(set(labels) - set(names))
    if unknown or len(set(labels)) != len(labels) or set(labels) != set(names):
        raise DesignError(
            f"atexog is labelled {labels} but the design's columns are {list(names)}; give "
            "every column once by name, or a plain array in the design's order"
        )
    if isinstance(atexog, pd.DataFrame):
        return atexog.set_axis(labels, axis=1)[list(names)]
    return atexog.set_axis(labels)[list(names)]


def _evaluation_rows(
    X: torch.Tensor, at: str, atexog: Any, constant: torch.Tensor, names: list[str]
) -> torch.Tensor:
    """The rows the effects are evaluated at (statsmodels' ``_get_margeff_exog``).

    ``atexog`` first replaces columns (a mapping from column index or name to a value or a
    column of values) or the whole design (an array with ``k`` columns); then ``at`` reduces
    the rows to their mean or median, or to zero with the constant columns at their value
    (statsmodels sets them to one, which rescales the intercept of a constant other than one).
    """
    zero = torch.where(constant, X[0], torch.zeros_like(X[0]))[None, :]
    X = X.clone()
    if isinstance(atexog, Mapping):
        for key, value in atexog.items():
            column = to_tensor(value, name="atexog", device=X.device, dtype=X.dtype)
            if column.ndim > 0 and column.shape[0] != X.shape[0]:
                raise ShapeMismatchError(
                    f"atexog[{key!r}] has {column.shape[0]} values; give one value or one per "
                    f"row of exog ({X.shape[0]})"
                )
            X[:, _column_index(key, names)] = column
    elif atexog is not None:
        rows = to_tensor(_by_name(atexog, names), name="atexog", device=X.device, dtype=X.dtype)
        rows = rows[None, :] if rows.ndim == 1 else rows
        if rows.ndim != 2 or rows.shape[1] != X.shape[1]:
            raise ShapeMismatchError(
                "atexog does not have the same number of variables as exog "
                f"({tuple(rows.shape)} given, exog has {X.shape[1]} columns)"
            )
        X = rows
    if at == "mean":
        return X.mean(dim=0, keepdim=True)
    if at == "median":
        # numpy's median on the host: which of the tied -0.0 and 0.0 (x times a dummy) it
        # picks decides whether a zero effect prints as "-0", so statsmodels' is used
        median = np.median(X.detach().cpu().numpy(), axis=0)
        return torch.as_tensor(median, dtype=X.dtype, device=X.device)[None, :]
    if at == "zero":
        return zero
    return X


def _check_discrete(at: str, method: str) -> None:
    """statsmodels' ``_check_discrete_args``: discrete changes need no rescaled ``x``."""
    if method in ("dyex", "eyex"):
        raise DesignError(
            f"{method} not allowed for discrete variables: a discrete change has no "
            "elasticity in x; use method 'dydx' or 'eydx', or dummy=False and count=False"
        )
    if at in ("median", "zero"):
        raise DesignError(
            f"{at} not allowed for discrete variables: choose at 'overall', 'mean' or 'all', "
            "or dummy=False and count=False"
        )


# --- the results object ----------------------------------------------------------------------


class DiscreteMargins(ThreadScoped):
    """Marginal effects of a fitted discrete model (statsmodels' ``DiscreteMargins``).

    Built by ``results.get_margeff(at, method, atexog, dummy, count)``; see
    :meth:`get_margeff` for the options and ``docs/discrete.md`` for the formulas.

    Parameters
    ----------
    results : results of a discrete model
        Logit, Probit, Poisson, NegativeBinomial, NegativeBinomialP, GeneralizedPoisson,
        MNLogit...: a fitted model with ``predict_mean(params, exog)``; when that has J > 1
        columns (one per outcome), the model names them in ``outcomes``.
    args : tuple
        Positional arguments of :meth:`get_margeff`.
    kwargs : mapping, optional
        Keyword arguments of :meth:`get_margeff`.

    Attributes
    ----------
    margeff : ndarray, shape (k',) or, with J > 1 outcomes, (k', J)
        The effects of the non-constant regressors (a tensor for torch data); for
        ``at="all"`` one row per observation, (n, k') or (n, k', J).
    margeff_se : ndarray
        Their delta-method standard errors (not for ``at="all"``).
    margeff_cov : ndarray, shape (k' J, k' J)
        Their delta-method covariance (not for ``at="all"``).
    margeff_options : dict
        ``{"method": ..., "at": ...}``.
    dummy_idx, count_idx : ndarray of int or None
        Design columns treated as 0/1 or count regressors.
    results
        The fitted model's results.
    """

    def __init__(
        self, results: Any, args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None
    ) -> None:
        self.results = results
        self.get_margeff(*args, **dict(kwargs or {}))

    def _thread_numbers(self) -> int:
        return self.results._thread_numbers()

    def get_margeff(
        self,
        at: str = "overall",
        method: str = "dydx",
        atexog: Any = None,
        dummy: bool = False,
        count: bool = False,
    ) -> None:
        """Compute the marginal effects (again), replacing the current ones as statsmodels does.

        Parameters
        ----------
        at : {"overall", "mean", "median", "zero", "all"}
            ``"overall"``: the average over the observations of the effect at each;
            ``"mean"``, ``"median"``: the effect at the regressors' means or medians;
            ``"zero"``: at zero with constant columns at their value; ``"all"``: the effect
            at each observation (no standard errors).
        method : {"dydx", "eyex", "dyex", "eydx"}
            ``d y / d x``, the elasticity ``d ln y / d ln x``, and the semi-elasticities
            ``d y / d ln x`` and ``d ln y / d x``.
        atexog : mapping or array-like, optional
            Values the regressors take before ``at`` is applied: a mapping from column index
            (or name) to a value or to one value per observation, or rows of the design
            (``k`` columns) to evaluate at instead of the model's.
        dummy : bool
            Treat 0/1 columns as discrete: the effect is the change from 0 to 1.
        count : bool
            Treat non-negative integer columns as discrete: the effect is half the change
            from ``x - 1`` to ``x + 1``.

        Raises
        ------
        InvalidOptionError
            An unknown ``at`` or ``method``.
        DesignError
            ``dummy`` or ``count`` with ``method`` ``"dyex"``/``"eyex"`` or ``at``
            ``"median"``/``"zero"``, or an ``atexog`` column that does not exist.
        ShapeMismatchError
            ``atexog`` rows without ``k`` columns.
        NotImplementedError
            The model has an offset (statsmodels refuses it too: the effect would depend on
            the offset it is evaluated at).
        """
        at = check_option(at.lower() if isinstance(at, str) else at, AT_OPTIONS, "at")
        method = check_option(
            method.lower() if isinstance(method, str) else method, MARGEFF_METHODS, "method"
        )
        results = self.results
        model = results.model
        if model.offset is not None:
            raise NotImplementedError(
                "Margins with offset are not available: the effects depend on the offset at "
                "which they are evaluated; fit without an offset (an exposure is allowed: the "
                "effects are then per unit of exposure, as in statsmodels)"
            )
        if dummy or count:
            _check_discrete(at, method)
        X = dense_within_limit(model.design.exog, "get_margeff")
        constant = _constant_columns(X)
        dummy_idx = _dummy_columns(X) if dummy else ()
        count_idx = _count_columns(X) if count else ()
        problem = _MarginsProblem(
            mean=model.predict_mean,
            exog=_evaluation_rows(X, at, atexog, constant, model.exog_names),
            method=method,
            at=at,
            dummy_idx=dummy_idx,
            count_idx=count_idx,
            effects_idx=~constant,
        )
        params = results.fit_result.params.detach()
        effects = problem.effects(params).detach()
        self._options = {"method": method, "at": at}
        self._dummy_idx = np.asarray(dummy_idx, dtype=int) if dummy_idx else None
        self._count_idx = np.asarray(count_idx, dtype=int) if count_idx else None
        self._effects = effects
        self._cov: torch.Tensor | None = None
        if at != "all":
            self._cov = _delta_covariance(problem.effects, params, results.covariance.cov)

    # --- values -------------------------------------------------------------------------------

    @property
    def margeff_options(self) -> dict[str, str]:
        """``{"method": ..., "at": ...}`` of the current effects."""
        return dict(self._options)

    @property
    def dummy_idx(self) -> np.ndarray | None:
        """Columns treated as 0/1 regressors (None without ``dummy=True`` or without any)."""
        return self._dummy_idx

    @property
    def count_idx(self) -> np.ndarray | None:
        """Columns treated as count regressors (None without ``count=True`` or without any)."""
        return self._count_idx

    @property
    def _outcomes(self) -> int:
        return int(self._effects.shape[-1])

    def _plain(self, values: torch.Tensor) -> Any:
        """Values as statsmodels shows them: one column per outcome only when J > 1."""
        if self._outcomes == 1:
            values = values[..., 0]
        return self.results.model.output.plain(values)

    @property
    def margeff(self) -> Any:
        """The marginal effects of the non-constant regressors."""
        return self._plain(self._effects)

    def _checked_cov(self) -> torch.Tensor:
        if self._cov is None:
            raise AttributeError(f"margeff_se and margeff_cov are not computed: {_AT_ALL_MESSAGE}")
        return self._cov

    @property
    def _se(self) -> torch.Tensor:
        """Standard errors shaped as the effects, (k', J)."""
        variance = torch.diagonal(self._checked_cov())
        k = self._effects.shape[-2]
        return torch.sqrt(variance).reshape(self._outcomes, k).T

    @property
    def margeff_se(self) -> Any:
        """Delta-method standard errors of :attr:`margeff`."""
        return self._plain(self._se)

    @property
    def margeff_cov(self) -> Any:
        """Delta-method covariance of the effects (outcome by outcome when J > 1)."""
        return self.results.model.output.plain(self._checked_cov())

    def _check_not_all(self) -> None:
        if self._options["at"] == "all":
            raise ValueError(_AT_ALL_MESSAGE)

    @property
    def _tvalues(self) -> torch.Tensor:
        self._check_not_all()
        return self._effects / self._se

    @property
    def tvalues(self) -> Any:
        """``margeff / margeff_se`` (normal z statistics)."""
        return self._plain(self._tvalues)

    @property
    def pvalues(self) -> Any:
        """Two-sided normal p-values of :attr:`tvalues`."""
        return self._plain(two_sided_pvalues(self._tvalues, None))

    def _conf_int(self, alpha: float) -> torch.Tensor:
        """Lower and upper limits, shape (k', 2, J)."""
        self._check_not_all()
        q = critical_value(alpha, None)
        return torch.stack([self._effects - q * self._se, self._effects + q * self._se], dim=1)

    def conf_int(self, alpha: float = 0.05) -> Any:
        """Normal confidence intervals, shape (k', 2) (``(k', 2, J)`` when J > 1).

        Parameters
        ----------
        alpha : float
            The intervals have probability ``1 - alpha``.
        """
        return self._plain(self._conf_int(alpha))

    # --- reporting ----------------------------------------------------------------------------

    @property
    def _names(self) -> list[str]:
        """Names of the reported regressors: the non-constant design columns."""
        model = self.results.model
        names = list(model.exog_names)[: model.design.k_exog]
        X = dense_within_limit(model.design.exog, "get_margeff")
        keep = _constant_columns(X).logical_not().tolist()
        return [name for name, kept in zip(names, keep) if kept]

    @property
    def _equation_names(self) -> list[str] | None:
        """``"<endog>=<outcome>"`` for each of J > 1 outcomes (the model's ``outcomes``),
        statsmodels' titles of the outcome blocks; None for one outcome."""
        if self._outcomes == 1:
            return None
        model = self.results.model
        return [f"{model.endog_names}={outcome}" for outcome in model.outcomes]

    def _statistics(
        self, alpha: float
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Effects, standard errors, z, p-values (each (k', J)) and limits (k', 2, J)."""
        self._check_not_all()
        tvalues = self._tvalues
        pvalues = two_sided_pvalues(tvalues, None)
        return self._effects, self._se, tvalues, pvalues, self._conf_int(alpha)

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """The effects, standard errors, z, p-values and intervals as a DataFrame.

        Columns are statsmodels' (``"dy/dx"`` or the method's label, ``"Std. Err."``,
        ``"z"``, ``"Pr(>|z|)"``, ``"Conf. Int. Low"``, ``"Cont. Int. Hi."``); the index is
        the regressors' names, or with J > 1 outcomes an ``(endog, exog)`` MultiIndex of
        (``"<endog>=<outcome>"``, regressor) pairs, outcome after outcome.
        """
        effects, se, tvalues, pvalues, interval = self._statistics(alpha)
        columns = [effects, se, tvalues, pvalues, interval[:, 0], interval[:, 1]]
        # (k', J) -> k' J rows, outcome after outcome (statsmodels' ravel("F"))
        table = torch.stack([c.T.reshape(-1) for c in columns], dim=1).detach().cpu().numpy()
        labels = [
            TRANSFORM_NAMES[self._options["method"]],
            "Std. Err.",
            "z",
            "Pr(>|z|)",
            "Conf. Int. Low",
            "Cont. Int. Hi.",
        ]
        names, outcomes = self._names, self._equation_names
        index: pd.Index = (
            pd.Index(names)
            if outcomes is None
            else pd.MultiIndex.from_product([outcomes, names], names=["endog", "exog"])
        )
        return pd.DataFrame(table, columns=labels, index=index)

    def summary(self, alpha: float = 0.05) -> Summary:
        """statsmodels' margins summary: a header (``Dep. Variable``, ``Method``, ``At``)
        and a table of the effects with standard errors, z, p-values and intervals (one
        block per outcome, titled ``"<endog>=<outcome>"``, with J > 1 outcomes)."""
        return margins_summary(
            model_name=str(self.results.model.model_name),
            endog_name=str(self.results.model.endog_names),
            method=self._options["method"],
            at=self._options["at"],
            effect_label=TRANSFORM_NAMES[self._options["method"]],
            names=self._names,
            values=self._statistics(alpha),
            alpha=alpha,
            equation_names=self._equation_names,
        )

    def __repr__(self) -> str:
        return f"<torchstats.DiscreteMargins {self._options}>"


def _delta_covariance(
    effects: Callable[[torch.Tensor], torch.Tensor], params: torch.Tensor, cov: torch.Tensor
) -> torch.Tensor:
    """``G V G'`` with ``G`` the exact Jacobian of the flattened effects (outcome by outcome)."""

    def flat(p: torch.Tensor) -> torch.Tensor:
        return effects(p).T.reshape(-1)

    with torch.enable_grad():
        jacobian = torch.autograd.functional.jacobian(flat, params.clone())
    return jacobian @ cov.to(jacobian) @ jacobian.T

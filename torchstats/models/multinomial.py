"""The multinomial logit, statsmodels' ``MNLogit``.

``P(y = j) = exp(x' b_j) / sum_l exp(x' b_l)`` with ``b_0 = 0``: one coefficient vector
(equation) per outcome but the first. The ``K (J - 1)`` parameters are one vector, equation
after equation (statsmodels' ``params.ravel(order="F")``); results show them as a
``(K, J - 1)`` table (:class:`~torchstats.results.equations.EquationOutputFormat`).
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import torch

from torchstats._device import to_numpy, to_tensor
from torchstats._typing import check_option
from torchstats.errors import DesignError, SpecificationWarning
from torchstats.formula.design import Design
from torchstats.models.base import build_design, caller_context
from torchstats.models.data import plain_array
from torchstats.models.discrete import PREDICT_WHICH, _DiscreteModel
from torchstats.models.separation import (
    PERFECT_PREDICTION_TOL,
    nearly_singular,
    warn_if_separated,
)
from torchstats.results.equations import EquationOutputFormat
from torchstats.results.multinomial import MultinomialResults
from torchstats.solvers.result import SolverResult
from torchstats.structured.blas import gram_matrix

__all__ = ["MNLogit", "outcome_labels"]


class MNLogit(_DiscreteModel):
    """Multinomial logit regression, statsmodels' ``MNLogit``.

    Parameters
    ----------
    endog : array-like or str
        The outcome of each observation: numbers, text, booleans or a pandas
        ``Categorical`` (its categories, in order, are the outcomes; else the sorted
        distinct values), or an (n, J) indicator matrix; or a formula such as
        ``"y ~ x1 + x2"`` or ``"C(y) ~ x1"`` (a text or categorical response needs no
        ``C()``).
    exog : array-like or DataFrame
        Design matrix (no constant is added), or the data for a formula.
    check_rank : bool
        Accepted for statsmodels' signature; the rank is always checked.
    missing : {"drop", "raise", "none"}, optional
        Missing-data policy; default ``"drop"`` for formulas, ``"none"`` for arrays.
    device, dtype
        Computation device (``"cpu"``, ``"cuda"``) and precision (float64 by default).
    context : int or mapping
        Namespace for names in a formula (0 = the caller's).

    Notes
    -----
    The first outcome is the reference. ``loglikeobs`` is ``log P(y_i)``, shape (n,)
    (statsmodels returns the ``(n, J)`` terms ``d_ij log p_ij``); score and Hessian are
    the closed forms ``sum_i (d_ij - p_ij) x_i`` and
    ``-sum_i p_ij (1(j = l) - p_il) x_i x_i'``. Outcome labels are statsmodels': integral
    numbers print without decimals, other numbers warn (``SpecificationWarning``).

    Examples
    --------
    >>> res = MNLogit("PID ~ logpopul + selfLR + age", anes96).fit()   # doctest: +SKIP
    >>> res.params          # one column per outcome but the first      # doctest: +SKIP
    """

    model_name = "MNLogit"
    _results_class = MultinomialResults

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        check_rank: bool = True,
        missing: str | None = None,
        *,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        formula = isinstance(endog, str)
        design = build_design(
            endog,
            exog,
            missing=missing,
            extras=None,
            context=caller_context(context, 1) if formula else None,
            device=device,
            dtype=dtype,
            categorical_response=True,
        )
        self._initialize(design)

    def _initialize(self, design: Design) -> None:
        super()._initialize(design)
        self._outcomes = tuple(outcome_labels(design.endog_levels or ()))

    def _check_endog(self, y: torch.Tensor) -> None:
        levels = self.design.endog_levels or ()
        if len(levels) < 2:
            raise DesignError(
                f"MNLogit needs at least two outcomes; the response has {len(levels)} "
                f"({', '.join(map(str, levels)) or 'none'}). Use a response that varies"
            )
        counts = torch.bincount(y.long(), minlength=len(levels))
        empty = [str(levels[j]) for j in torch.nonzero(counts == 0).flatten().tolist()]
        if empty:
            raise DesignError(
                f"MNLogit: outcome(s) {', '.join(empty)} have no observations (unused "
                "categories, or rows dropped for missing values), so their coefficients do "
                "not exist; drop them, e.g. with Series.cat.remove_unused_categories()"
            )

    # --- outcomes and names -------------------------------------------------------------------

    @property
    def J(self) -> int:
        """Number of outcomes."""
        return len(self.design.endog_levels or ())

    @property
    def K(self) -> int:
        """Number of regressors (design columns) in each equation."""
        return self.design.k_exog

    @property
    def outcomes(self) -> list[str]:
        """The outcome labels, in code order (the first is the reference)."""
        return list(self._outcomes)

    @cached_property
    def _output_format(self) -> EquationOutputFormat:
        output, names = self.design.output, self.design.exog_names
        labels = tuple(self.outcomes[1:])
        return EquationOutputFormat(
            output.kind,
            tuple(f"y{label}_{name}" for label in labels for name in names),
            output.row_index,
            regressor_names=names,
            equation_labels=labels,
            equation_title=str(self.endog_names),
        )

    @property
    def output(self) -> EquationOutputFormat:
        """One column of ``params`` per outcome but the first; (outcome, regressor) labels."""
        return self._output_format

    @property
    def exog_names(self) -> list[str]:
        """The design's column names (each equation's regressors)."""
        return list(self.design.exog_names)

    @property
    def endog(self) -> Any:
        """Outcome codes ``0..J-1`` (int64), as statsmodels' ``model.endog``."""
        return plain_array(self.design, self._codes)

    @property
    def wendog(self) -> Any:
        """Outcome indicators, shape (n, J) (statsmodels' ``wendog``)."""
        return plain_array(self.design, self._indicators)

    @cached_property
    def _codes(self) -> torch.Tensor:
        return self.design.endog.long()

    @cached_property
    def _indicators(self) -> torch.Tensor:
        X = self.design.exog
        return torch.nn.functional.one_hot(self._codes, self.J).to(X.dtype)

    # --- degrees of freedom: one equation per outcome but the first ----------------------------

    @property
    def df_model(self) -> float:
        """``(rank - 1) (J - 1)``."""
        return float((self.rank - 1) * (self.J - 1))

    @property
    def df_resid(self) -> float:
        """``nobs - rank (J - 1)``."""
        return float(self.design.nobs - self.rank * (self.J - 1))

    # --- likelihood ---------------------------------------------------------------------------

    def _params_tensor(self, params: Any) -> torch.Tensor:
        """Flat parameters; a ``(K, J - 1)`` table is read column by column (statsmodels)."""
        theta = super()._params_tensor(params)
        return theta.T.reshape(-1) if theta.ndim == 2 else theta

    def _linear_predictors(self, params: Any, X: torch.Tensor | None = None) -> torch.Tensor:
        """``[0, X b_1, ..., X b_{J-1}]``, shape (n, J)."""
        X = self.design.exog if X is None else X
        coefficients = self._params_tensor(params).reshape(-1, X.shape[1]).T
        # a zero column for the reference outcome costs one GEMM column, not a copy of (n, J)
        return X @ torch.cat([torch.zeros_like(coefficients[:, :1]), coefficients], dim=1)

    def loglikeobs(self, params: Any) -> torch.Tensor:
        """``log P(y_i)`` per observation, shape (n,)."""
        return self._log_probabilities(params).gather(1, self._codes[:, None])[:, 0]

    def _log_probabilities(self, params: Any) -> torch.Tensor:
        """``log p_ij``, shape (n, J)."""
        return torch.log_softmax(self._linear_predictors(params), dim=1)

    def score_factor(self, params: Any) -> torch.Tensor:
        """``d_ij - p_ij`` for the outcomes but the first, shape (n, J - 1)."""
        return (self._indicators - torch.exp(self._log_probabilities(params)))[:, 1:]

    def hessian_factor(self, params: Any) -> torch.Tensor:
        """``-p_ij (1(j = l) - p_il)``, shape (n, J - 1, J - 1): the Hessian's block ``(j, l)``
        is ``X' diag(hessian_factor[:, j, l]) X``."""
        p = torch.exp(self._log_probabilities(params))[:, 1:]
        return p[:, :, None] * p[:, None, :] - torch.diag_embed(p)

    def score_obs(self, params: Any) -> torch.Tensor:
        """Per-observation scores ``(d_ij - p_ij) x_i``, shape (n, K (J - 1))."""
        return _by_equation(self.score_factor(params), self.design.exog)

    def score(self, params: Any) -> torch.Tensor:
        """Gradient of the log-likelihood, shape (K (J - 1),)."""
        return (self.score_factor(params).T @ self.design.exog).reshape(-1)

    def hessian(self, params: Any) -> torch.Tensor:
        """Hessian of the log-likelihood, shape (K (J - 1), K (J - 1))."""
        return self._hessian(torch.exp(self._log_probabilities(params))[:, 1:])

    def _hessian(self, p: torch.Tensor) -> torch.Tensor:
        """``sum_i (p_i p_i' - diag(p_i)) (x) x_i x_i'`` from the probabilities ``p`` (n, J - 1)
        of the outcomes but the first: ``A'A`` minus the blocks ``A_j' X``, ``A = p (x) X``."""
        X = self.design.exog
        A = _by_equation(p, X)
        diagonal = (A.T @ X).reshape(p.shape[1], X.shape[1], X.shape[1])
        hessian = A.T @ A - torch.block_diag(*diagonal)
        return 0.5 * (hessian + hessian.T)

    def _internal_derivatives(
        self, theta: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``-loglike``, its gradient and Hessian from one evaluation of the probabilities."""
        logp = self._log_probabilities(theta)
        p = torch.exp(logp)
        score = ((self._indicators - p)[:, 1:].T @ self.design.exog).reshape(-1)
        loglike = logp.gather(1, self._codes[:, None]).sum()
        return -loglike, -score, -self._hessian(p[:, 1:])

    def cdf(self, X: Any) -> Any:
        """Probabilities of the outcomes at linear predictors ``X`` (n, J - 1), shape (n, J):
        a tensor for a tensor, else numpy (statsmodels)."""
        eta = self._new_exog(X)
        probabilities = torch.softmax(torch.cat([torch.zeros_like(eta[:, :1]), eta], dim=1), 1)
        return probabilities if isinstance(X, torch.Tensor) else to_numpy(probabilities)

    def pdf(self, X: Any) -> Any:
        """Not defined for the multinomial logit (statsmodels raises too)."""
        raise NotImplementedError("MNLogit has no pdf")

    def predict(self, params: Any, exog: Any = None, which: str = "mean") -> torch.Tensor:
        """Probabilities (``"mean"``), linear predictors (``"linear"``, 0 for the first
        outcome) or ``p (1 - p)`` (``"var"``) of each outcome, shape (n, J)."""
        check_option(which, PREDICT_WHICH, "which")
        X = None if exog is None else self._new_exog(exog)
        eta = self._linear_predictors(params, X)
        if which == "linear":
            return eta
        p = torch.softmax(eta, dim=1)
        return p if which == "mean" else p * (1 - p)

    def predict_mean(self, params: torch.Tensor, exog: torch.Tensor) -> torch.Tensor:
        """The outcome probabilities at the design rows ``exog`` (m, K), shape (m, J): a
        differentiable torch function of both, which marginal effects differentiate (one
        column of effects per outcome, as statsmodels' MNLogit margins)."""
        return torch.softmax(self._linear_predictors(params, exog), dim=1)

    def _new_exog(self, exog: Any) -> torch.Tensor:
        X = self.design.exog
        values = to_tensor(exog, name="exog", device=X.device, dtype=X.dtype)
        return values[None, :] if values.ndim == 1 else values

    # --- the null model and separation ----------------------------------------------------------

    def null_loglike(self) -> float:
        """``sum_j n_j log(n_j / n)``: the constant-only model's maximum, in closed form."""
        counts = self._indicators.sum(0)
        return float((counts * torch.log(counts / self.design.nobs)).sum())

    def _check_fit(self, params: torch.Tensor, found: SolverResult) -> None:
        p = torch.softmax(self._linear_predictors(params), dim=1)
        observed = p.gather(1, self._codes[:, None])[:, 0]
        perfect = int(((1 - observed) < PERFECT_PREDICTION_TOL).sum())
        warn_if_separated(
            "MNLogit",
            perfect,
            self.design.nobs,
            lambda: (
                not found.converged
                or nearly_singular(self.hessian(params), gram_matrix(self.design.exog))
            ),
        )


def _by_equation(factor: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """``[factor_1 x_i, ..., factor_m x_i]`` per row, shape (n, m k), equation after
    equation."""
    return (factor[:, :, None] * X[:, None, :]).reshape(X.shape[0], -1)


def outcome_labels(levels: Any) -> list[str]:
    """statsmodels' outcome labels (``MultinomialResults._maybe_convert_ynames_int``).

    Integral numbers print without decimals (``2.0`` as ``"2"``), other numbers as ``str``
    with a :class:`~torchstats.errors.SpecificationWarning`, anything else as ``str``.
    """
    labels, fractional = [], False
    for level in levels:
        if isinstance(level, numbers.Real):
            integral = float(level) % 1 == 0
            fractional |= not integral
            labels.append(str(int(float(level))) if integral else str(level))
        else:
            labels.append(str(level))
    if fractional:
        warnings.warn(
            "endog contains values are that not int-like. Uses string representation of "
            "value. Use integer-valued endog to suppress this warning.",
            SpecificationWarning,
            stacklevel=4,
        )
    return labels

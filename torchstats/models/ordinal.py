"""Ordinal regression: :class:`OrderedModel`, statsmodels' ``miscmodels.ordinal_model``.

The response ``y`` in ``0..J-1`` is the interval between thresholds in which the latent
``y* = x b + offset + u`` falls: ``P(y = j) = F(c_j - x b) - F(c_{j-1} - x b)`` with
``c_{-1} = -inf``, ``c_{J-1} = inf`` and ``F`` the cdf of ``u``
(:mod:`~torchstats.families.latent`). The parameters are ``b`` and then, as statsmodels
parametrises the thresholds, ``c_0`` followed by ``log(c_j - c_{j-1})``: unconstrained, and
the thresholds increase. The score and Hessian are autograd's of ``loglikeobs``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats._device import elementwise, to_tensor
from torchstats._typing import check_option
from torchstats.errors import DesignError, SpecificationWarning
from torchstats.families.latent import LatentDistribution, latent_distribution
from torchstats.formula.design import Design, drop_columns
from torchstats.models.base import build_design, caller_context
from torchstats.models.data import plain_array
from torchstats.models.discrete import _DiscreteModel
from torchstats.models.separation import (
    PERFECT_PREDICTION_TOL,
    warn_if_diverging,
)
from torchstats.results.ordinal import ORDINAL_PREDICT_WHICH, OrderedResults
from torchstats.solvers.result import SolverResult

__all__ = ["OrderedModel"]


class OrderedModel(_DiscreteModel):
    """Ordinal regression on a latent variable, statsmodels' ``OrderedModel``.

    Parameters
    ----------
    endog : array-like or str
        The ordered response: a pandas Categorical (its categories, in their order, are the
        levels) or numbers (the sorted distinct values are the levels); or a formula such
        as ``"rating ~ x1 + C(g)"``, whose intercept is dropped (the thresholds take its
        place).
    exog : array-like or DataFrame, optional
        Regressors without a constant, or the data for a formula. None: no regressors.
    offset : array-like or str, optional
        Added to the latent linear predictor (a formula's column name allowed).
    distr : {"probit", "logit"}, scipy distribution or (cdf, pdf)
        Distribution of the latent error, see
        :func:`~torchstats.families.latent.latent_distribution`.
    missing : {"drop", "raise", "none"}, optional
        Missing-data policy; default ``"drop"`` for formulas, ``"none"`` for arrays.
    hasconst : bool, optional
        ``False`` skips the check for a constant (statsmodels' option).
    device, dtype, context
        As for the other models.

    Raises
    ------
    DesignError
        A constant (explicit, or implicit as a full set of dummies) in the regressors, a
        response with fewer than two levels, a category without observations, or an
        unordered categorical response in a formula.

    Warns
    -----
    SpecificationWarning
        An unordered pandas Categorical response given as an array (statsmodels' warning):
        its categories' order is used.
    """

    model_name = "OrderedModel"
    _results_class = OrderedResults

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        offset: Any = None,
        distr: Any = "probit",
        missing: str | None = None,
        hasconst: bool | None = None,
        *,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        self.distribution: LatentDistribution = latent_distribution(distr)
        self._hasconst = hasconst
        formula = isinstance(endog, str)
        design = build_design(
            endog,
            _no_columns(endog) if exog is None and not formula else exog,
            missing=missing,
            extras=None if offset is None else {"offset": offset},
            context=caller_context(context, 1) if formula else None,
            device=device,
            dtype=dtype,
            categorical_response=True,
        )
        if formula:  # statsmodels' from_formula(drop_cols=["Intercept"])
            design = drop_columns(design, ("Intercept",))
        self.labels = _ordinal_response(design, endog, exog if formula else None)
        self._initialize(design)
        if self.k_constant:
            raise DesignError(
                "There should not be a constant in the model: the thresholds take its place. "
                "Remove the constant column (a formula's intercept is dropped already; a full "
                "set of dummies such as '0 + C(g)' is an implicit constant: keep the "
                "intercept), or pass hasconst=False"
            )

    def _options(self) -> dict[str, Any]:
        return {"distribution": self.distribution, "labels": self.labels, "_hasconst": False}

    def _check_fit(self, params: torch.Tensor, found: SolverResult) -> None:
        """The binary models' separation warning: rows whose observed level the fit
        predicts with probability 1 (within ``PERFECT_PREDICTION_TOL``) while the
        coefficients diverge (not converged, or an information flat along some direction
        of the regressors). A dummy that is 1 only in the top level has no finite
        estimate: the fit stopped near 30 with a standard error of 3e5, silently."""
        k = self.k_vars
        if k == 0:
            return
        perfect = int((self.loglikeobs(params) > -PERFECT_PREDICTION_TOL).sum())
        warn_if_diverging(
            self.model_name,
            perfect,
            self.design.nobs,
            found.converged,
            lambda: self.hessian(params)[:k, :k],
            self.design.exog,
        )

    def _check_endog(self, y: torch.Tensor) -> None:
        if len(self.labels) < 2:
            raise DesignError(
                f"the response has {len(self.labels)} level(s); an ordinal model needs at least two"
            )
        counts = torch.bincount(y.long(), minlength=len(self.labels))
        empty = [str(label) for label, n in zip(self.labels, counts.tolist()) if n == 0]
        if empty:
            raise DesignError(
                f"the response has no observations of level(s) {', '.join(empty)}; their "
                "thresholds are not identified: remove the unused categories "
                "(series.cat.remove_unused_categories())"
            )

    # --- statsmodels' attributes ------------------------------------------------------------

    @property
    def distr(self) -> Any:
        """The latent distribution as given (statsmodels: ``stats.norm`` for "probit",
        ``stats.logistic`` for "logit")."""
        return self.distribution.scipy

    @property
    def k_levels(self) -> int:
        """Number of levels of the response."""
        return len(self.labels)

    @property
    def k_vars(self) -> int:
        """Number of regressors."""
        return self.design.k_exog

    @property
    def k_extra(self) -> int:  # type: ignore[override]
        """Number of threshold parameters, ``k_levels - 1``."""
        return self.k_levels - 1

    @property
    def df_model(self) -> float:
        """``k_vars`` (statsmodels: the thresholds are not counted)."""
        return float(self.k_vars)

    @property
    def df_resid(self) -> float:
        """``nobs - (k_vars + k_levels - 1)``."""
        return float(self.design.nobs - self.k_vars - self.k_extra)

    @cached_property
    def endog(self) -> Any:
        """The response as level codes ``0..k_levels-1`` (integers, as statsmodels)."""
        return plain_array(self.design, self._codes)

    @cached_property
    def _codes(self) -> torch.Tensor:
        return self.design.endog.long()

    def _extra_names(self) -> tuple[str, ...]:
        return tuple(f"{low}/{high}" for low, high in zip(self.labels[:-1], self.labels[1:]))

    def _null_design(self) -> tuple[torch.Tensor, tuple[str, ...]]:
        return self.design.exog[:, :0], ()

    # --- likelihood ---------------------------------------------------------------------------

    def _cutoffs(self, params: torch.Tensor) -> torch.Tensor:
        """The ``k_levels - 1`` thresholds from the parameters (increasing)."""
        return _thresholds(params[self.k_vars :])

    def loglikeobs(self, params: Any) -> torch.Tensor:
        """``log P(y_i)`` per observation, shape (n,).

        ``P = F(b) - F(a)`` for the bounds ``a < b`` of the observed level, computed as
        ``S(a) - S(b)`` with the survival function when ``a > 0`` (no cancellation in the
        upper tail); the lowest level has ``F(a) = 0``, the highest ``F(b) = 1``.
        statsmodels adds 1e-20 to ``P``; the difference is below rounding unless ``P`` is
        itself that small.
        """
        params = self._params_tensor(params)
        xb = self._linear(params[: self.k_vars])
        cut, y, F = self._cutoffs(params), self._codes, self.distribution
        n = xb.shape[0]
        # finite placeholders stand in for the infinite bounds, whose values are set below
        bounds = torch.cat(
            [cut[(y - 1).clamp(min=0)] - xb, cut[y.clamp(max=self.k_levels - 2)] - xb]
        )
        below, above = F.cdf(bounds), F.sf(bounds)
        first, last = y == 0, y == self.k_levels - 1
        zero, one = torch.zeros_like(xb), torch.ones_like(xb)
        below_low = torch.where(first, zero, below[:n])
        above_low = torch.where(first, one, above[:n])
        below_high = torch.where(last, one, below[n:])
        above_high = torch.where(last, zero, above[n:])
        upper_tail = (bounds[:n] > 0) & ~first
        return torch.log(torch.where(upper_tail, above_low - above_high, below_high - below_low))

    def _start_params(self) -> torch.Tensor:
        """statsmodels' start: no effects, the thresholds of the observed frequencies."""
        X = self.design.exog
        frequency = torch.bincount(self._codes, minlength=self.k_levels).double() / X.shape[0]
        cumulative = np.clip(frequency.cumsum(0).cpu().numpy(), 0, 1)
        thresholds = self.transform_reverse_threshold_params(self.distribution.ppf(cumulative))
        start = np.concatenate([np.zeros(self.k_vars), thresholds])
        return torch.as_tensor(start, dtype=X.dtype, device=X.device)

    # --- statsmodels' helpers -----------------------------------------------------------------

    @property
    def start_params(self) -> Any:
        """statsmodels' default start values (no effects, the null model's thresholds)."""
        return self.output.plain(self._start_params())

    def transform_threshold_params(self, params: Any) -> Any:
        """The thresholds ``[-inf, c_0, ..., c_{J-2}, inf]`` of the last ``k_levels - 1``
        entries of ``params``: the whole parameter vector or the threshold parameters alone
        (statsmodels)."""
        values = self._params_tensor(params).reshape(-1)
        if values.shape[0] < self.k_extra:
            raise DesignError(
                f"transform_threshold_params needs the {self.k_extra} threshold parameters "
                f"(the last entries of params); got {values.shape[0]} value(s)"
            )
        cut = _thresholds(values[values.shape[0] - self.k_extra :])
        infinity = torch.full((1,), torch.inf, dtype=cut.dtype, device=cut.device)
        return self.output.plain(torch.cat([-infinity, cut, infinity]))

    def transform_reverse_threshold_params(self, params: Any) -> np.ndarray:
        """Threshold parameters ``[c_0, log(diff(c))]`` of increasing thresholds (the last
        entry, ``inf`` in statsmodels' use, is ignored)."""
        values = np.asarray(params, dtype=float)
        with np.errstate(divide="ignore"):
            return np.concatenate([values[:1], np.log(np.diff(values[:-1]))])

    def cdf(self, x: Any) -> Any:
        """Cdf of the latent error at ``x`` (a tensor for tensors, else numpy)."""
        with torch.no_grad():
            return elementwise(self.distribution.cdf, x, self.design.exog)

    def pdf(self, x: Any) -> Any:
        """Density of the latent error at ``x``."""
        with torch.no_grad():
            return elementwise(self.distribution.pdf, x, self.design.exog)

    def prob(self, low: Any, upp: Any) -> Any:
        """``max(cdf(upp) - cdf(low), 0)``: the probability of the interval ``(low, upp]``."""
        difference = self.cdf(upp) - self.cdf(low)
        if isinstance(difference, torch.Tensor):
            return difference.clamp(min=0)
        return np.maximum(difference, 0)

    # --- prediction ---------------------------------------------------------------------------

    def predict(
        self, params: Any, exog: Any = None, offset: Any = None, which: str = "prob"
    ) -> torch.Tensor:
        """Probabilities of each level (``"prob"``, shape (n, k_levels)), the linear
        predictor ``x b + offset`` (``"linpred"``, shape (n,)) or cumulative probabilities
        (``"cumprob"``/``"cum"``, shape (n, k_levels)).

        Without ``exog``: the model's design and offset; with ``exog`` (a design matrix)
        the offset is zero unless given, as statsmodels.
        """
        check_option(which, ORDINAL_PREDICT_WHICH, "which")
        params = self._params_tensor(params)
        X = self.design.exog
        if exog is not None:
            X = to_tensor(exog, name="exog", device=X.device, dtype=X.dtype)
            X = X.reshape(-1, self.k_vars) if X.ndim < 2 else X
        xb = X @ params[: self.k_vars]
        if offset is not None:
            xb = xb + to_tensor(offset, name="offset", device=X.device, dtype=X.dtype)
        elif exog is None and self._offset is not None:
            xb = xb + self._offset
        if which == "linpred":
            return xb
        infinity = torch.full((1,), torch.inf, dtype=X.dtype, device=X.device)
        bounds = torch.cat([-infinity, self._cutoffs(params), infinity])[None, :] - xb[:, None]
        F = self.distribution
        if which in ("cum", "cumprob"):
            return F.cdf(bounds[:, 1:])
        low, high = bounds[:, :-1], bounds[:, 1:]
        prob = torch.where(low > 0, F.sf(low) - F.sf(high), F.cdf(high) - F.cdf(low))
        return prob.clamp(min=0)

    # --- fitting ------------------------------------------------------------------------------

    def fit(
        self,
        start_params: Any = None,
        method: str = "newton",
        maxiter: int = 500,
        full_output: bool = True,
        disp: bool = True,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
        **kwargs: Any,
    ) -> OrderedResults:
        """Fit by maximum likelihood (see :meth:`_DiscreteModel.fit
        <torchstats.models.discrete._DiscreteModel.fit>`).

        The defaults differ from the other discrete models as statsmodels' do: ``maxiter``
        is 500 (statsmodels' ``OrderedModel.fit``). The method stays torch's Newton
        (statsmodels: Nelder-Mead); ``method="bfgs"`` etc. run statsmodels' scipy
        optimizers from statsmodels' start values.
        """
        return super().fit(
            start_params, method, maxiter, full_output, disp, cov_type, cov_kwds, use_t, **kwargs
        )


def _no_columns(endog: Any) -> Any:
    """A design with no columns and the rows (and kind) of ``endog``."""
    if isinstance(endog, (pd.Series, pd.DataFrame)):
        return pd.DataFrame(index=endog.index)
    if isinstance(endog, torch.Tensor):
        return endog.new_zeros((endog.shape[0], 0), dtype=torch.float64)
    return np.zeros((len(endog), 0))


def _ordinal_response(design: Design, endog: Any, data: Any) -> list[Any]:
    """The levels' labels of the design's response codes, after statsmodels' checks of the
    order: an unordered Categorical warns given as an array and is refused in a formula (as
    is a text response); ``data`` is the formula's data, None for arrays."""
    labels = list(design.endog_levels or ())
    if data is None:
        if isinstance(getattr(endog, "dtype", None), pd.CategoricalDtype):
            if not endog.dtype.ordered:
                warnings.warn(
                    "the endog has ordered == False, risk of capturing a wrong order for the "
                    "categories; the categories' order is used. ordered == True preferred",
                    SpecificationWarning,
                    stacklevel=3,
                )
        elif not _numeric_levels(labels):
            # text has no order: sorting it would put '10' before '2' and 'high' before
            # 'low' (statsmodels refuses text too)
            raise DesignError(
                "the ordinal response is text, which has no order (sorted, '10' comes before "
                "'2' and 'high' before 'low'): pass an ordered pandas Categorical, e.g. "
                "pd.Categorical(y, categories=[...in order...], ordered=True), or numbers"
            )
        return labels
    name = str(endog).split("~")[0].strip()
    column = data[name] if isinstance(data, pd.DataFrame) and name in data.columns else None
    if column is not None and isinstance(column.dtype, pd.CategoricalDtype):
        ordered = bool(column.dtype.ordered)
    else:
        ordered = _numeric_levels(labels) and not any(
            isinstance(v, (bool, np.bool_)) for v in labels
        )
    if not ordered:
        raise DesignError(
            "Only ordered pandas Categorical are supported as endog in formulas: make the "
            "response an ordered Categorical, e.g. df[col] = pd.Categorical(df[col], "
            "categories=[...in order...], ordered=True), or numeric"
        )
    return labels


def _numeric_levels(labels: list[Any]) -> bool:
    """Whether every level is a number (booleans included), which orders them."""
    return all(isinstance(v, (bool, int, float, np.number, np.bool_)) for v in labels)


def _thresholds(increments: torch.Tensor) -> torch.Tensor:
    """Increasing thresholds ``c_0, c_0 + exp(d_1), ...`` of the threshold parameters."""
    return torch.cumsum(torch.cat([increments[:1], torch.exp(increments[1:])]), dim=0)

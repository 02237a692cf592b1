"""Linear regression by least squares: :class:`OLS` and :class:`WLS`.

Each model is a design plus the Gaussian log-likelihood with the variance concentrated out,
``llf(b) = -n/2 log(2 pi SSR(b)/n) - n/2 + 1/2 sum(log w)``, statsmodels' ``OLS.loglike`` /
``WLS.loglike``. Its Hessian at the estimate is ``-n X'WX / SSR``; the covariance of the
estimate is the inverse of the negated Hessian rescaled by ``n / df_resid``, which is the
classical ``s^2 (X'WX)^{-1}`` of R's ``lm()`` and statsmodels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from functools import cached_property
from typing import Any

import torch

from torchstats._typing import SolverMethod, check_option
from torchstats.covariance.nonrobust import least_squares_covariance
from torchstats.covariance.sandwich import canonical_cov_type
from torchstats.errors import EmptyDataError, InvalidWeightsError, NumericalRangeError
from torchstats.formula.constant import detect_constant
from torchstats.formula.design_checks import check_finite, check_weights, matrix_rank
from torchstats.inference.degrees_of_freedom import per_degree_of_freedom, warn_no_residual_df
from torchstats.models.base import build_design, caller_context, formula_rows
from torchstats.models.data import ModelData, plain_array
from torchstats.results.regression import RegressionResults
from torchstats.solvers.first_order import solve_least_squares_gd
from torchstats.solvers.least_squares import (
    response_scale,
    solve_least_squares,
    solve_weighted_least_squares,
)
from torchstats.solvers.result import SolverResult
from torchstats.structured.block_matrix import densify, gram, scale_rows

__all__ = ["OLS", "WLS"]


class _LeastSquares:
    """Shared machinery of OLS and WLS; not public. Subclasses only name themselves."""

    _model_name = "LeastSquares"

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        *,
        weights: Any = None,
        missing: str | None = None,
        hasconst: bool | None = None,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        array_weights = weights is not None and not _is_scalar(weights)
        self.design = build_design(
            endog,
            exog,
            missing=missing,
            extras={"weights": weights} if array_weights else None,
            context=caller_context(context, 2) if isinstance(endog, str) else None,
            device=device,
            dtype=dtype,
        )
        self._weights = self._validated_weights(weights)
        self._sqrt_weights = None if self._weights is None else torch.sqrt(self._weights)
        self._hasconst = hasconst
        check_finite(self.design, extras=False)
        if self.design.nobs < self.design.k_exog:
            raise EmptyDataError(
                f"more parameters ({self.design.k_exog}) than observations ({self.design.nobs}); "
                "least squares needs at least as many observations as columns"
            )

    @classmethod
    def from_formula(
        cls,
        formula: str,
        data: Any,
        subset: Any = None,
        *,
        context: int | Mapping[str, Any] | None = 0,
        **kwargs: Any,
    ) -> _LeastSquares:
        """Create the model from a formula and a DataFrame (statsmodels' ``from_formula``).

        ``subset`` (a boolean mask or row labels) selects ``data.loc[subset]`` first; per-row
        arguments such as ``weights`` then have one value per selected row, as statsmodels.
        """
        rows = formula_rows(data, subset)
        return cls(formula, rows, context=caller_context(context, 1), **kwargs)

    # --- data ---------------------------------------------------------------------------

    def _validated_weights(self, weights: Any) -> torch.Tensor | None:
        if weights is None:
            return None
        X = self.design.exog
        if _is_scalar(weights):
            w = torch.full((X.shape[0],), float(weights), dtype=X.dtype, device=X.device)
        else:
            w = self.design.extras["weights"]
        check_weights(w)
        if not bool((w > 0).any()):
            raise InvalidWeightsError("all weights are zero; nothing to fit")
        return w

    @cached_property
    def endog(self) -> Any:
        """Response, shape (n,): numpy for numpy and pandas input, a tensor for tensors."""
        return plain_array(self.design, self.design.endog)

    @cached_property
    def exog(self) -> Any:
        """Design matrix, shape (n, k): numpy for numpy and pandas input, a tensor for tensors."""
        return plain_array(self.design, self.design.exog)

    @cached_property
    def weights(self) -> Any:
        """Observation weights, shape (n,) (ones for OLS), as :attr:`endog`."""
        return plain_array(self.design, self._weights_or_ones)

    @property
    def _weights_or_ones(self) -> torch.Tensor:
        if self._weights is None:
            return torch.ones_like(self.design.endog)
        return self._weights

    @cached_property
    def data(self) -> ModelData:
        """statsmodels' ``model.data``: labelled arrays, ``row_labels``, names, ``frame``."""
        return ModelData(
            self.design,
            ynames=self.endog_names,
            xnames=self.exog_names,
            constant=lambda: self._constant,
        )

    @property
    def endog_names(self) -> str:
        """Name of the response."""
        return self.design.endog_name

    @property
    def exog_names(self) -> list[str]:
        """Names of the design columns, in statsmodels' order."""
        return list(self.design.exog_names)

    @property
    def nobs(self) -> float:
        """Number of observations (a float, as in statsmodels)."""
        return float(self.design.nobs)

    @property
    def formula(self) -> str | None:
        """The formula the model was built from, if any."""
        return self.design.formula

    @cached_property
    def rank(self) -> int:
        """Numerical rank of the design (numpy's ``matrix_rank`` tolerance, as statsmodels)."""
        return matrix_rank(self.design.exog)

    @property
    def df_model(self) -> float:
        """``rank - k_constant``: the model degrees of freedom."""
        return float(self.rank - self.k_constant)

    @property
    def df_resid(self) -> float:
        """``nobs - rank``: the residual degrees of freedom."""
        return float(self.design.nobs - self.rank)

    @cached_property
    def _constant(self) -> tuple[int, int | None]:
        intercept = dict(self.design.terms).get("Intercept") if self.design.formula else None
        return detect_constant(
            self.design.exog, self._hasconst, intercept_column=intercept[0] if intercept else None
        )

    @property
    def k_constant(self) -> int:
        """1 if the design has an explicit or implicit constant, else 0 (statsmodels' rule)."""
        return self._constant[0]

    @property
    def const_idx(self) -> int | None:
        """Index of the constant column, None if absent or implicit."""
        return self._constant[1]

    @cached_property
    def _response_scale(self) -> float:
        return response_scale(self.design.endog)

    @cached_property
    def _wendog(self) -> torch.Tensor:
        """Whitened response ``sqrt(w) * y``."""
        sw = self._sqrt_weights
        return self.design.endog if sw is None else sw * self.design.endog

    @cached_property
    def _wexog(self) -> Any:
        """Whitened design ``sqrt(w) * X`` (a copy for WLS; fits do not need it)."""
        sw = self._sqrt_weights
        return self.design.exog if sw is None else scale_rows(self.design.exog, sw)

    @cached_property
    def wendog(self) -> Any:
        """Whitened response ``sqrt(w) * y``, as :attr:`endog`."""
        return plain_array(self.design, self._wendog)

    @cached_property
    def wexog(self) -> Any:
        """Whitened design ``sqrt(w) * X``, as :attr:`exog`."""
        return plain_array(self.design, self._wexog)

    @cached_property
    def pinv_wexog(self) -> Any:
        """Moore-Penrose pseudo-inverse of :attr:`wexog`, shape (k, n), as :attr:`exog`.

        statsmodels sets it when fitting with ``method="pinv"``; here it is computed (by SVD)
        when first read, e.g. by statsmodels' ``OLSInfluence``.
        """
        return plain_array(self.design, torch.linalg.pinv(densify(self._wexog)))

    def _whitened_resid(self, params: torch.Tensor) -> torch.Tensor:
        """``sqrt(w) (y - X b)``, without forming the whitened design (differentiable)."""
        resid = self.design.endog - self.design.exog @ params
        sw = self._sqrt_weights
        return resid if sw is None else sw * resid

    # --- likelihood -----------------------------------------------------------------------

    def loglike(self, params: torch.Tensor) -> torch.Tensor:
        """Concentrated Gaussian log-likelihood (statsmodels' ``OLS.loglike``/``WLS.loglike``).

        ``log(SSR)`` is taken as ``log(SSR / c^2) + 2 log(c)`` for a response scaled by
        ``c`` beyond 2^±480, whose ``SSR`` leaves float64 while the log-likelihood does not.
        """
        resid = self._whitened_resid(params)
        c = self._response_scale
        ssr_scaled = resid @ resid if c == 1.0 else (resid / c) @ (resid / c)
        half_n = self.design.nobs / 2.0
        log_ssr = torch.log(ssr_scaled) + 2 * math.log(c)
        llf = -half_n * log_ssr - (1 + math.log(math.pi / half_n)) * half_n
        if self._weights is not None:
            llf = llf + 0.5 * torch.sum(torch.log(self._weights))
        return llf

    def score(self, params: torch.Tensor) -> torch.Tensor:
        """Gradient of :meth:`loglike`: ``n X'W e / SSR``."""
        resid = self._whitened_resid(params)
        return self.design.nobs * self._weighted_rmatvec(resid) / (resid @ resid)

    def hessian(self, params: torch.Tensor) -> torch.Tensor:
        """Hessian of :meth:`loglike`: ``-n X'WX / SSR + 2n (X'We)(X'We)' / SSR^2``.

        At the least-squares estimate the second term vanishes (``X'We = 0``).
        """
        resid = self._whitened_resid(params)
        ssr = resid @ resid
        xtu = self._weighted_rmatvec(resid)
        n = self.design.nobs
        xwx = gram(self.design.exog, self._weights)
        return -n * xwx / ssr + 2 * n * torch.outer(xtu, xtu) / ssr**2

    def _weighted_rmatvec(self, whitened: torch.Tensor) -> torch.Tensor:
        """``(sqrt(w) X)' v`` for a whitened vector ``v``."""
        sw = self._sqrt_weights
        return self.design.exog.T @ (whitened if sw is None else sw * whitened)

    # --- fitting ----------------------------------------------------------------------------

    def fit(
        self,
        method: SolverMethod = "auto",
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
        *,
        max_iter: int = 1000,
        gtol: float | None = None,
    ) -> RegressionResults:
        """Fit by least squares.

        Parameters
        ----------
        method : {"auto", "qr", "cholesky", "pinv", "gd"}
            Solver; see ``docs/solvers.md``. ``"auto"`` (the default) uses QR with
            double-double refinement for small or ill-conditioned problems and a guarded
            Cholesky of ``X'X`` for large well-conditioned ones.
        cov_type : str
            Covariance of the estimates, statsmodels' names: ``"nonrobust"``, ``"HC0"``-
            ``"HC3"``, ``"cluster"``, ``"cluster-crv3"``, ``"cluster-jk"``, ``"HAC"``,
            ``"hac-panel"``/``"nw-panel"``, ``"hac-groupsum"``/``"nw-groupsum"``,
            ``"fixed scale"`` (see :func:`torchstats.covariance.sandwich.robust_covariance`).
        cov_kwds : mapping, optional
            Options of the covariance estimator, e.g. ``{"groups": df["firm"]}`` for
            ``"cluster"`` or ``{"maxlags": 4}`` for ``"HAC"``; ``use_t`` and
            ``scaling_factor`` are accepted for every type. ``groups`` and ``time`` are
            matched to the rows used by label (pandas) or by position (arrays, one value per
            row used or per row of the data); with a formula, ``"firm"`` or
            ``["firm", "year"]`` name columns of the data.
        use_t : bool, optional
            t (True) or normal (False) inference; statsmodels' default: True for
            ``"nonrobust"``, False for the robust covariances.
        max_iter, gtol
            Iteration limit and relative gradient tolerance for ``method="gd"``.

        Returns
        -------
        RegressionResults

        Warns
        -----
        DegreesOfFreedomWarning
            ``df_resid`` is 0 (as many parameters as observations): the scale, standard
            errors and tests are inf or NaN, as statsmodels reports them.
        """
        check_option(method, SolverMethod, "method")
        canonical_cov_type(cov_type)  # refuse an unknown cov_type before solving
        fit = self._solve(method, max_iter=max_iter, gtol=gtol)
        nobs = self.design.nobs
        resid = fit.resid if fit.resid is not None else self._whitened_resid(fit.params)
        if fit.response_scale != 1.0:
            resid = resid / fit.response_scale
        df_resid = float(nobs - fit.rank)
        if df_resid == 0:
            warn_no_residual_df(self._model_name, nobs, fit.rank, "the error variance (scale)")
        classical = least_squares_covariance(
            fit,
            per_degree_of_freedom(float(resid @ resid), df_resid),
            df_resid=df_resid,
            use_t=True if use_t is None else use_t,
        )
        results = RegressionResults(self, fit, classical)
        if canonical_cov_type(cov_type) == "nonrobust" and not cov_kwds:
            return results
        # statsmodels: fit(cov_type=robust) reports z unless use_t=True
        return results._with_covariance(results._covariance(cov_type, cov_kwds, use_t))

    def _solve(self, method: str, *, max_iter: int, gtol: float | None) -> SolverResult:
        """Solve with the response scaled by a power of two when it lies beyond 2^±480 (its
        sums of squares would leave float64), then put the response's units back."""
        c = self._response_scale
        fit = self._solve_scaled(method, 1.0 / c, max_iter=max_iter, gtol=gtol)
        if c != 1.0:
            resid = None if fit.resid is None else fit.resid * c
            fit = replace(fit, params=fit.params * c, resid=resid, response_scale=c)
        if not bool(torch.isfinite(fit.params).all()):
            names = [
                n for n, v in zip(self.exog_names, fit.params.tolist()) if not math.isfinite(v)
            ]
            raise NumericalRangeError(
                f"the coefficients of {names} exceed float64's range (about 1.8e308): the "
                "response's scale over their column's is beyond it. Rescale the response or "
                "those columns (e.g. divide by a power of ten); the coefficients scale with it"
            )
        return fit

    def _solve_scaled(
        self, method: str, factor: float, *, max_iter: int, gtol: float | None
    ) -> SolverResult:
        """The least-squares solve with the response multiplied by ``factor``."""
        y = self.design.endog if factor == 1.0 else self.design.endog * factor
        if method != "gd":
            X = self.design.exog
            if self._weights is None:
                return solve_least_squares(X, y, method)
            # large problems: X'WX by weighted row chunks, no copy of sqrt(w) X
            return solve_weighted_least_squares(X, y, self._weights, method)
        X = self._wexog
        wy = y if self._sqrt_weights is None else self._sqrt_weights * y
        found = solve_least_squares_gd(densify(X), wy, max_iter=max_iter, gtol=gtol)
        # Inference still comes from the closed-form Hessian: (X'WX)^{-1} by a direct
        # solver, which also checks the rank.
        closed = solve_least_squares(X, wy, "auto")
        return replace(
            closed,
            params=found.params,
            method="gd",
            converged=found.converged,
            n_iter=found.n_iter,
            grad_norm=found.grad_norm,
            message=found.message,
            resid=None,
        )

    def predict(self, params: Any, exog: Any = None) -> torch.Tensor:
        """Linear predictor ``exog @ params`` (the model's design when ``exog`` is None)."""
        X = self.design.exog if exog is None else exog
        return X @ torch.as_tensor(params, dtype=X.dtype, device=X.device)

    def __repr__(self) -> str:
        source = f"formula={self.design.formula!r}" if self.design.formula else "arrays"
        shape = f"nobs={self.design.nobs}, k={self.design.k_exog}"
        return f"<torchstats.{self._model_name} {source}, {shape}>"


class OLS(_LeastSquares):
    """Ordinary least squares.

    Parameters
    ----------
    endog : array-like or str
        Response (numpy, pandas or torch), or a formula such as ``"y ~ x1 + C(g)"``.
    exog : array-like or DataFrame
        Design matrix (no constant is added, as in statsmodels), or the data for a formula.
    missing : {"drop", "raise", "none"}, optional
        Missing-data policy; default ``"drop"`` for formulas and ``"none"`` for arrays.
    hasconst : bool, optional
        Declare whether the design has a constant instead of detecting it.
    device : str or torch.device, optional
        Where to compute (``"cpu"``, ``"cuda"``); default the device of tensor input, else CPU.
    dtype : torch.dtype, optional
        ``torch.float64`` (default) or ``torch.float32``.
    context : int or mapping
        Namespace for names in a formula: frames above the caller (0 = the caller) or a mapping.

    Examples
    --------
    >>> import torchstats as ts
    >>> res = ts.OLS("y ~ x1 + C(g)", df).fit()        # doctest: +SKIP
    >>> res = ts.OLS(y, X).fit(method="qr")            # doctest: +SKIP
    """

    _model_name = "OLS"

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        *,
        missing: str | None = None,
        hasconst: bool | None = None,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        super().__init__(
            endog,
            exog,
            missing=missing,
            hasconst=hasconst,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1) if isinstance(endog, str) else None,
        )


class WLS(_LeastSquares):
    """Weighted least squares with known weights (inverse variances), as statsmodels' WLS.

    Parameters
    ----------
    endog, exog, missing, hasconst, device, dtype, context
        As for :class:`OLS`.
    weights : array-like, float or str
        One non-negative weight per observation, proportional to the inverse error variance:
        a pandas Series is matched to the rows by label, an array by position; with a
        formula, a string names a column of the data. Rows with NaN weights are dropped
        under ``missing="drop"``.
    """

    _model_name = "WLS"

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        weights: Any = 1.0,
        *,
        missing: str | None = None,
        hasconst: bool | None = None,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        super().__init__(
            endog,
            exog,
            weights=weights,
            missing=missing,
            hasconst=hasconst,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1) if isinstance(endog, str) else None,
        )


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (int, float)) or (isinstance(value, torch.Tensor) and value.ndim == 0)

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

import numpy as np
import torch

from torchstats._device import to_tensor
from torchstats._typing import SolverMethod, check_option
from torchstats.covariance.design_scores import DesignScores
from torchstats.covariance.least_squares import white_covariance
from torchstats.covariance.nonrobust import least_squares_covariance, require_data_units
from torchstats.covariance.result import CovarianceResult
from torchstats.covariance.sandwich import SandwichInputs, canonical_cov_type
from torchstats.errors import EmptyDataError, InvalidWeightsError, NumericalRangeError
from torchstats.formula.design_checks import check_finite, check_weights
from torchstats.inference.degrees_of_freedom import per_degree_of_freedom, warn_no_residual_df
from torchstats.models.base import Model, build_design, caller_context, sized_threads
from torchstats.models.data import plain_array
from torchstats.models.regularized_fit import fit_least_squares_regularized
from torchstats.results.regression import RegressionResults
from torchstats.results.regularized import RegularizedRefitResults, RegularizedResults
from torchstats.solvers.first_order import solve_least_squares_gd
from torchstats.solvers.least_squares import solve_least_squares, solve_weighted_least_squares
from torchstats.solvers.leverage import OrthonormalBasis, hat_diagonal, orthonormal_basis
from torchstats.solvers.result import SolverResult
from torchstats.solvers.scaling import response_scale
from torchstats.structured.blas import matvec
from torchstats.structured.block_matrix import densify, gram, scale_rows

__all__ = ["OLS", "WLS"]


class _LeastSquares(Model):
    """Shared machinery of OLS and WLS; not public. Subclasses only name themselves."""

    model_name = "LeastSquares"
    _results_class = RegressionResults

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
        self.row_weights: torch.Tensor | None = self._validated_weights(weights)
        """The weights as a tensor on the model's device (None for OLS)."""
        self._sqrt_weights = None if self.row_weights is None else torch.sqrt(self.row_weights)
        self._hasconst = hasconst
        check_finite(self.design, extras=False)
        if self.design.nobs < self.design.k_exog:
            raise EmptyDataError(
                f"more parameters ({self.design.k_exog}) than observations ({self.design.nobs}); "
                "least squares needs at least as many observations as columns"
            )

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
    def weights(self) -> Any:
        """Observation weights, shape (n,) (ones for OLS), as :attr:`endog`."""
        return plain_array(self.design, self._weights_or_ones)

    @property
    def _weights_or_ones(self) -> torch.Tensor:
        if self.row_weights is None:
            return torch.ones_like(self.design.endog)
        return self.row_weights

    @cached_property
    def _response_scale(self) -> float:
        return response_scale(self.design.endog)

    @cached_property
    def whitened_endog(self) -> torch.Tensor:
        """Whitened response ``sqrt(w) * y``."""
        sw = self._sqrt_weights
        return self.design.endog if sw is None else sw * self.design.endog

    @cached_property
    def whitened_exog(self) -> Any:
        """Whitened design ``sqrt(w) * X`` (a copy for WLS; fits do not need it)."""
        sw = self._sqrt_weights
        return self.design.exog if sw is None else scale_rows(self.design.exog, sw)

    @cached_property
    def wendog(self) -> Any:
        """Whitened response ``sqrt(w) * y``, as :attr:`endog`."""
        return plain_array(self.design, self.whitened_endog)

    @cached_property
    def wexog(self) -> Any:
        """Whitened design ``sqrt(w) * X``, as :attr:`exog`."""
        return plain_array(self.design, self.whitened_exog)

    @cached_property
    def pinv_wexog(self) -> Any:
        """Moore-Penrose pseudo-inverse of :attr:`wexog`, shape (k, n), as :attr:`exog`.

        statsmodels sets it when fitting with ``method="pinv"``; here it is computed (by SVD)
        when first read, e.g. by statsmodels' ``OLSInfluence``.
        """
        return plain_array(self.design, torch.linalg.pinv(densify(self.whitened_exog)))

    def whitened_resid(self, params: torch.Tensor) -> torch.Tensor:
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
        resid = self.whitened_resid(params)
        c = self._response_scale
        ssr_scaled = resid @ resid if c == 1.0 else (resid / c) @ (resid / c)
        half_n = self.design.nobs / 2.0
        log_ssr = torch.log(ssr_scaled) + 2 * math.log(c)
        llf = -half_n * log_ssr - (1 + math.log(math.pi / half_n)) * half_n
        if self.row_weights is not None:
            llf = llf + 0.5 * torch.sum(torch.log(self.row_weights))
        return llf

    def score(self, params: torch.Tensor) -> torch.Tensor:
        """Gradient of :meth:`loglike`: ``n X'W e / SSR``."""
        resid = self.whitened_resid(params)
        return self.design.nobs * self._weighted_rmatvec(resid) / (resid @ resid)

    def hessian(self, params: torch.Tensor) -> torch.Tensor:
        """Hessian of :meth:`loglike`: ``-n X'WX / SSR + 2n (X'We)(X'We)' / SSR^2``.

        At the least-squares estimate the second term vanishes (``X'We = 0``).
        """
        resid = self.whitened_resid(params)
        ssr = resid @ resid
        xtu = self._weighted_rmatvec(resid)
        n = self.design.nobs
        xwx = gram(self.design.exog, self.row_weights)
        return -n * xwx / ssr + 2 * n * torch.outer(xtu, xtu) / ssr**2

    def _weighted_rmatvec(self, whitened: torch.Tensor) -> torch.Tensor:
        """``(sqrt(w) X)' v`` for a whitened vector ``v``."""
        sw = self._sqrt_weights
        return self.design.exog.T @ (whitened if sw is None else sw * whitened)

    # --- fitting ----------------------------------------------------------------------------

    @sized_threads
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
        if fit.rank == self.design.nobs:
            warn_no_residual_df(
                self.model_name, self.design.nobs, fit.rank, "the error variance (scale)"
            )
        # statsmodels: fit(cov_type=robust) reports z unless use_t=True
        return self._report(fit, cov_type, cov_kwds, use_t)

    @sized_threads
    def fit_regularized(
        self,
        method: str = "elastic_net",
        alpha: Any = 0.0,
        L1_wt: float = 1.0,  # noqa: N803 (statsmodels' name)
        start_params: Any = None,
        profile_scale: bool = False,
        refit: bool = False,
        **kwargs: Any,
    ) -> RegularizedResults | RegularizedRefitResults:
        """Elastic net or square-root lasso (statsmodels' ``fit_regularized``).

        Minimises ``sum w e^2 / (2n) + alpha_w ((1 - L1_wt) |b|^2 / 2 + L1_wt |b|_1)``
        (``alpha_w = alpha mean(w)``; the profile likelihood ``log(SSR) / 2`` instead of
        the first term with ``profile_scale=True``), or for ``method="sqrt_lasso"``
        ``sqrt(SSR / n) + alpha |b|_1 / n``, exactly (to the KKT conditions; see
        ``docs/regularized.md``).

        Parameters
        ----------
        method : {"elastic_net", "sqrt_lasso"}
        alpha : float or array-like
            Penalty weight, a scalar or one per coefficient (0 leaves one unpenalised).
        L1_wt : float
            The lasso share of the penalty, in [0, 1] (0: ridge regression).
        start_params : array-like, optional
            Start values (default zeros).
        profile_scale : bool
            Profile the error variance out of the likelihood (elastic net).
        refit : bool
            Refit by least squares on the nonzero coefficients: least-squares results
            (OLS; unlabelled, as statsmodels') or the refit coefficients (WLS,
            ``sqrt_lasso``).
        **kwargs
            ``maxiter`` (default 50 proximal Newton steps), ``zero_tol`` (1e-8:
            coefficients below it are set to 0, as statsmodels); ``cnvrg_tol`` and
            ``check_step`` are accepted and unused.

        Returns
        -------
        RegularizedResults or RegularizedRefitResults

        Warns
        -----
        ConvergenceWarning
            ``maxiter`` ran out before the KKT conditions held.
        """
        return fit_least_squares_regularized(
            self, method, alpha, L1_wt, start_params, profile_scale, refit, kwargs
        )

    # --- what a fit gives (the results cache these) ------------------------------------------

    def fit_wresid(self, fit: SolverResult) -> torch.Tensor:
        """Whitened residuals of ``fit``: the solver's (more accurate) when it kept them."""
        return fit.resid if fit.resid is not None else self.whitened_resid(fit.params)

    def fit_ssr_scaled(self, fit: SolverResult) -> float:
        """The sum of squared whitened residuals of ``fit`` divided by ``c^2``, ``c`` its
        response scale (1 unless the response lies beyond 2^±480)."""
        resid = self.fit_wresid(fit)
        if fit.response_scale != 1.0:
            resid = resid / fit.response_scale
        return float(resid @ resid)

    def orthonormal_basis(self, fit: SolverResult) -> OrthonormalBasis | None:
        """``M`` with ``sqrt(w) X M`` orthonormal (None when rank deficient), from the
        solver's triangular factor: leverages and HC covariances are formed in it."""
        if fit.rank < fit.params.shape[0]:
            return None
        return orthonormal_basis(
            self.design.exog, self.row_weights, factor=fit.factor, column_scale=fit.column_scale
        )

    def leverage(self, fit: SolverResult, basis: OrthonormalBasis | None) -> torch.Tensor:
        """Leverages of the (whitened) design (see :mod:`torchstats.solvers.leverage`)."""
        return hat_diagonal(self.design.exog, self.row_weights, rank=fit.rank, basis=basis)

    # --- covariances ----------------------------------------------------------------------------

    def classical_covariance(self, fit: SolverResult, use_t: bool | None) -> CovarianceResult:
        """``s^2 (X'WX)^{-1}`` with ``s^2 = SSR / df_resid``; t inference by default."""
        df_resid = float(self.design.nobs - fit.rank)
        return least_squares_covariance(
            fit,
            per_degree_of_freedom(self.fit_ssr_scaled(fit), df_resid),
            df_resid=df_resid,
            use_t=True if use_t is None else bool(use_t),
        )

    def sandwich_inputs(self, fit: SolverResult, cov_type: str) -> SandwichInputs:
        """statsmodels' least-squares sandwich: bread ``(X'WX)^{-1}``, scores ``x_i w_i e_i``.

        The scores ``sqrt(w_i) x_i * sqrt(w_i) e_i`` are never formed (an (n, k) copy of the
        design), nor the whitened design. HC covariances of ill-conditioned designs are
        formed in the orthonormal basis (12 digits where the sandwich as written loses
        ``cond^2 eps``).
        """
        require_data_units(fit, "Robust covariances")
        assert fit.normalized_cov is not None
        wresid = self.fit_wresid(fit)
        root = self._sqrt_weights
        labels = self.output.row_index
        basis_cache: list[OrthonormalBasis | None] = []
        leverage_cache: list[torch.Tensor] = []

        def basis() -> OrthonormalBasis | None:
            if not basis_cache:
                basis_cache.append(self.orthonormal_basis(fit))
            return basis_cache[0]

        def leverage() -> torch.Tensor:
            if not leverage_cache:
                leverage_cache.append(self.leverage(fit, basis()))
            return leverage_cache[0]

        def accurate_white_covariance(power: int) -> torch.Tensor | None:
            # rank deficient: the pseudo-inverse sandwich; well conditioned: the sandwich
            # as written keeps 12 digits, for one pass over the data less
            found = basis()
            if found is None or found.well_conditioned:
                return None
            return white_covariance(
                found,
                self.design.exog,
                self.row_weights,
                wresid,
                power,
                leverage=leverage() if power else None,
                row_labels=labels,
            )

        scores = DesignScores(
            self.design.exog,
            wresid if root is None else root * wresid,
            weights=self.row_weights,
            leverage=leverage,
            row_labels=labels,
        )
        return SandwichInputs(
            bread=fit.normalized_cov,
            scores=scores,
            white_covariance=accurate_white_covariance,
            df_resid=float(self.design.nobs - fit.rank),
            leverage_available=True,
            least_squares=True,
            aliased=self.design.exog.shape[1] - fit.rank,
        )

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
            if self.row_weights is None:
                return solve_least_squares(X, y, method)
            # large problems: X'WX by weighted row chunks, no copy of sqrt(w) X
            return solve_weighted_least_squares(X, y, self.row_weights, method)
        X = self.whitened_exog
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
        """Linear predictor ``exog @ params`` (the model's design when ``exog`` is None);
        ``params`` and ``exog`` may be numpy, pandas or torch (as statsmodels'
        ``model.predict``)."""
        design = self.design.exog
        if isinstance(params, torch.Tensor):
            beta = params.to(device=design.device, dtype=design.dtype).reshape(-1)
        else:
            values = np.asarray(params, dtype=float).reshape(-1)
            beta = torch.as_tensor(values, dtype=design.dtype, device=design.device)
        if exog is None:
            return matvec(design, beta)
        X = to_tensor(exog, name="exog", device=beta.device, dtype=beta.dtype)
        return X @ beta if X.ndim == 2 else X.reshape(-1, beta.shape[0]) @ beta

    def __repr__(self) -> str:
        source = f"formula={self.design.formula!r}" if self.design.formula else "arrays"
        shape = f"nobs={self.design.nobs}, k={self.design.k_exog}"
        return f"<torchstats.{self.model_name} {source}, {shape}>"


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

    model_name = "OLS"

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

    model_name = "WLS"

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

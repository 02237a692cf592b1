"""Tests of the linear specification: Ramsey's RESET, Harvey-Collier and Utts' rainbow.

``statsmodels.stats.diagnostic.linear_reset``, ``linear_harvey_collier``,
``linear_rainbow`` and ``recursive_olsresiduals`` with the same signatures and return
values. Weighted fits are tested in the problem they solve (whitened by the weights);
statsmodels drops the weights there (see ``docs/differences.md``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import cdist

from torchstats.errors import (
    InvalidOptionError,
    ShapeMismatchError,
    SingularDesignError,
    UnknownColumnError,
)
from torchstats.models.linear import OLS, WLS
from torchstats.stats._inputs import as_float_array, auxiliary_ols, model_arrays

__all__ = ["linear_reset", "linear_harvey_collier", "linear_rainbow", "recursive_olsresiduals"]

ResetType = Literal["fitted", "exog", "princomp"]

# Ploberger's constants a of the CUSUM band a sqrt(n) + 2 a t / sqrt(n), by confidence level.
_CUSUM_CONSTANTS = {0.90: 0.850, 0.95: 0.948, 0.99: 1.143}


def _powers(power: int | Sequence[int]) -> np.ndarray:
    if isinstance(power, (int, np.integer)):
        if power < 2:
            raise InvalidOptionError("power must be >= 2")
        return np.arange(2, int(power) + 1, dtype=int)
    try:
        powers = np.array(power, dtype=int)
    except (TypeError, ValueError) as exc:
        raise InvalidOptionError("power must be an integer or list of integers") from exc
    if powers.ndim != 1 or len(set(powers)) != powers.shape[0] or (powers < 2).any():
        raise InvalidOptionError("power must contains distinct integers all >= 2")
    return powers


def _first_principal_component(x: np.ndarray, centred: bool) -> np.ndarray:
    """Scores of the first principal component (standardized columns when ``centred``).

    statsmodels takes them from its NIPALS PCA, which stops at a tolerance; the exact
    component from the SVD differs from it by about that tolerance. The test is the same
    for any sign and scale of the component.
    """
    if centred:
        x = (x - x.mean(axis=0)) / x.std(axis=0)
    u, _, _ = np.linalg.svd(x, full_matrices=False)
    return u[:, :1]


def linear_reset(
    res: Any,
    power: int | Sequence[int] = 3,
    test_type: ResetType = "fitted",
    use_f: bool = False,
    cov_type: str = "nonrobust",
    cov_kwds: Mapping[str, Any] | None = None,
) -> Any:
    """Ramsey's RESET test for neglected nonlinearity.

    Parameters
    ----------
    res : RegressionResults
        A fitted torchstats OLS or WLS model.
    power : int or sequence of int
        Powers of the augmenting variables: ``2..power`` for an int.
    test_type : {"fitted", "exog", "princomp"}
        Augment by powers of the fitted values, of each non-binary regressor, or of the
        first principal component of the regressors.
    use_f : bool
        F test (True) or chi-squared Wald test (False, the default).
    cov_type : str
        Covariance of the augmented fit (``"HC3"``, ``"HAC"``, ...).
    cov_kwds : mapping, optional
        Its options.

    Returns
    -------
    ContrastResults
        The Wald test that the coefficients of the added powers are zero.

    Notes
    -----
    ``statsmodels.stats.diagnostic.linear_reset``; R's ``lmtest::resettest`` is its
    ``use_f=True`` form.
    """
    if test_type not in ("fitted", "exog", "princomp"):
        raise InvalidOptionError(
            f"test_type {test_type!r} is not recognized; use 'fitted', 'exog' or 'princomp'"
        )
    endog, exog, weights = model_arrays(res)
    if bool(res.k_constant) and exog.shape[1] == 1:
        raise ShapeMismatchError(
            "exog contains only a constant column. The RESET test requires exog to have at "
            "least 1 non-constant column."
        )
    powers = _powers(power)
    if test_type == "fitted":
        aug = as_float_array(res.fittedvalues, "fittedvalues", ndim=2)
    elif test_type == "exog":
        binary = ((exog == exog.max(axis=0)) | (exog == exog.min(axis=0))).all(axis=0)
        if binary.all():
            raise ShapeMismatchError("Model contains only constant or binary data")
        aug = exog[:, ~binary]
    else:
        aug = exog
        if res.k_constant:
            const_idx = res.model.const_idx
            if const_idx is None:  # an implicit constant: statsmodels needs an explicit one
                raise ShapeMismatchError(
                    "test_type='princomp' needs the constant as a column of the design"
                )
            aug = np.delete(aug, int(const_idx), axis=1)
        aug = _first_principal_component(aug, centred=bool(res.k_constant))
    aug_exog = np.hstack([exog] + [aug**p for p in powers])
    augmented = _refit(endog, aug_exog, weights, cov_type, cov_kwds)
    n_restrictions = aug_exog.shape[1] - exog.shape[1]
    n_params = aug_exog.shape[1]
    r_matrix = np.eye(n_restrictions, n_params, k=n_params - n_restrictions)
    return augmented.wald_test(r_matrix, use_f=use_f, scalar=True)


def _refit(
    endog: np.ndarray,
    exog: np.ndarray,
    weights: np.ndarray | None,
    cov_type: str,
    cov_kwds: Mapping[str, Any] | None,
) -> Any:

    model = OLS(endog, exog) if weights is None else WLS(endog, exog, weights=weights)
    return model.fit(cov_type=cov_type, cov_kwds=dict(cov_kwds or {}))


def recursive_olsresiduals(
    res: Any,
    skip: int | None = None,
    lamda: float = 0.0,
    alpha: float = 0.95,
    order_by: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Recursive least-squares residuals and the CUSUM statistic (statsmodels).

    Parameters
    ----------
    res : RegressionResults
        A fitted torchstats OLS or WLS model.
    skip : int, optional
        Observations of the first fit; default the number of regressors.
    lamda : float
        Ridge term added to the first ``X'X``.
    alpha : {0.90, 0.95, 0.99}
        Level of the CUSUM confidence band.
    order_by : array_like of int, optional
        Order of the observations.

    Returns
    -------
    rresid, rparams, rypred, rresid_standardized, rresid_scaled, rcusum, rcusumci : ndarray
        As ``statsmodels.stats.diagnostic.recursive_olsresiduals``: one-step prediction
        errors, recursive estimates, predictions, standardized and scaled recursive
        residuals, their cumulative sum and its band. Entries before ``skip - 1`` are NaN.

    Notes
    -----
    Brown, Durbin & Evans (1975); the updates of ``(X'X)^{-1}`` by Sherman-Morrison as in
    statsmodels (Judge et al. eq. 5.5.14-15). Weighted fits use the whitened data.
    """
    if alpha not in _CUSUM_CONSTANTS:
        raise InvalidOptionError("alpha can only be 0.9, 0.95 or 0.99")
    y, x, weights = model_arrays(res)
    if weights is not None:
        root = np.sqrt(weights)
        y, x = root * y, root[:, None] * x
    if order_by is not None:
        order = np.asarray(order_by, dtype=int).reshape(-1)
        if order.shape[0] != y.shape[0]:
            raise ShapeMismatchError(
                f"order_by has {order.shape[0]} entries; the model has {y.shape[0]} observations"
            )
        x, y = x[order], y[order]
    nobs, nvars = x.shape
    skip = nvars if skip is None else int(skip)
    x0 = x[:skip]
    if np.linalg.matrix_rank(x0) < x0.shape[1]:
        raise SingularDesignError(
            "The initial regressor matrix, x[:skip], is singular. You must use a value of skip "
            "large enough to ensure that the first OLS estimator is well-defined."
        )
    rparams = np.full((nobs, nvars), np.nan)
    rresid = np.full(nobs, np.nan)
    rypred = np.full(nobs, np.nan)
    rvarraw = np.full(nobs, np.nan)
    xtxi = np.linalg.inv(x0.T @ x0 + lamda * np.eye(nvars))
    beta = xtxi @ (x0.T @ y[:skip])
    rparams[skip - 1] = beta
    rypred[skip - 1] = x[skip - 1] @ beta
    rresid[skip - 1] = y[skip - 1] - rypred[skip - 1]
    rvarraw[skip - 1] = 1 + x[skip - 1] @ xtxi @ x[skip - 1]
    for i in range(skip, nobs):
        xi = x[i]
        rypred[i] = xi @ beta
        rresid[i] = y[i] - rypred[i]
        tmp = xtxi @ xi
        ft = 1 + xi @ tmp
        xtxi = xtxi - np.outer(tmp, tmp) / ft
        beta = beta + tmp * rresid[i] / ft
        rparams[i] = beta
        rvarraw[i] = ft
    rresid_scaled = rresid / np.sqrt(rvarraw)
    nrr = nobs - skip
    sigma2 = rresid_scaled[skip:].var(ddof=1)
    rresid_standardized = rresid_scaled / np.sqrt(sigma2)
    rcusum = rresid_standardized[skip - 1 :].cumsum()
    a = _CUSUM_CONSTANTS[alpha]
    band = a * np.sqrt(nrr) + 2 * a * np.arange(0, nobs - skip) / np.sqrt(nrr)
    rcusumci = band * np.array([[-1.0], [+1.0]])
    return rresid, rparams, rypred, rresid_standardized, rresid_scaled, rcusum, rcusumci


def linear_harvey_collier(res: Any, order_by: Any = None, skip: int | None = None) -> Any:
    """Harvey-Collier t test that the mean of the recursive residuals is zero.

    Parameters
    ----------
    res : RegressionResults
        A fitted torchstats OLS or WLS model.
    order_by : array_like of int, optional
        Order of the observations.
    skip : int, optional
        Observations of the first recursive fit; default the number of regressors ``k``.

    Returns
    -------
    TtestResult
        scipy's one-sample t test (``statistic``, ``pvalue``; unpacks as a pair).

    Notes
    -----
    R's ``lmtest::harvtest``: the t test of the ``n - skip`` recursive residuals from
    observation ``skip + 1`` on. statsmodels always drops the first three standardized
    recursive residuals (its entries ``0, 1, 2``), which is the same set only for
    ``skip = 3`` (as in its test suite); for other ``skip`` it leaves a residual out
    (``skip < 3``) or takes in the undefined ones, returning NaN (``skip > 4``).
    """
    recursive = recursive_olsresiduals(res, skip=skip, alpha=0.95, order_by=order_by)
    nvars = int(as_float_array(res.model.exog, "exog", ndim=2).shape[1])
    start = nvars if skip is None else int(skip)
    return stats.ttest_1samp(recursive[3][start:], 0)


def linear_rainbow(
    res: Any,
    frac: float = 0.5,
    order_by: Any = None,
    use_distance: bool = False,
    center: float | int | None = None,
) -> tuple[np.float64, np.float64]:
    """Utts' rainbow test: does the fit on a central subset differ from the full fit?

    Parameters
    ----------
    res : RegressionResults
        A fitted torchstats OLS or WLS model.
    frac : float
        The fraction of the observations in the central subset, in ``(0, 1)``.
    order_by : str, sequence of str or array_like of int, optional
        Design column name(s) to sort the observations by (lexicographically, as
        statsmodels sorts ``model.data.orig_exog``), or the positions of the observations
        in their new order. Default: the order of the data.
    use_distance : bool
        Order by the Mahalanobis distance of each row of ``exog`` to its mean instead,
        ties broken by the columns of ``exog`` (first column first).
    center : float or int, optional
        Ignored, as in statsmodels 0.15, which warns (``FutureWarning``) when it is given
        with ``use_distance=True``.

    Returns
    -------
    fstat : numpy.float64
        ``((SSR - SSR_mid) / (n - n_mid)) / (SSR_mid / df_resid_mid)``.
    pvalue : numpy.float64
        Upper tail of ``F(n - n_mid, df_resid_mid)``.

    Raises
    ------
    TypeError
        ``res`` is not the results of an OLS or WLS fit.
    InvalidOptionError
        ``frac`` outside ``(0, 1)`` or too small for the subset to have more observations
        than regressors; ``order_by`` together with ``use_distance``.
    UnknownColumnError
        An ``order_by`` name that is not a column of the design.
    ShapeMismatchError
        ``order_by`` positions that are not one per observation, or out of range.

    Notes
    -----
    ``statsmodels.stats.diagnostic.linear_rainbow`` (0.15): the subset is the ordered rows
    ``ceil((1 - frac) n / 2)`` to ``floor(that + frac n)``, as in R's
    ``lmtest::raintest``. Weighted fits are tested in the problem they solve: the subset
    fit is weighted too (statsmodels fits it without the weights and compares its sum of
    squares with the weighted one of ``res``); the order uses the unweighted ``exog``.

    References
    ----------
    Utts, J. M. (1982). The rainbow test for lack of fit in regression. Communications in
    Statistics - Theory and Methods, 11(24), 2801-2815.
    """
    if not isinstance(getattr(res, "model", None), (OLS, WLS)):
        raise TypeError("res must be the results of a torchstats OLS or WLS fit")
    frac = float(frac)
    if not 0.0 < frac < 1.0:
        raise InvalidOptionError(f"frac must lie strictly between 0 and 1, got {frac!r}")
    if order_by is not None and use_distance:
        raise InvalidOptionError("order_by and use_distance cannot be simultaneously used.")
    endog, exog, weights = model_arrays(res)
    nobs = endog.shape[0]
    if use_distance:
        if center is not None:
            warnings.warn(
                "The center parameter is deprecated and no longer has any effect: the "
                "Mahalanobis distances are measured from the exog centroid (statsmodels 0.15).",
                FutureWarning,
                stacklevel=2,
            )
        order: np.ndarray | None = _distance_order(exog)
    else:
        order = None if order_by is None else _rainbow_order(res, exog, order_by)
    if weights is not None:
        root = np.sqrt(weights)
        endog, exog = root * endog, root[:, None] * exog
    if order is not None:
        endog, exog = endog[order], exog[order]
    low = math.ceil(0.5 * (1 - frac) * nobs)
    high = math.floor(low + frac * nobs)
    if high - low < exog.shape[1]:
        raise InvalidOptionError(
            f"frac is too small to perform the test: the central {high - low} observations "
            f"must be at least the {exog.shape[1]} regressors"
        )
    middle = auxiliary_ols(endog[low:high], exog[low:high])
    ssr_middle = float(middle.ssr)
    df_middle = float(middle.df_resid)
    df_outer = nobs - (high - low)
    fstat = (float(res.ssr) - ssr_middle) / df_outer / ssr_middle * df_middle
    return np.float64(fstat), np.float64(stats.f.sf(fstat, df_outer, df_middle))


def _rainbow_order(res: Any, exog: np.ndarray, order_by: Any) -> np.ndarray:
    """Positions of the observations in the order ``order_by`` asks for."""
    if isinstance(order_by, str) or (
        isinstance(order_by, Sequence) and all(isinstance(name, str) for name in order_by)
    ):
        names = [order_by] if isinstance(order_by, str) else list(order_by)
        columns = [str(name) for name in res.model.exog_names]
        unknown = [name for name in names if name not in columns]
        if unknown or not names:
            raise UnknownColumnError(
                f"order_by names {unknown} are not columns of the design; choose among {columns}"
            )
        # statsmodels' sort: pandas ``sort_values`` of the named design columns (quicksort
        # for one column, so the order of ties is pandas'), through a positional column
        frame = pd.DataFrame(exog, columns=columns)[names]
        positions = "__index__"
        while positions in frame:
            positions += "_"
        frame[positions] = np.arange(frame.shape[0])
        return frame.sort_values(names)[positions].to_numpy()
    order = as_float_array(order_by, "order_by", ndim=1)
    nobs = exog.shape[0]
    if order.shape[0] != nobs or not np.all((order == np.round(order)) & (order >= 0)):
        raise ShapeMismatchError(
            f"order_by must hold {nobs} integer positions of the observations, got "
            f"{order.shape[0]} values"
        )
    if order.max() >= nobs:
        raise ShapeMismatchError(f"order_by positions must be below nobs = {nobs}")
    return order.astype(np.intp)


def _distance_order(exog: np.ndarray) -> np.ndarray:
    """Rows by Mahalanobis distance to the centroid, ties by the columns (statsmodels)."""
    centroid = exog.mean(0, keepdims=True)
    deviations = exog - centroid
    inverse = np.linalg.pinv(deviations.T @ deviations / exog.shape[0])
    distance = cdist(exog, centroid, metric="mahalanobis", VI=inverse)
    return np.lexsort((*exog.T[::-1], distance.ravel()))

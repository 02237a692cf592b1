"""Tests of the linear specification: Ramsey's RESET and Harvey-Collier.

``statsmodels.stats.diagnostic.linear_reset``, ``linear_harvey_collier`` and
``recursive_olsresiduals`` with the same signatures and return values. Weighted fits are
tested in the problem they solve (whitened by the weights); statsmodels drops the weights
there (see ``docs/differences.md``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from scipy import stats

from torchstats.errors import InvalidOptionError, ShapeMismatchError, SingularDesignError
from torchstats.models.linear import OLS, WLS
from torchstats.stats._inputs import as_float_array, model_arrays

__all__ = ["linear_reset", "linear_harvey_collier", "recursive_olsresiduals"]

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

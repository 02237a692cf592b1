"""Information criteria of likelihood fits: statsmodels' ``info_criteria(crit, dk_params)``.

``aic`` and ``bic`` count ``k`` parameters (the model's convention plus ``dk_params``):
``-2 llf + 2 k`` and ``-2 llf + k log(n)``. For misspecified models, ``tic`` (Takeuchi) and
``gbic`` (Lv & Liu 2014) replace ``k`` by the trace (and log-determinant) of the
information-matrix ratio ``(-H)^{-1} S'S`` (statsmodels' ``im_ratio``; with a robust
covariance ``V``, ``V (-H)``), which is the identity matrix, of trace ``k``, when the model
is correct.

References: Takeuchi (1976); Lv, J. and Liu, J. S. (2014), "Model selection principles in
misspecified models", *JRSS B* 76(1), 141-167, equations (20) and (23).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from torchstats._device import to_numpy
from torchstats.errors import InvalidOptionError

__all__ = ["INFO_CRITERIA", "im_ratio", "info_criterion"]

INFO_CRITERIA = ("aic", "bic", "tic", "gbic")


def im_ratio(
    hessian: torch.Tensor,
    score_obs: torch.Tensor,
    cov_params: torch.Tensor,
    *,
    nonrobust: bool,
) -> np.ndarray:
    """The information-matrix ratio (statsmodels' ``_parameter_inference.im_ratio``).

    Parameters
    ----------
    hessian : Tensor, shape (k, k)
        Hessian of the log-likelihood at the estimate.
    score_obs : Tensor, shape (n, k)
        Per-observation scores there.
    cov_params : Tensor, shape (k, k)
        The fit's covariance (used when it is robust).
    nonrobust : bool
        Whether the fit's covariance is the inverse information.

    Returns
    -------
    ndarray, shape (k, k)
        ``(-H)^{-1} S'S``, or ``V (-H)`` for a robust covariance ``V``.
    """
    information = -hessian
    if nonrobust:
        ratio = torch.linalg.solve(information, score_obs.T @ score_obs)
    else:
        ratio = cov_params @ information
    return to_numpy(ratio).astype(np.float64)


def info_criterion(
    crit: str,
    llf: float,
    k_params: float,
    nobs: float,
    ratio: np.ndarray | None = None,
) -> float | tuple[float, float]:
    """``"aic"``, ``"bic"``, ``"tic"`` or ``"gbic"`` (statsmodels' ``info_criteria``).

    Parameters
    ----------
    crit : str
        The criterion (case-insensitive).
    llf : float
        Log-likelihood at the estimate.
    k_params : float
        Parameters counted by ``aic``, ``bic`` and ``gbic`` (``dk_params`` included).
    nobs : float
        The ``n`` of ``log(n)``.
    ratio : ndarray, optional
        :func:`im_ratio`, needed by ``tic`` and ``gbic``.

    Returns
    -------
    float, or (float, float) for ``"gbic"``
        ``gbic`` returns ``(gbic, gbicp)``, ``gbicp = gbic + trace(ratio)``, as statsmodels.

    Raises
    ------
    InvalidOptionError
        An unknown criterion.
    """
    key = crit.lower() if isinstance(crit, str) else crit
    if key == "aic":
        return -2 * llf + 2 * k_params
    if key == "bic":
        return -2 * llf + k_params * math.log(nobs)
    if key in ("tic", "gbic") and ratio is not None:
        trace = float(np.trace(ratio))
        if key == "tic":
            return -2 * llf + 2 * trace
        gbic = -2 * llf + k_params * math.log(nobs) - float(np.linalg.slogdet(ratio)[1])
        return gbic, gbic + trace
    raise InvalidOptionError(
        f"unknown information criterion {crit!r}; choose one of "
        f"{', '.join(map(repr, INFO_CRITERIA))}"
    )

"""``GLM.fit``: IRLS (statsmodels' ``GLM._fit_irls``) or a likelihood optimizer
(``GLM._fit_gradient``).

IRLS is the default and is documented in :mod:`~torchstats.solvers.irls`. Any other
``method`` (``"newton"``, ``"bfgs"``, ``"lbfgs"``, ``"nm"``, ...) maximises the
log-likelihood as statsmodels' ``_fit_gradient`` does:

1. start values: ``start_params``, else ``max_start_irls`` IRLS iterations (at scale 1, with
   the IRLS options ``tol``, ``rtol``, ``atol``, ``tol_criterion``, ``wls_method``), else
   zeros;
2. minimise ``-loglike(params, scale=1) / nobs`` with the closed-form score and Hessian
   (observed, or expected with ``optim_hessian="eim"``): torch's Newton, or statsmodels'
   scipy call of the method (:mod:`~torchstats.solvers.optimizers`);
3. the scale from the fitted means by the ``scale`` rule; the covariance ``scale * (-H)^-1``
   with ``H`` the observed Hessian at scale 1 (the expected one for ``cov_type="eim"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import torch

from torchstats._device import to_numpy
from torchstats._typing import check_option
from torchstats.errors import (
    ConvergenceWarning,
    InvalidOptionError,
    NumericalError,
    SpecificationWarning,
    warn,
)
from torchstats.models.discrete_fit import inverse_information
from torchstats.models.linear import WLS
from torchstats.solvers.irls import IrlsResult, fit_irls
from torchstats.solvers.maximum_likelihood import NegativeLogLikelihood, minimize_negative_loglike
from torchstats.solvers.optimizers import (
    check_optimizer_options,
)
from torchstats.solvers.result import SolverResult
from torchstats.structured.block_matrix import dense_within_limit

__all__ = ["IrlsOptions", "check_irls_arguments", "fit_by_gradient", "fit_by_irls"]

WLS_METHODS = ("auto", "qr", "cholesky", "pinv", "lstsq")
"""``wls_method`` of the IRLS steps; statsmodels' ``"lstsq"`` is solved as ``"pinv"`` (both
are SVD least squares)."""

TOL_CRITERIA = ("deviance", "params")


@dataclass(frozen=True, slots=True)
class IrlsOptions:
    """statsmodels' IRLS keywords of ``GLM.fit``, checked.

    Attributes
    ----------
    wls_method : str
        As given (reported in ``mle_settings``).
    rtol : float
    atol : float or None
        None: ``tol``.
    tol_criterion : {"deviance", "params"}
    """

    wls_method: str
    rtol: float
    atol: float | None
    tol_criterion: str

    @classmethod
    def checked(
        cls, wls_method: str, rtol: float, atol: float | None, tol_criterion: str
    ) -> IrlsOptions:
        """Refuse unknown values, listing the choices."""
        check_option(wls_method, WLS_METHODS, "wls_method")
        check_option(tol_criterion, TOL_CRITERIA, "tol_criterion")
        for name, value in (("rtol", rtol), ("atol", atol)):
            if value is not None and not (isinstance(value, (int, float)) and value >= 0):
                raise InvalidOptionError(f"{name} must be a non-negative number, got {value!r}")
        return cls(wls_method, float(rtol), atol, tol_criterion)

    @property
    def solver(self) -> str:
        """The least-squares method of each step."""
        return "pinv" if self.wls_method == "lstsq" else self.wls_method

    def run(
        self, model: Any, scaletype: Any, start: torch.Tensor | None, maxiter: int, tol: float
    ) -> IrlsResult:
        """IRLS on ``model`` with these options."""
        with torch.no_grad():
            return fit_irls(
                model.irls_problem(scaletype),
                start_params=start,
                maxiter=maxiter,
                tol=tol,
                wls_method=self.solver,
                rtol=self.rtol,
                atol=self.atol,
                tol_criterion=self.tol_criterion,
            )


def check_irls_arguments(
    full_output: bool,
    disp: bool,
    max_start_irls: int,
    optim_hessian: str | None,
    options: Mapping[str, Any],
) -> None:
    """IRLS takes no optimizer options; warn about arguments it ignores."""
    if options:
        raise InvalidOptionError(
            f"GLM: unknown fit option(s) {', '.join(map(repr, sorted(options)))} for "
            "method='IRLS' (it takes wls_method, rtol, atol, tol_criterion and "
            "attach_wls); optimizer options go with method='newton', 'bfgs', ..."
        )
    ignored = [
        name
        for name, given in (
            ("full_output=False", not full_output),
            ("disp=True", disp),
            (f"max_start_irls={max_start_irls}", max_start_irls != 3),
            (f"optim_hessian={optim_hessian!r}", optim_hessian is not None),
        )
        if given
    ]
    if ignored:
        warn(
            f"GLM: {', '.join(ignored)} has no effect with method='IRLS' (it prints "
            "nothing and needs no start iterations or optimizer Hessian); "
            "fit_history reports the iterations",
            SpecificationWarning,
        )


def fit_by_irls(
    model: Any,
    *,
    start: torch.Tensor | None,
    maxiter: int,
    tol: float,
    scaletype: Any,
    irls: IrlsOptions,
    attach_wls: bool,
) -> tuple[SolverResult, dict[str, Any]]:
    """statsmodels' ``GLM._fit_irls``: the fit (with its ``scale``) and its history."""

    found = irls.run(model, scaletype, start, maxiter, tol)
    if not found.solution.converged and maxiter > 0:
        change = abs(found.deviance_history[-1] - found.deviance_history[-2])
        warn(
            f"GLM: IRLS did not converge in {maxiter} iterations (last change of the "
            f"deviance {change:.3g}; atol={irls.atol if irls.atol is not None else tol:g}, "
            f"rtol={irls.rtol:g}); increase maxiter, or check the link and the data",
            ConvergenceWarning,
        )
    model._warn_if_outside_range(found.mu)
    model._warn_if_separated(found.mu, found.solution.params, found.solution.converged)
    fit = replace(found.solution, scale=float(found.scale))
    history: dict[str, Any] = {
        "method": "IRLS",
        "iteration": fit.n_iter,
        "deviance": found.deviance_history,
        "settings": {"optimizer": "IRLS", "wls_method": irls.wls_method},
    }
    if attach_wls and found.working is not None:
        history["results_wls"] = _final_wls(model, *found.working, irls.solver)
    return fit, history


def _final_wls(model: Any, working: torch.Tensor, weights: torch.Tensor, method: str) -> Any:
    """statsmodels' ``results_wls``: WLS of the last working response on the design."""

    X = dense_within_limit(model.design.exog, "GLM's results_wls")
    output = model.design.output
    endog: Any = working
    exog: Any = X
    if output.kind == "pandas":
        index = output.row_index
        endog = pd.Series(to_numpy(working), index=index)
        exog = pd.DataFrame(to_numpy(X), index=index, columns=list(model.exog_names))
    elif output.kind == "numpy":
        endog, exog = to_numpy(working), to_numpy(X)
    wls = WLS(endog, exog, output.plain(weights), device=X.device, dtype=X.dtype)
    return wls.fit(method=method)  # type: ignore[arg-type]  # one of IrlsOptions' solvers


def fit_by_gradient(
    model: Any,
    *,
    start: torch.Tensor | None,
    method: str,
    maxiter: int,
    tol: float,
    scaletype: Any,
    disp: bool,
    full_output: bool,
    max_start_irls: int,
    irls: IrlsOptions,
    optim_hessian: str | None,
    eim: bool,
    options: Mapping[str, Any],
) -> tuple[SolverResult, dict[str, Any]]:
    """statsmodels' ``GLM._fit_gradient`` (see the module docstring).

    Raises
    ------
    NumericalError
        The log-likelihood is not finite at the start or at the estimate, or non-finite
        values stopped a gradient-based method.
    """

    options = check_optimizer_options(method, options, "GLM")
    if optim_hessian is not None:
        check_option(optim_hessian, ("oim", "eim"), "optim_hessian")
    if not full_output:
        warn("full_output=False has no effect: mle_retvals is always complete", FutureWarning)
    X = model.design.exog
    if start is None and max_start_irls > 0:
        start = irls.run(model, 1.0, None, max_start_irls, tol).solution.params
    elif start is None:
        start = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
    observed = optim_hessian != "eim"
    found, retvals = _minimise(model, start, method, maxiter, disp, options, observed)
    if not found.converged:
        warn(
            f"GLM: maximum likelihood optimization ({method}) did not converge after "
            f"{found.n_iter} iterations ({found.message}; gradient norm {found.grad_norm:.3g}); "
            "check mle_retvals, increase maxiter, or use method='IRLS'",
            ConvergenceWarning,
        )
    params = found.params
    mu = model._mean(params)
    model._warn_if_outside_range(mu)
    model._warn_if_separated(mu, params, found.converged)
    scale = model.scale_rule(scaletype)(mu)
    hessian = model.hessian(params, scale=1.0, observed=not eim)
    normalized = inverse_information(hessian, "GLM", singular=model.rank < X.shape[1])
    fit = SolverResult(
        params=params,
        method=method,
        converged=found.converged,
        n_iter=found.n_iter,
        grad_norm=found.grad_norm,
        message=found.message,
        rank=model.rank,
        normalized_cov=normalized,
        nonfinite=found.nonfinite,
        scale=float(scale),
    )
    retvals = {
        **retvals,
        "converged": found.converged,
        "grad_norm": found.grad_norm,
        "message": found.message,
        "method": method,
    }
    settings = {
        "optimizer": method,
        "start_params": model.design.output.plain(start),
        "maxiter": maxiter,
        "full_output": full_output,
        "disp": disp,
        "max_start_irls": max_start_irls,
        "optim_hessian": optim_hessian,
        **options,
    }
    history = {
        "method": method,
        "iteration": found.n_iter,
        "settings": settings,
        "retvals": retvals,
    }
    return fit, history


def _minimise(
    model: Any,
    start: torch.Tensor,
    method: str,
    maxiter: int,
    disp: bool,
    options: Mapping[str, Any],
    observed: bool,
) -> tuple[SolverResult, dict[str, Any]]:
    """``-loglike(params, scale=1)`` by torch's Newton or the scipy ``method``; the record and
    statsmodels' ``mle_retvals`` of the method."""
    nobs = model.design.nobs
    nll = NegativeLogLikelihood(
        lambda params: -model.loglike(params, scale=1.0),
        lambda params: (-model.loglike(params, scale=1.0), -model.score(params, scale=1.0)),
        lambda params: -model.hessian(params, scale=1.0, observed=observed),
        nobs=nobs,
        name="GLM",
        remedy="pass start_params or use method='IRLS'",
    )
    if not bool(torch.isfinite(nll.value(start))):
        raise NumericalError(
            "GLM: the log-likelihood is not finite at the start values; pass start_params "
            "inside the family's range, or use method='IRLS'"
        )
    minimum = minimize_negative_loglike(
        nll, start, method, maxiter=maxiter, disp=disp, options=options
    )
    found = minimum.found
    if method != "newton":
        return found, minimum.retvals
    with torch.no_grad():
        retvals = {
            "fopt": float(nll.value(found.params)) / nobs,
            "iterations": found.n_iter,
            "score": to_numpy(-model.score(found.params, scale=1.0) / nobs),
            "Hessian": to_numpy(nll.hessian(found.params) / nobs),
            "warnflag": 0 if found.converged else 1,
            "converged": found.converged,
        }
    return found, retvals

"""One driver for every maximum-likelihood fit: torch's Newton or statsmodels' scipy methods.

A model hands over its negative log-likelihood in the parametrisation the optimizer steps in
(:class:`NegativeLogLikelihood`: closed-form derivatives, or autograd's) and gets back the
solver's record, the method's ``mle_retvals`` and, for Newton, the log-likelihood at every
iterate. Non-finite values that stop a fit raise :class:`~torchstats.errors.NumericalError`
naming the model and its remedy; what the estimates mean and how they are reported is the
model's business.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from torchstats.errors import NumericalError
from torchstats.solvers.newton import minimize_newton
from torchstats.solvers.optimizers import TorchObjective, minimize_scipy, print_newton_report
from torchstats.solvers.result import SolverResult

__all__ = ["Minimum", "NegativeLogLikelihood", "minimize_negative_loglike"]

Tensor = torch.Tensor


@dataclass(frozen=True)
class NegativeLogLikelihood:
    """``-loglike`` (a sum over observations) and its derivatives in one parametrisation.

    Attributes
    ----------
    value : callable
        ``theta -> 0-d tensor``.
    value_and_gradient : callable
        ``theta -> (value, gradient)``.
    hessian : callable
        ``theta -> (k, k)`` tensor.
    nobs : float
        Observations: statsmodels' scipy methods minimise ``value / nobs``.
    name : str
        The model's name, for messages.
    remedy : str
        What to try when non-finite values stop the fit.
    all_derivatives : callable, optional
        ``theta -> (value, gradient, Hessian)`` in one call, where that is cheaper than
        the three apart (closed forms sharing their terms).
    """

    value: Callable[[Tensor], Tensor]
    value_and_gradient: Callable[[Tensor], tuple[Tensor, Tensor]]
    hessian: Callable[[Tensor], Tensor]
    nobs: float
    name: str
    remedy: str = "rescale the regressors or pass start_params"
    all_derivatives: Callable[[Tensor], tuple[Tensor, Tensor, Tensor]] | None = None

    @classmethod
    def by_autograd(
        cls, value: Callable[[Tensor], Tensor], *, nobs: float, name: str, remedy: str
    ) -> NegativeLogLikelihood:
        """Exact derivatives of ``value`` by ``torch.func``."""
        value_and_grad = torch.func.grad_and_value(value)

        def value_and_gradient(theta: Tensor) -> tuple[Tensor, Tensor]:
            with torch.enable_grad():
                gradient, found = value_and_grad(theta)
            return found.detach(), gradient.detach()

        def hessian(theta: Tensor) -> Tensor:
            with torch.enable_grad():
                return torch.func.hessian(value)(theta).detach()

        return cls(value, value_and_gradient, hessian, nobs=nobs, name=name, remedy=remedy)

    def derivatives(self, theta: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Value, gradient and Hessian at ``theta``."""
        if self.all_derivatives is not None:
            return self.all_derivatives(theta)
        value, gradient = self.value_and_gradient(theta)
        return value, gradient, self.hessian(theta)


@dataclass(frozen=True)
class Minimum:
    """What :func:`minimize_negative_loglike` found.

    Attributes
    ----------
    found : SolverResult
        ``params`` in the parametrisation the optimizer stepped in.
    retvals : dict
        The scipy method's ``mle_retvals`` (empty for Newton, whose keys the model fills in
        from its reported parameters).
    loglike_history : list of float
        Newton: the log-likelihood wherever it asked for derivatives (statsmodels'
        ``fit_history``); empty for the scipy methods.
    derivatives : tuple of Tensor, optional
        Newton: the value, gradient and Hessian of ``nll`` at ``found.params`` when its last
        call of the derivatives was there (the usual end), so that a caller needing them at
        the estimate does not pay for the Hessian (a pass over the data) again; else None.
    """

    found: SolverResult
    retvals: dict[str, Any] = field(default_factory=dict)
    loglike_history: list[float] = field(default_factory=list)
    derivatives: tuple[Tensor, Tensor, Tensor] | None = None


def minimize_negative_loglike(
    nll: NegativeLogLikelihood,
    start: Tensor,
    method: str,
    *,
    maxiter: int,
    disp: bool,
    options: Mapping[str, Any],
) -> Minimum:
    """Minimise ``nll`` from ``start`` by torch's damped Newton or a scipy ``method``.

    Parameters
    ----------
    nll : NegativeLogLikelihood
    start : Tensor, shape (k,)
        Start values, in ``nll``'s parametrisation (checked finite by the caller).
    method : str
        ``"newton"`` or one of statsmodels' scipy methods
        (:data:`~torchstats.solvers.optimizers.OPTIMIZER_METHODS`).
    maxiter : int
    disp : bool
        Print statsmodels' (Newton) or scipy's convergence report.
    options : mapping
        The method's keywords, completed by
        :func:`~torchstats.solvers.optimizers.check_optimizer_options` (``ftol`` for Newton).

    Returns
    -------
    Minimum

    Raises
    ------
    NumericalError
        The log-likelihood or its gradient became non-finite and stopped the fit, or the
        fit ended where they are not finite.
    """
    if method == "newton":
        return _newton(nll, start, maxiter, disp, options)
    objective = TorchObjective(
        nll.value, nll.value_and_gradient, nll.hessian, like=start, nobs=nll.nobs
    )
    with torch.no_grad():
        scipy_fit = minimize_scipy(
            objective,
            start.detach().cpu().numpy(),
            method,
            maxiter=maxiter,
            disp=disp,
            options=options,
            name=nll.name,
        )
        params = objective.theta(scipy_fit.params)
        value, gradient = nll.value_and_gradient(params)
    if not (bool(torch.isfinite(value)) and bool(torch.isfinite(gradient).all())):
        raise NumericalError(
            f"{nll.name}: {method!r} stopped where the log-likelihood or its gradient is not "
            f"finite (after {scipy_fit.iterations} iterations); {nll.remedy}"
        )
    converged, message = scipy_fit.converged, scipy_fit.message
    if converged:
        gap = _predicted_gap(nll, params, gradient)
        if gap > _GAP_TOLERANCE * max(1.0, abs(float(value))):
            # statsmodels reports such a stop as converged (scipy met its own test)
            converged = False
            message = (
                f"{message}; but the exact derivatives put the maximum {gap:.3g} higher "
                "(half the Newton decrement): the optimizer stopped short"
            )
    found = SolverResult(
        params=params,
        method=method,
        converged=converged,
        n_iter=scipy_fit.iterations,
        grad_norm=float(gradient.abs().max()),
        message=message,
        rank=int(params.shape[0]),
        nonfinite=scipy_fit.nonfinite,
    )
    return Minimum(found, dict(scipy_fit.retvals))


#: A scipy fit that its method calls converged is reported as not converged when the exact
#: derivatives predict the optimum more than this fraction of ``max(1, |nll|)`` away (a
#: badly scaled logit stopped by L-BFGS or Nelder-Mead 35 log-likelihood units short).
_GAP_TOLERANCE = 1e-6


def _predicted_gap(nll: NegativeLogLikelihood, params: Tensor, gradient: Tensor) -> float:
    """Half the Newton decrement ``g' H^{-1} g / 2``: how far the minimum lies below the
    value at ``params`` by the quadratic model; 0 where the Hessian is not positive
    definite there (a boundary or saddle: no prediction)."""
    with torch.no_grad():
        hessian = nll.hessian(params)
        hessian = (hessian + hessian.T) / 2
        factor, info = torch.linalg.cholesky_ex(hessian)
        if int(info) != 0 or not bool(torch.isfinite(factor).all()):
            return 0.0
        step = torch.cholesky_solve(gradient.reshape(-1, 1), factor).reshape(-1)
        return max(0.0, float(gradient @ step) / 2)


def _newton(
    nll: NegativeLogLikelihood,
    start: Tensor,
    maxiter: int,
    disp: bool,
    options: Mapping[str, Any],
) -> Minimum:
    values: list[Tensor] = []  # the objective wherever Newton asked for derivatives
    last: list[tuple[Tensor, tuple[Tensor, Tensor, Tensor]]] = []  # the latest call

    def derivatives(theta: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        found = nll.derivatives(theta)
        values.append(found[0])
        last[:] = [(theta, found)]
        return found

    with torch.no_grad():
        found = minimize_newton(
            nll.value,
            start.detach(),
            derivatives=derivatives,
            max_iter=maxiter,
            ftol=options.get("ftol"),
        )
        final = nll.value(found.params)
    if "not finite" in found.message or not bool(torch.isfinite(final)):
        raise NumericalError(
            f"{nll.name}: the log-likelihood or its gradient was not finite during the fit "
            f"({found.message}; after {found.n_iter} iterations); {nll.remedy}"
        )
    if disp:
        print_newton_report(found.converged, float(final) / nll.nobs, found.n_iter)
    history = [-v for v in torch.stack(values).tolist()] if values else []
    # minimize_newton returns the very tensor it last asked derivatives at, or another point
    at_found = last[0][1] if last and last[0][0] is found.params else None
    return Minimum(found, {}, history, at_found)

"""statsmodels' optimizers: its method names and options, and its scipy methods with exact
torch derivatives.

``fit(method=...)`` of the likelihood models takes statsmodels' names: ``"newton"`` (torch's
damped Newton, :mod:`~torchstats.solvers.newton`; this module checks its options and prints
statsmodels' report) and the scipy methods
``"nm"``, ``"bfgs"``, ``"lbfgs"``, ``"powell"``, ``"cg"``, ``"ncg"``, ``"basinhopping"`` and
``"minimize"``. Each scipy method is called exactly as ``statsmodels.base.optimizer`` calls
it: the same scipy function, the same defaults (``gtol=1e-5`` in the infinity norm for
BFGS and CG, ``xtol = ftol = 1e-4`` for Nelder-Mead and Powell, ``avextol=1e-5`` for
Newton-CG, ``niter=100`` for basin hopping, BFGS for ``minimize``), the same objective (the
negative log-likelihood divided by ``nobs``) and the same ``mle_retvals`` keys, so a fit
from the same start takes the same path and stops at the same point. With ``disp=True``
scipy prints its own report (``Optimization terminated successfully.`` ...), as under
statsmodels.

The difference is in the derivatives: the gradient and the Hessian are exact (closed forms
or autograd, evaluated in torch and handed over as float64 numpy), where statsmodels uses
its own closed forms or finite differences.

Order of calls: the scipy routine asks :class:`TorchObjective` for values (and gradients,
Hessians); each request is one torch evaluation at ``theta`` (value and gradient together,
cached for the gradient request that follows at the same point) and one host sync.

Non-finite values are handed to scipy as ``+inf`` (a rejected point) and counted. A
derivative-free search (Nelder-Mead, Powell) that met them may settle on the edge of the
region where the log-likelihood is defined; it is reported converged only when a Newton
step with the exact derivatives could not lower the objective by more than
``_STATIONARY_DECREMENT`` there. A gradient-based method that met them and then failed
(its line search, not its iteration limit, stopped it) or converged short of such a point
raises :class:`~torchstats.errors.NumericalError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy import optimize

from torchstats.errors import InvalidOptionError, NumericalError, SpecificationWarning, warn

__all__ = [
    "OPTIMIZER_METHODS",
    "SCIPY_METHODS",
    "ScipyFit",
    "TorchObjective",
    "check_optimizer_options",
    "minimize_scipy",
    "print_newton_report",
]

OPTIMIZER_METHODS = (
    "newton",
    "nm",
    "bfgs",
    "lbfgs",
    "powell",
    "cg",
    "ncg",
    "basinhopping",
    "minimize",
)
"""statsmodels' ``fit(method=...)`` names (``LikelihoodModel.fit``)."""

SCIPY_METHODS = OPTIMIZER_METHODS[1:]
"""The methods run by scipy (all but ``"newton"``)."""

_EPSILON = 1.4901161193847656e-08  # scipy's finite-difference step, statsmodels' default

# statsmodels.base.optimizer: the keywords of each method with their defaults (None: scipy's
# default applies when the keyword is not given).
_DEFAULTS: dict[str, dict[str, Any]] = {
    "nm": {"xtol": 1e-4, "ftol": 1e-4, "maxfun": None},
    "bfgs": {"gtol": 1e-5, "norm": math.inf, "epsilon": _EPSILON},
    "lbfgs": {"bounds": None, "m": None, "pgtol": None, "factr": None, "maxfun": None},
    "powell": {"xtol": 1e-4, "ftol": 1e-4, "maxfun": None, "start_direc": None},
    "cg": {"gtol": 1e-5, "norm": math.inf, "epsilon": _EPSILON},
    "ncg": {"fhess_p": None, "avextol": 1e-5, "epsilon": _EPSILON},
    "basinhopping": {
        "niter": 100,
        "niter_success": None,
        "T": 1.0,
        "stepsize": 0.5,
        "interval": 50,
        "minimizer": None,
        "seed": None,
        "rng": None,
    },
}
# Options of statsmodels' Newton (a parameter-change tolerance and a fixed ridge): accepted
# with a warning, since torchstats' Newton has its own stopping rule and damping.
_STATSMODELS_NEWTON_OPTIONS = ("tol", "ridge_factor")
# Keywords statsmodels allows for its finite-difference gradients; the gradient here is exact.
_NUMERICAL_GRADIENT = ("approx_grad", "loglike_and_score")
# ``minimize``: keywords kept out of scipy's ``options`` (statsmodels passes ``niter`` and
# ``tol`` nowhere, so they have no effect there either).
_MINIMIZE_RESERVED = ("min_method", "tol", "niter", "bounds", "constraints")
_MINIMIZE_NO_HESSIAN = ("Nelder-Mead", "Powell", "CG", "BFGS", "L-BFGS-B", "TNC", "COBYLA", "SLSQP")
_MINIMIZE_NO_GRADIENT = ("Nelder-Mead", "Powell", "COBYLA")
_MINIMIZE_BOUNDS = ("L-BFGS-B", "Nelder-Mead", "Powell", "TNC", "SLSQP", "trust-constr")
_MINIMIZE_CONSTRAINTS = ("COBYLA", "SLSQP", "trust-constr")
# A derivative-free fit that met non-finite values counts as converged only if a Newton step
# there would lower the objective (the mean negative log-likelihood) by at most this much:
# statsmodels' ftol of Nelder-Mead and Powell. At the edge of a NaN region the predicted
# decrease is of the order of the objective's curvature times the distance to the optimum
# outside it squared, orders of magnitude larger.
_STATIONARY_DECREMENT = 1e-4

# scipy's messages for the warnflags of its fmin_* functions (scipy.optimize._optimize).
_SUCCESS = "Optimization terminated successfully."
_DERIVATIVE_FREE_MESSAGES = {  # fmin, fmin_powell
    0: _SUCCESS,
    1: "Maximum number of function evaluations has been exceeded.",
    2: "Maximum number of iterations has been exceeded.",
    3: "NaN result encountered.",
    4: "The result is outside of the provided bounds.",
}
_GRADIENT_MESSAGES = {  # fmin_bfgs, fmin_cg, fmin_ncg
    0: _SUCCESS,
    1: "Maximum number of iterations has been exceeded.",
    2: "Desired error not necessarily achieved due to precision loss.",
    3: "NaN result encountered.",
    5: "The line search failed.",
}


class TorchObjective:
    """The negative mean log-likelihood and its exact derivatives, as scipy calls them.

    Parameters
    ----------
    value : callable
        ``theta -> 0-d tensor``: the negative log-likelihood (a sum over observations).
    value_and_gradient : callable
        ``theta -> (value, gradient)``, tensors.
    hessian : callable
        ``theta -> (k, k) tensor``: the Hessian of the negative log-likelihood.
    like : Tensor
        Gives the dtype and device of ``theta``.
    nobs : float
        The divisor (statsmodels minimises ``-loglike / nobs``).

    Attributes
    ----------
    nonfinite : int
        How many evaluations gave a non-finite value or gradient.
    """

    def __init__(
        self,
        value: Callable[[torch.Tensor], torch.Tensor],
        value_and_gradient: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
        hessian: Callable[[torch.Tensor], torch.Tensor],
        *,
        like: torch.Tensor,
        nobs: float,
    ) -> None:
        self._value = value
        self._value_and_gradient = value_and_gradient
        self._hessian = hessian
        self._like = like
        self._nobs = float(nobs)
        self.nonfinite = 0
        self.with_gradient = True
        self._cache: tuple[bytes, float, np.ndarray] | None = None

    def theta(self, x: np.ndarray) -> torch.Tensor:
        """``x`` as a tensor of the model's dtype on its device."""
        values = np.asarray(x, dtype=np.float64)
        return torch.as_tensor(values, dtype=self._like.dtype, device=self._like.device)

    def _finite(self, value: float, gradient: np.ndarray | None = None) -> float:
        if math.isfinite(value) and (gradient is None or bool(np.isfinite(gradient).all())):
            return value
        self.nonfinite += 1
        return value if math.isfinite(value) else math.inf

    def value(self, x: np.ndarray) -> float:
        """``-loglike / nobs`` at ``x`` (``+inf`` where it is not finite)."""
        if self.with_gradient:
            return self._evaluate(x)[0]
        with torch.no_grad():
            value = float(self._value(self.theta(x))) / self._nobs
        return self._finite(value)

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """Its gradient at ``x``, shape (k,)."""
        return self._evaluate(x)[1]

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """Its Hessian at ``x``, shape (k, k)."""
        hessian = self._hessian(self.theta(x)).detach()
        return hessian.to(device="cpu", dtype=torch.float64).numpy() / self._nobs

    def _evaluate(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        key = np.asarray(x, dtype=np.float64).tobytes()
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1], self._cache[2].copy()
        value_t, gradient_t = self._value_and_gradient(self.theta(x))
        gradient = gradient_t.detach().to(device="cpu", dtype=torch.float64).numpy()
        gradient = gradient / self._nobs
        value = self._finite(float(value_t) / self._nobs, gradient)
        self._cache = (key, value, gradient)
        return value, gradient.copy()


@dataclass(frozen=True, slots=True)
class ScipyFit:
    """What a scipy optimizer found, in statsmodels' terms.

    Attributes
    ----------
    params : ndarray, shape (k,)
        The solution (``xopt``).
    converged : bool
    iterations : int
        scipy's iteration count (``nit``; counted by the callback where scipy does not
        report it).
    retvals : dict
        statsmodels' ``mle_retvals`` for the method (``fopt``, ``gopt``, ``Hinv``, ``fcalls``,
        ``warnflag``, ``converged``, ...), plus ``iterations``.
    settings : dict
        The method's keywords with statsmodels' defaults filled in (``mle_settings``).
    message : str
        Why it stopped.
    nonfinite : int
        Evaluations with a non-finite value or gradient.
    """

    params: np.ndarray
    converged: bool
    iterations: int
    retvals: dict[str, Any]
    settings: dict[str, Any]
    message: str
    nonfinite: int


def check_optimizer_options(method: str, options: Mapping[str, Any], model: str) -> dict[str, Any]:
    """The keywords of ``method`` with statsmodels' defaults; unknown ones refused.

    Parameters
    ----------
    method : str
        One of :data:`OPTIMIZER_METHODS`.
    options : mapping
        The caller's keywords.
    model : str
        The model's name, for messages.

    Returns
    -------
    dict
        ``options`` with the defaults added (``minimize`` passes every other keyword on to
        ``scipy.optimize.minimize`` as an option of its method). ``"newton"`` takes
        ``ftol``, the tolerance on the Newton decrement (None: ``64 eps``).

    Raises
    ------
    InvalidOptionError
        A keyword the method does not take (statsmodels warns and ignores it), or one for
        finite-difference gradients.

    Warns
    -----
    SpecificationWarning
        statsmodels' ``tol`` or ``ridge_factor`` for ``"newton"``, which have no effect.
    """
    if method == "newton":
        return _newton_options(options, model)
    numerical = sorted(set(options) & set(_NUMERICAL_GRADIENT))
    if numerical or (method == "lbfgs" and "epsilon" in options):
        names = ", ".join(map(repr, numerical or ["epsilon"]))
        raise InvalidOptionError(
            f"{model}: {names} concern finite-difference gradients; torchstats passes the "
            "exact gradient to scipy, so leave them out"
        )
    if method == "minimize":
        return {"min_method": "BFGS", **options}
    defaults = _DEFAULTS[method]
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise InvalidOptionError(
            f"{model}: unknown option(s) {', '.join(map(repr, unknown))} for "
            f"method={method!r}; it takes {', '.join(map(repr, defaults))}"
        )
    return {**defaults, **options}


def _newton_options(options: Mapping[str, Any], model: str) -> dict[str, Any]:
    ignored = sorted(set(options) & set(_STATSMODELS_NEWTON_OPTIONS))
    if ignored:
        warn(
            f"{model}: {', '.join(map(repr, ignored))} of statsmodels' Newton have no effect "
            "here: torchstats' Newton stops on the Newton decrement (ftol) and damps the "
            "Hessian only where it is not positive definite",
            SpecificationWarning,
        )
    unknown = sorted(set(options) - {"ftol", *_STATSMODELS_NEWTON_OPTIONS})
    if unknown:
        raise InvalidOptionError(
            f"{model}: unknown option(s) {', '.join(map(repr, unknown))} for "
            "method='newton'; it takes 'ftol'"
        )
    return {"ftol": options.get("ftol")}


def print_newton_report(converged: bool, fopt: float, iterations: int) -> None:
    """statsmodels' ``disp=True`` report of Newton (``statsmodels.base.optimizer._fit_newton``).

    ``fopt`` is the objective, the negative mean log-likelihood.
    """
    if converged:
        print("Optimization terminated successfully.")
        print(f"         Current function value: {fopt:f}")
        print(f"         Iterations {iterations:d}")
    else:
        print("Warning: Maximum number of iterations has been exceeded.")
        print(f"         Current function value: {fopt:f}")
        print(f"         Iterations: {iterations:d}")


def minimize_scipy(
    objective: TorchObjective,
    x0: np.ndarray,
    method: str,
    *,
    maxiter: int,
    disp: bool,
    options: Mapping[str, Any],
    name: str,
) -> ScipyFit:
    """Minimise ``objective`` from ``x0`` with statsmodels' scipy optimizer ``method``.

    Parameters
    ----------
    objective : TorchObjective
    x0 : ndarray, shape (k,)
        Start values.
    method : str
        One of :data:`SCIPY_METHODS`.
    maxiter : int
        Passed to scipy (basin hopping ignores it and runs ``niter`` hops, as statsmodels).
    disp : bool
        Let scipy print its report.
    options : mapping
        The method's keywords, checked and completed by :func:`check_optimizer_options`.
    name : str
        The model's name, for messages.

    Returns
    -------
    ScipyFit

    Raises
    ------
    NumericalError
        A gradient-based method met non-finite values and then stopped short of an optimum
        for another reason than its iteration limit (a failed line search, or a false
        convergence at the edge of a NaN region).
    """
    settings = dict(options)
    derivative_free = method in ("nm", "powell") or (
        method == "minimize" and settings["min_method"] in _MINIMIZE_NO_GRADIENT
    )
    objective.with_gradient = not derivative_free
    x0 = np.asarray(x0, dtype=np.float64)
    xopt, retvals, iterations, message = _RUNNERS[method](objective, x0, maxiter, disp, settings)
    retvals["iterations"] = iterations
    converged = bool(retvals["converged"])
    if objective.nonfinite:
        decrement = _newton_decrement(objective, xopt) if converged else math.inf
        if not decrement <= _STATIONARY_DECREMENT:
            if not derivative_free and (converged or retvals.get("warnflag") != 1):
                raise NumericalError(
                    f"{name}: the log-likelihood or its gradient was not finite at "
                    f"{objective.nonfinite} point(s) tried by {method!r}, which then stopped "
                    f"after {iterations} iterations short of a maximum ({message}); check "
                    "the likelihood for log(0), overflow or parameters leaving their "
                    "domain, rescale the regressors or pass start_params"
                )
            if converged:
                message = (
                    f"stopped next to points where the log-likelihood is undefined (NaN or "
                    f"infinite at {objective.nonfinite} points tried), where a Newton step "
                    f"would still raise it by {decrement:.3g} per observation: the edge of "
                    "the region where it is defined, not a maximum"
                )
            converged = retvals["converged"] = False
    return ScipyFit(
        params=np.asarray(xopt, dtype=np.float64),
        converged=converged,
        iterations=iterations,
        retvals=retvals,
        settings=settings,
        message=message,
        nonfinite=objective.nonfinite,
    )


def _newton_decrement(objective: TorchObjective, x: np.ndarray) -> float:
    """``g' H^{-1} g / 2`` at ``x`` (inf where ``H`` is not positive definite)."""
    gradient = objective.gradient(x)
    hessian = objective.hessian(x)
    if not (np.isfinite(gradient).all() and np.isfinite(hessian).all()):
        return math.inf
    try:
        factor = np.linalg.cholesky((hessian + hessian.T) / 2)
    except np.linalg.LinAlgError:
        return math.inf
    half = np.linalg.solve(factor, gradient)
    return float(half @ half) / 2


# --- one runner per method: statsmodels.base.optimizer._fit_<method> ------------------------

_Run = tuple[np.ndarray, dict[str, Any], int, str]


class _Counter:
    """Counts the callback's calls: the iterations of scipy routines that do not return them."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, *args: Any) -> None:
        self.calls += 1


def _run_nm(
    objective: TorchObjective, x0: np.ndarray, maxiter: int, disp: bool, opts: dict[str, Any]
) -> _Run:
    xopt, fopt, niter, fcalls, warnflag = optimize.fmin(
        objective.value,
        x0,
        xtol=opts["xtol"],
        ftol=opts["ftol"],
        maxiter=maxiter,
        maxfun=opts["maxfun"],
        full_output=True,
        disp=disp,
    )
    retvals = {"fopt": fopt, "iterations": niter, "fcalls": fcalls, "warnflag": warnflag}
    message = _DERIVATIVE_FREE_MESSAGES[warnflag]
    return xopt, {**retvals, "converged": not warnflag}, int(niter), message


def _run_bfgs(
    objective: TorchObjective, x0: np.ndarray, maxiter: int, disp: bool, opts: dict[str, Any]
) -> _Run:
    counter = _Counter()
    xopt, fopt, gopt, hinv, fcalls, gcalls, warnflag = optimize.fmin_bfgs(
        objective.value,
        x0,
        objective.gradient,
        gtol=opts["gtol"],
        norm=opts["norm"],
        epsilon=opts["epsilon"],
        maxiter=maxiter,
        full_output=True,
        disp=disp,
        callback=counter,
    )
    retvals = {
        "fopt": fopt,
        "gopt": gopt,
        "Hinv": hinv,
        "fcalls": fcalls,
        "gcalls": gcalls,
        "warnflag": warnflag,
        "converged": not warnflag,
    }
    return xopt, retvals, counter.calls, _GRADIENT_MESSAGES[warnflag]


def _run_lbfgs(
    objective: TorchObjective, x0: np.ndarray, maxiter: int, disp: bool, opts: dict[str, Any]
) -> _Run:
    if opts["bounds"] is None:
        opts["bounds"] = [(None, None)] * len(x0)
    extra = {k: opts[k] for k in ("m", "pgtol", "factr", "maxfun") if opts[k] is not None}
    xopt, fopt, info = optimize.fmin_l_bfgs_b(
        objective.value,
        x0,
        objective.gradient,
        bounds=opts["bounds"],
        maxiter=maxiter,
        **extra,
    )
    warnflag = int(info["warnflag"])
    retvals = {
        "fopt": fopt,
        "gopt": info["grad"],
        "fcalls": info["funcalls"],
        "warnflag": warnflag,
        "converged": warnflag == 0,
        "iterations": info["nit"],
    }
    return xopt, retvals, int(info["nit"]), str(info["task"])


def _run_cg(
    objective: TorchObjective, x0: np.ndarray, maxiter: int, disp: bool, opts: dict[str, Any]
) -> _Run:
    counter = _Counter()
    xopt, fopt, fcalls, gcalls, warnflag = optimize.fmin_cg(
        objective.value,
        x0,
        objective.gradient,
        gtol=opts["gtol"],
        norm=opts["norm"],
        epsilon=opts["epsilon"],
        maxiter=maxiter,
        full_output=True,
        disp=disp,
        callback=counter,
    )
    retvals = {
        "fopt": fopt,
        "fcalls": fcalls,
        "gcalls": gcalls,
        "warnflag": warnflag,
        "converged": not warnflag,
    }
    return xopt, retvals, counter.calls, _GRADIENT_MESSAGES[warnflag]


def _run_ncg(
    objective: TorchObjective, x0: np.ndarray, maxiter: int, disp: bool, opts: dict[str, Any]
) -> _Run:
    counter = _Counter()
    xopt, fopt, fcalls, gcalls, hcalls, warnflag = optimize.fmin_ncg(
        objective.value,
        x0,
        objective.gradient,
        fhess_p=opts["fhess_p"],
        fhess=objective.hessian,
        avextol=opts["avextol"],
        epsilon=opts["epsilon"],
        maxiter=maxiter,
        full_output=True,
        disp=disp,
        callback=counter,
    )
    retvals = {
        "fopt": fopt,
        "fcalls": fcalls,
        "gcalls": gcalls,
        "hcalls": hcalls,
        "warnflag": warnflag,
        "converged": not warnflag,
    }
    return xopt, retvals, counter.calls, _GRADIENT_MESSAGES[warnflag]


def _run_powell(
    objective: TorchObjective, x0: np.ndarray, maxiter: int, disp: bool, opts: dict[str, Any]
) -> _Run:
    xopt, fopt, direc, niter, fcalls, warnflag = optimize.fmin_powell(
        objective.value,
        x0,
        xtol=opts["xtol"],
        ftol=opts["ftol"],
        maxiter=maxiter,
        maxfun=opts["maxfun"],
        full_output=True,
        disp=disp,
        direc=opts["start_direc"],
    )
    retvals = {
        "fopt": fopt,
        "direc": direc,
        "iterations": niter,
        "fcalls": fcalls,
        "warnflag": warnflag,
        "converged": not warnflag,
    }
    return xopt, retvals, int(niter), _DERIVATIVE_FREE_MESSAGES[warnflag]


def _run_basinhopping(
    objective: TorchObjective, x0: np.ndarray, maxiter: int, disp: bool, opts: dict[str, Any]
) -> _Run:
    minimizer = dict(opts["minimizer"] or {})
    minimizer["jac"] = objective.gradient
    inner = minimizer.get("method")
    if inner and inner != "L-BFGS-B":  # statsmodels: L-BFGS-B takes no Hessian
        minimizer["hess"] = objective.hessian
    random = {"rng": opts["rng"]} if opts["rng"] is not None else {"seed": opts["seed"]}
    found = optimize.basinhopping(
        objective.value,
        x0,
        minimizer_kwargs=minimizer,
        niter=opts["niter"],
        niter_success=opts["niter_success"],
        T=opts["T"],
        stepsize=opts["stepsize"],
        disp=disp,
        interval=opts["interval"],
        **random,
    )
    message = str(found.message[0])
    retvals = {
        "fopt": found.fun,
        "iterations": found.nit,
        "fcalls": found.nfev,
        "converged": "completed successfully" in message,
    }
    return found.x, retvals, int(found.nit), message


def _run_minimize(
    objective: TorchObjective, x0: np.ndarray, maxiter: int, disp: bool, opts: dict[str, Any]
) -> _Run:
    inner = opts["min_method"]
    scipy_options = {k: v for k, v in opts.items() if k not in _MINIMIZE_RESERVED}
    scipy_options.update(disp=disp, maxiter=maxiter)
    counter = _Counter()
    found = optimize.minimize(
        objective.value,
        x0,
        method=inner,
        jac=None if inner in _MINIMIZE_NO_GRADIENT else objective.gradient,
        hess=None if inner in _MINIMIZE_NO_HESSIAN else objective.hessian,
        bounds=opts.get("bounds") if inner in _MINIMIZE_BOUNDS else None,
        constraints=opts.get("constraints", ()) if inner in _MINIMIZE_CONSTRAINTS else (),
        callback=counter,
        options=scipy_options,
    )
    iterations = int(getattr(found, "nit", counter.calls))
    retvals = {
        "fopt": found.fun,
        "iterations": iterations,
        "fcalls": found.nfev,
        "warnflag": found.status,
        "converged": bool(found.success),
    }
    return found.x, retvals, iterations, str(found.message)


_RUNNERS: dict[str, Callable[..., _Run]] = {
    "nm": _run_nm,
    "bfgs": _run_bfgs,
    "lbfgs": _run_lbfgs,
    "powell": _run_powell,
    "cg": _run_cg,
    "ncg": _run_ncg,
    "basinhopping": _run_basinhopping,
    "minimize": _run_minimize,
}

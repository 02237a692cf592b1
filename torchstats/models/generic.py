"""Custom likelihoods by maximum likelihood: ``MLE`` (a function of named parameters) and
``GenericLikelihoodModel`` (statsmodels' subclass form, for porting code).

    m = MLE(lambda mu, sigma: dist.Normal(mu, sigma).log_prob(y),
            start_params={"mu": 0.0, "sigma": 1.0}, positive=["sigma"])
    res = m.fit()                       # Newton with the exact autograd Hessian
    res.bse, res.summary()
    restricted = m.fit(fixed={"mu": 0.0})
    restricted.score_test(); res.lr_test(restricted); res.wald_test("mu = 0")

Both run on :class:`~torchstats.models.likelihood_engine.LikelihoodEngine` (exact autograd
information, scores and score tests; statsmodels' ``GenericLikelihoodModel`` uses finite
differences).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import torch

from torchstats._device import (
    OutputFormat,
    output_kind_of,
    resolve_device,
    resolve_dtype,
    to_tensor,
)
from torchstats.autodiff.parameters import BoxTransform, FlatParameters, flatten_parameters
from torchstats.errors import AutogradError, InvalidOptionError, SpecificationWarning, warn
from torchstats.formula.constant import constant_columns
from torchstats.models.base import build_design, caller_context
from torchstats.models.likelihood_engine import (
    EngineModel,
    LikelihoodEngine,
    check_fit_options,
)
from torchstats.results.likelihood import MaximumLikelihoodResults

__all__ = ["MLE", "GenericLikelihoodModel"]


class MLE(EngineModel):
    """Maximum likelihood for a log-likelihood written in torch.

    Parameters
    ----------
    loglike : callable
        ``loglike(**params)`` returns the per-observation log-likelihoods (a 1-d tensor) or
        their sum; per-observation values are needed for OPG and sandwich covariances.
    start_params : mapping of str to float or tensor
        Names and starting values; vector-valued parameters are allowed (``beta[0]``...).
    nobs : int, optional
        Number of observations; default the number of values ``loglike`` returns.
    bounds : mapping of str to (lower, upper), optional
        Box constraints (None for an open side), enforced by reparametrisation.
    positive : iterable of str
        Parameters constrained to be positive (a ``log`` reparametrisation).
    device, dtype
        Computation device and precision (float64 by default).
    name : str
        The model's name in the summary (``"<name> Results"``).

    Raises
    ------
    AutogradError
        ``loglike`` is computed outside torch (numpy, scipy), so autograd cannot
        differentiate it.

    Notes
    -----
    Estimates, standard errors and tests are on the user's scale whatever the
    reparametrisation; the Hessian is the exact one in those parameters.
    """

    def __init__(
        self,
        loglike: Callable[..., torch.Tensor],
        start_params: Mapping[str, Any],
        *,
        nobs: int | None = None,
        bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
        positive: Iterable[str] = (),
        device: Any = None,
        dtype: Any = None,
        name: str = "MLE",
    ) -> None:
        if not isinstance(start_params, Mapping) or not start_params:
            raise InvalidOptionError(
                "start_params must be a non-empty mapping of names to start values, e.g. "
                "{'mu': 0.0, 'sigma': 1.0}"
            )
        device = resolve_device(device, *start_params.values())
        dtype = resolve_dtype(dtype)
        flat = flatten_parameters(
            {k: torch.as_tensor(v, dtype=dtype, device=device) for k, v in start_params.items()}
        )
        self._flat = flat
        self.start_params = flat.vector
        transform = _box_transform(flat, dict(bounds or {}), set(positive))

        def loglikeobs(theta: torch.Tensor) -> torch.Tensor:
            return _torch_loglike(lambda t: flat.call(loglike, t), theta, name)

        self.engine = LikelihoodEngine(
            loglikeobs, flat.names, transform=transform, nobs=nobs or 0, name=name
        )
        if nobs is None:
            with torch.no_grad():
                values = loglikeobs(self.start_params)
            if values.numel() == 1:
                raise InvalidOptionError(
                    "loglike returns a single value (a sum): pass nobs= (the number of "
                    "observations), or return one log-likelihood per observation"
                )
            self.engine.nobs = int(values.numel())
        self.output = OutputFormat("pandas", tuple(flat.names))

    def fit(
        self,
        method: str = "newton",
        maxiter: int = 100,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
        fixed: Mapping[str, Any] | None = None,
        start_params: Mapping[str, Any] | None = None,
        disp: bool = False,
        **kwargs: Any,
    ) -> MaximumLikelihoodResults:
        """Maximise the log-likelihood.

        Parameters
        ----------
        method : {"newton", "nm", "bfgs", "lbfgs", "powell", "cg", "ncg", "basinhopping", \
"minimize"}
            Newton with the exact autograd Hessian and a line search (default), or one of
            statsmodels' scipy optimizers with exact autograd derivatives (on the host; see
            ``docs/standard-errors.md``). All minimise ``-loglike / nobs`` on the
            unconstrained scale of ``positive=`` and ``bounds=``.
        maxiter : int
            Iteration limit; non-convergence warns (``ConvergenceWarning``).
        cov_type : {"nonrobust", "opg", "sandwich", "HC0", "cluster", "HAC"}
            Inverse observed information (default), outer product of per-observation scores,
            ``H^-1 (S'S) H^-1``, or a sandwich from the scores (``cov_kwds`` as for OLS).
        cov_kwds : mapping, optional
            Options of the robust covariance (``groups``, ``maxlags``...).
        use_t : bool, optional
            t instead of normal inference (default False).
        fixed : mapping of str to value, optional
            Parameters held at these values (a restricted fit, e.g. for ``score_test``); a
            vector parameter is fixed whole (a scalar broadcasts).
        start_params : mapping, optional
            Starting values overriding those given to the model.
        disp : bool
            Print statsmodels' (Newton) or scipy's convergence report.
        **kwargs
            The method's options, named as statsmodels names them (``ftol`` for Newton;
            ``gtol`` for BFGS, ``xtol``/``ftol``/``maxfun`` for Nelder-Mead, ...).

        Returns
        -------
        MaximumLikelihoodResults

        Raises
        ------
        NumericalError
            Non-finite log-likelihood at the start or during the fit.
        InvalidOptionError
            Unknown method, cov_type or parameter name; start values outside the bounds.
        """
        check_fit_options(method, cov_type)
        start = self.start_params.clone()
        if start_params:
            start = self._with_values(start_params, start)
        fit, retvals, free = self.engine.fit(
            start,
            fixed=self._fixed_positions(fixed or {}),
            method=method,
            maxiter=maxiter,
            disp=disp,
            options=kwargs,
        )
        settings = {
            "optimizer": method,
            "start_params": self.output.plain(start),
            "maxiter": maxiter,
            "disp": disp,
            **kwargs,
        }
        return self._report(fit, cov_type, cov_kwds, use_t, retvals=retvals, settings=settings)

    def _with_values(self, values: Mapping[str, Any], base: torch.Tensor) -> torch.Tensor:
        parts = dict(zip(self._flat.keys, self._flat.split(base.clone())))
        unknown = set(values) - set(parts)
        if unknown:
            raise InvalidOptionError(
                f"unknown parameter(s) {sorted(unknown)}; parameters are {list(parts)}"
            )
        for key, value in values.items():
            parts[key] = torch.as_tensor(value, dtype=base.dtype, device=base.device).expand(
                parts[key].shape
            )
        return torch.cat([p.reshape(-1) for p in parts.values()])

    def _fixed_positions(self, fixed: Mapping[str, Any]) -> dict[int, float]:
        unknown = set(fixed) - set(self._flat.keys)
        if unknown:
            raise InvalidOptionError(
                f"cannot fix unknown parameter(s) {sorted(unknown)}; parameters are "
                f"{list(self._flat.keys)}"
            )
        positions: dict[int, float] = {}
        offset = 0
        for key, shape in zip(self._flat.keys, self._flat.shapes):
            size = int(torch.Size(shape).numel())
            if key in fixed:
                values = np.broadcast_to(np.asarray(fixed[key], dtype=float), shape).reshape(-1)
                positions.update({offset + i: float(v) for i, v in enumerate(values)})
            offset += size
        return positions


# What the errors below advise.
_TORCH_HINT = (
    "write it with torch operations, which autograd differentiates exactly: torch.log, "
    "torch.exp, torch.special (gammaln, ndtr, ...) and torch.distributions (e.g. "
    "Normal(mu, sigma).log_prob(y)) instead of numpy and scipy.stats, and keep the "
    "parameters tensors (no .numpy(), .item(), float() or torch.tensor() of them)"
)
# Messages of torch errors raised when a tensor the autograd tracks is handed to numpy.
_NUMPY_ESCAPES = ("numpy", "data pointer", ".item()", "must be Tensor", "requires grad")


def _torch_loglike(
    function: Callable[[torch.Tensor], Any], theta: torch.Tensor, name: str
) -> torch.Tensor:
    """``function(theta)``, refused with a clear error unless autograd can follow it.

    A log-likelihood written with numpy either fails inside torch (a tensor that needs a
    gradient cannot become a numpy array), returns numpy, or rebuilds a tensor from numpy
    values, whose gradient autograd would silently take as zero.

    Raises
    ------
    AutogradError
        Naming the model and saying how to write the log-likelihood in torch.
    """
    try:
        values = function(theta)
    except (RuntimeError, TypeError) as error:
        if not any(escape in str(error) for escape in _NUMPY_ESCAPES):
            raise
        raise AutogradError(
            f"{name}: the log-likelihood left torch ({error}); {_TORCH_HINT}"
        ) from error
    if not isinstance(values, torch.Tensor):
        raise AutogradError(
            f"{name}: the log-likelihood returned a {type(values).__name__}, not a torch "
            f"tensor; {_TORCH_HINT}"
        )
    if theta.requires_grad and not values.requires_grad:
        raise AutogradError(
            f"{name}: the log-likelihood does not depend on the parameters as autograd sees "
            f"them (it was computed from values taken out of torch, so its gradient would be "
            f"taken as zero); {_TORCH_HINT}"
        )
    return values


def _box_transform(
    flat: FlatParameters, bounds: dict[str, tuple[float | None, float | None]], positive: set[str]
) -> BoxTransform:
    unknown = (set(bounds) | positive) - set(flat.keys)
    if unknown:
        raise InvalidOptionError(
            f"bounds or positive= name unknown parameter(s) {sorted(unknown)}; parameters are "
            f"{list(flat.keys)}"
        )
    lower: list[float] = []
    upper: list[float] = []
    for key, shape in zip(flat.keys, flat.shapes):
        size = int(torch.Size(shape).numel())
        low, high = bounds.get(key, (None, None))
        if key in positive:
            low = 0.0 if low is None else max(low, 0.0)
        low_value = -math.inf if low is None else float(low)
        high_value = math.inf if high is None else float(high)
        if not low_value < high_value:
            raise InvalidOptionError(f"bounds of {key!r} are empty: ({low}, {high})")
        lower += [low_value] * size
        upper += [high_value] * size
    like = flat.vector
    return BoxTransform(
        torch.tensor(lower, dtype=like.dtype, device=like.device),
        torch.tensor(upper, dtype=like.dtype, device=like.device),
    )


class GenericLikelihoodModel(EngineModel):
    """statsmodels' ``GenericLikelihoodModel``: subclass it and define ``loglikeobs``.

    Override ``loglikeobs(self, params)`` (per-observation log-likelihoods, torch),
    ``nloglikeobs(self, params)`` (their negatives) or only ``loglike(self, params)`` (the
    sum; no OPG or robust covariances then). ``params`` is a 1-d tensor; ``self.endog``
    ``(n,)`` and ``self.exog`` ``(n, k)`` are tensors on the model's device.

    Parameters
    ----------
    endog : array-like or str
        The response (numpy, pandas or torch), or a formula with ``exog`` the DataFrame.
    exog : array-like, optional
        Regressors, used as given (no constant is added).
    extra_params_names : list of str, optional
        Names of parameters beyond ``exog``'s columns (e.g. ``["alpha"]``).
    missing : {"none", "drop", "raise"}, optional
        As for OLS.
    device, dtype
        As elsewhere.

    Raises
    ------
    AutogradError
        When fitting, if the log-likelihood is computed outside torch (numpy, scipy,
        ``.numpy()`` or ``.item()`` of the parameters): autograd cannot differentiate it.

    Notes
    -----
    ``df_model`` and ``df_resid`` follow statsmodels: ``rank(exog) - 1`` and
    ``nobs - rank(exog) - k_extra`` when ``exog`` is given (statsmodels assumes a constant),
    else ``k - k_extra`` and ``nobs - k``; ``aic``/``bic`` count ``df_model + k_constant +
    k_extra`` parameters. Where statsmodels differentiates numerically, these derivatives
    are exact.
    """

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        *,
        extra_params_names: list[str] | None = None,
        missing: str | None = None,
        context: Any = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        name = type(self).__name__
        if exog is not None or isinstance(endog, str):
            design = build_design(
                endog,
                exog,
                missing=missing,
                extras=None,
                context=caller_context(context, 1),
                device=device,
                dtype=dtype,
            )
            self.design = design
            self.endog = design.endog
            self.exog: torch.Tensor | None = design.exog
            self.endog_names = design.endog_name
            names, kind = list(design.exog_names), design.output.kind
            row_index = design.output.row_index
            self.k_constant = 1 if constant_columns(self.exog) else 0
            self._rank = int(torch.linalg.matrix_rank(self.exog))
        else:
            torch_device, torch_dtype = resolve_device(device, endog), resolve_dtype(dtype)
            self.endog = to_tensor(endog, name="endog", device=torch_device, dtype=torch_dtype)
            self.exog = None
            self.endog_names = str(getattr(endog, "name", None) or "y")
            names, kind, row_index, self._rank = [], output_kind_of(endog), None, -1
        self.endog = self.endog.reshape(self.endog.shape[0], -1).squeeze(-1)
        self.k_extra = len(extra_params_names or [])
        self._kind, self._row_index = kind, row_index
        self._build_engine(names + list(extra_params_names or []), name)

    @classmethod
    def from_formula(
        cls, formula: str, data: Any, *args: Any, context: Any = None, **kwargs: Any
    ) -> GenericLikelihoodModel:
        """The model from a formula (``"y ~ x1 + x2"``) and a DataFrame."""
        return cls(formula, data, *args, context=caller_context(context, 1), **kwargs)

    def _build_engine(self, names: list[str], name: str) -> None:
        k = len(names)
        like = self.endog
        infinite = torch.full((k,), math.inf, dtype=like.dtype, device=like.device)
        self.engine = LikelihoodEngine(
            self._loglikeobs,
            names,
            transform=BoxTransform(-infinite, infinite),
            nobs=int(like.shape[0]),
            name=name,
        )
        self.output = OutputFormat(self._kind, tuple(names), self._row_index)

    def loglikeobs(self, params: torch.Tensor) -> torch.Tensor:
        """Per-observation log-likelihoods; override this or :meth:`nloglikeobs`."""
        if type(self).nloglikeobs is GenericLikelihoodModel.nloglikeobs:
            raise NotImplementedError(
                f"{type(self).__name__} must define loglikeobs(params) or nloglikeobs(params) "
                "(or loglike(params)) returning torch tensors"
            )
        return -self.nloglikeobs(params)

    def nloglikeobs(self, params: torch.Tensor) -> torch.Tensor:
        """Negative per-observation log-likelihoods."""
        return -self.loglikeobs(params)

    def loglike(self, params: Any) -> torch.Tensor:
        """Total log-likelihood (a 0-d tensor)."""
        return self.loglikeobs(self._theta(params)).sum()

    def _loglikeobs(self, theta: torch.Tensor) -> torch.Tensor:
        only_sum = type(self).loglike is not GenericLikelihoodModel.loglike and (
            type(self).loglikeobs is GenericLikelihoodModel.loglikeobs
            and type(self).nloglikeobs is GenericLikelihoodModel.nloglikeobs
        )
        function = self.loglike if only_sum else self.loglikeobs
        values = _torch_loglike(function, theta, type(self).__name__)
        rows = self.endog.shape[:1]
        if not only_sum and values.shape != rows:
            raise InvalidOptionError(
                f"{type(self).__name__}.loglikeobs returned shape {tuple(values.shape)}; it must "
                f"return one log-likelihood per observation, shape ({rows[0]},): a sum or mean "
                "hides the number of observations (and a mean scales the standard errors by "
                "sqrt(n)), and an (n, 1) column against an (n,) vector broadcasts to (n, n). "
                "Override loglike(params) instead for a total"
            )
        return values

    def degrees_of_freedom(self, k_free: int) -> tuple[float, float, float]:
        """statsmodels' ``df_model``, ``df_resid`` and the ``aic`` parameter count."""
        n_fixed = len(self.engine.names) - k_free
        if self._rank >= 0:
            df_model = float(self._rank - 1 - n_fixed)
            df_resid = float(self.nobs - self._rank - self.k_extra + n_fixed)
        else:
            df_model = float(k_free - self.k_constant - self.k_extra)
            df_resid = float(self.nobs - df_model - self.k_extra)
        return df_model, df_resid, df_model + self.k_constant + self.k_extra

    def fit(
        self,
        start_params: Any = None,
        method: str | None = None,
        maxiter: int = 500,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
        fixed: Mapping[str, float] | None = None,
        disp: bool = True,
        full_output: bool = True,
        **kwargs: Any,
    ) -> MaximumLikelihoodResults:
        """Maximise the log-likelihood.

        Parameters
        ----------
        start_params : array-like, optional
            Default ``self.start_params`` if the subclass sets it, else ``0.1`` for every
            parameter (statsmodels' default). More values than names add ``par0``...
        method : {"newton", "nm", "bfgs", "lbfgs", "powell", "cg", "ncg", "basinhopping", \
"minimize"}, optional
            Newton with the exact Hessian (default; statsmodels' default is ``"nm"``), or
            one of statsmodels' scipy optimizers, called as statsmodels calls them on the
            same objective ``-loglike / nobs`` (with exact derivatives where statsmodels
            differentiates numerically). With the default, the options of statsmodels'
            default Nelder-Mead (``maxfun``, ``xtol``, ``retall``), which code written for
            statsmodels passes, are dropped with a ``SpecificationWarning``.
        maxiter : int
        cov_type, cov_kwds, use_t
            As for :meth:`MLE.fit`.
        fixed : mapping of str to float, optional
            Parameters held fixed (a restricted fit).
        disp : bool
            Print statsmodels' (Newton) or scipy's convergence report (default True, as
            statsmodels; ``disp=0`` silences it).
        full_output : bool
            Accepted as statsmodels does: ``False`` warns that it has no effect.
        **kwargs
            The method's options, named as statsmodels names them (``gtol``, ``xtol``,
            ``ftol``, ``maxfun``, ``min_method``, ...).
        """
        if method is None:
            method, kwargs = "newton", _without_nelder_mead_options(kwargs, type(self).__name__)
        check_fit_options(method, cov_type)
        start = self._start_values(start_params)
        unknown = set(fixed or {}) - set(self.engine.names)
        if unknown:
            raise InvalidOptionError(
                f"cannot fix unknown parameter(s) {sorted(unknown)}; parameters are "
                f"{self.engine.names}"
            )
        positions = {self.engine.names.index(n): float(v) for n, v in (fixed or {}).items()}
        if not full_output:
            warn("full_output=False has no effect: mle_retvals is always complete", FutureWarning)
        fit, retvals, free = self.engine.fit(
            start, fixed=positions, method=method, maxiter=maxiter, disp=disp, options=kwargs
        )
        self._check_derivative_overrides(start, fit.params)
        settings = {
            "optimizer": method,
            "start_params": self.output.plain(start),
            "maxiter": maxiter,
            "full_output": full_output,
            "disp": disp,
            **kwargs,
        }
        return self._report(fit, cov_type, cov_kwds, use_t, retvals=retvals, settings=settings)

    def _check_derivative_overrides(self, start: torch.Tensor, params: torch.Tensor) -> None:
        """Compare a subclass's own ``score`` (at the start values, where the gradient is
        not zero) and ``hessian`` (at the estimate) with autograd's derivatives of its
        likelihood, which the fit and the covariance use; warn where they disagree
        (statsmodels would have used the overrides). Overrides that cannot be called with
        a tensor are left unchecked."""
        for name, point in (("score", start), ("hessian", params)):
            override = getattr(type(self), name)
            if override is getattr(EngineModel, name):
                continue
            exact = np.asarray(getattr(EngineModel, name)(self, point).cpu(), dtype=float)
            try:
                given = override(self, point)
                theirs = np.asarray(
                    given.detach().cpu() if isinstance(given, torch.Tensor) else given,
                    dtype=float,
                )
            except Exception:  # noqa: BLE001 - numpy-only code: nothing to compare
                continue
            size = float(np.max(np.abs(exact), initial=0.0))
            if theirs.shape == exact.shape and np.allclose(
                theirs, exact, rtol=1e-6, atol=1e-8 * size
            ):
                continue
            gap = float(np.max(np.abs(theirs - exact))) if theirs.shape == exact.shape else math.inf
            warn(
                f"{type(self).__name__}.{name} disagrees with the derivatives of its "
                f"log-likelihood (largest difference {gap:.3g}, against entries up to "
                f"{size:.3g}); torchstats fits and computes standard errors with the exact "
                f"autograd derivatives, not with the override. Check {name}() or remove it",
                SpecificationWarning,
            )

    def _start_values(self, start_params: Any) -> torch.Tensor:
        if start_params is None:
            start_params = getattr(self, "start_params", None)
        like, k = self.endog, len(self.engine.names)
        if start_params is None:
            if k == 0:
                raise InvalidOptionError(
                    "the model has no named parameters (no exog, no extra_params_names): "
                    "pass start_params"
                )
            return torch.full((k,), 0.1, dtype=like.dtype, device=like.device)
        values = np.asarray(start_params, dtype=float).reshape(-1)
        if values.shape[0] > k:  # statsmodels names the missing ones par0, par1, ...
            extra = [f"par{i}" for i in range(values.shape[0] - k)]
            self.k_extra += len(extra)
            self._build_engine(self.engine.names + extra, self.engine.name)
        elif values.shape[0] < k:
            raise InvalidOptionError(
                f"start_params has {values.shape[0]} values; the model has {k} parameters "
                f"({self.engine.names})"
            )
        return torch.as_tensor(values, dtype=like.dtype, device=like.device)


#: Options of Nelder-Mead, statsmodels' default method of ``GenericLikelihoodModel.fit``,
#: that Newton (torchstats' default) has no use for.
_NELDER_MEAD_OPTIONS = ("maxfun", "xtol", "retall")


def _without_nelder_mead_options(options: dict[str, Any], model: str) -> dict[str, Any]:
    """``options`` less statsmodels' default Nelder-Mead's, with a warning naming them."""
    dropped = [name for name in _NELDER_MEAD_OPTIONS if name in options]
    if dropped:
        warn(
            f"{model}.fit: {', '.join(map(repr, dropped))} of Nelder-Mead (statsmodels' default "
            "method here) have no effect: torchstats fits by Newton with the exact Hessian by "
            "default; pass method='nm' for Nelder-Mead",
            SpecificationWarning,
        )
    return {name: value for name, value in options.items() if name not in dropped}

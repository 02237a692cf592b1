"""Custom likelihoods by maximum likelihood: ``MLE`` (a function of named parameters) and
``GenericLikelihoodModel`` (statsmodels' subclass form, for porting code).

    m = ts.MLE(lambda mu, sigma: dist.Normal(mu, sigma).log_prob(y),
               start_params={"mu": 0.0, "sigma": 1.0}, positive=["sigma"])
    res = m.fit()                       # Newton with the exact Hessian
    res.bse, res.summary()
    restricted = m.fit(fixed={"mu": 0.0})
    restricted.score_test(); res.lr_test(restricted); res.wald_test("mu = 0")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import torch

from torchstats._device import resolve_device, resolve_dtype, to_tensor
from torchstats.autodiff.parameters import flatten_parameters
from torchstats.covariance.sandwich import canonical_cov_type
from torchstats.errors import InvalidOptionError
from torchstats.formula.arrays import _exog_names as exog_names
from torchstats.models.likelihood_engine import LikelihoodEngine
from torchstats.results.likelihood import MaximumLikelihoodResults
from torchstats.solvers.result import SolverResult

__all__ = ["MLE", "GenericLikelihoodModel"]

_FIT_METHODS = ("newton", "lbfgs", "bfgs")


class _EngineModel:
    """What results need from a likelihood model, delegated to its :class:`LikelihoodEngine`."""

    _model_name = "MLE"
    engine: LikelihoodEngine
    endog_names: str = "y"
    k_constant = 0

    @property
    def output(self) -> Any:
        return self.engine.output

    @property
    def param_names(self) -> list[str]:
        return list(self.engine.names)

    @property
    def exog_names(self) -> list[str]:
        return self.param_names

    @property
    def nobs(self) -> int:
        return self.engine.nobs

    def loglike_at(self, params: torch.Tensor) -> torch.Tensor:
        return self.engine.loglike_at(params)

    def scores_at(self, params: torch.Tensor) -> torch.Tensor:
        return self.engine.scores_at(params)

    def _results(
        self,
        fit: SolverResult,
        retvals: dict[str, Any],
        free: torch.Tensor,
        cov_type: str,
        cov_kwds: Mapping[str, Any] | None,
        use_t: bool | None,
    ) -> MaximumLikelihoodResults:
        use_t = bool(use_t) if use_t is not None else False
        results = MaximumLikelihoodResults(
            self,
            fit,
            self.engine.classical_covariance(fit, free, use_t),
            retvals=retvals,
            free=free,
        )
        name = cov_type.lower() if isinstance(cov_type, str) else cov_type
        if name in ("opg",):
            return results._with_covariance(self.engine.opg_covariance(fit, free, use_t))
        if name in ("sandwich", "robust"):
            cov_type = "HC0"
        if canonical_cov_type(cov_type) == "nonrobust" and not cov_kwds:
            return results
        return results._with_covariance(results._covariance(cov_type, cov_kwds, use_t))

    def __repr__(self) -> str:
        return f"<torchstats.{self._model_name} k={len(self.engine.names)}, nobs={self.nobs}>"


def _check_fit_options(method: str, cov_type: Any) -> None:
    if method not in _FIT_METHODS:
        raise InvalidOptionError(
            f"unknown method {method!r}; choose one of {', '.join(map(repr, _FIT_METHODS))}"
        )
    if not (isinstance(cov_type, str) and cov_type.lower() in ("opg", "sandwich", "robust")):
        canonical_cov_type(cov_type)


class MLE(_EngineModel):
    """Maximum likelihood for a log-likelihood written in torch.

    Parameters
    ----------
    loglike : callable
        ``loglike(**params)`` returns the per-observation log-likelihoods (a 1-d tensor) or
        their sum; per-observation values are needed for OPG and sandwich covariances.
    start_params : mapping of str to float or tensor
        Names and starting values; vector-valued parameters are allowed (``beta[0]``...).
    nobs : int, optional
        Number of observations; default the length of ``loglike``'s output at the start.
    bounds : mapping of str to (lower, upper), optional
        Box constraints (None for an open side), enforced by reparametrisation.
    positive : iterable of str
        Parameters constrained to be positive (a ``log`` reparametrisation).
    device, dtype
        Computation device and precision (float64 by default).
    name : str
        The model's name in the summary.
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
        self._model_name = name
        device, dtype = resolve_device(device), resolve_dtype(dtype)
        start = {
            key: torch.as_tensor(value, dtype=dtype, device=device)
            for key, value in dict(start_params).items()
        }
        flat = flatten_parameters(start)
        self._flat = flat
        self.start_params = flat.vector.to(dtype)
        lower, upper = _bounds(flat, dict(bounds or {}), set(positive), dtype, device)

        def loglikeobs(theta: torch.Tensor) -> torch.Tensor:
            return flat.call(loglike, theta)

        self.engine = LikelihoodEngine(
            loglikeobs, flat.names, lower=lower, upper=upper, nobs=nobs or 0
        )
        if nobs is None:
            values = loglikeobs(self.start_params)
            if values.ndim == 0 or values.numel() == 1:
                raise InvalidOptionError(
                    "loglike returns a single value: pass nobs= (the number of observations)"
                )
            self.engine.nobs = int(values.numel())

    def fit(
        self,
        method: str = "newton",
        maxiter: int = 100,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
        fixed: Mapping[str, Any] | None = None,
        start_params: Mapping[str, Any] | None = None,
    ) -> MaximumLikelihoodResults:
        """Maximise the log-likelihood.

        Parameters
        ----------
        method : {"newton", "lbfgs"}
            Newton with the exact autograd Hessian and a line search (default), or L-BFGS.
        maxiter : int
            Iteration limit; non-convergence warns.
        cov_type : {"nonrobust", "opg", "sandwich", "HC0", "cluster", "HAC"}
            Inverse observed information (default), outer product of gradients, or a
            sandwich from per-observation scores.
        fixed : mapping of str to value, optional
            Parameters held at these values (a restricted fit, e.g. for ``score_test``).
        start_params : mapping, optional
            Starting values overriding those given to the model.
        """
        _check_fit_options(method, cov_type)
        start = self.start_params.clone()
        if start_params:
            start = self._flat_values(start_params, start)
        fixed_values = self._fixed(fixed or {})
        fit, retvals, free = self.engine.fit(
            start, fixed=fixed_values, method=method, maxiter=maxiter, name=self._model_name
        )
        return self._results(fit, retvals, free, cov_type, cov_kwds, use_t)

    def _flat_values(self, values: Mapping[str, Any], base: torch.Tensor) -> torch.Tensor:
        out = base.clone()
        parts = dict(zip(self._flat.keys, self._flat.split(out)))
        for key, value in values.items():
            if key not in parts:
                raise InvalidOptionError(f"unknown parameter {key!r}; parameters are {list(parts)}")
            parts[key].copy_(torch.as_tensor(value, dtype=out.dtype).reshape(parts[key].shape))
        return torch.cat([p.reshape(-1) for p in parts.values()])

    def _fixed(self, fixed: Mapping[str, Any]) -> dict[int, float]:
        positions: dict[int, float] = {}
        offset = 0
        for key, shape in zip(self._flat.keys, self._flat.shapes):
            size = int(torch.Size(shape).numel())
            if key in fixed:
                values = np.broadcast_to(np.asarray(fixed[key], dtype=float), (size,))
                positions.update({offset + i: float(v) for i, v in enumerate(values)})
            offset += size
        unknown = set(fixed) - set(self._flat.keys)
        if unknown:
            raise InvalidOptionError(
                f"cannot fix unknown parameter(s) {sorted(unknown)}; parameters are "
                f"{list(self._flat.keys)}"
            )
        return positions


def _bounds(
    flat: Any,
    bounds: dict[str, tuple[float | None, float | None]],
    positive: set[str],
    dtype: torch.dtype,
    device: torch.device,
) -> tuple[torch.Tensor, torch.Tensor]:
    unknown = (set(bounds) | positive) - set(flat.keys)
    if unknown:
        raise InvalidOptionError(f"bounds given for unknown parameter(s) {sorted(unknown)}")
    lower, upper = [], []
    for key, shape in zip(flat.keys, flat.shapes):
        size = int(torch.Size(shape).numel())
        low, high = bounds.get(key, (None, None))
        if key in positive:
            low = 0.0 if low is None else max(low, 0.0)
        lower += [-np.inf if low is None else float(low)] * size
        upper += [np.inf if high is None else float(high)] * size
    return (
        torch.tensor(lower, dtype=dtype, device=device),
        torch.tensor(upper, dtype=dtype, device=device),
    )


class GenericLikelihoodModel(_EngineModel):
    """statsmodels' ``GenericLikelihoodModel``: subclass it and define ``loglikeobs``.

    Override ``loglikeobs(self, params)`` (per-observation log-likelihoods, torch) or
    ``nloglikeobs(self, params)`` (their negatives); ``params`` is a 1-d tensor. ``self.endog``
    and ``self.exog`` are tensors on the model's device.

    Parameters
    ----------
    endog, exog : array-like
        Data (numpy, pandas or torch).
    extra_params_names : list of str, optional
        Names of parameters beyond ``exog``'s columns (e.g. ``["alpha"]``).
    device, dtype
        As elsewhere.
    """

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        *,
        extra_params_names: list[str] | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        self._model_name = type(self).__name__
        device, dtype = resolve_device(device, endog, exog), resolve_dtype(dtype)
        self.endog = to_tensor(endog, name="endog", device=device, dtype=dtype).reshape(-1)
        self.exog = (
            None if exog is None else to_tensor(exog, name="exog", device=device, dtype=dtype)
        )
        if self.exog is not None and self.exog.ndim == 1:
            self.exog = self.exog[:, None]
        self.endog_names = str(getattr(endog, "name", None) or "y")
        names = (list(exog_names(exog, self.exog)) if self.exog is not None else []) + list(
            extra_params_names or []
        )
        k = len(names)
        self.engine = LikelihoodEngine(
            self._loglikeobs_checked,
            names,
            lower=torch.full((k,), -np.inf, dtype=dtype, device=device),
            upper=torch.full((k,), np.inf, dtype=dtype, device=device),
            nobs=int(self.endog.shape[0]),
        )

    def loglikeobs(self, params: torch.Tensor) -> torch.Tensor:
        """Per-observation log-likelihoods; override this or :meth:`nloglikeobs`."""
        if type(self).nloglikeobs is GenericLikelihoodModel.nloglikeobs:
            raise NotImplementedError("subclasses define loglikeobs(params) or nloglikeobs(params)")
        return -self.nloglikeobs(params)

    def nloglikeobs(self, params: torch.Tensor) -> torch.Tensor:
        """Negative per-observation log-likelihoods."""
        return -self.loglikeobs(params)

    def loglike(self, params: Any) -> torch.Tensor:
        """Total log-likelihood."""
        return self.loglikeobs(torch.as_tensor(params, dtype=self.endog.dtype)).sum()

    def _loglikeobs_checked(self, theta: torch.Tensor) -> torch.Tensor:
        return self.loglikeobs(theta)

    def fit(
        self,
        start_params: Any = None,
        method: str = "newton",
        maxiter: int = 500,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
        disp: bool = False,
        **kwargs: Any,
    ) -> MaximumLikelihoodResults:
        """Maximise the log-likelihood (``start_params`` default ``0.1`` for every parameter,
        as statsmodels)."""
        _check_fit_options(method, cov_type)
        k = len(self.engine.names)
        if start_params is None:
            start_params = getattr(self, "start_params", None)
        start = (
            torch.full((k,), 0.1, dtype=self.endog.dtype, device=self.endog.device)
            if start_params is None
            else torch.as_tensor(np.asarray(start_params, dtype=float), dtype=self.endog.dtype)
        )
        if start.shape != (k,):
            raise InvalidOptionError(f"start_params has {start.numel()} values; the model has {k}")
        fixed = {self.engine.names.index(n): float(v) for n, v in kwargs.pop("fixed", {}).items()}
        if kwargs:
            raise InvalidOptionError(f"unknown fit option(s) {sorted(kwargs)}")
        fit, retvals, free = self.engine.fit(
            start.to(self.endog.device),
            fixed=fixed,
            method=method,
            maxiter=maxiter,
            name=self._model_name,
        )
        return self._results(fit, retvals, free, cov_type, cov_kwds, use_t)

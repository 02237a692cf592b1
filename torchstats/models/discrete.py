"""What the discrete-choice and count models share: data checks, offsets and fitting.

:class:`~torchstats.models.binary.Logit`, :class:`~torchstats.models.binary.Probit`,
:class:`~torchstats.models.count.Poisson` and
:class:`~torchstats.models.count.NegativeBinomial` are statsmodels'
``statsmodels.discrete.discrete_model`` classes in torch. Each supplies its log-likelihood with
closed-form per-observation scores and Hessian; this module turns them into a fit:

1. the data are checked once (finite values, a valid response, positive exposure);
2. the negative log-likelihood is minimised by damped Newton
   (:func:`~torchstats.solvers.newton.minimize_newton`) with the closed-form derivatives, in the
   model's *internal* parametrisation (``log(alpha)`` for the negative binomial, which keeps
   ``alpha`` positive along the path; statsmodels steps in ``alpha`` itself), or by one of
   statsmodels' scipy optimizers in statsmodels' parametrisation
   (:mod:`~torchstats.models.discrete_fit`, :mod:`~torchstats.solvers.optimizers`);
3. the covariance is the inverse of the negative Hessian at the estimate in the *reported*
   parametrisation (``alpha``), as statsmodels' ``cov_type="nonrobust"``.

Non-convergence warns :class:`~torchstats.errors.ConvergenceWarning`; a Hessian that is not
negative definite at the end warns :class:`~torchstats.errors.HessianWarning` and leaves NaN
standard errors; a non-finite log-likelihood raises :class:`~torchstats.errors.NumericalError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import replace
from functools import cached_property
from typing import Any

import numpy as np
import torch

from torchstats._device import OutputFormat, to_tensor
from torchstats._typing import check_option
from torchstats.autodiff.hessian import hessian
from torchstats.autodiff.scores import score_obs
from torchstats.covariance.design_scores import DesignScores
from torchstats.covariance.nonrobust import nonrobust_covariance
from torchstats.covariance.result import CovarianceResult
from torchstats.covariance.sandwich import SandwichInputs, canonical_cov_type
from torchstats.errors import (
    CollinearityWarning,
    ConvergenceWarning,
    DesignError,
    InvalidOptionError,
    NumericalError,
    warn,
)
from torchstats.formula.design import Design
from torchstats.formula.design_checks import check_finite, matrix_rank, row_values
from torchstats.models.base import Model, build_design, sized_threads
from torchstats.models.data import plain_array
from torchstats.models.discrete_fit import (
    fit_newton,
    fit_scipy,
    inverse_information,
    solve_newton,
)
from torchstats.models.regularized_fit import fit_l1
from torchstats.models.tensor_key import TensorKey
from torchstats.solvers.leverage import hat_diagonal
from torchstats.solvers.optimizers import (
    OPTIMIZER_METHODS,
    check_optimizer_options,
    print_newton_report,
)
from torchstats.solvers.result import SolverResult
from torchstats.structured.blas import gram_matrix, matvec
from torchstats.structured.block_matrix import BlockMatrix, dense_within_limit, scale_rows

__all__ = ["FIT_METHODS", "PREDICT_WHICH"]

FIT_METHODS = OPTIMIZER_METHODS
"""Solvers of ``fit(method=...)``: statsmodels' names; ``"newton"`` (default) is torch's damped
Newton, the others run scipy (:mod:`~torchstats.solvers.optimizers`)."""

PREDICT_WHICH = ("mean", "linear", "var")
"""Statistics ``predict(which=...)`` returns."""

# Iteration limit of the internal fits (the constant-only model behind ``llnull`` and the
# Poisson start of the negative binomial); statsmodels allows 10000 BFGS steps there.
_AUXILIARY_MAXITER = 100


class _DiscreteModel(Model):
    """The likelihood models of statsmodels' ``discrete`` package; not public.

    A model is its ``loglikeobs(params)`` in torch plus its names: ``model_name``,
    ``_results_class`` and, for parameters after the design's columns, ``_extra_names``.
    Everything else has a default: the score, the per-observation scores and the Hessian by
    autograd (closed forms are optional overrides, tested against autograd), zero start
    values (``_start_params``), no check of the response (``_check_endog``), fitting by
    torch's Newton or statsmodels' scipy methods, the classical and robust covariances.
    A model stepping in another parametrisation (the negative binomial in ``log(alpha)``)
    overrides the ``_internal_*`` hooks; a single-index model adds ``mean_of_linear``,
    ``mean_derivative`` and ``variance`` for predictions and residuals. Results read the
    model through public methods only (``predict_at``, ``variance``, ``accepts_exposure``,
    ...).
    """

    model_name = "DiscreteModel"
    _df_model_assumes_constant = True
    accepts_exposure = False
    """Whether ``exposure`` is an argument of the model (the count models)."""
    k_extra = 0
    _latest_linear: tuple[TensorKey, torch.Tensor] | None = None
    """The latest ``(key of beta, X beta + offset)`` of :meth:`_linear`."""
    _latest_objective: tuple[torch.Tensor, int, torch.Tensor] | None = None
    """The latest ``(theta, its version, objective)`` of :meth:`_internal_objective`
    evaluated without autograd (Newton's line search), for :meth:`_known_objective`."""
    _keeps_sparse_design = False
    """Whether the model computes with a design of sparse dummies (a formula's many-level
    factor, a :class:`~torchstats.structured.block_matrix.BlockMatrix`) as it is; the others,
    whose likelihood runs through autograd, get it dense (within
    :data:`~torchstats.structured.block_matrix.DENSE_LIMIT_BYTES`)."""

    # --- construction -------------------------------------------------------------------------

    def _setup(
        self,
        endog: Any,
        exog: Any,
        *,
        offset: Any,
        exposure: Any,
        missing: str | None,
        device: Any,
        dtype: Any,
        context: Mapping[str, Any] | None,
        blocks: Mapping[str, Any] | None = None,
    ) -> None:
        """Build the design (with further designs ``blocks`` on the same rows, see
        :mod:`torchstats.formula.blocks`) and check it."""
        extras = {
            name: v for name, v in (("offset", offset), ("exposure", exposure)) if v is not None
        }
        design = build_design(
            endog,
            exog,
            missing=missing,
            extras=extras or None,
            context=context if isinstance(endog, str) else None,
            device=device,
            dtype=dtype,
            blocks=blocks,
        )
        self._initialize(design)

    def _initialize(self, design: Design) -> None:
        self.design = design = self._supported_design(design)
        self._latest_linear = None
        self._latest_objective = None
        check_finite(design)
        self._check_endog(design.endog)
        self._offset = design.extras.get("offset")
        exposure = design.extras.get("exposure")
        if exposure is not None and bool((exposure <= 0).any()):
            raise DesignError(
                f"exposure must be positive; found {int((exposure <= 0).sum())} value(s) <= 0 "
                "(its log is added to the linear predictor)"
            )
        self._log_exposure = None if exposure is None else torch.log(exposure)

    def _supported_design(self, design: Design) -> Design:
        """``design`` with sparse dummies made dense (within the limit) where the model
        computes with dense designs only; the further designs (inflation, zero parts) are
        always dense."""
        if isinstance(design.exog, BlockMatrix) and not self._keeps_sparse_design:
            design = replace(design, exog=dense_within_limit(design.exog, self.model_name))
        if any(isinstance(block.exog, BlockMatrix) for block in design.blocks.values()):
            blocks = {
                name: replace(block, exog=dense_within_limit(block.exog, self.model_name))
                for name, block in design.blocks.items()
            }
            design = replace(design, blocks=blocks)
        return design

    def _sibling(
        self,
        cls: Any,
        exog: torch.Tensor,
        names: tuple[str, ...],
        *,
        options: Mapping[str, Any] | None = None,
        blocks: Mapping[str, Design] | None = None,
        extras: Mapping[str, torch.Tensor] | None = None,
    ) -> Any:
        """The same response, offset and exposure with another design (null model, start).

        ``options`` are ``cls``'s constructor options (default: this model's when ``cls`` is
        its class); ``blocks`` replace the further designs and ``extras`` the per-row
        arrays (offset, exposure) (default: this model's).
        """
        output = OutputFormat(self.design.output.kind, names, self.design.output.row_index)
        design = replace(
            self.design,
            exog=exog,
            exog_names=names,
            output=output,
            terms=(),
            model_spec=None,
            blocks=self.design.blocks if blocks is None else blocks,
            extras=self.design.extras if extras is None else extras,
        )
        model = cls.__new__(cls)
        if options is not None:
            model.__dict__.update(options)
        elif cls is type(self):
            model.__dict__.update(self._options())
        model._initialize(design)
        if exog is self.design.exog and "rank" in self.__dict__:
            model.rank = self.rank  # the same design: its rank is known (a pass over it)
        return model

    def _options(self) -> dict[str, Any]:
        """Constructor options besides the data (e.g. ``loglike_method``)."""
        return {}

    def _restricted_model(self, exog: torch.Tensor, shift: torch.Tensor) -> Any:
        """This model (response, exposure, options) with another design and ``shift``
        added to its offset: the model of a constrained fit's free parameters."""
        offset = shift if self._offset is None else shift + self._offset.reshape(-1)
        names = tuple(f"x{i + 1}" for i in range(exog.shape[1]))
        extras = {**self.design.extras, "offset": offset}
        return self._sibling(type(self), exog, names, extras=extras)

    # --- data ---------------------------------------------------------------------------------

    @cached_property
    def offset(self) -> Any:
        """Offset added to the linear predictor, shape (n,), as :attr:`endog`, or None."""
        return None if self._offset is None else plain_array(self.design, self._offset)

    @property
    def output(self) -> OutputFormat:
        """The design's output format with the extra parameters' names appended."""
        output = self.design.output
        extra = self._extra_names()
        if not extra:
            return output
        return type(output)(output.kind, output.param_names + extra, output.row_index)

    def _extra_names(self) -> tuple[str, ...]:
        """Names of the parameters after the design's columns (``alpha``...)."""
        return ()

    @property
    def _total_offset(self) -> torch.Tensor | None:
        """Offset plus log-exposure, or None when the model has neither."""
        parts = [t for t in (self._offset, self._log_exposure) if t is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else parts[0] + parts[1]

    def _params_tensor(self, params: Any) -> torch.Tensor:
        X = self.design.exog
        if isinstance(params, torch.Tensor):
            return params.to(device=X.device, dtype=X.dtype)
        return torch.as_tensor(np.array(params, dtype=float), dtype=X.dtype, device=X.device)

    def _scaled_rows(self, factor: torch.Tensor, what: str) -> torch.Tensor:
        """``factor[:, None] * exog``, shape (n, k): dense, also for sparse dummies (within
        :data:`~torchstats.structured.block_matrix.DENSE_LIMIT_BYTES`)."""
        scaled = scale_rows(self.design.exog, factor)
        return dense_within_limit(scaled, f"{self.model_name}'s {what}")

    def _linear(self, beta: torch.Tensor) -> torch.Tensor:
        """``X beta + offset``, shape (n,). The latest one is kept: Newton's line search
        evaluates the point whose derivatives it asks for next, and on large data the
        product is a pass over the design. The key
        (:class:`~torchstats.models.tensor_key.TensorKey`) is the tensor, or the same view
        of the same tensor (``theta[:k]`` taken again), and the version counter that any
        in-place change bumps; tensors that require gradients are not kept (their graph
        would be reused)."""
        latest = self._latest_linear
        if latest is not None and latest[0].matches(beta):
            return latest[1]
        eta = matvec(self.design.exog, beta)
        offset = self._total_offset
        eta = eta if offset is None else eta + offset
        self._latest_linear = None if beta.requires_grad else (TensorKey(beta), eta)
        return eta

    # --- likelihood (subclasses supply the closed forms) --------------------------------------

    def _check_endog(self, y: torch.Tensor) -> None:
        """Refuse a response the model cannot have (each model's own rule)."""

    def loglikeobs(self, params: Any) -> torch.Tensor:
        """Per-observation log-likelihood, shape (n,): what every model defines, in torch."""
        raise NotImplementedError(f"{type(self).__name__} defines no loglikeobs")

    def score_obs(self, params: Any) -> torch.Tensor:
        """Per-observation gradient of the log-likelihood, shape (n, k) (autograd unless the
        model has a closed form)."""
        return score_obs(self.loglikeobs, self._params_tensor(params).reshape(-1))

    def score(self, params: Any) -> torch.Tensor:
        """Gradient of the log-likelihood, shape (k,) (autograd unless the model has a closed
        form)."""
        theta = self._params_tensor(params).reshape(-1).detach()
        with torch.enable_grad():
            return torch.func.grad(self.loglike)(theta).detach()

    def hessian(self, params: Any) -> torch.Tensor:
        """Hessian of the log-likelihood, shape (k, k) (autograd unless the model has a
        closed form)."""
        return hessian(self.loglike, self._params_tensor(params).reshape(-1))

    def predict_mean(self, params: torch.Tensor, exog: torch.Tensor) -> torch.Tensor:
        """``E(y | x)`` at the design rows ``exog`` without offset or exposure, shape (m,).

        A differentiable torch function of both ``params`` (every parameter, extras
        included) and ``exog`` (shape (m, k_exog)), computed row by row: what
        :meth:`~torchstats.results.discrete._DiscreteResults.get_margeff` differentiates.
        Without offset or exposure it is statsmodels' ``predict(params, exog)`` for new
        rows. The default is a single-index model's ``mean(exog @ beta)``; a model whose
        mean is not a function of ``x'b`` alone overrides it (multinomial models return
        one column per outcome, shape (m, J)).
        """
        return self.mean_of_linear(exog @ params[: self.design.k_exog])

    def mean_of_linear(self, eta: torch.Tensor) -> torch.Tensor:
        """The mean at linear predictors ``eta`` (the inverse link)."""
        raise self._lacks("mean_of_linear", "predictions and residuals")

    def _lacks(self, method: str, what: str) -> NotImplementedError:
        return NotImplementedError(
            f"{self.model_name} does not define {method}, which {what} need (see "
            "docs/writing-a-model.md)"
        )

    def mean_derivative(self, eta: torch.Tensor) -> torch.Tensor:
        """``d mean / d eta``: the derivative of the inverse link."""
        raise self._lacks("mean_derivative", "prediction standard errors")

    def influence_derivatives(self, params: Any) -> tuple[torch.Tensor | None, torch.Tensor]:
        """``(d score_obs / d endog, d mean / d params)``, each (n, k), for the generalized
        leverage (statsmodels' ``_deriv_score_obs_dendog`` and ``_deriv_mean_dparams``); the
        first is None where the model has none."""
        raise self._lacks("influence_derivatives", "influence measures (get_influence)")

    def variance(self, mean: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """The response's variance at ``mean`` (``predict(which="var")``, Pearson residuals)."""
        raise self._lacks("variance", "predict(which='var') and Pearson residuals")

    def _start_params(self) -> torch.Tensor:
        """Default start values: zeros (statsmodels' ``LikelihoodModel.fit``)."""
        X = self.design.exog
        return torch.zeros(len(self.output.param_names), dtype=X.dtype, device=X.device)

    def loglike(self, params: Any) -> torch.Tensor:
        """Log-likelihood at ``params`` (a 0-d tensor, differentiable)."""
        return self.loglikeobs(params).sum()

    def information(self, params: Any) -> torch.Tensor:
        """Observed information: the negative Hessian, shape (k, k)."""
        return -self.hessian(params)

    # Internal parametrisation: identity unless a model overrides it (NegativeBinomial).

    def _to_internal(self, params: torch.Tensor) -> torch.Tensor:
        return params

    def _from_internal(self, theta: torch.Tensor) -> torch.Tensor:
        return theta

    def _internal_derivatives(
        self, theta: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Value, gradient and Hessian of the negative log-likelihood at ``theta``."""
        return -self.loglike(theta), -self.score(theta), -self.hessian(theta)

    def _reported_derivatives(
        self,
        theta: torch.Tensor,
        derivatives: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
        """The log-likelihood, score and Hessian at the reported parameters from the
        ``derivatives`` (value, gradient, Hessian of the negative log-likelihood) at the
        internal ``theta``; None where this model cannot convert them (then they are
        computed again). The identity parametrisation only negates them."""
        if self._from_internal(theta) is not theta:
            return None
        value, gradient, hessian = derivatives
        return -value, -gradient, -hessian

    def _internal_loglike(self, theta: torch.Tensor) -> torch.Tensor:
        """The log-likelihood at the internal ``theta``."""
        return self.loglike(self._from_internal(theta))

    def _internal_objective(self, theta: torch.Tensor) -> torch.Tensor:
        value = -self._internal_loglike(theta)
        if not torch.is_grad_enabled():  # no graph, no functorch wrapper to keep
            self._latest_objective = (theta, theta._version, value)
        return value

    def _known_objective(self, theta: torch.Tensor) -> torch.Tensor | None:
        """The objective at ``theta`` when :meth:`_internal_objective` last evaluated this
        very tensor (unchanged since): Newton asks for the derivatives at the point its line
        search accepted, whose value the closed forms need not compute again."""
        latest = self._latest_objective
        if latest is not None and latest[0] is theta and latest[1] == theta._version:
            return latest[2]
        return None

    def _internal_value_grad(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Value and gradient only (L-BFGS): no ``O(n k^2)`` Hessian."""
        return -self.loglike(theta), -self.score(theta)

    # --- prediction ---------------------------------------------------------------------------

    def predict_at(
        self,
        params: Any,
        exog: Any,
        *,
        offset: Any,
        exposure: Any,
        which: str,
    ) -> torch.Tensor:
        """statsmodels' defaults: the model's offset/exposure in sample, none for new exog."""
        check_option(which, PREDICT_WHICH, "which")
        params = self._params_tensor(params)
        X = self.design.exog
        in_sample = exog is None
        if not in_sample:
            X = to_tensor(exog, name="exog", device=X.device, dtype=X.dtype)
            X = X[None, :] if X.ndim == 1 else X
        eta = X @ params[: self.design.k_exog]
        if offset is not None:
            eta = eta + row_values(offset, "offset", eta)
        elif in_sample and self._offset is not None:
            eta = eta + self._offset
        if exposure is not None:
            exposure_values = row_values(exposure, "exposure", eta)
            if bool((exposure_values <= 0).any()):
                raise DesignError("exposure must be positive (its log enters the predictor)")
            eta = eta + torch.log(exposure_values)
        elif in_sample and self._log_exposure is not None:
            eta = eta + self._log_exposure
        if which == "linear":
            return eta
        mean = self.mean_of_linear(eta)
        return mean if which == "mean" else self.variance(mean, params)

    # --- fitting ------------------------------------------------------------------------------

    @sized_threads
    def fit(
        self,
        start_params: Any = None,
        method: str = "newton",
        maxiter: int = 35,
        full_output: bool = True,
        disp: bool = True,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """Fit by maximum likelihood.

        Parameters
        ----------
        start_params : array-like, optional
            Starting values, in the reported parametrisation (``alpha``, not its log).
            Default: zeros (binary), the constant-only estimate (Poisson), a Poisson fit and a
            moment estimate of ``alpha`` (negative binomial), as statsmodels.
        method : {"newton", "nm", "bfgs", "lbfgs", "powell", "cg", "ncg", "basinhopping", \
"minimize"}
            ``"newton"`` (default): damped Newton in torch with the closed-form Hessian, to
            full precision. The others are statsmodels' scipy optimizers, called as
            statsmodels calls them (same defaults, same objective ``-loglike / nobs``) with
            the exact closed-form gradient and Hessian; see ``docs/discrete.md``.
        maxiter : int
            Iteration limit (statsmodels' default 35; basin hopping ignores it).
        full_output : bool
            Accepted as statsmodels does: ``mle_retvals`` is always complete, and ``False``
            warns (``FutureWarning``) that it has no effect.
        disp : bool
            Print statsmodels' convergence report (``Optimization terminated
            successfully.``, the function value, the iterations); scipy methods print
            scipy's. True by default, as statsmodels; ``disp=0`` silences it.
        cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster", "HAC"}
            Covariance of the estimates: the inverse of the negative Hessian, or a sandwich
            of it around the outer product of per-observation scores (statsmodels' names).
        cov_kwds : mapping, optional
            Options of the robust estimators (``groups``, ``maxlags``, ...).
        use_t : bool, optional
            Student's t inference with ``df_resid`` (default False: normal, as statsmodels).
        **kwargs
            ``warn_convergence`` (default True), and the method's options as statsmodels
            names them: ``ftol`` (Newton-decrement tolerance of ``"newton"``, default
            ``64 eps``); ``gtol``, ``norm`` (``"bfgs"``, ``"cg"``); ``xtol``, ``ftol``,
            ``maxfun`` (``"nm"``, ``"powell"``); ``m``, ``pgtol``, ``factr``, ``maxfun``,
            ``bounds`` (``"lbfgs"``); ``avextol`` (``"ncg"``); ``niter``, ``T``,
            ``stepsize``, ``minimizer``, ``seed``, ... (``"basinhopping"``);
            ``min_method`` and its scipy options (``"minimize"``).

        Returns
        -------
        BinaryResults, CountResults or NegativeBinomialResults

        Warns
        -----
        ConvergenceWarning, HessianWarning, PerfectSeparationWarning, CollinearityWarning

        Raises
        ------
        NumericalError
            The log-likelihood is not finite at the start or at the estimate, or non-finite
            values stopped the fit (see ``docs/discrete.md``).
        InvalidOptionError
            An unknown method, option or cov_type.
        """
        check_option(method, FIT_METHODS, "method")
        canonical_cov_type(cov_type)  # refuse an unknown cov_type before fitting
        if not isinstance(maxiter, int) or maxiter < 0:
            raise InvalidOptionError(f"maxiter must be a non-negative integer, got {maxiter!r}")
        warn_convergence = bool(kwargs.pop("warn_convergence", True))
        options = check_optimizer_options(method, kwargs, self.model_name)
        if not full_output:
            warn("full_output=False has no effect: mle_retvals is always complete", FutureWarning)
        self._warn_if_rank_deficient()
        start = self._start_tensor(start_params, method)
        self._check_start(start)
        if method == "newton":
            found, retvals, hessian = fit_newton(self, start, maxiter, options)
            if disp:
                print_newton_report(found.converged, retvals["fopt"], found.n_iter)
        else:
            found, retvals = fit_scipy(self, start, method, maxiter, disp, options)
            hessian = self.hessian(found.params)
        if not found.converged and warn_convergence:
            warn(
                f"{self.model_name}: maximum likelihood optimization ({method}) did not "
                f"converge after {found.n_iter} iterations ({found.message}; gradient norm "
                f"{found.grad_norm:.3g}); check mle_retvals, increase maxiter, or rescale "
                "the regressors",
                ConvergenceWarning,
            )
        self._check_fit(found.params, found)
        settings = {
            "optimizer": method,
            "start_params": self.output.plain(self._from_internal(start)),
            "maxiter": maxiter,
            "full_output": full_output,
            "disp": disp,
            **options,
        }
        cov = inverse_information(hessian, self.model_name, singular=bool(self._deficient_designs))
        fit = replace(found, normalized_cov=cov, rank=self.rank)
        retvals = {
            **retvals,
            "converged": found.converged,
            "grad_norm": found.grad_norm,
            "message": found.message,
            "method": method,
        }
        return self._report(fit, cov_type, cov_kwds, use_t, retvals=retvals, settings=settings)

    @sized_threads
    def fit_regularized(
        self,
        start_params: Any = None,
        method: str = "l1",
        maxiter: int | str = "defined_by_method",
        full_output: bool = True,
        disp: bool = True,
        callback: Any = None,
        alpha: Any = 0,
        trim_mode: str = "auto",
        auto_trim_tol: float = 0.01,
        size_trim_tol: float = 1e-4,
        qc_tol: float = 0.03,
        qc_verbose: bool = False,
        **kwargs: Any,
    ) -> Any:
        """L1-penalised maximum likelihood (statsmodels' ``fit_regularized``).

        Minimises ``-loglike(b) + sum_k alpha_k |b_k|`` exactly (to the KKT conditions),
        then trims as statsmodels: ``trim_mode="auto"`` sets to 0 the coefficients whose
        score is below ``alpha`` by more than ``auto_trim_tol`` (relative), ``"size"``
        those below ``size_trim_tol`` in absolute value, ``"off"`` none.

        Parameters
        ----------
        start_params : array-like, optional
            Start values (the defaults of :meth:`fit`).
        method : {"l1", "l1_cvxopt_cp"}
            Both solve the same problem with torch's proximal Newton.
        maxiter : int or "defined_by_method"
            Proximal Newton iterations (default 1000; a few suffice).
        full_output, disp
            As :meth:`fit`; ``disp`` prints the convergence report.
        callback
            Accepted, unused (statsmodels' default checks perfect prediction, as here).
        alpha : float or array-like
            Penalty weight, a scalar or one per parameter; a scalar leaves the negative
            binomial's dispersion unpenalised (statsmodels).
        trim_mode : {"auto", "size", "off"}
        auto_trim_tol, size_trim_tol, qc_tol, qc_verbose
            statsmodels' trimming and QC-check tolerances.

        Returns
        -------
        L1BinaryResults, L1PoissonResults, L1NegativeBinomialResults or
        L1MultinomialResults
            ``trimmed``, ``nnz_params``; the covariance of the coefficients not trimmed
            (NaN for the others); degrees of freedom counting the nonzero ones.

        Warns
        -----
        ConvergenceWarning
            ``maxiter`` ran out before the KKT conditions held, or the QC check failed.
        """
        if kwargs:
            raise InvalidOptionError(f"unknown fit_regularized options {sorted(kwargs)}")
        options = {
            "trim_mode": trim_mode,
            "size_trim_tol": size_trim_tol,
            "auto_trim_tol": auto_trim_tol,
            "qc_tol": qc_tol,
            "qc_verbose": qc_verbose,
        }
        return fit_l1(self, start_params, method, maxiter, full_output, disp, alpha, options)

    def _check_start(self, start: torch.Tensor) -> None:
        first = self._internal_objective(start)
        if not bool(torch.isfinite(first)):
            raise NumericalError(
                f"{self.model_name}: the log-likelihood is not finite at the start values "
                f"({-float(first)}); check the data and start_params for extreme values"
            )

    def _default_start(self, method: str) -> torch.Tensor:
        """statsmodels' default start values, in the internal parametrisation."""
        return self._to_internal(self._start_params())

    def _steps_internally(self, method: str) -> bool:
        """Whether scipy's ``method`` steps in the internal parametrisation."""
        return True

    # --- covariances ----------------------------------------------------------------------------

    def classical_covariance(self, fit: SolverResult, use_t: bool | None) -> CovarianceResult:
        """The inverse observed information (statsmodels' ``nonrobust``); normal inference
        by default."""
        assert fit.normalized_cov is not None
        return nonrobust_covariance(
            fit.normalized_cov, 1.0, df_resid=self.df_resid, use_t=bool(use_t)
        )

    def sandwich_inputs(self, fit: SolverResult, cov_type: str) -> SandwichInputs:
        """statsmodels' generic sandwich: ``score_obs`` and the inverse of ``-hessian``.

        Cluster small-sample factors use ``n - k`` with ``k`` every estimated parameter
        (``alpha`` included), as statsmodels' ``cov_cluster`` does; t and F tests use the
        model's ``df_resid`` (without ``alpha``, as statsmodels' robust tests); HC1 is
        HC0, as in statsmodels' discrete models (``cov_white_simple`` without
        correction). HC2/HC3 are R's ``vcovHC`` of the equivalent ``glm`` where the model
        has working weights: its leverages and its bread (the inverse expected information).
        """
        assert fit.normalized_cov is not None
        params, bread = fit.params, fit.normalized_cov
        parts = self._design_score_parts(params)
        if parts is None:
            # multi-equation models (one factor per equation): the scores themselves
            scores = self.score_obs(params)
            return SandwichInputs.from_tensor(
                bread, scores, float(scores.shape[0] - scores.shape[1]), hc1_correction=False
            )
        # single-index models: the scores x_i f_i are never formed (see DesignScores)
        factor, extra = parts
        X = self.design.exog
        working_weights = getattr(self, "working_weights", None)
        leverage = None
        hc_leverage = canonical_cov_type(cov_type) in ("HC2", "HC3")
        if working_weights is not None:

            def leverage() -> torch.Tensor:
                # R's hat values: those of the design weighted by the IRLS working weights
                return hat_diagonal(X, working_weights(params))

            if hc_leverage and bool(torch.isfinite(bread).all()):
                # and R's bread, the inverse expected information (the observed one differs
                # from it for a non-canonical link: Probit)
                bread = torch.linalg.inv(gram_matrix(X, working_weights(params)))

        design_scores = DesignScores(
            X, factor, leverage=leverage, row_labels=self.output.row_index, extra=extra
        )
        return SandwichInputs(
            bread=bread,
            scores=design_scores,
            df_resid=self.df_resid,  # of t and F tests (alpha not counted, as statsmodels)
            hc1_correction=False,
            leverage_available=leverage is not None and hc_leverage,
        )

    def _design_score_parts(self, params: torch.Tensor) -> tuple[torch.Tensor, Any] | None:
        """``(f, E)`` with ``score_obs = [f_i x_i, E_i]`` (``E`` (n, m) further columns, or
        None), or None where the scores are not of that form."""
        score_factor = getattr(self, "score_factor", None)
        factor = None if score_factor is None else score_factor(params)
        return None if factor is None or factor.ndim != 1 else (factor, None)

    def _start_tensor(self, start_params: Any, method: str) -> torch.Tensor:
        """Start values in the internal parametrisation."""
        k = len(self.output.param_names)
        if start_params is None:
            return self._default_start(method)
        start = self._params_tensor(start_params).reshape(-1)
        if start.shape[0] != k:
            raise DesignError(f"start_params has {start.shape[0]} values; the model has {k}")
        return self._to_internal(start)

    def _check_fit(self, params: torch.Tensor, found: SolverResult) -> None:
        """Post-fit diagnostics (perfect separation for binary models)."""

    @cached_property
    def _deficient_designs(self) -> list[tuple[str, int, int]]:
        """``(what, rank, columns)`` of each rank-deficient design: the design matrix and
        the further designs (``design.blocks``), whose columns all carry parameters."""
        parts = [("the design matrix", self.design.exog, self.rank)]
        parts += [
            (f"the {name} design", block.exog, matrix_rank(block.exog))
            for name, block in self.design.blocks.items()
        ]
        return [(what, rank, int(X.shape[1])) for what, X, rank in parts if rank < X.shape[1]]

    def _warn_if_rank_deficient(self) -> None:
        for what, rank, k in self._deficient_designs:
            warnings.warn(
                f"{self.model_name}: {what} is rank deficient (rank {rank} < {k} columns: "
                "some column is a linear combination of others, such as x3 = x1 + x2 or two "
                "constant columns), so some parameters are not identified; drop redundant "
                "columns",
                CollinearityWarning,
                stacklevel=3,
            )

    def _null_design(self) -> tuple[torch.Tensor, tuple[str, ...]]:
        """Design matrix and column names of the model behind ``llnull``: a constant
        (a model whose other parameters already play its part, such as the thresholds of
        an ordinal model, returns no columns)."""
        X = self.design.exog
        return torch.ones((X.shape[0], 1), dtype=X.dtype, device=X.device), ("const",)

    def null_loglike(self) -> float:
        """Log-likelihood of the null model (:meth:`_null_design`) with the same offset and
        exposure, fitted by Newton (``llnull``; models whose null model is another override
        this)."""
        null = self._sibling(type(self), *self._null_design())
        found, _ = solve_newton(null, null._to_internal(null._start_params()), _AUXILIARY_MAXITER)
        if not found.converged:
            warnings.warn(
                f"{self.model_name}: the null model behind llnull did not converge "
                f"({found.message}); llnull, llr and prsquared are unreliable",
                ConvergenceWarning,
                stacklevel=3,
            )
        return float(null.loglike(null._from_internal(found.params)))

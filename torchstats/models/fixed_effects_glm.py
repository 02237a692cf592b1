"""GLMs with absorbed fixed effects: ``ts.poisson("y ~ x | f1 + f2", df)`` (fixest's
``fepois``/``feglm``, pyfixest's ``fepois``/``feglm``).

The estimate is found by iteratively reweighted least squares in which every iteration is
a fixed-effects weighted least squares, the demeaning warm-started from the last
iteration's (:mod:`torchstats.models.fixed_effects_irls`). The rows, the absorbed effects,
the singletons and the collinear regressors are handled as for the OLS fixed effects, by
the :class:`~torchstats.models.fixed_effects_sample.FixedEffectsSample` the model holds.

Inference is fixest's: the bread is ``(X~'WX~)^{-1}`` and the scores ``W e X~`` (``e`` the
working residual) of the *last* iteration, the iid covariance is the bread times the
dispersion (1 for Poisson and the binomial; for other families Pearson's chi-squared over
``n - 1``, which fixest's default ``(n - 1) / (n - K)`` turns into statsmodels' scale over
``n - K``, as for the OLS fixed effects), and the tests are z tests
(:mod:`torchstats.covariance.fixest_glm`). Before fitting, rows in a fixed-effect level
whose outcome cannot be fitted by a finite effect are dropped and counted
(``n_separated``): levels with only zeros for counts (Poisson, negative binomial;
pyfixest's ``separation_check=["fe"]``), levels with only zeros or only ones for the
binomial (fixest).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.covariance.fixest import read_vcov, small_sample_for
from torchstats.covariance.fixest_glm import fixest_glm_covariance, glm_dispersion, pearson_chi2
from torchstats.covariance.result import CovarianceResult
from torchstats.errors import (
    CollinearityWarning,
    DesignError,
    EmptyDataError,
    InvalidOptionError,
    SpecificationWarning,
    warn,
)
from torchstats.families import families as F
from torchstats.families.statsmodels_families import from_statsmodels_family
from torchstats.formula.fixest_syntax import FixestFormula
from torchstats.models.base import Model, caller_context, sized_threads
from torchstats.models.fixed_effects_irls import IrlsProblem, run_irls
from torchstats.models.fixed_effects_sample import FixedEffectsSample, FixefRemoval
from torchstats.models.fixed_effects_view import SampleView
from torchstats.results.fixed_effects_glm import FixedEffectsGLMResults, GlmIterations
from torchstats.solvers.demean import Absorbed, AbsorbPlan, column_major
from torchstats.solvers.result import SolverResult

__all__ = ["FixedEffectsGLM"]

_USE_RESULTS = (
    "a fixed-effects GLM's covariance, effects and predictions depend on the IRLS "
    "iterations: fit the model and ask the results (vcov(), fixef(), predict())"
)


class FixedEffectsGLM(SampleView, Model):
    """A GLM with fixed effects absorbed (fixest's ``feglm``/``fepois``).

    Built by ``ts.glm``/``ts.poisson``/``ts.logit``/``ts.probit`` when the formula has a
    fixed-effects part; see the module notes and ``docs/fixed-effects.md``. The rows, the
    absorbed effects and the rules to absorb them are a
    :class:`~torchstats.models.fixed_effects_sample.FixedEffectsSample` (:attr:`sample`), as
    for :class:`~torchstats.models.fixed_effects.FixedEffectsOLS`.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 | f1 + f2^f3"``.
    data : pandas.DataFrame
        The data.
    family : Family
        Any torchstats family with any of its links.
    offset : str or array-like, optional
        Added to the linear predictor (a column name, or one value per row of ``data``).
    offset_columns : tuple of (str or None, str or None)
        The names of the columns the offset was built from, ``(offset, exposure)`` (the
        offset plus ``log(exposure)``), which ``predict`` reads from new data; the formula
        functions set it.
    weights : str or array-like, optional
        Positive prior weights (``var_weights``; pyfixest's ``weights`` for ``fepois``).
    missing, fixef_rm, fixef_tol, fixef_maxiter, collin_tol, device, dtype, context
        As :class:`~torchstats.models.fixed_effects.FixedEffectsOLS`.
    glm_tol : float
        Relative change of the deviance that ends the iterations (fixest's ``glm.tol``,
        pyfixest's ``iwls_tol``).
    glm_maxiter : int
        Most iterations (fixest's ``glm.iter``); reaching it warns.
    separation : bool
        Drop the rows of fixed-effect levels that are perfectly separated (default True).
    """

    model_name = "GLM"

    def __init__(
        self,
        formula: str,
        data: Any,
        family: F.Family,
        *,
        offset: Any = None,
        offset_columns: tuple[str | None, str | None] = (None, None),
        weights: Any = None,
        missing: str = "drop",
        fixef_rm: FixefRemoval = "singleton",
        fixef_tol: float = 1e-10,
        fixef_maxiter: int = 10_000,
        collin_tol: float = 1e-10,
        glm_tol: float = 1e-8,
        glm_maxiter: int = 25,
        separation: bool = True,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        if not isinstance(family, F.Family):
            translated = from_statsmodels_family(family)
            if translated is None:
                raise InvalidOptionError(
                    f"family must be a torchstats family instance, got {type(family).__name__}"
                )
            family = translated
        if not 0 < glm_tol < 1 or glm_maxiter < 1:
            raise InvalidOptionError(
                f"glm_tol must lie in (0, 1) and glm_maxiter be positive, got {glm_tol!r} "
                f"and {glm_maxiter!r}"
            )
        self.family = family
        self._glm_rule = (glm_tol, glm_maxiter)
        self._separation = separation
        self._offset_values = _per_row(data, offset, "offset")
        self.offset_columns = offset_columns
        """The columns (offset, exposure) the offset was built from, or None for each one
        given as values: :meth:`glm_predict` reads them from new data, as fixest."""
        self.n_separated = 0
        """Rows dropped because their fixed-effect level is perfectly separated."""
        self.offset: torch.Tensor | None = None
        """The offset of the rows used (None without one)."""
        sample = FixedEffectsSample.from_formula(
            formula,
            data,
            weights=weights,
            missing=missing,
            fixef_rm=fixef_rm,
            fixef_tol=fixef_tol,
            fixef_maxiter=fixef_maxiter,
            collin_tol=collin_tol,
            # one frame, this __init__, between caller_context and the user's call
            context=caller_context(context, 1),
            device=device,
            dtype=dtype,
            model=type(self).__name__,
        )
        self.fixest_formula: FixestFormula = sample.formula
        self._formula_text = formula
        self._adopt(sample)

    # --- rows (the sample's) ------------------------------------------------------------------

    def _adopt(self, sample: FixedEffectsSample) -> None:
        """Fit on the rows of ``sample``: separated levels dropped, the first iteration's
        demeaning done and the collinear regressors dropped (:meth:`_demean`)."""
        self.sample: FixedEffectsSample = sample
        """The rows used, their effects and the rules to absorb them (separated levels and
        collinear regressors dropped)."""
        self.design = sample.design  # sizes the demeaning's threads (sized_threads)
        self._start = self._demean()

    @property
    def absorb_plan(self) -> AbsorbPlan:
        """The effects' cross-tabulation patterns, built once and re-weighted by every
        demeaning of the fit."""
        return self.sample.absorb_plan

    @property
    def demeaning(self) -> Absorbed:
        """The first iteration's demeaning of ``[z, X]`` (at :meth:`starting_mu`)."""
        return self._start

    # --- the first demeaning, at the starting values -------------------------------------------

    def _without_separated(self, sample: FixedEffectsSample) -> FixedEffectsSample:
        """``sample`` without the rows of levels whose outcome a finite effect cannot fit
        (counted in :attr:`n_separated`)."""
        y = sample.design.endog.cpu().numpy()
        if isinstance(self.family, F.Binomial):
            bounds: tuple[float, ...] = (0.0, 1.0)
        elif isinstance(self.family, (F.Poisson, F.NegativeBinomial)):
            bounds = (0.0,)
        else:
            return sample
        drop = np.zeros(len(y), dtype=bool)
        for codes in sample.groups.codes.T:
            counts = np.bincount(codes)
            for bound in bounds:
                at_bound = np.bincount(codes, weights=(y == bound).astype(float))
                drop |= (at_bound == counts)[codes]
        self.n_separated = int(drop.sum())
        if not self.n_separated:
            return sample
        keep = ~drop
        if not keep.any():
            raise EmptyDataError(
                "every fixed-effect level is perfectly separated (its outcomes are all at "
                "a bound of the family's range): nothing is left to estimate"
            )
        return sample.select_rows(keep)

    def starting_mu(self) -> torch.Tensor:
        """pyfixest's start: 0.5 for the binomial, ``mean(y)`` for the Gaussian,
        ``(y + mean(y)) / 2`` otherwise."""
        y = self.design.endog
        if isinstance(self.family, F.Binomial):
            return torch.full_like(y, 0.5)
        if isinstance(self.family, F.Gaussian):
            return torch.full_like(y, float(y.mean()))
        return (y + y.mean()) / 2

    @sized_threads
    def _demean(self) -> Absorbed:
        """Separation, then the first iteration's demeaning and the collinearity check
        (:attr:`sample`, :attr:`design` and :attr:`offset` set to the rows and columns
        kept)."""
        sample = self.sample
        if self._separation and sample.groups.codes.shape[1]:
            sample = self._without_separated(sample)
        self.family.check_endog(sample.design.endog)
        if (
            self._offset_values is not None
            and not np.isfinite(self._offset_values[sample.positions]).all()
        ):
            raise InvalidOptionError("the offset is missing or infinite in some rows used")
        self.sample, self.design = sample, sample.design
        self.offset = self._offset_of_rows()
        problem = self._problem()
        mu = self.starting_mu()
        eta = self.family.predict(mu)
        weights = problem.irls_weights(mu)
        z = problem.working_response(eta, mu)
        design = self.design
        columns = column_major(z, design.exog)
        absorbed = sample.absorb(columns, weights, overwrite=True, plan=self.absorb_plan)
        sample, keep = sample.drop_collinear(absorbed.resid[:, 1:], weights)
        if len(keep) < design.k_exog:
            selected = [0, *(1 + i for i in keep)]
            absorbed = Absorbed(
                absorbed.resid[:, selected], (), absorbed.n_iter, absorbed.converged
            )
        self.sample, self.design = sample, sample.design
        return absorbed

    def _offset_of_rows(self) -> torch.Tensor | None:
        if self._offset_values is None:
            return None
        y = self.design.endog
        return torch.as_tensor(self._offset_values[self.positions], dtype=y.dtype, device=y.device)

    def _problem(self) -> IrlsProblem:
        """The IRLS problem on the rows and columns used, demeaning with the sample's plan."""
        sample, plan = self.sample, self.absorb_plan

        def demean(columns: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
            return sample.absorb(columns, weights, overwrite=True, plan=plan).resid

        return IrlsProblem(
            self.family, self.design.endog, self.design.exog, self.offset, self.row_weights, demean
        )

    # --- iterations ---------------------------------------------------------------------------

    def iterate(self, start: torch.Tensor | None = None) -> GlmIterations:
        """Run IRLS to convergence (:func:`~torchstats.models.fixed_effects_irls.run_irls`)
        from the means ``start`` (default :meth:`starting_mu`, whose first demeaning is
        already done)."""
        glm_tol, glm_maxiter = self._glm_rule
        if start is None:
            start, first = self.starting_mu(), self._start.resid
        else:
            first = None
        return run_irls(self._problem(), start, first, glm_tol, glm_maxiter)

    # --- fit ----------------------------------------------------------------------------------

    @sized_threads
    def fit(
        self,
        vcov: str | Mapping[str, str] | None = None,
        ssc: Mapping[str, object] | None = None,
        *,
        cov_type: str | None = None,
        cov_kwds: Mapping[str, object] | None = None,
    ) -> FixedEffectsGLMResults:
        """Estimate the coefficients; inference by ``vcov`` (pyfixest) or ``cov_type``.

        Parameters
        ----------
        vcov : str or dict, optional
            ``"iid"`` (default), ``"hetero"``, ``{"CRV1": "g"}``, ``{"CRV1": "g1+g2"}``,
            ``{"CRV3": "g"}``; ``"HC2"``/``"HC3"`` without absorbed effects only.
        ssc : dict, optional
            Small-sample corrections (see :mod:`torchstats.covariance.fixest`).
        cov_type, cov_kwds : optional
            statsmodels' spelling: ``"nonrobust"``, ``"HC0"``/``"HC1"``, ``"cluster"`` with
            ``cov_kwds={"groups": "g"}``.
        """
        iterations = self.iterate()
        fit = SolverResult(
            iterations.params,
            "irls",
            iterations.converged,
            iterations.n_iter,
            0.0,
            "deviance converged" if iterations.converged else "deviance did not converge",
            len(iterations.params),
            None,
        )
        covariance = self.glm_covariance(iterations, vcov, ssc, cov_type, cov_kwds)
        return FixedEffectsGLMResults(
            self, fit, covariance, iterations=iterations, ssc=dict(ssc or {})
        )

    def pearson_chi2(self, iterations: GlmIterations) -> float:
        """``sum(w (y - mu)^2 / V(mu))`` (see :mod:`torchstats.covariance.fixest_glm`)."""
        return pearson_chi2(self.family, self.design.endog, iterations.mu, self.row_weights)

    def scale(self, iterations: GlmIterations) -> float:
        """The dispersion: 1 for families with a fixed scale, else Pearson's chi-squared
        over the residual degrees of freedom (:attr:`df_resid`, the effects counted)."""
        return glm_dispersion(
            self.family, self.design.endog, iterations.mu, self.row_weights, self.df_resid
        )

    def glm_covariance(
        self,
        iterations: GlmIterations,
        vcov: str | Mapping[str, str] | None,
        ssc: Mapping[str, object] | None,
        cov_type: str | None = None,
        cov_kwds: Mapping[str, object] | None = None,
    ) -> CovarianceResult:
        """The covariance asked for, with fixest's corrections, for z tests
        (:func:`~torchstats.covariance.fixest_glm.fixest_glm_covariance`; CRV3 refits by
        :meth:`params_without`).

        Raises
        ------
        DesignError
            HC2/HC3 with absorbed effects (pyfixest refuses them too); a CRV3 refit that
            loses a regressor.
        """
        choice = read_vcov(vcov, cov_type, cov_kwds)
        # fixest's iid dispersion is over n - 1; its default correction (n - 1) / (n - K)
        # makes it statsmodels' scale over n - K (for the Gaussian, the OLS fixed effects')
        iid_scale = glm_dispersion(
            self.family, self.design.endog, iterations.mu, self.row_weights, self.nobs - 1
        )
        return fixest_glm_covariance(
            choice,
            small_sample_for(choice, ssc),
            irls_weights=iterations.irls_weights,
            design=iterations.design,
            working_resid=iterations.working_resid,
            params=iterations.params,
            effects=self.effect_counts,
            clusters=self.sample.clusters(choice.clusters) if choice.clustered else None,
            leave_out=self.params_without,
            scale=iid_scale,
        )

    def params_without(self, rows: np.ndarray) -> torch.Tensor:
        """The coefficients refitted without ``rows`` (a mask over the rows used), for CRV3.

        The refit is this model on the remaining rows with every option kept (weights,
        offset, tolerances): singletons dropped again (whatever ``fixef_rm``, as pyfixest),
        separated levels dropped again, the effects demeaned again and IRLS run from the
        usual start, as pyfixest's ``_vcov_crv3_slow`` refits ``fepois`` on the data without
        the cluster.

        Raises
        ------
        DesignError
            A regressor is collinear with the effects in the refit (the leave-one-cluster-out
            estimate then has fewer coefficients).
        """
        sample = self.sample
        keep = sample.rows_without(rows)
        refit = copy.copy(self)
        for name in _cached_properties(type(self)):
            refit.__dict__.pop(name, None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CollinearityWarning)
            refit._adopt(sample.select_rows(keep))
        if list(refit.design.exog_names) != list(self.design.exog_names):
            raise DesignError(
                "CRV3: without one of the clusters a regressor is collinear with the fixed "
                "effects, so the leave-one-cluster-out estimate is not defined; use CRV1 or "
                "cluster more coarsely"
            )
        return refit.iterate().params

    def covariance(
        self,
        fit: SolverResult,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
    ) -> CovarianceResult:
        """Not available: the covariance needs the iterations (use ``results.vcov``)."""
        del fit, cov_kwds, use_t
        raise InvalidOptionError(
            f"ask the results for another covariance: results.vcov(...) (cov_type={cov_type!r})"
        )

    # --- least-squares views that do not apply --------------------------------------------------

    def whitened(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Not available: the IRLS weights change every iteration (see the results)."""
        raise InvalidOptionError(_USE_RESULTS)

    def fixest_covariance(
        self,
        fit: SolverResult,
        vcov: str | Mapping[str, str] | None,
        ssc: Mapping[str, object] | None,
        cov_type: str | None = None,
        cov_kwds: Mapping[str, object] | None = None,
    ) -> CovarianceResult:
        """Not available: use ``results.vcov(...)``."""
        raise InvalidOptionError(_USE_RESULTS)

    def effects(self, params: torch.Tensor) -> list[torch.Tensor]:
        """Not available: use ``results.fixef()``."""
        raise InvalidOptionError(_USE_RESULTS)

    def fixef(self, params: torch.Tensor) -> dict[str, pd.Series]:
        """Not available: use ``results.fixef()``."""
        raise InvalidOptionError(_USE_RESULTS)

    def predict_frame(self, params: torch.Tensor, frame: pd.DataFrame | None) -> np.ndarray:
        """Not available: use ``results.predict(...)``."""
        raise InvalidOptionError(_USE_RESULTS)

    # --- effects and predictions ---------------------------------------------------------------

    def glm_effects(self, iterations: GlmIterations) -> list[torch.Tensor]:
        """Each absorbed term's coefficients: the effects part of ``eta`` (``eta - offset -
        X b``) projected on the effects with the last iteration's weights, normalised as
        fixest (every fixed effect after the first has its first level at 0)."""
        part = iterations.eta - self.design.exog @ iterations.params
        if self.offset is not None:
            part = part - self.offset
        absorbed = self.sample.absorb(
            part.unsqueeze(1), iterations.irls_weights, plan=self.absorb_plan
        )
        return self.sample.normalised([e[:, 0] for e in absorbed.effects])

    def glm_fixef(self, iterations: GlmIterations) -> dict[str, pd.Series]:
        """The effects as Series indexed by level, by term name (``"f[x]"`` for slopes)."""
        return self.sample.fixef_series(self.glm_effects(iterations))

    def glm_predict(
        self, iterations: GlmIterations, frame: pd.DataFrame, offset: Any = None
    ) -> np.ndarray:
        """The linear predictor ``offset + X b + effects`` of new rows; NaN where a level was
        not in the fit.

        Without ``offset`` the fit's offset and exposure columns are read from ``frame`` (as
        fixest and pyfixest); one given as values cannot be, and a warning says that the
        prediction leaves it out.
        """
        prediction = self.sample.predict_frame(
            iterations.params, self.glm_effects(iterations), frame
        )
        if offset is None:
            extra = self._offset_of_new_rows(frame)
        else:
            extra = _per_row(frame, offset, "offset")
        return prediction if extra is None else prediction + extra

    def _offset_of_new_rows(self, frame: pd.DataFrame) -> np.ndarray | None:
        if self._offset_values is None:
            return None
        offset_name, exposure_name = self.offset_columns
        if offset_name is None and exposure_name is None:
            warn(
                "the fit's offset (or exposure) was given as values, which new data cannot "
                "supply: the prediction leaves it out; pass offset= (a column name or values, "
                "log(exposure) included) to add it",
                SpecificationWarning,
            )
            return None
        total = np.zeros(len(frame))
        if offset_name is not None:
            total = total + _column(frame, offset_name, "offset")
        if exposure_name is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                total = total + np.log(_column(frame, exposure_name, "exposure"))
        return total


def _cached_properties(cls: type) -> set[str]:
    """The names of the cached properties of ``cls`` and its bases (values of the instance)."""
    return {
        name
        for klass in cls.__mro__
        for name, value in vars(klass).items()
        if isinstance(value, cached_property)
    }


def _column(data: pd.DataFrame, column: str, name: str) -> np.ndarray:
    """A named column of ``data`` as floats."""
    values = _per_row(data, column, name)
    assert values is not None  # a name gives values
    return values


def _per_row(data: Any, values: Any, name: str) -> np.ndarray | None:
    """A per-row argument as floats over the rows of ``data`` (a column name or values)."""
    if values is None:
        return None
    if isinstance(values, str):
        if not isinstance(data, pd.DataFrame) or values not in data.columns:
            raise InvalidOptionError(f"{name} {values!r} is not a column of the data")
        return pd.to_numeric(data[values]).to_numpy(dtype=float)
    array = np.asarray(values.cpu() if isinstance(values, torch.Tensor) else values, dtype=float)
    if array.ndim != 1 or len(array) != len(data):
        raise InvalidOptionError(
            f"{name} needs one value per row of the data ({len(data)}), got shape {array.shape}"
        )
    return array

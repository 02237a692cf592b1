"""The hurdle count model, statsmodels' ``HurdleCountModel``.

A zero model decides whether a count clears the hurdle (a count model censored at one:
``P(y = 0) = P0(mu_zero)``) and a zero-truncated count model gives the positive counts:
``P(y) = (1 - P0(mu_zero)) P(y | y > 0; mu)``. The two parts share no parameter and are fitted
separately (:mod:`~torchstats.models.separable`); the parameters are the zero model's,
named ``zm_<name>``, then the count model's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pandas as pd
import torch

from torchstats._device import OutputFormat, to_tensor
from torchstats._typing import check_option
from torchstats.errors import InvalidOptionError, ShapeMismatchError
from torchstats.families.count_truncation import log_prob_zero, truncated_moments
from torchstats.formula.arrays import design_from_arrays
from torchstats.formula.design import Design
from torchstats.models.base import caller_context
from torchstats.models.count import _Count
from torchstats.models.separable import _SeparableModel
from torchstats.models.truncated import (
    TruncatedLFNegativeBinomialP,
    TruncatedLFPoisson,
    _CensoredCount,
    _pmf,
)
from torchstats.results.count_probabilities import count_y_values
from torchstats.results.truncated import HurdleCountResults

__all__ = ["HurdleCountModel", "HURDLE_PREDICT_WHICH", "HURDLE_DISTRIBUTIONS"]

HURDLE_PREDICT_WHICH = (
    "mean",
    "mean-main",
    "linear",
    "mean-nonzero",
    "prob-zero",
    "prob-main",
    "prob-trunc",
    "var",
    "prob",
)
"""Statistics of ``HurdleCountModel.predict(which=...)`` (statsmodels')."""

HURDLE_DISTRIBUTIONS = ("poisson", "negbin")
"""Count distributions of the zero and count parts (``zerodist``, ``dist``)."""


class HurdleCountModel(_SeparableModel, _Count):
    """Hurdle model for count data, statsmodels' ``HurdleCountModel``.

    Parameters
    ----------
    endog : array-like or str
        Non-negative counts with zeros and positive values, or a formula.
    exog : array-like or DataFrame
        Design matrix of both parts (no constant is added), or the data for a formula.
    offset : None
        Not available (statsmodels raises too).
    dist, zerodist : {"poisson", "negbin"}
        Distribution of the truncated count part and of the zero part (NB-P, with powers
        ``p`` and ``pzero``).
    p, pzero : float
        NB-P powers of the count and zero parts (default 2, NB2).
    exposure : None
        Not available (statsmodels raises too).
    missing : {"drop", "raise", "none"}, optional
        Missing-data policy; default ``"drop"`` for formulas, ``"none"`` for arrays.
    exog_infl : array-like, optional
        A design of its own for the zero part (one row per observation; a pandas object is
        matched to the rows by label), as R's ``hurdle(y ~ x | z)``; default ``exog``, as
        statsmodels. Its parameters are named ``zm_<column>``.
    device, dtype, context
        As for the other count models.

    Notes
    -----
    statsmodels fits both parts by BFGS (35 steps); the default here is Newton to
    convergence. ``pzero`` has no effect in statsmodels (its zero part is always NB2); it
    does here (see ``docs/differences.md``).
    """

    model_name = "HurdleCountModel"
    _results_class = HurdleCountResults
    accepts_exposure = False
    _part_prefixes = ("zm_", "")
    predict_which = HURDLE_PREDICT_WHICH

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        offset: Any = None,
        dist: str = "poisson",
        zerodist: str = "poisson",
        p: float = 2,
        pzero: float = 2,
        exposure: Any = None,
        missing: str | None = None,
        exog_infl: Any = None,
        *,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        if offset is not None or exposure is not None:
            raise InvalidOptionError(
                "HurdleCountModel takes no offset or exposure (statsmodels' neither): fit "
                "the parts, TruncatedLFPoisson/TruncatedLFNegativeBinomialP, on their own"
            )
        self.dist = check_option(dist, HURDLE_DISTRIBUTIONS, "dist")
        self.zerodist = check_option(zerodist, HURDLE_DISTRIBUTIONS, "zerodist")
        self._setup(
            endog,
            exog,
            offset=None,
            exposure=None,
            missing=missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1) if isinstance(endog, str) else None,
        )
        zero_design = self.design
        if exog_infl is not None:
            zero_design = self._zero_design(exog_infl)
        self.model_zero = _CensoredCount._from_design(
            zero_design,
            dist=self.zerodist,
            p=float(pzero),
            model_name="HurdleCountModel zero model",
        )
        count_class = TruncatedLFPoisson if self.dist == "poisson" else TruncatedLFNegativeBinomialP
        self.model_count = count_class._from_design(
            self.design, dist=self.dist, p=float(p), truncation=0
        )
        self._parts = (self.model_zero, self.model_count)
        self._part_rows = (None, torch.nonzero(self.design.endog > 0).reshape(-1))

    def _zero_design(self, exog_infl: Any) -> Design:
        """The design with ``exog_infl`` (matched to the rows used) as its matrix."""
        design = self.design
        selected = self.rows_of({"exog_infl": exog_infl}, ("exog_infl",))["exog_infl"]
        if len(selected) != design.nobs:
            raise ShapeMismatchError(
                f"exog_infl has {len(selected)} rows but the model uses {design.nobs}; give "
                "one row per observation (a pandas object is matched by label)"
            )
        if isinstance(selected, pd.Series):
            selected = selected.to_frame()
        if isinstance(selected, pd.DataFrame):  # matched to the rows: the labels are done
            selected = pd.DataFrame(selected.to_numpy(), columns=selected.columns)
        zero = design_from_arrays(
            design.endog, selected, device=design.exog.device, dtype=design.exog.dtype
        )
        output = OutputFormat(design.output.kind, zero.exog_names, design.row_index)
        return replace(
            design,
            exog=zero.exog,
            exog_names=zero.exog_names,
            output=output,
            terms=zero.terms,
            formula=None,
            model_spec=None,
        )

    @property
    def exog_infl(self) -> Any:
        """The zero part's design matrix, as :attr:`exog`."""
        return self.model_zero.exog

    @property
    def p(self) -> float:
        """NB-P power of the count part."""
        return self.model_count.p

    @property
    def pzero(self) -> float:
        """NB-P power of the zero part."""
        return self.model_zero.p

    def predict(
        self,
        params: Any,
        exog: Any = None,
        exposure: Any = None,
        offset: Any = None,
        which: str = "mean",
        y_values: Any = None,
        exog_infl: Any = None,
    ) -> torch.Tensor:
        """statsmodels' ``HurdleCountModel.predict``.

        Parameters
        ----------
        params : array-like
        exog : array-like, optional
            New design rows (default the model's); also the zero part's unless the model
            has ``exog_infl``.
        exposure, offset : None
            Not available.
        which : str
            ``"mean"`` ``E(y)``; ``"mean-main"`` the count part's untruncated mean ``mu``;
            ``"linear"`` its linear predictor; ``"mean-nonzero"`` ``E(y | y > 0)``;
            ``"prob-zero"`` ``P(y = 0)``; ``"prob-main"`` ``P(y > 0)``; ``"prob-trunc"``
            ``P0(mu)``, the count part's probability of a zero; ``"var"`` the variance;
            ``"prob"`` the probabilities of ``y_values``, shape (m, K).
        y_values : array-like, optional
            Counts for ``"prob"`` (default ``0..max(endog)``).
        exog_infl : array-like, optional
            New rows of the zero part's design (models with ``exog_infl``).
        """
        check_option(which, HURDLE_PREDICT_WHICH, "which")
        if exposure is not None or offset is not None:
            raise InvalidOptionError("HurdleCountModel.predict takes no offset or exposure")
        zero_params, count_params = self._part_params(params)
        X, Z = self._prediction_designs(exog, exog_infl)
        eta = X @ count_params[: self.design.k_exog]
        if which == "linear":
            return eta
        mu = torch.exp(eta)
        if which == "mean-main":
            return mu
        prob_zero = self.model_zero.prob_zero(zero_params, Z)
        if which in ("prob-zero", "prob-main"):
            return prob_zero if which == "prob-zero" else 1 - prob_zero
        alpha = count_params[-1] if self.model_count.k_extra else None
        count_p = self.model_count.p
        if which == "prob-trunc":
            return torch.exp(log_prob_zero(mu, alpha, count_p))
        mean_nonzero, variance_nonzero = truncated_moments(0, mu, alpha, count_p)
        if which == "mean-nonzero":
            return mean_nonzero
        if which == "mean":
            return (1 - prob_zero) * mean_nonzero
        if which == "var":
            prob_main = 1 - prob_zero
            return prob_main * variance_nonzero + prob_main * prob_zero * mean_nonzero**2
        counts = count_y_values(y_values, self.design.endog)[None, :]
        truncated = (
            _pmf(counts, mu[:, None], alpha, count_p)
            / -torch.expm1(log_prob_zero(mu, alpha, count_p))[:, None]
        )
        positive = (1 - prob_zero)[:, None] * truncated
        return torch.where(counts == 0, prob_zero[:, None].expand_as(positive), positive)

    def _prediction_designs(
        self, exog: Any, exog_infl: Any
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The count part's and zero part's design rows (None: the zero model's own)."""
        X = self.design.exog
        own_zero = self.model_zero.design is not self.design
        if exog is None:
            if exog_infl is not None:
                raise InvalidOptionError("exog_infl needs exog (new rows of both parts)")
            return X, None
        new = to_tensor(exog, name="exog", device=X.device, dtype=X.dtype)
        new = new[None, :] if new.ndim == 1 else new
        if not own_zero:
            return new, new
        if exog_infl is None:
            raise InvalidOptionError(
                "this model's zero part has its own design: predict at new exog needs "
                "exog_infl, its rows for the zero part"
            )
        Z = to_tensor(exog_infl, name="exog_infl", device=X.device, dtype=X.dtype)
        return new, Z[None, :] if Z.ndim == 1 else Z

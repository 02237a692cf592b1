"""Specification tests of fitted count models: statsmodels' ``CountDiagnostic`` and
``PoissonDiagnostic`` (``results.get_diagnostic()``).

The tests are sums over observations of the fitted means, counts and scores, computed on
the host with numpy (each is ``O(n k)``); results are frozen records with statsmodels' field
names that unpack as ``statistic, pvalue = result``.

References: Dean (1992), "Testing for overdispersion in Poisson and binomial regression
models", *JASA* 87; Cameron and Trivedi (1990), "Regression-based tests for overdispersion
in the Poisson model", *J. Econometrics* 46; van den Broek (1995), "A score test for zero
inflation in a Poisson distribution", *Biometrics* 51; Tang and Tang (2018), "Testing
modified zeros for Poisson regression models", *SMMR*; Jansakul and Hinde (2002), "Score
tests for zero-inflated Poisson models", *CSDA* 40; Andrews (1988), "Chi-square diagnostic
tests for econometric models", *Econometrica* 56.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from scipy import stats

from torchstats._typing import check_option
from torchstats.drawing.count_probabilities import draw_probs
from torchstats.structured.block_matrix import dense_within_limit

__all__ = [
    "ChisquareProbResult",
    "CountDiagnostic",
    "DispersionResults",
    "PoissonDiagnostic",
    "ZeroModificationTestResult",
    "ZeroinflationJHResult",
]


class _StatisticPvalue:
    """Unpacks as ``statistic, pvalue`` (statsmodels' ``LimitedIterationMixin``)."""

    _iter_fields: ClassVar[tuple[str, ...]] = ("statistic", "pvalue")

    def __post_init__(self) -> None:
        """Numbers as numpy scalars, as statsmodels returns them (``res.pvalue.round(3)``
        fails on a Python float)."""
        for field in fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if isinstance(value, float) and not isinstance(value, np.floating):
                object.__setattr__(self, field.name, np.float64(value))
            elif isinstance(value, int) and not isinstance(value, (bool, np.integer)):
                object.__setattr__(self, field.name, np.int64(value))

    def __iter__(self) -> Iterator[Any]:
        return iter(getattr(self, name) for name in self._iter_fields)

    def __getitem__(self, index: int) -> Any:
        return getattr(self, self._iter_fields[index])

    def __len__(self) -> int:
        return len(self._iter_fields)


@dataclass(frozen=True, slots=True)
class DispersionResults(_StatisticPvalue):
    """Seven tests of ``var(y) = E(y)`` (statsmodels' ``DispersionResults``)."""

    statistic: np.ndarray
    pvalue: np.ndarray
    method: list[str]
    alternative: list[str]
    name: str

    def summary_frame(self) -> pd.DataFrame:
        """``statistic, pvalue, method, alternative``, one row per test."""
        return pd.DataFrame(
            {
                "statistic": self.statistic,
                "pvalue": self.pvalue,
                "method": self.method,
                "alternative": self.alternative,
            }
        )


@dataclass(frozen=True, slots=True)
class ZeroModificationTestResult(_StatisticPvalue):
    """A normal test for excess (or too few) zeros."""

    statistic: float
    pvalue: float
    pvalue_smaller: float
    pvalue_larger: float
    chi2: float
    pvalue_chi2: float
    df_chi2: int
    distribution: str


@dataclass(frozen=True, slots=True)
class ZeroinflationJHResult(_StatisticPvalue):
    """Jansakul and Hinde's chi-squared score test of zero inflation given ``exog_infl``."""

    statistic: float
    pvalue: float
    df: int
    rank_score: int
    distribution: str


@dataclass(frozen=True, slots=True)
class ChisquareProbResult(_StatisticPvalue):
    """Andrews' OPG test of binned count probabilities.

    ``res_aux`` is None: the auxiliary regression's ``ssr``, ``rank`` and ``nobs`` are
    fields instead (statsmodels keeps its OLS results).
    """

    statistic: float
    pvalue: float
    df: int
    diff1: np.ndarray
    res_aux: None
    distribution: str
    ssr: float
    rank: int


def _host(values: Any) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().double().numpy()
    return np.asarray(values, dtype=float)


def _zero_result(statistic: float) -> ZeroModificationTestResult:
    return ZeroModificationTestResult(
        statistic=statistic,
        pvalue=float(2 * stats.norm.sf(abs(statistic))),
        pvalue_smaller=float(stats.norm.sf(statistic)),
        pvalue_larger=float(stats.norm.cdf(statistic)),
        chi2=statistic**2,
        pvalue_chi2=float(stats.chi2.sf(statistic**2, 1)),
        df_chi2=1,
        distribution="normal",
    )


def _slope_test(y: np.ndarray, x: np.ndarray, hc3: bool) -> tuple[float, float]:
    """z statistic and normal p-value of the slope of ``y`` on ``x`` (no constant), with
    the classical (``ssr / (n - 1)``) or HC3 variance (statsmodels' ``OLS(...).fit``)."""
    sxx = float(x @ x)
    slope = float(x @ y) / sxx
    resid = y - slope * x
    if hc3:
        leverage = x**2 / sxx
        var = float(((x * resid / (1 - leverage)) ** 2).sum()) / sxx**2
    else:
        var = float(resid @ resid) / (len(y) - 1) / sxx
    statistic = slope / np.sqrt(var)
    return statistic, float(2 * stats.norm.sf(abs(statistic)))


def _combine_bins(edges: Any, values: np.ndarray) -> np.ndarray:
    """Column sums over ``[edges[j], edges[j+1])`` (statsmodels' ``_combine_bins``)."""
    edges = list(edges)
    return np.column_stack(
        [values[:, edges[j] : edges[j + 1]].sum(axis=1) for j in range(len(edges) - 1)]
    )


class CountDiagnostic:
    """Diagnostics of a count model (statsmodels' ``CountDiagnostic``).

    Parameters
    ----------
    results : Poisson or NegativeBinomial results
    y_max : int, optional
        Largest count in :attr:`probs_predicted` (default ``max(endog)``).
    """

    def __init__(self, results: Any, y_max: int | None = None) -> None:
        self.results = results
        self.y_max = y_max

    @cached_property
    def _endog(self) -> np.ndarray:
        return _host(self.results.model.design.endog)

    def _probs(self, y_values: Any = None) -> np.ndarray:
        values = self.results.predict(which="prob", y_values=y_values)
        return _host(values.to_numpy() if isinstance(values, pd.DataFrame) else values)

    @cached_property
    def probs_predicted(self) -> np.ndarray:
        """``P(y_i = k)`` for ``k = 0..y_max``, shape ``(n, y_max + 1)``."""
        return self._probs(None if self.y_max is None else np.arange(self.y_max + 1))

    def plot_probs(
        self, label: str | list[str] = "predicted", upp_xlim: int | None = None, fig: Any = None
    ) -> Any:
        """Observed count frequencies against the summed predicted probabilities (three
        panels: both, cumulated, and a PP-plot), as statsmodels' ``plot_probs``.

        Parameters
        ----------
        label : str or list of two str
            Legend label of the predicted frequencies (or of both).
        upp_xlim : int, optional
            Upper x limit of the first two panels.
        fig : matplotlib Figure, optional
            Receives the (3, 1) grid of axes.

        Returns
        -------
        matplotlib Figure
        """
        predicted = self.probs_predicted.sum(axis=0)
        observed = np.bincount(self._endog.astype(int), minlength=len(predicted))
        return draw_probs(observed[: len(predicted)], predicted, label, upp_xlim, fig)

    def test_chisquare_prob(
        self, bin_edges: Any = None, method: str | None = None
    ) -> ChisquareProbResult:
        """Andrews' OPG moment test that the binned count frequencies match the model.

        ``bin_edges`` (e.g. ``np.arange(4)``) defines bins ``[e_j, e_{j+1})`` of counts;
        the last bin is dropped. The statistic is ``n R^2`` (uncentred) of the regression of
        ones on the scores and the binned ``1(y_i in bin) - P(y_i in bin)``.
        """
        if method not in (None, "opg"):
            raise ValueError(f"unknown method {method!r}; only 'opg' is available")
        y_values = None if bin_edges is None else np.arange(bin_edges[-2] + 1)
        probs = self._probs(y_values)
        model = self.results.model
        scores = _host(model.score_obs(self.results.fit_result.params))
        indicators = (self._endog[:, None] == np.arange(probs.shape[1])).astype(float)
        if bin_edges is not None:
            indicators = _combine_bins(bin_edges, indicators)
            probs = _combine_bins(bin_edges, probs)
        diff = indicators - probs
        aux = np.column_stack((scores, diff[:, :-1]))
        nobs = aux.shape[0]
        # statsmodels' OLS: pinv with numpy's default cutoff (the default bins can leave
        # columns of counts nobody has, so the design is nearly singular)
        coef = np.linalg.pinv(aux, rcond=1e-15) @ np.ones(nobs)
        ssr = float(((1.0 - aux @ coef) ** 2).sum())
        rank = int(np.linalg.matrix_rank(aux))
        statistic = nobs * (1 - ssr / nobs)
        df = rank - scores.shape[1]
        return ChisquareProbResult(
            statistic=statistic,
            pvalue=float(stats.chi2.sf(statistic, df)),
            df=df,
            diff1=diff,
            res_aux=None,
            distribution="chi2",
            ssr=ssr,
            rank=rank,
        )


class PoissonDiagnostic(CountDiagnostic):
    """Diagnostics of a Poisson fit (statsmodels' ``PoissonDiagnostic``): dispersion and
    zero-inflation tests besides :class:`CountDiagnostic`'s."""

    @cached_property
    def _mean(self) -> np.ndarray:
        return _host(self.results.model.predict(self.results.fit_result.params))

    def test_dispersion(self) -> DispersionResults:
        """Dean's A, B, C and Cameron-Trivedi's regression tests of ``var(y) = E(y)``.

        As statsmodels, "CT nb1" repeats the regression of "CT nb2" (on the mean, no
        constant) and "CT nb1 HC3" regresses on a constant.
        """
        y, mu = self._endog, self._mean
        resid2 = (y - mu) ** 2
        var_endog, var_fitted = resid2 - y, resid2 - mu
        std1 = np.sqrt(2 * (mu**2).sum())
        dean = [
            var_fitted.sum() / std1,
            var_endog.sum() / std1,
            (var_endog / mu).sum() / np.sqrt(2 * len(y)),
        ]
        rows = [(float(s), float(2 * stats.norm.sf(abs(s)))) for s in dean]
        scaled = var_endog / mu
        ones = np.ones_like(mu)
        rows += [
            _slope_test(scaled, mu, False),
            _slope_test(scaled, mu, False),
            _slope_test(scaled, mu, True),
            _slope_test(scaled, ones, True),
        ]
        values = np.array(rows)
        return DispersionResults(
            statistic=values[:, 0],
            pvalue=values[:, 1],
            method=["Dean A", "Dean B", "Dean C", "CT nb2", "CT nb1", "CT nb2 HC3", "CT nb1 HC3"],
            alternative=["mu (1 + a mu)"] * 2
            + ["mu (1 + a)", "mu (1 + a mu)", "mu (1 + a)", "mu (1 + a mu)", "mu (1 + a)"],
            name="Poisson Dispersion Test",
        )

    def test_poisson_zeroinflation(
        self, method: str = "prob", exog_infl: Any = None
    ) -> ZeroModificationTestResult | ZeroinflationJHResult:
        """Test for excess zeros: ``"prob"`` (He et al., Tang and Tang's moment test) or
        ``"broek"`` (van den Broek's score test; Jansakul-Hinde's with ``exog_infl``)."""
        check_option(method, ("prob", "broek"), "method")
        if method == "prob":
            if exog_infl is not None:
                message = 'exog_infl is only used if method = "broek"'
                warnings.warn(message, UserWarning, stacklevel=2)
            return self._zeros_moment_test()
        if exog_infl is None:
            return self._broek_test()
        return self._jansakul_hinde_test(np.asarray(exog_infl, dtype=float))

    def _zeros_moment_test(self) -> ZeroModificationTestResult:
        X = _host(dense_within_limit(self.results.model.design.exog, "the zero-inflation test"))
        mu = self._mean
        prob0 = np.exp(-mu)
        diff = (self._endog == 0).sum() - prob0.sum()
        pmx = (prob0 * mu) @ X
        var = prob0 @ (1 - prob0) - pmx @ np.linalg.solve((X.T * mu) @ X, pmx)
        return _zero_result(float(diff / np.sqrt(var)))

    def _broek_test(self) -> ZeroModificationTestResult:
        prob0 = np.exp(-self._mean)
        score = (((self._endog == 0) - prob0) / prob0).sum()
        var = ((1 - prob0) / prob0).sum() - self._endog.sum()
        return _zero_result(float(score / np.sqrt(var)))

    def _jansakul_hinde_test(self, exog_infl: np.ndarray) -> ZeroinflationJHResult:
        exog_infl = exog_infl[:, None] if exog_infl.ndim == 1 else exog_infl
        X = _host(dense_within_limit(self.results.model.design.exog, "the zero-inflation test"))
        mu, y = self._mean, self._endog
        prob0 = np.exp(-mu)
        cov_params = _host(self.results.covariance.cov)
        cross = ((exog_infl.T * (-mu)) @ X).T
        cov_infl = (exog_infl.T * ((1 - prob0) / prob0)) @ exog_infl
        score = (exog_infl * (((y == 0) - prob0) / prob0)[:, None]).sum(axis=0)
        cov_score = cov_infl - cross.T @ cov_params @ cross
        statistic = float(score @ np.linalg.pinv(cov_score) @ score)
        df = exog_infl.shape[1]
        return ZeroinflationJHResult(
            statistic=statistic,
            pvalue=float(stats.chi2.sf(statistic, df)),
            df=df,
            rank_score=int(np.linalg.matrix_rank(cov_score)),
            distribution="chi2",
        )

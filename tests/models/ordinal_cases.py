"""Ordinal-model cases and an exact reference built on statsmodels' ``OrderedModel``.

statsmodels fits ``OrderedModel`` with numerical derivatives (finite-difference score and
Hessian), so its estimates stop ~1e-6 short of the maximum and its standard errors carry
~1e-6 of differencing error. The reference here is exact instead: statsmodels' model
supplies the data and the distribution (scipy's cdf and pdf); the per-observation score is
written out in closed form with numpy below, the Hessian is the Richardson-extrapolated
central difference of that exact score (error ~1e-11), and Newton's method with them finds
the maximum to rounding. statsmodels' results *at that maximum* (``fit(start_params=...,
maxiter=0)``) then give every statistic that does not depend on its numerical Hessian.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel as SMOrderedModel
from statsmodels.miscmodels.tests.results.results_ordinal_model import data_store

from torchstats.models.ordinal import OrderedModel


class StudentT5(stats.rv_continuous):
    """Student's t with 5 degrees of freedom as statsmodels takes it (an ``rv_continuous``
    instance: statsmodels refuses frozen distributions)."""

    def _cdf(self, x: np.ndarray) -> np.ndarray:
        return stats.t.cdf(x, 5)

    def _pdf(self, x: np.ndarray) -> np.ndarray:
        return stats.t.pdf(x, 5)

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        return stats.t.ppf(q, 5)


# ours -> statsmodels' distr
DISTRIBUTIONS: dict[str, tuple[Any, Any]] = {
    "logit": ("logit", "logit"),
    "probit": ("probit", "probit"),
    "t5": (stats.t(df=5), StudentT5()),
    "cloglog": (stats.gumbel_l, stats.gumbel_l),
    "cauchy": (stats.cauchy, stats.cauchy),
}


def ucla() -> pd.DataFrame:
    """statsmodels' ``ologit_ucla`` data: ``apply`` an ordered Categorical of 3 levels."""
    return data_store.df.copy()


def anes96() -> pd.DataFrame:
    """statsmodels' anes96: ``selfLR``, self-placement 1..7 on the left-right scale."""
    return sm.datasets.anes96.load_pandas().data


def simulated(seed: int = 0, n: int = 600) -> pd.DataFrame:
    """Four ordered levels from a latent logistic model with a factor and an offset; the
    index is shuffled labels."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.uniform(-1, 2, size=n),
            "g": rng.choice(["a", "b", "c"], size=n),
            "off": rng.normal(scale=0.3, size=n),
        },
        index=[f"r{i}" for i in rng.permutation(n)],
    )
    latent = (
        0.8 * frame["x1"]
        - 0.5 * frame["x2"]
        + frame["g"].map({"a": 0.0, "b": 0.7, "c": -0.4})
        + frame["off"]
        + rng.logistic(size=n)
    )
    levels = ["none", "some", "much", "all"]
    codes = np.digitize(latent, [-1.0, 0.3, 1.5])
    frame["rating"] = pd.Categorical.from_codes(codes, categories=levels, ordered=True)
    frame["score"] = codes * 10.0 + 5  # numeric levels 5, 15, 25, 35
    return frame


@dataclass(frozen=True)
class Case:
    """One ordinal fit: data, formula or columns, distribution, input kind, offset."""

    name: str
    data: str
    response: str
    regressors: tuple[str, ...] | str
    distr: str
    kind: str = "pandas"  # "pandas", "numpy" or "formula"
    offset: str | None = None

    @property
    def id(self) -> str:
        return f"{self.name}|{self.distr}|{self.kind}" + ("+off" if self.offset else "")


CASES = [
    Case("ucla", "ucla", "apply", ("pared", "public", "gpa"), "logit"),
    Case("ucla", "ucla", "apply", ("pared", "public", "gpa"), "probit", kind="numpy"),
    Case("ucla", "ucla", "apply", "pared + public + gpa", "logit", kind="formula"),
    Case("ucla", "ucla", "apply", ("pared", "public", "gpa"), "t5"),
    Case("ucla", "ucla", "apply", ("pared", "public", "gpa"), "cloglog", kind="numpy"),
    Case("anes96", "anes96", "selfLR", "age + educ + income", "logit", kind="formula"),
    Case("anes96", "anes96", "selfLR", ("age", "educ", "income"), "probit", kind="numpy"),
    Case("sim", "simulated", "rating", "x1 + x2 + C(g)", "probit", kind="formula"),
    Case("sim", "simulated", "rating", ("x1", "x2"), "logit", offset="off"),
    Case("sim", "simulated", "score", "x1 + np.exp(x2) + C(g)", "cauchy", kind="formula"),
]

DATA = {"ucla": ucla, "anes96": anes96, "simulated": simulated}


def data_of(case: Case) -> pd.DataFrame:
    return DATA[case.data]()


def build(case: Case, library: str) -> Any:
    """The model of ``case`` in torchstats (``"ours"``) or statsmodels (``"theirs"``)."""
    data = data_of(case)
    ours, theirs = DISTRIBUTIONS[case.distr]
    distr = ours if library == "ours" else theirs
    offset = None if case.offset is None else data[case.offset]
    if case.kind == "formula":
        formula = f"{case.response} ~ {case.regressors}"
        if library == "ours":
            return OrderedModel(formula, data, offset=offset, distr=distr)
        return SMOrderedModel.from_formula(formula, data, offset=offset, distr=distr)
    endog, exog = data[case.response], data[list(case.regressors)]
    if case.kind == "numpy":
        codes = endog.cat.codes if isinstance(endog.dtype, pd.CategoricalDtype) else endog
        endog, exog = np.asarray(codes), exog.to_numpy(dtype=float)
        offset = None if offset is None else offset.to_numpy()
    cls = OrderedModel if library == "ours" else SMOrderedModel
    return cls(endog, exog, offset=offset, distr=distr)


# --- the exact reference --------------------------------------------------------------------


def exact_score_obs(model: SMOrderedModel, params: np.ndarray) -> np.ndarray:
    """Per-observation score of statsmodels' log-likelihood in closed form, shape (n, k).

    ``l_i = log(F(b_i) - F(a_i))`` with ``b_i = c_{y_i} - x_i b``, ``a_i = c_{y_i - 1} - x_i b``;
    ``dl/db_i = f(b_i)/P_i``, ``dl/da_i = -f(a_i)/P_i``; the thresholds ``c`` are
    ``cumsum([t_0, exp(t_1), ...])`` of the threshold parameters ``t``.
    """
    k, levels = model.k_vars, model.k_levels
    thresholds = params[k:]
    cut = np.cumsum(np.concatenate([thresholds[:1], np.exp(thresholds[1:])]))
    bounds = np.concatenate([[-np.inf], cut, [np.inf]])
    y = np.asarray(model.endog, dtype=int)
    xb = model._linpred(params)
    low, upp = bounds[y] - xb, bounds[y + 1] - xb
    prob = model.cdf(upp) - model.cdf(low)

    def density(bound: np.ndarray) -> np.ndarray:  # 0 at the infinite bounds (no NaN)
        finite = np.isfinite(bound)
        return np.where(finite, model.pdf(np.where(finite, bound, 0.0)), 0.0)

    d_upp, d_low = density(upp) / prob, -density(low) / prob
    n = y.shape[0]
    by_cut = np.zeros((n, levels + 1))  # columns: c_{-1}, c_0, ..., c_{J-1}
    by_cut[np.arange(n), y + 1] += d_upp
    by_cut[np.arange(n), y] += d_low
    chain = np.zeros((levels - 1, levels - 1))  # d c_j / d t_m
    chain[:, 0] = 1.0
    for m in range(1, levels - 1):
        chain[m:, m] = np.exp(thresholds[m])
    exog = np.zeros((n, 0)) if model.exog is None else np.asarray(model.exog)
    return np.column_stack([-(d_upp + d_low)[:, None] * exog, by_cut[:, 1:-1] @ chain])


def richardson_hessian(model: SMOrderedModel, params: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Central differences of the exact score, Richardson-extrapolated (error ~1e-11); the
    step of a coefficient is divided by its regressor's root mean square."""
    exog = np.zeros((0, 0)) if model.exog is None else np.asarray(model.exog, dtype=float)
    scales = np.ones(params.size)
    if exog.size:
        scales[: exog.shape[1]] = np.maximum(np.sqrt(np.mean(exog**2, axis=0)), 1.0)

    def difference(factor: float) -> np.ndarray:
        columns = []
        for j in range(params.size):
            shift = np.zeros(params.size)
            shift[j] = factor * step / scales[j]
            up = exact_score_obs(model, params + shift).sum(0)
            down = exact_score_obs(model, params - shift).sum(0)
            columns.append((up - down) / (2 * shift[j]))
        return np.column_stack(columns)

    hessian = (4 * difference(0.5) - difference(1.0)) / 3
    return (hessian + hessian.T) / 2


def exact_maximum(model: SMOrderedModel) -> np.ndarray:
    """Newton with the exact score from statsmodels' start values, to rounding."""
    params = np.asarray(model.start_params, dtype=float)
    for _ in range(50):
        step = np.linalg.solve(
            richardson_hessian(model, params), exact_score_obs(model, params).sum(0)
        )
        params = params - step
        if np.max(np.abs(step)) < 1e-13 * (1 + np.max(np.abs(params))):
            break
    return params


@dataclass(frozen=True)
class Reference:
    """statsmodels' results at the exact maximum, and the exact covariances."""

    params: np.ndarray
    cov: np.ndarray
    score_obs: np.ndarray
    hessian: np.ndarray
    results: Any  # statsmodels' results at params (its own, numerical, bse)

    @property
    def bse(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))


def statsmodels_at(model: SMOrderedModel, params: np.ndarray, **fit_options: Any) -> Any:
    """statsmodels' results with ``params`` as the estimate (no optimisation step)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(start_params=params, method="bfgs", maxiter=0, disp=False, **fit_options)


@functools.cache
def reference(case: Case) -> Reference:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = build(case, "theirs")
    params = exact_maximum(model)
    hessian = richardson_hessian(model, params)
    return Reference(
        params=params,
        cov=np.linalg.inv(-hessian),
        score_obs=exact_score_obs(model, params),
        hessian=hessian,
        results=statsmodels_at(model, params),
    )


@functools.cache
def ours(case: Case, **fit_options: Any) -> Any:
    return build(case, "ours").fit(**fit_options)

"""GLM cases shared by the parity tests: data sets, family/link combinations and options.

Each :class:`GlmCase` fits the same formula with torchstats and with statsmodels; fits are
cached so that the many one-statistic tests do not refit.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

import torchstats as ts


def make_glm_frame(seed: int, n: int = 300) -> pd.DataFrame:
    """Regressors (numeric, categorical), offsets, exposures, weights and one response per
    family, each drawn from its family so every fit is well posed."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.uniform(0.5, 3.0, size=n),
            "g": rng.choice(["a", "b", "c"], size=n),
            "off": rng.normal(scale=0.2, size=n),
            "expo": rng.uniform(0.5, 4.0, size=n),
            "fw": rng.integers(1, 4, size=n).astype(float),
            "vw": rng.uniform(0.5, 2.0, size=n),
            "trials": rng.integers(1, 12, size=n).astype(float),
            "cl": rng.integers(0, 17, size=n),
        },
        index=[f"r{i}" for i in rng.permutation(n)],
    )
    effect = frame["g"].map({"a": 0.0, "b": 0.4, "c": -0.3}).to_numpy()
    eta = 0.3 + 0.5 * frame["x1"] - 0.2 * np.log(frame["x2"]) + effect
    mean = np.exp(eta)
    frame["ycont"] = 2.0 + eta + rng.normal(scale=0.7, size=n)
    frame["yb"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    p = 1 / (1 + np.exp(-eta))
    frame["yprop"] = rng.binomial(frame["trials"].astype(int), p) / frame["trials"]
    frame["yc"] = rng.poisson(mean * frame["expo"]).astype(float)
    frame["ypos"] = rng.gamma(3.0, mean / 3.0)
    frame["yig"] = rng.wald(mean, 4.0)
    counts = rng.poisson(0.8 * mean)
    frame["ytw"] = np.array([rng.gamma(2.0, 0.6, size=k).sum() for k in counts])
    return frame


@functools.cache
def glm_frame(seed: int) -> pd.DataFrame:
    return make_glm_frame(seed)


# name -> (torchstats family factory, statsmodels family factory)
_FAMILIES: dict[str, tuple[Any, Any]] = {
    "gaussian": (ts.families.Gaussian, sm.families.Gaussian),
    "binomial": (ts.families.Binomial, sm.families.Binomial),
    "poisson": (ts.families.Poisson, sm.families.Poisson),
    "gamma": (ts.families.Gamma, sm.families.Gamma),
    "invgauss": (ts.families.InverseGaussian, sm.families.InverseGaussian),
    "negbin": (ts.families.NegativeBinomial, sm.families.NegativeBinomial),
    "tweedie": (ts.families.Tweedie, sm.families.Tweedie),
}
_LINKS = {
    name: (getattr(ts.families.links, name), getattr(sm.families.links, name))
    for name in (
        "Identity",
        "Log",
        "Logit",
        "Probit",
        "CLogLog",
        "LogLog",
        "InversePower",
        "InverseSquared",
        "Sqrt",
    )
}


@dataclass(frozen=True)
class GlmCase:
    """One GLM fit to compare.

    Attributes
    ----------
    family, link : str
        Keys of the family and link tables (link None: the family's default).
    formula : str
    seed : int
    family_kwds : tuple of (name, value)
        E.g. ``(("alpha", 0.8),)``, ``(("var_power", 1.5),)``.
    columns : tuple of (model argument, column)
        Per-row options taken from the data (``offset``, ``exposure``, weights).
    fit_kwds : tuple of (name, value)
        E.g. ``(("scale", "X2"),)``.
    """

    family: str
    formula: str
    link: str | None = None
    seed: int = 0
    family_kwds: tuple[tuple[str, Any], ...] = ()
    columns: tuple[tuple[str, str], ...] = ()
    fit_kwds: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def id(self) -> str:
        parts = [self.family + (f"-{self.link}" if self.link else ""), self.formula]
        parts += [f"{k}={v}" for k, v in self.family_kwds + self.columns + self.fit_kwds]
        return "|".join(parts) + f"|data{self.seed}"

    def families(self) -> tuple[Any, Any]:
        ours, theirs = _FAMILIES[self.family]
        kwds = dict(self.family_kwds)
        if self.link is not None:
            ours_link, theirs_link = _LINKS[self.link]
            return ours(ours_link(), **kwds), theirs(theirs_link(), **kwds)
        return ours(**kwds), theirs(**kwds)

    def model_kwds(self) -> dict[str, Any]:
        frame = glm_frame(self.seed)
        return {argument: frame[column] for argument, column in self.columns}


_BASE = [
    GlmCase("gaussian", "ycont ~ x1 + np.log(x2) + C(g)"),
    GlmCase("gaussian", "ypos ~ x1 + x2", link="Log"),
    GlmCase("gaussian", "ypos ~ x1 + C(g)", link="InversePower"),
    GlmCase("gaussian", "ycont ~ x1 + x2", columns=(("freq_weights", "fw"),)),
    GlmCase("gaussian", "ycont ~ x1 + C(g)", columns=(("var_weights", "vw"),)),
    GlmCase("binomial", "yb ~ x1 + np.log(x2) + C(g)"),
    GlmCase("binomial", "yb ~ x1 + x2", link="Probit"),
    GlmCase("binomial", "yb ~ x1 + x2", link="CLogLog"),
    GlmCase("binomial", "yb ~ x1 + C(g)", link="LogLog"),
    GlmCase("binomial", "yb ~ x1 + x2", columns=(("offset", "off"),)),
    GlmCase("binomial", "yprop ~ x1 + C(g)", columns=(("var_weights", "trials"),)),
    GlmCase("poisson", "yc ~ x1 + np.log(x2) + C(g)"),
    GlmCase("poisson", "yc ~ x1 + C(g)", columns=(("exposure", "expo"),)),
    GlmCase("poisson", "yc ~ x1 + x2", columns=(("offset", "off"), ("exposure", "expo"))),
    GlmCase("poisson", "yc ~ x1 + C(g)", columns=(("freq_weights", "fw"),)),
    GlmCase("poisson", "yc ~ x1 + x2", link="Sqrt"),
    GlmCase("poisson", "yc ~ x1 + C(g)", fit_kwds=(("scale", "X2"),)),
    GlmCase("gamma", "ypos ~ x1 + x2"),
    GlmCase("gamma", "ypos ~ x1 + np.log(x2) + C(g)", link="Log"),
    GlmCase("gamma", "ypos ~ x1 + C(g)", link="Log", columns=(("var_weights", "vw"),)),
    GlmCase("gamma", "ypos ~ x2", link="Identity"),
    GlmCase("gamma", "ypos ~ x1 + x2", link="Log", fit_kwds=(("scale", "dev"),)),
    GlmCase("invgauss", "yig ~ x1 + C(g)", link="Log"),
    GlmCase("invgauss", "yig ~ x2", link="InversePower"),
    GlmCase("negbin", "yc ~ x1 + C(g)", family_kwds=(("alpha", 0.8),)),
    GlmCase(
        "negbin",
        "yc ~ x1 + x2",
        family_kwds=(("alpha", 0.3),),
        columns=(("exposure", "expo"), ("freq_weights", "fw")),
    ),
    GlmCase("tweedie", "ytw ~ x1 + x2", family_kwds=(("var_power", 1.5),)),
    GlmCase(
        "tweedie",
        "ytw ~ x1 + C(g)",
        family_kwds=(("var_power", 1.3),),
        columns=(("var_weights", "vw"),),
    ),
    GlmCase("poisson", "yc ~ x1 + x2", fit_kwds=(("scale", 2.0),)),
]

CASES = [c for c in _BASE] + [
    GlmCase(c.family, c.formula, c.link, 1, c.family_kwds, c.columns, c.fit_kwds)
    for c in _BASE[::2]
]


@functools.cache
def fitted_pair(
    case: GlmCase, cov_type: str = "nonrobust", cov_kwds: tuple = ()
) -> tuple[Any, Any]:
    """``(ours, theirs)`` results for a case (cached)."""
    frame = glm_frame(case.seed)
    ours_family, theirs_family = case.families()
    kwds = case.model_kwds()
    fit_kwds = dict(case.fit_kwds)
    cov = dict(cov_kwds)
    if "groups" in cov:
        cov["groups"] = frame[cov["groups"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = ts.glm(case.formula, frame, family=ours_family, **kwds).fit(
            cov_type=cov_type, cov_kwds=cov or None, **fit_kwds
        )
        theirs = smf.glm(case.formula, frame, family=theirs_family, **kwds).fit(
            cov_type=cov_type, cov_kwds=cov or None, **fit_kwds
        )
    return ours, theirs

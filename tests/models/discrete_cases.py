"""Data sets and model cases shared by the discrete-model tests (Logit, Probit, Poisson, NB)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from torchstats.models.binary import Logit, Probit
from torchstats.models.count import NegativeBinomial, Poisson

OURS = {"logit": Logit, "probit": Probit, "poisson": Poisson, "negbin": NegativeBinomial}
THEIRS_FORMULA = {
    "logit": smf.logit,
    "probit": smf.probit,
    "poisson": smf.poisson,
    "negbin": smf.negativebinomial,
}
THEIRS_ARRAYS = {
    "logit": sm.Logit,
    "probit": sm.Probit,
    "poisson": sm.Poisson,
    "negbin": sm.NegativeBinomial,
}


def make_discrete_frame(seed: int, n: int = 250) -> pd.DataFrame:
    """Regressors with categoricals, offsets and exposures; binary, Poisson and NB responses.

    The index is shuffled string labels so tests can check that row labels survive.
    """
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.uniform(0.5, 3.0, size=n),
            "x3": rng.normal(loc=1.0, scale=0.5, size=n),
            "g": rng.choice(["a", "b", "c"], size=n),
            "h": rng.choice(["u", "v"], size=n),
            "off": rng.normal(scale=0.3, size=n),
            "expo": rng.uniform(0.5, 4.0, size=n),
        },
        index=[f"r{i}" for i in rng.permutation(n)],
    )
    effect = frame["g"].map({"a": 0.0, "b": 0.6, "c": -0.4}).to_numpy()
    eta = 0.2 + 0.7 * frame["x1"] - 0.3 * np.log(frame["x2"]) + effect
    eta = eta + 0.3 * frame["x1"] * (frame["h"] == "v")
    frame["yb"] = (rng.random(n) < 1 / (1 + np.exp(-(eta + frame["off"])))).astype(float)
    frame["flag"] = rng.random(n) < 1 / (1 + np.exp(-eta))
    mean = np.exp(eta + frame["off"] + np.log(frame["expo"]))
    frame["yc"] = rng.poisson(mean).astype(float)
    size = 1.5
    frame["yn"] = rng.negative_binomial(size, size / (size + mean)).astype(float)
    return frame


@dataclass(frozen=True)
class Case:
    """One model fit to compare: model kind, formula, data seed and model options."""

    kind: str
    formula: str
    seed: int = 0
    offset: bool = False
    exposure: bool = False
    options: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def id(self) -> str:
        extras = "+off" * self.offset + "+expo" * self.exposure
        opts = "".join(f"|{v}" for _, v in self.options)
        return f"{self.kind}|{self.formula}{extras}{opts}|data{self.seed}"


_BINARY_FORMULAS = [
    ("yb ~ x1 + np.log(x2) + C(g)", 0, False),
    ("yb ~ x1 + np.log(x2) + C(g)", 1, False),
    ("yb ~ x1 * C(h) + x3", 2, True),
    ("yb ~ x1 + x3 - 1", 0, False),
    ("yb ~ C(g) + x1 - 1", 1, True),
    ("flag ~ x1 + C(g)", 2, False),
]
_COUNT_FORMULAS = [
    ("~ x1 + np.log(x2) + C(g)", 0, False, False),
    ("~ x1 + np.log(x2) + C(g)", 1, True, True),
    ("~ x1 * C(h) + x3", 2, False, True),
    ("~ x1 + x3 - 1", 0, True, False),
    ("~ C(g) + x1 - 1", 1, False, True),
]

CASES = (
    [Case(kind, f, s, offset=o) for kind in ("logit", "probit") for f, s, o in _BINARY_FORMULAS]
    + [Case("poisson", "yc " + f, s, o, e) for f, s, o, e in _COUNT_FORMULAS]
    + [
        Case("negbin", "yn " + f, s, o, e, (("loglike_method", m),))
        for m in ("nb2", "nb1")
        for f, s, o, e in _COUNT_FORMULAS
    ]
    + [
        Case("negbin", "yn " + f, s, o, e, (("loglike_method", "geometric"),))
        for f, s, o, e in _COUNT_FORMULAS[:3]
    ]
)


def _extras(case: Case, frame: pd.DataFrame) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    if case.offset:
        extras["offset"] = frame["off"]
    if case.exposure:
        extras["exposure"] = frame["expo"]
    return extras


@functools.cache
def fit_pair(case: Case) -> tuple[Any, Any]:
    """Our fit and statsmodels' fit of the same formula model.

    statsmodels' NegativeBinomial defaults to 35 BFGS steps, which stop short of the maximum,
    and its Newton (stepping in alpha itself) can step to a negative alpha from the default
    start. The reference is therefore statsmodels' BFGS run to convergence, polished by its
    Newton: statsmodels' own estimate, to full precision.
    """
    frame = make_discrete_frame(case.seed)
    options = dict(case.options) | _extras(case, frame)
    ours = OURS[case.kind](case.formula, frame, **options).fit()
    # patsy encodes a boolean response as two indicator columns; statsmodels needs 0/1 floats.
    their_frame = frame.assign(flag=frame["flag"].astype(float))
    their_model = THEIRS_FORMULA[case.kind](case.formula, their_frame, **options)
    if case.kind == "negbin":
        start = their_model.fit(method="bfgs", maxiter=1000, disp=0).params
        theirs = their_model.fit(start_params=start, method="newton", maxiter=100, disp=0)
    else:
        theirs = their_model.fit(disp=0)
    return ours, theirs


def new_data(case: Case) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Fresh rows (another seed) and the matching offset/exposure for predictions."""
    frame = make_discrete_frame(case.seed + 100, n=40)
    return frame, _extras(case, frame)

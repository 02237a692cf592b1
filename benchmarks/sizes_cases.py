"""The cells of ``sizes.py``: simulated data, each model's call in both libraries, timing.

A design of ``cols`` columns (an intercept, the three dummies of a 4-level factor ``g``,
``cols - 4`` standard-normal regressors) is built once per size as a numpy array and as a
DataFrame whose formula ``y ~ x1 + ... + C(g)`` gives the same design column for column;
each model then draws its response on it (:func:`make_response`). :func:`make_fit` returns
the call that is timed, :func:`time_cell` times it.
"""

from __future__ import annotations

import argparse
import gc
import math
import time
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

import torchstats as ts

LEVELS = "abcd"  # the factor g: three dummies in the design
COUNT_WARMUP_ABOVE = 0.5  # seconds: a warm-up this slow is a measurement, not a cold start


@dataclass(frozen=True)
class ModelSpec:
    """How one model is called in both libraries (the same names in both)."""

    response: str  # which simulated response it fits (see make_response)
    array_class: str  # ts.OLS / sm.OLS
    formula_function: str  # ts.ols / smf.ols
    family: tuple[str, str | None] | None = None  # (family, link) class names
    weighted: bool = False
    fit_kwargs: dict[str, Any] = field(default_factory=dict)


_QUIET = {"disp": 0}
MODELS = {
    "ols": ModelSpec("gaussian", "OLS", "ols"),
    "wls": ModelSpec("gaussian-weighted", "WLS", "wls", weighted=True),
    "glm-binomial": ModelSpec("logistic", "GLM", "glm", family=("Binomial", None)),
    "glm-poisson": ModelSpec("poisson", "GLM", "glm", family=("Poisson", None)),
    "glm-gamma": ModelSpec("gamma", "GLM", "glm", family=("Gamma", "Log")),
    "logit": ModelSpec("logistic", "Logit", "logit", fit_kwargs=_QUIET),
    "probit": ModelSpec("probit", "Probit", "probit", fit_kwargs=_QUIET),
    "poisson": ModelSpec("poisson", "Poisson", "poisson", fit_kwargs=_QUIET),
    "negbin": ModelSpec("negbin", "NegativeBinomial", "negativebinomial", fit_kwargs=_QUIET),
}
INPUTS = ("array", "formula")
LIBRARIES = {"torchstats": (ts, ts, ts.families), "statsmodels": (sm, smf, sm.families)}


# ----------------------------------------------------------------------------- data


@dataclass
class Data:
    """One design in both forms; ``X`` is the formula's design, column for column."""

    X: np.ndarray  # (n, k): intercept, dummies of g, x1..x(k-4), as the formula orders them
    frame: pd.DataFrame  # x1..x(k-4), g, and y (and w) once a response is drawn
    formula: str
    y: np.ndarray | None = None
    weights: np.ndarray | None = None


def parse_size(text: str) -> tuple[int, int]:
    """``"1e4x20"`` -> ``(10000, 20)``."""
    rows, _, cols = text.lower().replace("_", "").partition("x")
    size = int(float(rows)), int(float(cols))
    if size[1] < len(LEVELS) + 1 or size[0] < 2 * size[1]:
        raise argparse.ArgumentTypeError(f"{text}: need cols >= 5 and rows >= 2 * cols")
    return size


def make_design(rows: int, cols: int, seed: int = 0) -> Data:
    """Standard-normal regressors and a uniform 4-level factor, as a frame and an array."""
    rng = np.random.default_rng(seed)
    slopes = rng.standard_normal((rows, cols - len(LEVELS)))
    codes = rng.integers(0, len(LEVELS), rows)
    names = [f"x{i}" for i in range(1, slopes.shape[1] + 1)]
    frame = pd.DataFrame(slopes, columns=names)
    frame["g"] = np.array(list(LEVELS))[codes]
    dummies = codes[:, None] == np.arange(1, len(LEVELS))[None, :]
    X = np.column_stack([np.ones(rows), dummies.astype(np.float64), slopes])
    return Data(X=X, frame=frame, formula="y ~ " + " + ".join(names) + " + C(g)")


def make_response(data: Data, kind: str) -> None:
    """Draw a response (and weights) for ``kind`` in place, with moderate coefficients.

    The linear predictor has standard deviation about 0.5, so every model converges: binary
    responses are balanced, counts have mean about e, negative-binomial counts are
    overdispersed (``alpha = 0.5``) and gamma responses are positive (shape 2, log link).
    """
    rng = np.random.default_rng(zlib.crc32(kind.encode()))
    n, k = data.X.shape
    beta = np.asarray(rng.standard_normal(k)) * (0.5 / math.sqrt(k))
    beta[0] = 0.0 if kind in ("logistic", "probit") else 1.0
    eta = data.X @ beta
    data.weights = None
    y: np.ndarray
    if kind == "gaussian":
        y = eta + rng.standard_normal(n)
    elif kind == "gaussian-weighted":
        weights = 0.5 + 1.5 * np.asarray(rng.random(n))  # uniform on [0.5, 2)
        data.weights = weights
        y = eta + rng.standard_normal(n) / np.sqrt(weights)
    elif kind == "logistic":
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(np.float64)
    elif kind == "probit":
        y = (eta + rng.standard_normal(n) > 0).astype(np.float64)
    elif kind == "poisson":
        y = rng.poisson(np.exp(eta)).astype(np.float64)
    elif kind == "negbin":
        alpha = 0.5  # NB2: Var = mu + alpha mu^2, as a gamma mixture of Poissons
        y = rng.poisson(rng.gamma(1 / alpha, alpha * np.exp(eta))).astype(np.float64)
    elif kind == "gamma":
        shape = 2.0
        y = rng.gamma(shape, np.exp(eta) / shape)
    else:
        raise ValueError(f"unknown response {kind!r}")
    data.y = y
    data.frame["y"] = y
    if data.weights is not None:
        data.frame["w"] = data.weights
    elif "w" in data.frame:
        del data.frame["w"]


def make_fit(library: str, input_kind: str, spec: ModelSpec, data: Data) -> Callable[[], Any]:
    """The call to time: build the model, ``fit()``, read ``bse``; returns ``bse``."""
    api, formula_api, families = LIBRARIES[library]
    fixed: dict[str, Any] = {}
    if spec.weighted:
        fixed["weights"] = data.weights if input_kind == "array" else data.frame["w"]
    if input_kind == "array":
        build: Callable[..., Any] = getattr(api, spec.array_class)
        arguments: tuple[Any, ...] = (data.y, data.X)
    else:
        build = getattr(formula_api, spec.formula_function)
        arguments = (data.formula, data.frame)

    def family_kwargs() -> dict[str, Any]:
        if spec.family is None:
            return {}
        family, link = spec.family
        links = {} if link is None else {"link": getattr(families.links, link)()}
        return {"family": getattr(families, family)(**links)}

    def run() -> Any:
        return build(*arguments, **fixed, **family_kwargs()).fit(**spec.fit_kwargs).bse

    return run


# ----------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Repeats:
    """How many times to run a cell: fixed, or adaptive to a time budget."""

    fixed: int | None
    minimum: int
    maximum: int
    target_seconds: float


@dataclass
class Timing:
    seconds: float = math.nan
    runs: int = 0
    bse: np.ndarray | pd.Series | None = None
    note: str = ""


def time_cell(run: Callable[[], Any], repeats: Repeats) -> Timing:
    """Best wall time of ``run`` over adaptive repeats, after one warm-up run.

    The warm-up's ``bse`` and warnings are kept for the comparison and the notes; later runs
    ignore warnings. Garbage is collected before (not during) each run; ``main`` froze the
    objects of the imports first (``gc.freeze``), so that costs microseconds, not 0.1 s.
    """
    gc.collect()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            bse = run()
            warm = time.perf_counter() - start
    except Exception as error:  # noqa: BLE001 - a failing cell is reported, not fatal
        return Timing(note=f"error {type(error).__name__}: {str(error)[:80]}")
    names = sorted({w.category.__name__ for w in caught})
    timing = Timing(bse=bse, note=" ".join(names))
    times = [warm] if warm >= COUNT_WARMUP_ABOVE else []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while _more(times, repeats):
            gc.collect()
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    timing.seconds, timing.runs = min(times), len(times)
    return timing


def _more(times: list[float], repeats: Repeats) -> bool:
    if repeats.fixed is not None:
        return len(times) < repeats.fixed
    if len(times) < repeats.minimum:
        return True
    return len(times) < repeats.maximum and sum(times) < repeats.target_seconds


def max_relative_difference(ours: Any, theirs: Any) -> float:
    """Largest ``|ours - theirs| / |theirs|`` of two ``bse``, matched by name when named."""
    if isinstance(ours, pd.Series) and isinstance(theirs, pd.Series):
        if set(ours.index) == set(theirs.index):
            ours = ours.reindex(theirs.index)
    a, b = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    if a.shape != b.shape:
        return math.nan
    return float(np.max(np.abs(a - b) / np.abs(b)))

"""Wald, t and F tests as free functions of estimates and their covariance.

    wald_test(res.params, res.cov_params(), "mu = 0")           # names from the Series
    wald_test(theta, cov, "beta[1] = beta[2], sigma = 1", names=names)
    wald_test(theta, cov, (R, q))

For any estimator: torchstats results, a model fitted elsewhere, a bootstrap covariance.
Constraint strings are read with patsy's grammar over the parameter names, as statsmodels
reads them (:mod:`torchstats.inference.constraints`); the arithmetic is that of
statsmodels' ``wald_test`` and ``t_test`` (:mod:`torchstats.inference.hypotheses`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.errors import ConstraintError
from torchstats.inference import hypotheses
from torchstats.inference.compare import TestResult, chi2_result, f_result

__all__ = ["wald_test", "f_test", "t_test", "constraint_matrix"]


def _host_vector(values: Any) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().double().numpy().reshape(-1)
    return np.asarray(values, dtype=float).reshape(-1)


def _host_matrix(values: Any, k: int) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        matrix = values.detach().cpu().double().numpy()
    else:
        matrix = np.asarray(values, dtype=float)
    if matrix.shape != (k, k):
        raise ConstraintError(
            f"cov has shape {matrix.shape} but there are {k} parameters; pass a (k, k) matrix"
        )
    return matrix


def _names(params: Any, names: Any, k: int) -> list[str]:
    if names is None and isinstance(params, pd.Series):
        names = params.index
    if names is None:
        return [f"x{i}" for i in range(k)]
    names = [str(n) for n in names]
    if len(names) != k:
        raise ConstraintError(f"{len(names)} names given for {k} parameters")
    return names


def constraint_matrix(
    constraints: Any, names: list[str], q: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(R, q)`` from a constraint string, a list of strings, ``(R, q)`` or ``R``.

    Parameters
    ----------
    constraints : str, list of str, tuple (R, q) or array-like (m, k)
        E.g. ``"a = b, c = 1"``; names are those of the parameters.
    names : list of str
    q : array-like, shape (m,), optional
        Right-hand side when ``constraints`` is a matrix (default zeros).

    Returns
    -------
    R : ndarray, shape (m, k)
    q : ndarray, shape (m,)

    Raises
    ------
    ConstraintError
        An unknown parameter name (named, with the valid ones), or a malformed matrix.
    """
    if q is not None:
        if isinstance(constraints, (str, list, Mapping)):
            raise ConstraintError("q goes with a constraint matrix R, not with strings")
        constraints = (np.asarray(constraints, dtype=float), _host_vector(q))
    return hypotheses.parse_constraints(constraints, names)


def _checked(
    params: Any, cov: Any, constraints: Any, q: Any, names: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    theta = _host_vector(params)
    k = theta.shape[0]
    labels = _names(params, names, k)
    V = _host_matrix(cov, k)
    R, rhs = constraint_matrix(constraints, labels, q)
    involved = np.abs(R).sum(axis=0) > 0
    missing = involved & (~np.isfinite(np.diag(V)) | ~np.isfinite(theta))
    if missing.any():
        shown = ", ".join(n for n, m in zip(labels, missing) if m)
        raise ConstraintError(
            f"the constraints involve {shown}, which has no finite estimate or variance "
            "(held fixed, or not identified); test it with a score or likelihood-ratio test"
        )
    # parameters outside the constraints may be fixed (NaN variance): they must not leak
    # into R V R' through 0 * NaN
    V = np.where(np.outer(involved, involved), V, 0.0)
    return np.where(involved, theta, 0.0), V, R, rhs


def wald_test(
    params: Any,
    cov: Any,
    constraints: Any,
    q: Any = None,
    *,
    names: Any = None,
    df_denom: float | None = None,
    df_constraints: float | None = None,
    invcov: Any = None,
) -> TestResult:
    """Joint Wald test of the linear hypotheses ``R theta = q``.

    Parameters
    ----------
    params : Tensor, ndarray or Series, shape (k,)
        Estimates (a Series supplies the names).
    cov : Tensor, ndarray or DataFrame, shape (k, k)
        Their covariance.
    constraints : str, list of str, (R, q) or array-like (m, k)
        The hypotheses (see :func:`constraint_matrix`).
    q : array-like, shape (m,), optional
        Right-hand side for a matrix ``constraints``.
    names : sequence of str, optional
        Parameter names (default the Series index, else ``x0, x1, ...``).
    df_denom : float, optional
        Report ``F = W / J`` on ``F(J, df_denom)`` instead of ``W`` on chi-squared(J).
    df_constraints : float, optional
        Override ``J``.
    invcov : array-like, shape (m, m), optional
        Inverse covariance of ``R theta`` to use instead of ``(R V R')^+`` (statsmodels'
        ``invcov``); ``J`` is then ``m``.

    Returns
    -------
    TestResult

    Notes
    -----
    ``W = (R theta - q)' (R V R')^+ (R theta - q)``; a singular ``R V R'`` uses its
    pseudo-inverse and its rank for ``J`` (with a warning), as statsmodels.
    """
    theta, V, R, rhs = _checked(params, cov, constraints, q, names)
    result = hypotheses.wald_test(
        theta,
        V,
        R,
        rhs,
        use_f=df_denom is not None,
        df_denom=float("nan") if df_denom is None else float(df_denom),
        df_constraints=df_constraints,
        invcov=None if invcov is None else np.asarray(invcov, dtype=float),
    )
    if df_denom is None:  # a chi-squared result carries J (the rank used) as its df_denom
        assert result.df_denom is not None
        return chi2_result(float(result.statistic), float(result.df_denom), "Wald")
    assert result.df_num is not None
    return f_result(float(result.statistic), float(result.df_num), float(df_denom), "Wald")


def f_test(
    params: Any,
    cov: Any,
    constraints: Any,
    q: Any = None,
    *,
    df_denom: float,
    names: Any = None,
) -> TestResult:
    """The F form of :func:`wald_test`: ``F = W / J`` on ``F(J, df_denom)``."""
    return wald_test(params, cov, constraints, q, names=names, df_denom=df_denom)


def t_test(
    params: Any,
    cov: Any,
    constraints: Any,
    q: Any = None,
    *,
    names: Any = None,
    df: float | None = None,
) -> hypotheses.ContrastResults:
    """One t test (z test with ``df=None``) per hypothesis ``r_j theta = q_j``.

    Returns
    -------
    ContrastResults
        ``effect`` (``R theta``), ``sd``, ``statistic``, ``pvalue``, ``conf_int()``,
        ``summary_frame()`` — statsmodels' ``t_test`` record.
    """
    theta, V, R, rhs = _checked(params, cov, constraints, q, names)
    return hypotheses.t_test(theta, V, R, rhs, df=df, statsmodels_shapes=False)

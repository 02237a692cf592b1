"""statsmodels' model summaries, reproduced from statsmodels' results attribute names.

Each layout function builds the :class:`Summary` that the matching statsmodels
``summary()`` method builds, line for line:

* :func:`regression_summary` - ``RegressionResults.summary`` (OLS, WLS),
* :func:`glm_summary` - ``GLMResults.summary``,
* :func:`discrete_summary` - ``DiscreteResults.summary`` (Logit, Probit, Poisson,
  NegativeBinomial),
* :func:`likelihood_summary` - ``GenericLikelihoodModelResults.summary``,
* :func:`margins_summary` - ``DiscreteMargins.summary`` (marginal effects).

They only read attributes (``params``, ``bse``, ``rsquared``, ``llf``, ``cov_type``...), so
they accept torchstats and statsmodels results objects alike; the tests compare the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import numpy as np

from torchstats.inference.residual_tests import durbin_watson, jarque_bera, omni_normtest
from torchstats.tables.blocks import (
    HeaderItem,
    as_float,
    as_numpy,
    equation_params_table,
    model_name,
    params_table,
    top_table,
)
from torchstats.tables.document import Summary
from torchstats.tables.table import Cell, Row, SummaryTable

__all__ = [
    "Summary",
    "regression_summary",
    "glm_summary",
    "discrete_summary",
    "likelihood_summary",
    "margins_summary",
    "separation_note",
]

# statsmodels' thresholds for the multicollinearity notes of the OLS summary.
_SMALL_EIGENVALUE = 1e-10
_LARGE_CONDITION_NUMBER = 1000


def _numbered_notes(notes: Sequence[str]) -> list[str]:
    """``["Notes:", "[1] ...", "[2] ..."]``, or nothing when there are no notes."""
    if not notes:
        return []
    return ["Notes:", *(f"[{i + 1}] {note}" for i, note in enumerate(notes))]


def _build(
    results: Any,
    top: tuple[Sequence[HeaderItem], Sequence[HeaderItem]],
    title: str,
    yname: str | None,
    xname: Sequence[str] | None,
    alpha: float,
    extra_txt: Sequence[str] = (),
    yname_list: Sequence[str] | None = None,
) -> Summary:
    """Header table, coefficient table (one block per equation when ``yname_list`` is
    given) and optional extra text."""
    left, right = top
    use_t = bool(results.use_t)
    coefficients = (
        params_table(results, xname=xname, alpha=alpha, use_t=use_t)
        if yname_list is None
        else equation_params_table(results, yname_list, xname=xname, alpha=alpha, use_t=use_t)
    )
    summary = Summary([top_table(results, left, right, title=title, yname=yname), coefficients])
    if extra_txt:
        summary.add_extra_txt(extra_txt)
    return summary


def _model_name(results: Any) -> str:
    return model_name(results.model)


def _name_of(obj: Any) -> str:
    """A family or link name: the string itself, else the object's class name."""
    return obj if isinstance(obj, str) else type(obj).__name__


# --- OLS / WLS ------------------------------------------------------------------------------


def _regression_top(results: Any, slim: bool) -> tuple[list[HeaderItem], list[HeaderItem]]:
    """Left and right header lines of ``RegressionResults.summary``."""
    left: list[HeaderItem] = [
        ("Dep. Variable:", None),
        ("Model:", None),
        ("Method:", "Least Squares"),
        ("Date:", None),
        ("Time:", None),
        ("No. Observations:", None),
        ("Df Residuals:", None),
        ("Df Model:", None),
    ]
    if hasattr(results, "cov_type"):
        left.append(("Covariance Type:", str(results.cov_type)))
    centered = "" if results.k_constant else " (uncentered)"
    right: list[HeaderItem] = [
        (f"R-squared{centered}:", f"{as_float(results.rsquared):#8.3f}"),
        (f"Adj. R-squared{centered}:", f"{as_float(results.rsquared_adj):#8.3f}"),
        ("F-statistic:", f"{as_float(results.fvalue):#8.4g}"),
        ("Prob (F-statistic):", f"{as_float(results.f_pvalue):#6.3g}"),
        ("Log-Likelihood:", None),
        ("AIC:", f"{as_float(results.aic):#8.4g}"),
        ("BIC:", f"{as_float(results.bic):#8.4g}"),
    ]
    if slim:
        keep = {"Dep. Variable:", "Model:", "No. Observations:", "Covariance Type:"}
        keep |= {"R-squared:", "Adj. R-squared:", "F-statistic:", "Prob (F-statistic):"}
        left = [item for item in left if item[0] in keep]
        right = [item for item in right if item[0] in keep]
        right += [("", "")] * (len(left) - len(right))
    return left, right


def _residual_diagnostics(results: Any, condno: float) -> tuple[list[HeaderItem], list[HeaderItem]]:
    """Left and right lines of the OLS footer: normality, autocorrelation, Cond. No."""
    precomputed = getattr(results, "_footer_diagnostics", None)
    if precomputed is not None:  # fits whose residuals are not held (streamed data)
        values = precomputed()
        jb, jb_pvalue = values["jarque_bera"], values["jarque_bera_pvalue"]
        skew, kurtosis = values["skew"], values["kurtosis"]
        omnibus, omnibus_pvalue = values["omnibus"], values["omnibus_pvalue"]
        dw = values["durbin_watson"]
    else:
        wresid = as_numpy(results.wresid).reshape(-1)
        jb, jb_pvalue, skew, kurtosis = jarque_bera(wresid)
        omnibus, omnibus_pvalue = omni_normtest(wresid)
        dw = durbin_watson(wresid)
    left: list[HeaderItem] = [
        ("Omnibus:", f"{omnibus:#6.3f}"),
        ("Prob(Omnibus):", f"{omnibus_pvalue:#6.3f}"),
        ("Skew:", f"{skew:#6.3f}"),
        ("Kurtosis:", f"{kurtosis:#6.3f}"),
    ]
    right: list[HeaderItem] = [
        ("Durbin-Watson:", f"{dw:#8.3f}"),
        ("Jarque-Bera (JB):", f"{jb:#8.3f}"),
        ("Prob(JB):", f"{jb_pvalue:#8.3g}"),
        ("Cond. No.", f"{condno:#8.3g}"),
    ]
    return left, right


def _regression_notes(results: Any, min_eigenvalue: float, condno: float) -> list[str]:
    """The notes statsmodels prints below an OLS/WLS summary, in its order."""
    notes = []
    if not results.k_constant:
        notes.append(
            "R² is computed without centering (uncentered) since the "
            "model does not contain a constant."
        )
    if hasattr(results, "cov_type"):
        notes.append(results.cov_kwds["description"])
    # statsmodels compares the design's shape (rows < columns), not its numerical rank.
    # the design's rows against its columns (read without converting the design)
    if results.nobs < as_numpy(results.params).size:
        notes.append("The input rank is higher than the number of observations.")
    if min_eigenvalue < _SMALL_EIGENVALUE:
        notes.append(
            f"The smallest eigenvalue is {min_eigenvalue:6.3g}. This might indicate that there "
            "are\nstrong multicollinearity problems or that the design matrix is singular."
        )
    elif condno > _LARGE_CONDITION_NUMBER:
        notes.append(
            f"The condition number is large, {condno:6.3g}. This might indicate that there "
            "are\nstrong multicollinearity or other numerical problems."
        )
    return notes


def regression_summary(
    res: Any,
    yname: str | None = None,
    xname: Sequence[str] | None = None,
    title: str | None = None,
    alpha: float = 0.05,
    slim: bool = False,
    extra_notes: Sequence[str] = (),
) -> Summary:
    """The summary of an OLS or WLS fit, as ``RegressionResults.summary``.

    Parameters
    ----------
    res : results object
        With statsmodels' ``RegressionResults`` attributes (``rsquared``, ``fvalue``,
        ``wresid``, ``eigenvals``, ``condition_number``, ``cov_type``, ``cov_kwds``...).
    yname : str, optional
        Name of the dependent variable; default ``model.endog_names``.
    xname : sequence of str, optional
        Parameter names; default ``model.exog_names``.
    title : str, optional
        Default ``"<Model> Regression Results"``.
    alpha : float, optional
        Significance level of the confidence intervals.
    slim : bool, optional
        Fewer header lines and no residual diagnostics.
    extra_notes : sequence of str, optional
        Further notes, numbered after statsmodels' own.

    Returns
    -------
    Summary

    Notes
    -----
    Notes, in order: uncentered R² (no constant), the covariance description, more
    columns than rows, then a smallest eigenvalue below 1e-10 or else a condition number
    above 1000.
    """
    eigenvalues = as_numpy(res.eigenvals).reshape(-1)
    min_eigenvalue = float(np.min(eigenvalues))
    condno = as_float(res.condition_number)
    title = f"{_model_name(res)} Regression Results" if title is None else title
    summary = _build(res, _regression_top(res, slim), title, yname, xname, float(alpha))
    if not slim:
        left, right = _residual_diagnostics(res, condno)
        summary.tables.append(top_table(res, left, right, title="", yname=yname))
    notes = _numbered_notes([*_regression_notes(res, min_eigenvalue, condno), *extra_notes])
    if notes:
        summary.add_extra_txt(notes)
    return summary


# --- GLM ------------------------------------------------------------------------------------


def _pseudo_rsquared_cs(results: Any) -> float:
    """Cox-Snell pseudo R², NaN where it is undefined (statsmodels' ValueError)."""
    try:
        return as_float(results.pseudo_rsquared(kind="cs"))
    except ValueError:
        return float("nan")


def _glm_link(results: Any) -> Any:
    """The link: ``model.family.link`` as in statsmodels, else ``model.link``."""
    link = getattr(results.model.family, "link", None)
    return results.model.link if link is None else link


def glm_summary(
    res: Any,
    yname: str | None = None,
    xname: Sequence[str] | None = None,
    title: str | None = None,
    alpha: float = 0.05,
    extra_txt: Sequence[str] = (),
) -> Summary:
    """The summary of a GLM fit, as ``GLMResults.summary``.

    Parameters
    ----------
    res : results object
        With ``model.family`` (its class name, or a string, is printed), the link
        (``model.family.link`` or ``model.link``), ``method``, ``fit_history``,
        ``scale``, ``deviance``, ``pearson_chi2``, ``pseudo_rsquared(kind="cs")``...
    yname, xname, alpha
        As in :func:`regression_summary`.
    title : str, optional
        Default ``"Generalized Linear Model Regression Results"``.
    extra_txt : sequence of str, optional
        Lines printed after the tables, unnumbered.

    Returns
    -------
    Summary
    """
    left: list[HeaderItem] = [
        ("Dep. Variable:", None),
        ("Model:", None),
        ("Model Family:", _name_of(res.model.family)),
        ("Link Function:", _name_of(_glm_link(res))),
        ("Method:", str(res.method)),
        ("Date:", None),
        ("Time:", None),
        ("No. Iterations:", f"{int(as_float(res.fit_history['iteration'])):d}"),
    ]
    right: list[HeaderItem] = [
        ("No. Observations:", None),
        ("Df Residuals:", None),
        ("Df Model:", None),
        ("Scale:", f"{as_float(res.scale):#8.5g}"),
        ("Log-Likelihood:", None),
        ("Deviance:", f"{as_float(res.deviance):#8.5g}"),
        ("Pearson chi2:", f"{as_float(res.pearson_chi2):#6.3g}"),
        ("Pseudo R-squ. (CS):", f"{_pseudo_rsquared_cs(res):#6.4g}"),
    ]
    if hasattr(res, "cov_type"):
        left.append(("Covariance Type:", str(res.cov_type)))
    title = "Generalized Linear Model Regression Results" if title is None else title
    return _build(res, (left, right), title, yname, xname, float(alpha), extra_txt)


# --- discrete and generic likelihood models ------------------------------------------------


def _converged(results: Any) -> str:
    """``"True"`` or ``"False"`` from ``mle_retvals["converged"]``; a model fitted part by
    part (the hurdle model) has one flag per part, printed as a list (``"[True, True]"``),
    as statsmodels' ``"%s"`` prints it."""
    converged = results.mle_retvals["converged"]
    if isinstance(converged, list):
        return str([bool(as_numpy(flag)) for flag in converged])
    return str(bool(as_numpy(converged)))


def discrete_summary(
    res: Any,
    yname: str | None = None,
    xname: Sequence[str] | None = None,
    title: str | None = None,
    alpha: float = 0.05,
    extra_txt: Sequence[str] = (),
    yname_list: Sequence[str] | None = None,
) -> Summary:
    """The summary of a Logit, Probit, Poisson, NegativeBinomial or MNLogit fit
    (``DiscreteResults``).

    Parameters
    ----------
    res : results object
        With ``method``, ``mle_retvals``, ``prsquared``, ``llnull``, ``llr_pvalue``...
        A NegativeBinomial's ``alpha`` is the last parameter, named by ``exog_names`` or
        by the index of ``params``.
    yname, xname, alpha
        As in :func:`regression_summary`.
    title : str, optional
        Default ``"<Model> Regression Results"``.
    extra_txt : sequence of str, optional
        Lines printed after the tables, e.g. :func:`separation_note`.
    yname_list : sequence of str, optional
        Titles of the coefficient blocks of a multi-equation model (MNLogit's
        ``"y=1", "y=2", ...``), whose ``params`` have one column per equation.

    Returns
    -------
    Summary
    """
    left: list[HeaderItem] = [
        ("Dep. Variable:", None),
        ("Model:", _model_name(res)),
        ("Method:", str(res.method)),
        ("Date:", None),
        ("Time:", None),
        ("converged:", _converged(res)),
    ]
    right: list[HeaderItem] = [
        ("No. Observations:", None),
        ("Df Residuals:", None),
        ("Df Model:", None),
        ("Pseudo R-squ.:", f"{as_float(res.prsquared):#6.4g}"),
        ("Log-Likelihood:", None),
        ("LL-Null:", f"{as_float(res.llnull):#8.5g}"),
        ("LLR p-value:", f"{as_float(res.llr_pvalue):#6.4g}"),
    ]
    if hasattr(res, "cov_type"):
        left.append(("Covariance Type:", str(res.cov_type)))
    title = f"{_model_name(res)} Regression Results" if title is None else title
    return _build(res, (left, right), title, yname, xname, float(alpha), extra_txt, yname_list)


def separation_note(endog: Any, fitted_probability: Any) -> list[str]:
    """The (quasi-)separation warning of a binary model summary, if any.

    Parameters
    ----------
    endog : array_like or Tensor, shape (n,)
        Observed 0/1 outcomes.
    fitted_probability : array_like or Tensor, shape (n,)
        Fitted probabilities.

    Returns
    -------
    list of str
        Empty, or one warning for :func:`discrete_summary`'s ``extra_txt``.

    Notes
    -----
    statsmodels ``BinaryResults.__init__``: a prediction within 1e-4 of the outcome is
    "perfect"; all perfect means complete separation, more than 10% quasi-separation.
    """
    error = np.abs(as_numpy(endog).reshape(-1) - as_numpy(fitted_probability).reshape(-1))
    return separation_note_of_counts(int((error < 1e-4).sum()), error.size)


def separation_note_of_counts(close: int, nobs: int) -> list[str]:
    """:func:`separation_note` from the number of ``close`` predictions among ``nobs``."""
    fraction = close / nobs
    if close == nobs:
        return [
            "Complete Separation: The results show that there iscomplete separation or "
            "perfect prediction.\nIn this case the Maximum Likelihood Estimator does not "
            "exist and the parameters\nare not identified."
        ]
    if fraction > 0.1:
        return [
            f"Possibly complete quasi-separation: A fraction {fraction:4.2f} of observations "
            "can be\nperfectly predicted. This might indicate that there is complete\n"
            "quasi-separation. In this case some parameters will not be identified."
        ]
    return []


def likelihood_summary(
    res: Any,
    yname: str | None = None,
    xname: Sequence[str] | None = None,
    title: str | None = None,
    alpha: float = 0.05,
    extra_txt: Sequence[str] = (),
) -> Summary:
    """The summary of a generic maximum-likelihood fit (``GenericLikelihoodModelResults``).

    Parameters
    ----------
    res : results object
        With ``llf``, ``aic``, ``bic``, ``nobs``, ``df_model``, ``df_resid``, ``use_t``.
    yname, xname, alpha
        As in :func:`regression_summary`.
    title : str, optional
        Default ``"<Model> Results"``.
    extra_txt : sequence of str, optional
        Lines printed after the tables, unnumbered.

    Returns
    -------
    Summary
    """
    left: list[HeaderItem] = [
        ("Dep. Variable:", None),
        ("Model:", None),
        ("Method:", "Maximum Likelihood"),
        ("Date:", None),
        ("Time:", None),
        ("No. Observations:", None),
        ("Df Residuals:", None),
        ("Df Model:", None),
    ]
    right: list[HeaderItem] = [
        ("Log-Likelihood:", None),
        ("AIC:", f"{as_float(res.aic):#8.4g}"),
        ("BIC:", f"{as_float(res.bic):#8.4g}"),
    ]
    title = f"{_model_name(res)} Results" if title is None else title
    return _build(res, (left, right), title, yname, xname, float(alpha), extra_txt)


def margins_summary(
    *,
    model_name: str,
    endog_name: str,
    method: str,
    at: str,
    effect_label: str,
    names: Sequence[str],
    values: tuple[Any, Any, Any, Any, Any],
    alpha: float = 0.05,
    equation_names: Sequence[str] | None = None,
) -> Summary:
    """The summary of marginal effects (statsmodels' ``DiscreteMargins.summary``).

    Parameters
    ----------
    model_name, endog_name : str
        Title ``"<model_name> Marginal Effects"`` and the ``Dep. Variable`` line.
    method, at : str
        The ``Method`` and ``At`` lines (``"dydx"``, ``"overall"``...).
    effect_label : str
        Header of the effects column (``"dy/dx"``, ``"d(lny)/dx"``...).
    names : sequence of str
        One row label per effect.
    values : tuple
        Effects, standard errors, z statistics, p-values, each shape (k',) or (k', J), and
        the confidence limits, shape (k', 2) or (k', 2, J).
    alpha : float
        Significance level of the intervals.
    equation_names : sequence of str, optional
        With effects on J outcomes, the J block titles (``"y=0"``...): one table per
        outcome, stacked as statsmodels' MNLogit margins (``table_extend``).

    Returns
    -------
    Summary

    Raises
    ------
    ValueError
        If the number of ``equation_names`` differs from the number of outcomes.

    Notes
    -----
    statsmodels builds the coefficient table with ``summary_params(skip_header=True)`` and
    inserts a header row of header cells (an empty one in the corner, or the outcome's
    title after stacking), which renders as the usual header in text but as ``<th></th>``
    in HTML and its own ``tabular`` in LaTeX.
    """
    effects, se, tvalues, pvalues, interval = (as_numpy(v) for v in values)
    columns = 1 if effects.ndim == 1 else effects.shape[1]
    titles = list(equation_names or [""])
    if len(titles) != columns:
        raise ValueError(
            f"margins_summary: {len(titles)} equation_names for effects on {columns} outcomes"
        )
    effects, se, tvalues, pvalues = (
        v.reshape(len(names), columns) for v in (effects, se, tvalues, pvalues)
    )
    interval = interval.reshape(len(names), 2, columns)
    top = top_table(
        None,
        [("Dep. Variable:", endog_name), ("Method:", method), ("At:", at)],
        title=f"{model_name} Marginal Effects",
        yname=endog_name,
    )
    lower, upper = float(alpha) / 2, 1 - float(alpha) / 2
    labels = ["", effect_label, "std err", "z", "P>|z|", f"[{lower!s}", f"{upper!s}]"]
    header = Row(tuple(Cell(label, "header") for label in labels), is_header=True)
    blocks = []
    for j, title in enumerate(titles):
        estimates = SimpleNamespace(
            params=effects[:, j],
            bse=se[:, j],
            tvalues=tvalues[:, j],
            pvalues=pvalues[:, j],
            conf_int=lambda _, j=j: interval[:, :, j],
        )
        table = params_table(estimates, xname=names, alpha=alpha, use_t=False)
        blocks.append(replace(table, rows=(header, *table.rows[1:]), title=title or table.title))
    table = blocks[0] if equation_names is None else SummaryTable.stack(blocks)
    return Summary([top, table])

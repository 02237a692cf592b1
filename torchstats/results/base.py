"""What every fitted model reports: estimates, their covariance and Wald inference.

A results object *has* a model, a :class:`SolverResult` and a :class:`CovarianceResult`; it
keeps tensors on the computation device and converts to the caller's container kind (pandas,
numpy or torch) only when an attribute is read. Results are immutable: another covariance
means another results object sharing the same fit.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import Any, ClassVar, TypeVar

import numpy as np
import pandas as pd
import torch

from torchstats._device import OutputFormat
from torchstats._threads import ThreadScoped
from torchstats.covariance.nonrobust import require_data_units
from torchstats.covariance.result import CovarianceResult
from torchstats.errors import InvalidOptionError
from torchstats.formula.design import Design
from torchstats.inference.distributions import critical_value, two_sided_pvalues
from torchstats.inference.hypotheses import (
    ContrastResults,
    WaldTestResults,
    parse_constraints,
    t_test,
    wald_test,
)
from torchstats.inference.pairwise import (
    MultiCompResult,
    multiple_t_tests,
    pairwise_contrasts,
    pairwise_labels,
)
from torchstats.results.persistence import save
from torchstats.results.scalars import NumpyScalars
from torchstats.solvers.result import SolverResult

__all__ = ["LikelihoodResults"]

_Results = TypeVar("_Results", bound="LikelihoodResults")


class LikelihoodResults(NumpyScalars, ThreadScoped):
    """Estimates, covariance and Wald inference shared by every model's results.

    Parameters
    ----------
    model : object
        The fitted model; its ``design.output`` decides the container kind and labels.
    fit : SolverResult
        What the solver returned.
    covariance : CovarianceResult
        The covariance of the estimates and how to do inference with it.
    """

    model: Any
    fit_result: SolverResult
    covariance: CovarianceResult
    _record: dict[str, Any]

    def __init__(
        self, model: Any, fit: SolverResult, covariance: CovarianceResult, **record: Any
    ) -> None:
        object.__setattr__(self, "model", model)
        object.__setattr__(self, "fit_result", fit)
        object.__setattr__(self, "covariance", covariance)
        object.__setattr__(self, "_record", record)

    def _thread_numbers(self) -> int:
        design = getattr(self.model, "design", None)
        return 0 if design is None else int(design.nobs * design.k_exog)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"results are immutable (cannot set {name!r}); fit again or use "
            "get_robustcov_results() for another covariance"
        )

    #: statsmodels' ``get_robustcov_results`` of least squares returns unwrapped results:
    #: arrays, not Series, for pandas data (``rob.bse[1]``), with the names in the summary.
    _robust_results_unlabelled: ClassVar[bool] = False

    @property
    def _output(self) -> OutputFormat:
        output: OutputFormat = self.model.output
        if self.__dict__.get("_unlabelled") and output.kind == "pandas":
            return replace(output, kind="numpy")
        return output

    @cached_property
    def _results(self: _Results) -> _Results:
        """statsmodels' unwrapped results (``res._results``, which scripts read for arrays
        instead of pandas objects): the same fit, unlabelled."""
        if self._output.kind != "pandas":
            return self
        unwrapped = self._with_covariance(self.covariance)
        object.__setattr__(unwrapped, "_unlabelled", True)
        return unwrapped

    # --- estimates and covariance -------------------------------------------------------------

    @property
    def params(self) -> Any:
        """Estimated parameters."""
        return self._output.params(self.fit_result.params)

    @cached_property
    def _bse(self) -> torch.Tensor:
        return self.covariance.standard_errors()

    @property
    def bse(self) -> Any:
        """Standard errors: square roots of the diagonal of :meth:`cov_params`."""
        return self._output.params(self._bse)

    @cached_property
    def _tvalues(self) -> torch.Tensor:
        return self.fit_result.params / self._bse

    @property
    def tvalues(self) -> Any:
        """``params / bse``: t statistics (z statistics when ``use_t`` is False)."""
        return self._output.params(self._tvalues)

    @property
    def _df_inference(self) -> float | None:
        return self.covariance.df_resid if self.covariance.use_t else None

    @cached_property
    def _pvalues(self) -> torch.Tensor:
        return two_sided_pvalues(self._tvalues, self._df_inference)

    @property
    def pvalues(self) -> Any:
        """Two-sided p-values of the t (or z) statistics."""
        return self._output.params(self._pvalues)

    def save(self, fname: Any, remove_data: bool = False) -> None:
        """Pickle these results to a path or binary file (statsmodels' ``save``); load
        them with ``ts.load``."""
        save(self, fname, remove_data=remove_data)

    def conf_int(self, alpha: float = 0.05, cols: Any = None) -> Any:
        """Confidence intervals ``params -/+ q * bse`` with columns ``0`` (lower) and ``1`` (upper).

        Parameters
        ----------
        alpha : float
            ``1 - alpha`` is the coverage.
        cols : sequence of int, optional
            Restrict to these parameters (positions).
        """
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
        q = critical_value(alpha, self._df_inference)
        params = self.fit_result.params
        bounds = torch.stack([params - q * self._bse, params + q * self._bse], dim=1)
        table = self._output.table(bounds, [0, 1])
        if cols is None:
            return table
        return table.iloc[list(cols)] if hasattr(table, "iloc") else table[list(cols)]

    def cov_params(
        self,
        r_matrix: Any = None,
        column: Any = None,
        scale: float | None = None,
        cov_p: Any = None,
        other: Any = None,
    ) -> Any:
        """Covariance of the estimates, labelled by parameter names for pandas input.

        Parameters
        ----------
        r_matrix : array-like, shape (m, k), optional
            Return ``R cov R'`` (``R cov other'`` with ``other``) instead.
        column : int or sequence of int, optional
            Return the sub-matrix of these parameters (the variance itself for one
            integer, as statsmodels).
        scale : float, optional
            For the classical (nonrobust) covariance: ``normalized_cov_params * scale``
            instead of this fit's scale (statsmodels ignores it for robust covariances,
            and so does this).
        cov_p : array-like, shape (k, k), optional
            A covariance to use instead of the fit's.
        other : array-like, shape (p, k), optional
            With ``r_matrix``: the cross-covariance ``R cov other'``.
        """
        if column is not None and (r_matrix is not None or other is not None):
            raise InvalidOptionError("column should be specified without other arguments")
        if other is not None and r_matrix is None:
            raise InvalidOptionError("other can only be specified with r_matrix")
        cov = self._covariance_for(scale, cov_p)
        if r_matrix is not None:
            R = torch.as_tensor(np.asarray(r_matrix, dtype=float), dtype=cov.dtype)
            R = R.to(cov.device).reshape(-1, cov.shape[0])
            right = R
            if other is not None:
                right = torch.as_tensor(np.asarray(other, dtype=float), dtype=cov.dtype)
                right = right.to(cov.device).reshape(-1, cov.shape[0])
            return (R @ cov @ right.T).detach().cpu().numpy()
        if column is not None:
            if isinstance(column, (int, np.integer)) and not isinstance(column, bool):
                variance = cov[int(column), int(column)]
                return variance if self._output.kind == "torch" else np.float64(variance)
            idx = list(column)
            if self._output.kind == "pandas":
                return self._output.matrix(cov).iloc[idx, idx]
            return self._output.plain(cov[idx][:, idx])
        return self._output.matrix(cov)

    @property
    def normalized_cov_params(self) -> Any:
        """The covariance per unit of scale: ``(X'WX)^{-1}`` of a GLM's IRLS, the inverse of
        minus the Hessian of a likelihood model (statsmodels' ``normalized_cov_params``)."""
        normalized = self.fit_result.normalized_cov
        if normalized is None:
            raise AttributeError(f"{type(self).__name__} has no normalized covariance")
        return self._output.matrix(normalized)

    def _covariance_for(self, scale: float | None, cov_p: Any) -> torch.Tensor:
        """The covariance :meth:`cov_params` reads: ``cov_p``, the classical one at another
        ``scale``, or the fit's."""
        cov = self.covariance.checked_cov()
        if cov_p is not None:
            given = cov_p.to_numpy() if isinstance(cov_p, pd.DataFrame) else cov_p
            return torch.as_tensor(np.asarray(given, dtype=float), dtype=cov.dtype).to(cov.device)
        normalized = self.fit_result.normalized_cov
        if scale is not None and self.cov_type == "nonrobust" and normalized is not None:
            return normalized * float(scale)
        return cov

    # --- how the fit went ------------------------------------------------------------------------

    @property
    def cov_type(self) -> str:
        """statsmodels' name of the covariance estimator."""
        return self.covariance.cov_type

    @property
    def cov_kwds(self) -> dict[str, Any]:
        """Options of the covariance estimator, with its ``description``."""
        return dict(self.covariance.kwds)

    @property
    def use_t(self) -> bool:
        """Whether inference uses Student's t."""
        return self.covariance.use_t

    @property
    def n_groups(self) -> int:
        """Groups of a cluster or panel covariance (statsmodels' attribute; absent for the
        other covariances, as there)."""
        if "n_groups" not in self.covariance.kwds:
            raise AttributeError(f"n_groups: the covariance {self.cov_type!r} has no groups")
        return int(self.covariance.kwds["n_groups"])

    @property
    def df_resid_inference(self) -> float:
        """The t and F tests' degrees of freedom ``G - 1`` of a cluster or panel covariance
        with ``df_correction`` (statsmodels' attribute; absent otherwise, as there)."""
        if not self.covariance.kwds.get("adjust_df"):
            raise AttributeError(
                f"df_resid_inference: the covariance {self.cov_type!r} keeps df_resid"
            )
        return float(self.covariance.df_resid)

    @property
    def converged(self) -> bool:
        """Whether the solver met its convergence criterion."""
        return self.fit_result.converged

    @property
    def n_iter(self) -> int:
        """Iterations (or refinement steps) the solver took."""
        return self.fit_result.n_iter

    @property
    def method(self) -> str:
        """The solver used."""
        return self.fit_result.method

    # --- hypothesis tests ---------------------------------------------------------------------

    def _host(self, values: torch.Tensor) -> np.ndarray:
        return values.detach().cpu().double().numpy()

    @property
    def _rank_deficient(self) -> bool:
        """Whether the fit's design has fewer identified parameters than parameters."""
        rank = self.fit_result.rank
        return rank is not None and rank < int(self.fit_result.params.shape[0])

    def _constraint_inputs(
        self, r_matrix: Any, cov_p: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        names = list(self._output.param_names)
        R, q = parse_constraints(r_matrix, names)
        params = self._host(self.fit_result.params)
        covariance = self.covariance
        if cov_p is None and covariance.units is not None and covariance.unit_cov is not None:
            # the covariance leaves float64: test R b = q as (R u)(b / u) = q in the units u
            units = self._host(covariance.units)
            params, cov, R = params / units, self._host(covariance.unit_cov), R * units
        else:
            cov = self._host(covariance.cov) if cov_p is None else np.asarray(cov_p, float)
        # only the parameters the hypotheses involve: NaN rows of others (coefficients an L1
        # fit trimmed) would spread through R V R' (0 * NaN)
        involved = (R != 0).any(axis=0)
        if not involved.all():
            params, cov, R = params[involved], cov[np.ix_(involved, involved)], R[:, involved]
        return params, cov, R, q

    def t_test(
        self, r_matrix: Any, cov_p: Any = None, use_t: bool | None = None
    ) -> ContrastResults:
        """t tests of each linear hypothesis ``R b = q`` (z tests unless ``use_t``).

        Parameters
        ----------
        r_matrix : str, list of str, dict, (R, q) or array
            E.g. ``"x1 = x2, C(g)[T.b] = 0"``, ``"x2 = x3 = 0"`` (two restrictions, as in
            statsmodels), ``{"x1": 0}``; names are the parameter names.
        cov_p : array-like, optional
            Covariance to use instead of :meth:`cov_params`.
        use_t : bool, optional
            Default: this fit's ``use_t``.
        """
        params, cov, R, q = self._constraint_inputs(r_matrix, cov_p)
        use_t = self.use_t if use_t is None else use_t
        return t_test(
            params,
            cov,
            R,
            q,
            df=self.covariance.df_resid if use_t else None,
            rank_deficient=self._rank_deficient,
        )

    def f_test(self, r_matrix: Any, cov_p: Any = None, invcov: Any = None) -> ContrastResults:
        """Joint F test of ``R b = q`` (``F = W / J`` with ``F(J, df_resid)``).

        Parameters
        ----------
        r_matrix : str, list of str, dict, (R, q) or array
            The hypotheses, as for :meth:`t_test`.
        cov_p : array-like, optional
            Covariance to use instead of :meth:`cov_params`.
        invcov : array-like, shape (m, m), optional
            Inverse covariance of ``R b`` to use instead of ``(R cov R')^+``.
        """
        return self.wald_test(r_matrix, cov_p=cov_p, invcov=invcov, use_f=True, scalar=True)

    def wald_test(
        self,
        r_matrix: Any,
        cov_p: Any = None,
        invcov: Any = None,
        use_f: bool | None = None,
        df_constraints: float | None = None,
        scalar: bool = True,
    ) -> ContrastResults:
        """Joint Wald test of ``R b = q``: F when ``use_f`` (default: ``use_t``), else chi2.

        Parameters
        ----------
        r_matrix : str, list of str, dict, (R, q) or array
            The hypotheses, as for :meth:`t_test` (``"x2 = x3 = 0"`` is two restrictions).
        cov_p : array-like, optional
            Covariance to use instead of :meth:`cov_params`.
        invcov : array-like, shape (m, m), optional
            Inverse covariance of ``R b`` to use instead of ``(R cov R')^+``; ``J`` is then
            the number of constraints (statsmodels).
        use_f : bool, optional
            F test on ``(J, df_resid)`` instead of chi-squared (default: ``use_t``).
        df_constraints : float, optional
            Override the number of constraints ``J``.
        scalar : bool
            False: the statistic as a ``(1, 1)`` array and the p-value as a 0-d array, as
            statsmodels returns them.
        """
        params, cov, R, q = self._constraint_inputs(r_matrix, cov_p)
        return wald_test(
            params,
            cov,
            R,
            q,
            use_f=self.use_t if use_f is None else use_f,
            df_denom=self.covariance.df_resid,
            df_constraints=df_constraints,
            invcov=None if invcov is None else np.asarray(invcov, dtype=float),
            scalar=scalar,
            rank_deficient=self._rank_deficient,
        )

    def wald_test_terms(
        self,
        skip_single: bool = False,
        extra_constraints: Any = None,
        combine_terms: Any = None,
        scalar: bool = True,
    ) -> WaldTestResults:
        """A Wald test of each formula term (all its columns zero), F if ``use_t`` else chi2.

        Parameters
        ----------
        skip_single : bool
            Leave out terms with a single column.
        extra_constraints : list of (name, R), optional
            Further rows of the table.
        combine_terms : list of str, optional
            Also test together all terms whose name contains each string.
        scalar : bool
            False: each statistic a ``(1, 1)`` array, as statsmodels' ``scalar=False``.
        """
        k = self.fit_result.params.shape[0]
        identity = np.eye(k)
        tests: list[tuple[str, np.ndarray]] = []
        combined: dict[str, list[np.ndarray]] = {name: [] for name in combine_terms or ()}
        for name, positions in self._parameter_terms():
            matrix = identity[positions]
            for key in combined:
                if key in name:
                    combined[key].append(matrix)
            if not (skip_single and matrix.shape[0] == 1):
                tests.append((name, matrix))
        tests += [(key, np.vstack(parts)) for key, parts in combined.items() if parts]
        tests += list(extra_constraints or ())
        rows = []
        for _, matrix in tests:
            result = self.wald_test(matrix, scalar=scalar)
            df_constraint = result.df_num if self.use_t else result.df_denom
            row = [result.statistic, result.pvalue, int(df_constraint)]  # type: ignore[arg-type]
            rows.append(row + ([result.df_denom] if self.use_t else []))
        columns = ["statistic", "pvalue", "df_constraint"] + (["df_denom"] if self.use_t else [])
        table = pd.DataFrame(rows, index=[name for name, _ in tests], columns=columns)
        return WaldTestResults(table, "F" if self.use_t else "chi2")

    def _parameter_terms(self) -> list[tuple[str, list[int]]]:
        """Each formula term with the positions of its parameters, found by the names of
        its columns (so that a zero-inflated model's count terms come after its inflation
        parameters, and its inflation terms are ``inflate_<term>``); without a formula,
        statsmodels' rule: every parameter a term of its own (``alpha``, thresholds)."""
        position = {name: i for i, name in enumerate(self.model.output.param_names)}
        terms: list[tuple[str, list[int]]] = []
        used: set[int] = set()
        model_design: Design | None = getattr(self.model, "design", None)
        term_designs = getattr(self.model, "term_designs", None)  # a generic likelihood: none
        designs: list[tuple[str, Design]] = []
        if term_designs is not None:
            designs = term_designs()
        elif model_design is not None:
            designs = [("", model_design)]
        for prefix, design in designs:
            for name, columns in design.terms:
                found = [position.get(prefix + design.exog_names[c]) for c in columns]
                positions = [p for p in found if p is not None]
                if positions and len(positions) == len(found):
                    terms.append((prefix + name, positions))
                    used.update(positions)
        if getattr(model_design, "model_spec", None) is None:
            terms += [(name, [i]) for name, i in position.items() if i not in used]
        return terms

    def t_test_pairwise(
        self,
        term_name: str,
        method: str | list[str] = "hs",
        alpha: float = 0.05,
        factor_labels: list[str] | None = None,
    ) -> MultiCompResult:
        """t tests of every pairwise difference between the levels of a categorical term.

        Parameters
        ----------
        term_name : str
            A main-effect term of the formula, e.g. ``"C(g)"``.
        method : str or list of str
            p-value adjustment(s) for multiple testing (statsmodels' ``multipletests``
            names: ``"hs"``, ``"holm"``, ``"bonferroni"``, ``"sidak"``, ``"sh"``,
            ``"hommel"``, ``"fdr_bh"``, ``"fdr_by"``).
        alpha : float
            Level of the reject decisions.
        factor_labels : list of str, optional
            Labels of the levels (default: the levels themselves).

        Returns
        -------
        MultiCompResult
            ``result_frame`` with statsmodels' columns and ``"b-a"`` row labels,
            ``contrasts``, ``contrast_labels``, ``term_encoding_matrix``.
        """
        encoding, columns, levels = self._factor_coding(term_name)
        if factor_labels is not None:
            if len(factor_labels) != len(levels):
                raise ValueError(f"factor_labels has the wrong length, should be {len(levels)}")
            levels = list(factor_labels)
        k_params = self.fit_result.params.shape[0]
        contrasts = pairwise_contrasts(encoding, k_params, columns)
        labels = pairwise_labels(levels)
        tests = self.t_test(contrasts)
        frame = multiple_t_tests(
            tests.summary_frame(xname=labels), np.ravel(tests.pvalue), method, alpha
        )
        return MultiCompResult(frame, contrasts, term_name, labels, encoding)

    def _factor_coding(self, term_name: str) -> tuple[np.ndarray, tuple[int, ...], list[object]]:
        """The coding matrix (levels x columns), columns and levels of a categorical term."""
        design = self.model.design
        spec = getattr(design, "model_spec", None)
        if spec is None:
            raise InvalidOptionError("t_test_pairwise needs a model built from a formula")

        def key(name: str) -> str:  # 'C(g, Treatment("c"))' as patsy keeps it, or normalised
            return name.replace('"', "'").replace(" ", "")

        terms = {key(name): columns for name, columns in design.terms}
        if key(term_name) not in terms:
            shown = ", ".join(repr(name) for name, _ in design.terms)
            raise InvalidOptionError(f"unknown term {term_name!r}; the terms are {shown}")
        # the term's parameters, by their names (a zero-inflated model's count columns come
        # after its inflation parameters)
        positions = {key(name): tuple(p) for name, p in self._parameter_terms()}
        term = next((t for t in spec.terms if key(str(t)) == key(term_name)), None)
        factors = list(spec.term_factors.get(term, ())) if term is not None else []
        if len(factors) > 1:
            raise ValueError("interaction effects not yet supported")
        state = spec.factor_contrasts.get(factors[0]) if factors else None
        if state is None:
            raise InvalidOptionError(
                f"term {term_name!r} is not categorical; pairwise comparisons need a factor "
                "such as C(g)"
            )
        columns = positions.get(key(term_name), terms[key(term_name)])
        levels = list(state.levels)
        coding = state.get_coding_matrix(reduced_rank=len(columns) < len(levels))
        encoding = np.asarray(coding, dtype=float)
        if encoding.shape != (len(levels), len(columns)):
            raise InvalidOptionError(
                f"cannot relate the {len(columns)} columns of {term_name!r} to its "
                f"{len(levels)} levels"
            )
        return encoding, columns, levels

    # --- other covariances -----------------------------------------------------------------------

    def _require_data_units(self, what: str) -> None:
        """Refuse ``what`` where the data's units leave float64 (see
        :func:`~torchstats.covariance.nonrobust.require_data_units`)."""
        require_data_units(self.fit_result, what)

    @property
    def fit_record(self) -> dict[str, Any]:
        """The results class's own fields (a GLM's ``scaletype`` and ``history``, a
        likelihood fit's ``retvals``...): what results of the same fit in other parameters
        (``fit_constrained``) or with another covariance are built from. A copy."""
        return dict(self._record)

    def _with_covariance(self: _Results, covariance: CovarianceResult) -> _Results:
        """A results object sharing this fit (and its record), with another covariance."""
        return type(self)(self.model, self.fit_result, covariance, **self._record)

    def get_robustcov_results(
        self: _Results, cov_type: str = "HC1", use_t: bool | None = None, **cov_kwds: Any
    ) -> _Results:
        """A new results object with another covariance; this one is left unchanged.

        Parameters
        ----------
        cov_type : str
            statsmodels' names: ``"nonrobust"``, ``"HC0"``-``"HC3"``, ``"cluster"``,
            ``"cluster-crv3"``, ``"cluster-jk"``, ``"HAC"``, ``"hac-panel"``
            (``"nw-panel"``), ``"hac-groupsum"`` (``"nw-groupsum"``), ``"fixed scale"``;
            see :func:`torchstats.covariance.sandwich.robust_covariance`.
        use_t : bool, optional
            Default: this results object's ``use_t``, as statsmodels.
        **cov_kwds
            Options of the estimator (``groups``, ``time``, ``maxlags``, ``kernel``,
            ``use_correction``, ``df_correction``, ``scale``, ``scaling_factor``...).
            ``groups`` and ``time`` are matched to the rows used: pandas objects by label,
            arrays by position, strings as column names of a formula's data.
        """
        use_t = self.use_t if use_t is None else use_t
        covariance = self.model.covariance(self.fit_result, cov_type, cov_kwds, use_t)
        robust = self._with_covariance(covariance)
        if self._robust_results_unlabelled:
            object.__setattr__(robust, "_unlabelled", True)
        return robust

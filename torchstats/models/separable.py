"""Models made of likelihood models fitted separately: the log-likelihood is a sum of parts in
disjoint parameters (statsmodels' ``HurdleCountModel``: a zero model and a truncated count
model).

Such a model is a :class:`~torchstats.models.discrete._DiscreteModel` whose parameters are
its parts' parameters, concatenated. Because no parameter enters two parts, the joint
maximum is each part's maximum and the joint Hessian is block diagonal, so the fit runs each
part's own ``fit`` (same method and options, as statsmodels) and joins the estimates and
the blocks of the inverse information. The joint ``loglikeobs`` (each part's contributions
added into the rows it uses) gives the joint per-observation scores, so robust covariances
of all parameters together come from the generic sandwich.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from torchstats._device import OutputFormat
from torchstats.covariance.sandwich import canonical_cov_type
from torchstats.errors import DesignError
from torchstats.formula.design import Design
from torchstats.models.discrete import _DiscreteModel
from torchstats.solvers.result import SolverResult

__all__: list[str] = []


class _SeparableModel(_DiscreteModel):
    """A sum of likelihood models in disjoint parameters, fitted part by part; not public.

    A subclass builds its parts in ``__init__`` and sets ``_parts`` (the fitted
    ``_DiscreteModel`` objects), ``_part_rows`` (for each, the positions in this model's rows
    of the part's rows, or None for all rows) and ``_part_prefixes`` (prepended to each
    part's parameter names). The results receive the part results as ``parts``.

    Conventions (statsmodels' ``HurdleCountModel``): ``df_model`` is the sum of the parts',
    ``df_resid`` is ``nobs`` minus the number of parameters, ``k_extra`` counts the parts'
    extra parameters and one constant per part after the first (so ``aic`` counts every
    parameter), ``llnull`` is the sum of the parts' null log-likelihoods,
    ``mle_retvals`` and ``mle_settings`` are the first part's with ``converged`` a list of
    the parts' flags.
    """

    _parts: tuple[_DiscreteModel, ...]
    _part_rows: tuple[torch.Tensor | None, ...]
    _part_prefixes: tuple[str, ...]

    def term_designs(self) -> list[tuple[str, Design]]:
        """Each part's design with its prefix (the parts share the model's columns)."""
        return [
            (prefix, part.design)
            for part, prefix in zip(self._parts, self._part_prefixes, strict=True)
        ]

    @property
    def output(self) -> OutputFormat:
        """The parts' parameter names, each with its prefix (``zm_const``, ..., ``const``)."""
        names = tuple(
            prefix + name
            for part, prefix in zip(self._parts, self._part_prefixes, strict=True)
            for name in part.param_names
        )
        output = self.design.output
        return OutputFormat(output.kind, names, output.row_index)

    @property
    def k_extra(self) -> int:  # type: ignore[override]
        """The parts' extra parameters plus one per part after the first."""
        return sum(part.k_extra for part in self._parts) + len(self._parts) - 1

    @property
    def df_model(self) -> float:
        """The sum of the parts' ``df_model``."""
        return float(sum(part.df_model for part in self._parts))

    @property
    def df_resid(self) -> float:
        """``nobs`` minus the number of parameters."""
        return float(self.design.nobs - len(self.param_names))

    def _part_params(self, params: Any) -> list[torch.Tensor]:
        """``params`` cut into the parts' parameter vectors."""
        sizes = [len(part.param_names) for part in self._parts]
        return list(torch.split(self._params_tensor(params).reshape(-1), sizes))

    def loglikeobs(self, params: Any) -> torch.Tensor:
        """Each part's per-observation log-likelihood added into its rows, shape (n,)."""
        y = self.design.endog
        total = torch.zeros_like(y)
        for part, rows, theta in zip(
            self._parts, self._part_rows, self._part_params(params), strict=True
        ):
            values = part.loglikeobs(theta)
            total = total + values if rows is None else total.index_add(0, rows, values)
        return total

    def null_loglike(self) -> float:
        """The sum of the parts' null log-likelihoods."""
        return sum(part.null_loglike() for part in self._parts)

    def fit(
        self,
        start_params: Any = None,
        method: str = "newton",
        maxiter: int = 35,
        full_output: bool = True,
        disp: bool = True,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """Fit each part by maximum likelihood, then join the estimates.

        Parameters
        ----------
        start_params : array-like, optional
            Start values of all parameters, in order (each part gets its own); default each
            part's default.
        method, maxiter, full_output, disp, **kwargs
            Passed to every part's ``fit`` (see ``_DiscreteModel.fit``).
        cov_type, cov_kwds, use_t
            Covariance of all parameters together: ``"nonrobust"`` joins the parts' inverse
            information matrices (the joint Hessian is block diagonal); the robust ones are
            the sandwich of the joint per-observation scores.

        Raises
        ------
        DesignError
            ``start_params`` of the wrong length.
        """
        canonical_cov_type(cov_type)
        sizes = [len(part.param_names) for part in self._parts]
        starts: list[Any] = [None] * len(self._parts)
        if start_params is not None:
            start = self._params_tensor(start_params).reshape(-1)
            if start.shape[0] != sum(sizes):
                raise DesignError(
                    f"start_params must have one entry per parameter: {self.model_name} has "
                    f"{sum(sizes)} ({' + '.join(map(str, sizes))} in its parts), "
                    f"start_params has {start.shape[0]}"
                )
            starts = list(torch.split(start, sizes))
        fits = [
            part.fit(start, method, maxiter, full_output, disp, **kwargs)
            for part, start in zip(self._parts, starts, strict=True)
        ]
        records = [result.fit_result for result in fits]
        covariances = [record.normalized_cov for record in records]
        assert all(cov is not None for cov in covariances)
        fit = SolverResult(
            params=torch.cat([record.params for record in records]),
            method=method,
            converged=all(record.converged for record in records),
            n_iter=sum(record.n_iter for record in records),
            grad_norm=max(record.grad_norm for record in records),
            message="; ".join(record.message for record in records),
            rank=sum(record.rank for record in records),
            normalized_cov=torch.block_diag(*covariances),
        )
        retvals = {**fits[0].mle_retvals, "converged": [record.converged for record in records]}
        return self._report(
            fit,
            cov_type,
            cov_kwds,
            use_t,
            retvals=retvals,
            settings=fits[0].mle_settings,
            parts=fits,
        )

"""Many regressions at once: one OLS/WLS per group, or per response, in one batched call.

    res = ts.batched_ols("y ~ x1 + x2", df, by="firm").fit()     # one regression per firm
    res = ts.batched_ols("y1 + y2 + y3 ~ x1 + C(g)", df).fit()   # one per response
    res.params            # DataFrame: a row per group (or response), a column per parameter
    res["acme"].summary() # the one-at-a-time RegressionResults of that group

The design is built once through the formula (categorical levels are those of the whole
data, so every group has the same columns; a level absent from a group makes that group
rank deficient), rows are scattered into zero-padded ``(G, m, k)`` blocks by group, and
:func:`~torchstats.solvers.batched_least_squares.solve_batched` solves all groups together.
No Python loop runs over groups except for ``res[group]``, on demand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats._device import output_kind_of, resolve_device, resolve_dtype, to_tensor
from torchstats._typing import check_option
from torchstats.errors import (
    CollinearityWarning,
    InvalidWeightsError,
    MissingDataError,
    ShapeMismatchError,
    UnknownColumnError,
    warn,
)
from torchstats.formula.alignment import align_to_data, shared_row_index
from torchstats.formula.constant import detect_constant
from torchstats.formula.design import Design
from torchstats.formula.responses import split_responses
from torchstats.models.base import build_design, caller_context
from torchstats.models.linear import OLS, WLS
from torchstats.results.batched_ols import BatchedRegressionResults
from torchstats.solvers.batched_least_squares import pad_groups, solve_batched
from torchstats.structured.block_matrix import dense_within_limit

__all__ = ["BatchedOLS", "BATCHED_COV_TYPES"]

BATCHED_COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")
_RESPONSE = "__response_{}"


class BatchedOLS:
    """One least-squares regression per group and response (statsmodels' OLS/WLS each).

    Parameters
    ----------
    endog : str or array-like
        A formula (``"y ~ x"``, or ``"y1 + y2 ~ x"`` for several responses; then ``exog`` is
        the DataFrame) or the responses, shape (n,) or (n, r).
    exog : DataFrame or array-like
        The data for a formula, or the design matrix, shape (n, k) (no constant added).
    groups : str, list of str or array-like, optional
        Column name(s) of the data, or one label per row: one regression per distinct value
        (sorted). None: one group.
    weights : array-like or str, optional
        WLS weights, one per row, or (with a formula) the name of a column. Per-row
        ``groups`` and ``weights`` given as pandas objects are matched to the rows by label,
        arrays by position.
    missing : {"drop", "raise", "none"}, optional
        As for :class:`~torchstats.OLS` (rows are dropped before grouping).
    hasconst, device, dtype, context
        As for :class:`~torchstats.OLS`.

    Raises
    ------
    UnknownColumnError
        A ``groups`` column that is not in the data.
    ShapeMismatchError
        ``groups`` or ``weights`` of the wrong length, ``endog`` and ``exog`` of different
        lengths.
    """

    design: Design | None

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        groups: Any = None,
        weights: Any = None,
        missing: str | None = None,
        *,
        hasconst: bool | None = None,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        if isinstance(endog, str):
            self._from_formula(endog, exog, groups, weights, missing, device, dtype, context)
        else:
            self._from_arrays(endog, exog, groups, weights, missing, device, dtype)
        self._check_weights()
        self.k_constant = detect_constant(
            self.exog, hasconst, intercept_column=self._intercept_column()
        )[0]

    @classmethod
    def from_formula(
        cls, formula: str, data: Any, *, context: int | Mapping[str, Any] | None = 0, **kwargs: Any
    ) -> BatchedOLS:
        """Create the model from a formula and a DataFrame."""
        return cls(formula, data, context=caller_context(context, 1), **kwargs)

    # --- construction -------------------------------------------------------------------

    def _from_formula(
        self,
        formula: str,
        data: Any,
        groups: Any,
        weights: Any,
        missing: str | None,
        device: Any,
        dtype: Any,
        context: Any,
    ) -> None:
        frame = pd.DataFrame(data)
        labels = _group_labels(groups, frame)
        rows = frame.reset_index(drop=True)
        namespace = caller_context(context, 2)
        response_names, first, others = split_responses(formula, rows, namespace)
        extras = {_RESPONSE.format(j): values for j, values in enumerate(others, start=1)}
        if weights is not None:
            extras["weights"] = _aligned(weights, frame, "weights")
        design = build_design(
            first,
            rows,
            missing=missing,
            extras=extras or None,
            context=namespace,
            device=device,
            dtype=dtype,
        )
        positions = np.asarray(design.output.row_index)
        self.design = design
        self.endog = torch.stack(
            [design.endog] + [design.extras[k] for k in extras if k != "weights"], dim=1
        )
        # the groups are padded into one dense (G, n_max, k) batch: sparse dummies of a
        # many-level factor are made dense, within DENSE_LIMIT_BYTES
        self.exog = dense_within_limit(design.exog, "batched_ols")
        self.weights = design.extras.get("weights")
        self.exog_names = list(design.exog_names)
        self.response_names = response_names
        self.output_kind = "pandas"
        self.data = frame.iloc[positions]
        self._set_groups(None if labels is None else labels.iloc[positions])

    def _from_arrays(
        self,
        endog: Any,
        exog: Any,
        groups: Any,
        weights: Any,
        missing: str | None,
        device: Any,
        dtype: Any,
    ) -> None:
        if missing not in (None, "none"):
            check_option(missing, ("none",), "missing (array input)")
        index = shared_row_index(endog, exog)
        groups = None if groups is None else align_to_data(groups, "groups", index)
        weights = None if weights is None else align_to_data(weights, "weights", index)
        y = to_tensor(
            endog, name="endog", device=resolve_device(device, endog), dtype=resolve_dtype(dtype)
        )
        X = to_tensor(exog, name="exog", device=y.device, dtype=y.dtype)
        y = y[:, None] if y.ndim == 1 else y
        if y.shape[0] != X.shape[0]:
            raise ShapeMismatchError(f"endog has {y.shape[0]} rows but exog has {X.shape[0]}")
        if not (bool(torch.isfinite(y).all()) and bool(torch.isfinite(X).all())):
            raise MissingDataError("endog or exog contains NaN or inf values")
        self.design = None
        self.endog, self.exog = y, X
        self.weights = (
            None
            if weights is None
            else to_tensor(weights, name="weights", device=y.device, dtype=y.dtype).reshape(-1)
        )
        if self.weights is not None and self.weights.shape[0] != y.shape[0]:
            raise ShapeMismatchError(
                f"weights has {self.weights.shape[0]} values, not {y.shape[0]}"
            )
        self.exog_names = list(getattr(exog, "columns", [f"x{j + 1}" for j in range(X.shape[1])]))
        self.response_names = list(
            getattr(endog, "columns", [getattr(endog, "name", None) or "y"])
            if y.shape[1] > 1 or hasattr(endog, "name")
            else ["y"]
        )
        if len(self.response_names) != y.shape[1]:
            self.response_names = [f"y{j + 1}" for j in range(y.shape[1])]
        self.output_kind = output_kind_of(endog, exog)
        self.data = None
        labels = None
        if groups is not None:
            labels = pd.Series(
                np.asarray(groups.cpu() if isinstance(groups, torch.Tensor) else groups)
            )
            if len(labels) != y.shape[0]:
                raise ShapeMismatchError(
                    f"groups has {len(labels)} labels but there are {y.shape[0]} rows"
                )
        self._set_groups(labels)

    def _set_groups(self, labels: pd.Series | pd.DataFrame | None) -> None:
        n = self.endog.shape[0]
        if labels is None:
            codes, self.group_index = np.zeros(n, dtype=np.int64), pd.Index(["all"])
        elif isinstance(labels, pd.DataFrame):
            index = pd.MultiIndex.from_frame(labels)
            codes, uniques = pd.factorize(index, sort=True)
            self.group_index = pd.MultiIndex.from_tuples(list(uniques), names=list(labels.columns))
        else:
            codes, uniques = pd.factorize(labels, sort=True)
            self.group_index = pd.Index(uniques, name=labels.name)
        if (codes < 0).any():
            raise MissingDataError("groups contain missing labels; drop or fill those rows")
        self.group_codes = torch.as_tensor(codes, device=self.exog.device)
        self.grouped = labels is not None

    def _check_weights(self) -> None:
        w = self.weights
        if w is None:
            return
        if not bool(torch.isfinite(w).all()):
            raise InvalidWeightsError("weights must be finite")
        if bool((w < 0).any()):
            raise InvalidWeightsError(
                f"weights must be non-negative; found {int((w < 0).sum())} negative value(s)"
            )

    def _intercept_column(self) -> int | None:
        if self.design is None or not self.design.formula:
            return None
        column = dict(self.design.terms).get("Intercept")
        return column[0] if column else None

    # --- fitting ------------------------------------------------------------------------

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return len(self.group_index)

    def fit(self, cov_type: str = "nonrobust") -> Any:
        """Fit every group and response in one batched solve.

        Parameters
        ----------
        cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3"}
            Covariance of the estimates, per group as statsmodels' OLS/WLS.

        Returns
        -------
        BatchedRegressionResults

        Warns
        -----
        CollinearityWarning
            Some groups are rank deficient (fewer rows than parameters, or collinear
            columns): their minimum-norm estimates are reported, with ``df_resid`` from the
            rank, as statsmodels' pinv.
        """

        check_option(cov_type, BATCHED_COV_TYPES, "cov_type")
        X, Y = self.exog, self.endog
        if self.weights is None:
            root = torch.ones_like(Y[:, :1])
        else:
            root = torch.sqrt(self.weights)[:, None]
            X, Y = X * root, Y * root
        with torch.no_grad():
            # the padded sqrt(w) column doubles as the mask of real rows (zero on padding)
            counts, (Xw, Yw, root_w) = pad_groups(self.group_codes, self.n_groups, X, Y, root)
            solution = solve_batched(Xw, Yw, counts)
        self._warn_rank_deficient(solution.rank)
        return BatchedRegressionResults(self, solution, counts, Xw, Yw, root_w[..., 0], cov_type)

    def regression(self, group: int, response: int) -> OLS | WLS:
        """One regression of the batch as a one-at-a-time model: ``OLS``/``WLS`` on the
        group's rows of the shared design (the batch's columns, so absent levels stay as
        zero columns), in the input's container kind."""
        rows = self.group_codes == group
        X: Any = self.exog[rows]
        y: Any = self.endog[rows, response]
        if self.output_kind == "pandas":
            labels = self.data.index[rows.cpu().numpy()] if self.data is not None else None
            X = pd.DataFrame(X.cpu().numpy(), columns=self.exog_names, index=labels)
            y = pd.Series(y.cpu().numpy(), index=labels, name=self.response_names[response])
        elif self.output_kind == "numpy":
            X, y = X.cpu().numpy(), y.cpu().numpy()
        hasconst = bool(self.k_constant)
        if self.weights is None:
            return OLS(y, X, hasconst=hasconst)
        return WLS(y, X, weights=self.weights[rows].cpu().numpy(), hasconst=hasconst)

    def _warn_rank_deficient(self, rank: torch.Tensor) -> None:
        deficient = torch.nonzero(rank < self.exog.shape[1]).reshape(-1).tolist()
        if deficient:
            names = [str(self.group_index[i]) for i in deficient[:5]]
            more = f" and {len(deficient) - 5} more" if len(deficient) > 5 else ""
            warn(
                f"{len(deficient)} of {self.n_groups} groups have a rank-deficient design "
                f"(fewer rows than the {self.exog.shape[1]} parameters, or collinear columns): "
                f"{', '.join(names)}{more}; their minimum-norm estimates are reported",
                CollinearityWarning,
            )

    def __repr__(self) -> str:
        return (
            f"<torchstats.BatchedOLS {self.n_groups} group(s) x {len(self.response_names)} "
            f"response(s), nobs={self.endog.shape[0]}, k={self.exog.shape[1]}>"
        )


def _group_labels(groups: Any, frame: pd.DataFrame) -> pd.Series | pd.DataFrame | None:
    """The group label of every row of ``frame``, from column name(s) or per-row values."""
    if groups is None:
        return None
    if isinstance(groups, str) or (
        isinstance(groups, list) and groups and all(isinstance(g, str) for g in groups)
    ):
        names = [groups] if isinstance(groups, str) else list(groups)
        unknown = [name for name in names if name not in frame.columns]
        if unknown:
            raise UnknownColumnError(f"groups column(s) {unknown} not in the data")
        return frame[names[0]] if isinstance(groups, str) else frame[names]
    return _aligned(groups, frame, "groups")


def _aligned(values: Any, frame: pd.DataFrame, name: str) -> pd.Series | pd.DataFrame:
    """Per-row values in ``frame``'s row order, labelled by position (pandas matched by label,
    arrays by position, a string names a column; see :mod:`torchstats.formula.alignment`)."""
    values = align_to_data(values, name, frame.index, frame=frame)
    if isinstance(values, (pd.Series, pd.DataFrame)):
        return values.reset_index(drop=True)
    array = np.asarray(values.cpu() if isinstance(values, torch.Tensor) else values)
    if array.shape[0] != len(frame):
        raise ShapeMismatchError(
            f"{name} has {array.shape[0]} values but the data have {len(frame)} rows"
        )
    return pd.Series(array, name=name)

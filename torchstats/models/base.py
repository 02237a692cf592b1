"""The one model contract: what every torchstats model is and how it is fitted.

:class:`Model` owns the design, the names, the sizes and degrees of freedom, statsmodels'
view of the data (``endog``, ``exog``, ``data``) and the output format; its fit template
turns an estimate into results (classical covariance first, then the robust one asked
for). Results reach the model only through its public methods: ``output``,
``classical_covariance`` and ``sandwich_inputs`` here, prediction and the null model in
the model families.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from functools import cached_property, wraps
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

import numpy as np
import pandas as pd
import torch
from formulaic.utils.context import capture_context

from torchstats._device import OutputFormat, host_arrays, resolve_device, resolve_dtype
from torchstats._threads import ThreadScoped, fit_threads, input_numbers
from torchstats.covariance.result import CovarianceResult
from torchstats.covariance.sandwich import SandwichInputs, canonical_cov_type, robust_covariance
from torchstats.errors import DesignError, InvalidOptionError
from torchstats.formula.arrays import design_from_arrays
from torchstats.formula.blocks import design_with_blocks
from torchstats.formula.constant import detect_constant
from torchstats.formula.design import Design, design_from_formula
from torchstats.formula.design_checks import matrix_rank
from torchstats.models.data import ModelData, plain_array
from torchstats.solvers.result import SolverResult

__all__ = [
    "LikelihoodModel",
    "Model",
    "build_design",
    "caller_context",
    "formula_rows",
]


@runtime_checkable
class LikelihoodModel(Protocol):
    """A statistical model: data and a log-likelihood in torch."""

    design: Design

    def loglike(self, params: torch.Tensor) -> torch.Tensor:
        """Log-likelihood at ``params`` (a 0-d tensor, differentiable)."""
        ...

    def score(self, params: torch.Tensor) -> torch.Tensor:
        """Gradient of :meth:`loglike`, shape (k,)."""
        ...

    def hessian(self, params: torch.Tensor) -> torch.Tensor:
        """Hessian of :meth:`loglike`, shape (k, k)."""
        ...


#: Model methods of ``params`` that return arrays: numpy (statsmodels' types, ``np.float64``
#: for a scalar) unless ``params`` is a tensor, when they return tensors. A statsmodels
#: script's ``model.endog - model.predict(p)`` or ``np.linalg.inv(-model.hessian(p))`` got
#: tensors.
PARAMS_METHODS = (
    "loglike",
    "loglikeobs",
    "score",
    "score_obs",
    "hessian",
    "information",
    "hessian_factor",
    "score_factor",
    "predict",
)


def _numpy_for_numpy(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` returning numpy where its ``params`` (first argument) is not a tensor."""

    @wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        params = args[0] if args else kwargs.get("params")
        if isinstance(params, torch.Tensor) or params is None:
            return method(self, *args, **kwargs)
        # as a tensor, so that the methods this one calls compute in torch
        endog = self.design.endog
        tensor = torch.as_tensor(np.array(params, dtype=float), dtype=endog.dtype)
        tensor = tensor.to(endog.device)
        if args:
            args = (tensor, *args[1:])
        else:
            kwargs = {**kwargs, "params": tensor}
        return host_arrays(method(self, *args, **kwargs))

    run._numpy_for_numpy = True  # type: ignore[attr-defined]
    return run


class Model(ThreadScoped):
    """The base of every model: design, names, sizes, degrees of freedom and fit template.

    A subclass sets :attr:`design` in ``__init__`` and names itself (``model_name``); it
    supplies :meth:`classical_covariance` and :meth:`sandwich_inputs`, estimates in its own
    ``fit`` (whose signature is statsmodels') and ends it with :meth:`_report`, which builds
    the results with the covariance asked for; ``results.get_robustcov_results`` asks
    :meth:`covariance` again.

    Notes
    -----
    statsmodels' conventions are class attributes: ``_df_model_assumes_constant`` makes
    ``df_model = rank - 1`` whether or not there is a constant (GLM and the discrete
    models), else ``rank - k_constant`` (least squares).

    Every model runs under the thread policy (:mod:`torchstats._threads`): its constructor
    sized by the arrays it is given, its public methods by its design.
    """

    model_name: str = "Model"
    """statsmodels' name of the model (the summary's ``Model:`` line and title)."""
    _results_class: ClassVar[Any] = None
    _df_model_assumes_constant: ClassVar[bool] = False
    design: Design
    _hasconst: bool | None = None
    #: The response's columns as given where the model fits a transform of them (a binomial
    #: GLM's successes and failures): ``model.data`` shows them, as statsmodels.
    _response_columns: torch.Tensor | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = vars(cls).get("__init__")
        if init is not None:
            cls.__init__ = _sized_construction(init)  # type: ignore[method-assign]
        for name in PARAMS_METHODS:
            method = getattr(cls, name, None)
            if callable(method) and not getattr(method, "_numpy_for_numpy", False):
                setattr(cls, name, _numpy_for_numpy(method))

    def _thread_numbers(self) -> int:
        design = getattr(self, "design", None)
        return 0 if design is None else design.nobs * design.k_exog

    @classmethod
    def from_formula(
        cls,
        formula: str,
        data: Any,
        subset: Any = None,
        *args: Any,
        context: int | Mapping[str, Any] | None = 0,
        **kwargs: Any,
    ) -> Any:
        """Create the model from a formula and a DataFrame (statsmodels' ``from_formula``).

        ``subset`` (a boolean mask or row labels) selects ``data.loc[subset]`` first; per-row
        arguments (weights, offset, exposure) then have one value per selected row.
        """
        factory: Any = cls  # the public subclasses take (formula, data, ..., context=...)
        rows = formula_rows(data, subset)
        return factory(formula, rows, *args, context=caller_context(context, 1), **kwargs)

    # --- names and output -------------------------------------------------------------------

    @property
    def output(self) -> OutputFormat:
        """How results leave the model: the container kind and the labels."""
        return self.design.output

    @property
    def param_names(self) -> list[str]:
        """One name per parameter, in the order of ``params``."""
        return list(self.output.param_names)

    def term_designs(self) -> list[tuple[str, Design]]:
        """The designs whose formula terms carry parameters, each with the prefix its
        columns' names take among the parameter names (``("inflate_", ...)`` for a
        zero-inflated model's inflation design); the model's design, unprefixed, by
        default."""
        return [("", self.design)]

    @property
    def exog_names(self) -> list[str]:
        """statsmodels' ``exog_names``: the parameter names (design columns, then extras)."""
        return self.param_names

    @property
    def endog_names(self) -> Any:
        """Name of the response."""
        return self.design.endog_name

    @property
    def formula(self) -> str | None:
        """The formula the model was built from, if any."""
        return self.design.formula

    # --- data as statsmodels shows it -------------------------------------------------------

    @cached_property
    def endog(self) -> Any:
        """Response, shape (n,): numpy for numpy and pandas input, a tensor for tensors."""
        return plain_array(self.design, self.design.endog)

    @cached_property
    def exog(self) -> Any:
        """Design matrix, shape (n, k), as :attr:`endog`."""
        return plain_array(self.design, self.design.exog)

    @cached_property
    def data(self) -> ModelData:
        """statsmodels' ``model.data``: labelled arrays, ``row_labels``, names, ``frame``."""
        return ModelData(
            self.design,
            ynames=self.endog_names,
            xnames=self.exog_names,
            constant=lambda: self._constant,
            response=self._response_columns,
        )

    # --- sizes and degrees of freedom -------------------------------------------------------

    @property
    def nobs(self) -> float:
        """Number of observations (a float, as in statsmodels' models)."""
        return float(self.design.nobs)

    @cached_property
    def rank(self) -> int:
        """Numerical rank of the design (numpy's ``matrix_rank`` tolerance, scale-invariant)."""
        return matrix_rank(self.design.exog)

    @property
    def df_model(self) -> float:
        """Model degrees of freedom: ``rank - k_constant`` (``rank - 1`` where statsmodels
        assumes a constant)."""
        constant = 1 if self._df_model_assumes_constant else self.k_constant
        return float(self.rank - constant)

    @property
    def df_resid(self) -> float:
        """``nobs - rank``: the residual degrees of freedom."""
        return float(self.design.nobs - self.rank)

    @cached_property
    def _constant(self) -> tuple[int, int | None]:
        intercept = dict(self.design.terms).get("Intercept") if self.design.formula else None
        return detect_constant(
            self.design.exog, self._hasconst, intercept_column=intercept[0] if intercept else None
        )

    @property
    def k_constant(self) -> int:
        """1 if the design has an explicit or implicit constant, else 0 (statsmodels' rule)."""
        return self._constant[0]

    @property
    def const_idx(self) -> int | None:
        """Index of the constant column, None if absent or implicit."""
        return self._constant[1]

    # --- the fit template -------------------------------------------------------------------

    def classical_covariance(self, fit: SolverResult, use_t: bool | None) -> CovarianceResult:
        """The model's classical covariance of ``fit`` (``use_t=None``: its default)."""
        raise NotImplementedError(f"{type(self).__name__} has no classical covariance")

    def sandwich_inputs(self, fit: SolverResult, cov_type: str) -> SandwichInputs:
        """Bread and per-observation scores of ``fit`` for the robust ``cov_type``."""
        raise NotImplementedError(f"{type(self).__name__} has no robust covariances")

    def covariance(
        self,
        fit: SolverResult,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
    ) -> CovarianceResult:
        """The covariance of ``fit`` named ``cov_type`` (statsmodels' names and ``cov_kwds``).

        ``groups`` and ``time`` in ``cov_kwds`` are matched to the rows the fit used (by
        label for pandas, by position for arrays; a string names a column of a formula's
        data).
        """
        if canonical_cov_type(cov_type) == "nonrobust":
            if cov_kwds:
                raise InvalidOptionError(
                    f"cov_type='nonrobust' takes no cov_kwds, got {sorted(cov_kwds)}"
                )
            return self.classical_covariance(fit, use_t)
        kwds = self.rows_of(cov_kwds or {}, ("groups", "time"))
        return robust_covariance(cov_type, kwds, self.sandwich_inputs(fit, cov_type), use_t=use_t)

    def rows_of(self, values: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
        """``values`` with the per-row entries ``names`` restricted to the rows used, in
        their order (see :meth:`~torchstats.formula.alignment.DataRows.select`)."""
        selected = dict(values)
        rows = self.design.rows
        for name in names:
            if selected.get(name) is not None and rows is not None:
                selected[name] = rows.select(selected[name], name)
        return selected

    def _report(
        self,
        fit: SolverResult,
        cov_type: str,
        cov_kwds: Mapping[str, Any] | None,
        use_t: bool | None,
        **record: Any,
    ) -> Any:
        """The last step of every fit: results with the covariance asked for (``record``:
        the results class's own fields, such as ``mle_retvals``)."""
        covariance = self.covariance(fit, cov_type, cov_kwds, use_t)
        return self._results_class(self, fit, covariance, **record)

    def __repr__(self) -> str:
        source = f"formula={self.design.formula!r}" if self.design.formula else "arrays"
        return (
            f"<torchstats.{self.model_name} {source}, nobs={self.design.nobs}, "
            f"k={len(self.output.param_names)}>"
        )


_Fit = TypeVar("_Fit", bound=Callable[..., Any])


def _sized_construction(init: _Fit) -> _Fit:
    """Run a model's ``__init__`` on the threads the arrays it is given call for.

    A formula's namespace is captured here, at the user's frame, when ``context`` is a
    frame offset: the ``__init__`` behind this wrapper (and those of its base classes,
    wrapped too) would otherwise count frames from a different depth.
    """
    parameters = list(inspect.signature(init).parameters)
    takes_context = "context" in parameters
    first = parameters[1] if len(parameters) > 1 else None  # after self: endog or formula

    @wraps(init)
    def run(self: Model, *args: Any, **kwargs: Any) -> None:
        context = kwargs.get("context", 0)
        formula = args[0] if args else kwargs.get(first) if first else None
        if takes_context and isinstance(context, int) and isinstance(formula, str):
            kwargs["context"] = capture_context(context + 1)
        with fit_threads(input_numbers(*args, *kwargs.values())):
            init(self, *args, **kwargs)

    return run  # type: ignore[return-value]


def sized_threads(fit: _Fit) -> _Fit:
    """Run a model's ``fit`` on the threads its design's size calls for
    (:mod:`torchstats._threads`: one for small designs, the idle cores for large ones)."""

    @wraps(fit)
    def run(self: Model, *args: Any, **kwargs: Any) -> Any:
        with fit_threads(self._thread_numbers()):
            return fit(self, *args, **kwargs)

    return run  # type: ignore[return-value]


def caller_context(context: int | Mapping[str, Any] | None, depth: int) -> Mapping[str, Any] | None:
    """The namespace formula names are looked up in.

    Parameters
    ----------
    context : int, mapping or None
        A mapping is used as is; an int is a frame offset from the user's call (0 = the
        caller of the public function), as formulaic's ``context`` argument.
    depth : int
        Frames between this function and the user's call, for the int case.
    """
    if context is None or isinstance(context, Mapping):
        return context
    return capture_context(context + depth + 1)


def formula_rows(data: Any, subset: Any) -> Any:
    """The rows of ``data`` a formula model uses: statsmodels' ``from_formula(subset=...)``.

    Parameters
    ----------
    data : DataFrame or mapping of column name to array
        The formula's data.
    subset : array-like or None
        A boolean mask (a Series is aligned by label), or labels of ``data.index``:
        ``data.loc[subset]``, taken before the design is built. None keeps every row.

    Raises
    ------
    DesignError
        ``subset`` names rows that are not in the data.
    """
    if subset is None:
        return data
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data))
    try:
        return frame.loc[subset]
    except (KeyError, IndexError, pd.errors.IndexingError) as error:
        raise DesignError(
            f"subset does not select rows of the data ({error}); pass a boolean mask with one "
            "value per row or labels of data.index, as statsmodels' data.loc[subset]"
        ) from None


def build_design(
    endog: Any,
    exog: Any,
    *,
    missing: str | None,
    extras: Mapping[str, Any] | None,
    context: Mapping[str, Any] | None,
    device: Any,
    dtype: Any,
    categorical_response: bool = False,
    blocks: Mapping[str, Any] | None = None,
) -> Design:
    """Dispatch to the formula door (``endog`` is a formula string) or the array door.

    ``missing=None`` means statsmodels' defaults: ``"drop"`` for formulas, ``"none"`` for arrays.
    ``categorical_response`` reads the response as categories (codes in ``endog``, the
    outcomes in ``endog_levels``), for multinomial models.
    ``blocks`` are further designs on the same rows (``Design.blocks``; arrays, or
    right-hand-side formulas with a formula model; see :mod:`torchstats.formula.blocks`).
    """
    torch_device = resolve_device(device, endog, exog)
    torch_dtype = resolve_dtype(dtype)
    if blocks:
        default = "drop" if isinstance(endog, str) else "none"
        return design_with_blocks(
            endog,
            exog,
            blocks,
            missing=missing or default,
            extras=extras,
            context=context,
            device=torch_device,
            dtype=torch_dtype,
        )
    if isinstance(endog, str):
        return design_from_formula(
            endog,
            exog,
            missing=missing or "drop",  # type: ignore[arg-type]
            extras=extras,
            context=context,
            device=torch_device,
            dtype=torch_dtype,
            categorical_response=categorical_response,
        )
    return design_from_arrays(
        endog,
        exog,
        missing=missing or "none",  # type: ignore[arg-type]
        extras=extras,
        device=torch_device,
        dtype=torch_dtype,
        categorical_response=categorical_response,
    )

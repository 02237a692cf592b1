"""Device and dtype are settled once, here; so is every conversion between pandas/numpy and torch.

Data enter torchstats as pandas, numpy or torch and leave in the same kind: labelled pandas
for formulas and DataFrames, numpy for numpy, torch tensors (on the computation device) for
tensors. :class:`OutputFormat` records that choice together with the labels.
"""

from __future__ import annotations

import functools
import inspect
import types
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch

from torchstats.errors import DeviceError, InvalidOptionError, NonNumericDataError

__all__ = [
    "OutputFormat",
    "resolve_device",
    "resolve_dtype",
    "to_tensor",
    "to_numpy",
    "output_kind_of",
    "elementwise",
    "accepts_arrays",
    "host_arrays",
    "arrays_in_public_methods",
]

OutputKind = Literal["pandas", "numpy", "torch"]

_DTYPES = {
    None: torch.float64,
    "float64": torch.float64,
    "double": torch.float64,
    "float32": torch.float32,
    "float": torch.float32,
    torch.float64: torch.float64,
    torch.float32: torch.float32,
    np.float64: torch.float64,
    np.float32: torch.float32,
}


def resolve_dtype(dtype: Any = None) -> torch.dtype:
    """Return the floating dtype for computation: float64 unless float32 is asked for.

    Raises
    ------
    InvalidOptionError
        For anything but float64/float32 (given as torch, numpy or string dtypes).
    """
    key = dtype
    if isinstance(dtype, np.dtype):
        key = dtype.type
    try:
        return _DTYPES[key]
    except (KeyError, TypeError):
        raise InvalidOptionError(
            f"unsupported dtype {dtype!r}; use torch.float64 (the default) or torch.float32"
        ) from None


def resolve_device(device: str | torch.device | None = None, *inputs: Any) -> torch.device:
    """Return the computation device.

    ``None`` means the device of the first torch tensor among ``inputs``, else the CPU.

    Raises
    ------
    DeviceError
        When a CUDA (or MPS) device is requested but not available, or the name is not a device.
    """
    if device is None:
        for value in inputs:
            if isinstance(value, torch.Tensor):
                return value.device
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise DeviceError(f"{device!r} is not a torch device; use 'cpu' or 'cuda'") from None
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(
                f"device {str(device)!r} requested but CUDA is not available "
                "(torch.cuda.is_available() is False); use device='cpu' or install a CUDA build "
                "of torch on a machine with a GPU"
            )
        index = resolved.index if resolved.index is not None else torch.cuda.current_device()
        if index >= torch.cuda.device_count():
            raise DeviceError(
                f"device {str(device)!r} requested but only {torch.cuda.device_count()} "
                "CUDA device(s) are present"
            )
        return torch.device("cuda", index)
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(f"device {str(device)!r} requested but MPS is not available")
    return resolved


def output_kind_of(*inputs: Any) -> OutputKind:
    """Pandas if any input is pandas, else torch if any is a tensor, else numpy."""
    if any(isinstance(v, (pd.Series, pd.DataFrame)) for v in inputs):
        return "pandas"
    if any(isinstance(v, torch.Tensor) for v in inputs):
        return "torch"
    return "numpy"


def _non_numeric_columns(frame: pd.DataFrame) -> list[str]:
    return [
        str(name)
        for name, dtype in frame.dtypes.items()
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))
    ]


def to_tensor(
    values: Any,
    *,
    name: str,
    device: torch.device,
    dtype: torch.dtype,
) -> torch.Tensor:
    """Convert numeric data (numpy, pandas, torch, sequences) to ``dtype`` on ``device``.

    Parameters
    ----------
    values : array-like
        The data.
    name : str
        What the data are (``"endog"``, ``"exog"``, ``"weights"``), for error messages.

    Raises
    ------
    NonNumericDataError
        Naming the offending column for DataFrames, else the argument.
    """
    if isinstance(values, torch.Tensor):
        if values.is_complex() or not (values.is_floating_point() or values.dtype in _INT_DTYPES):
            raise NonNumericDataError(f"{name} has non-real dtype {values.dtype}")
        return values.detach().to(device=device, dtype=dtype)
    if isinstance(values, pd.DataFrame):
        bad = _non_numeric_columns(values)
        if bad:
            raise NonNumericDataError(
                f"{name} column(s) {', '.join(map(repr, bad))} are not numeric "
                f"(dtypes: {', '.join(str(values[c].dtype) for c in bad)}); "
                "encode them (e.g. with a formula and C()) before fitting"
            )
        array = values.to_numpy(dtype=np.float64, na_value=np.nan)
    elif isinstance(values, pd.Series):
        if not (pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values)):
            raise NonNumericDataError(
                f"{name} {values.name!r} is not numeric (dtype {values.dtype})"
            )
        array = values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        array = np.asarray(values)
        if array.dtype.kind not in "fiub":
            try:
                array = array.astype(np.float64)
            except (TypeError, ValueError):
                raise NonNumericDataError(
                    f"{name} is not numeric (dtype {array.dtype}); pass numbers only"
                ) from None
    if not (array.dtype.kind == "f" and array.dtype.itemsize == torch.finfo(dtype).bits // 8):
        array = array.astype(np.float64)
    if any(stride < 0 or stride % array.itemsize for stride in array.strides):
        array = np.ascontiguousarray(array)  # torch takes any layout but negative strides
    if array.flags.writeable:  # no warning to silence (the filter costs ~20 us a call)
        return torch.from_numpy(array).to(device=device, dtype=dtype)
    with warnings.catch_warnings():
        # pandas' copy-on-write hands out read-only views; torchstats never writes into data
        # tensors in place, so sharing the buffer is safe and saves a copy of the design.
        # Column-major arrays stay column-major: BLAS reads either layout at full speed.
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        tensor = torch.from_numpy(array)
    return tensor.to(device=device, dtype=dtype)


_INT_DTYPES = {torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8, torch.bool}


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """Detach, move to the CPU and return a float64 (or the tensor's) numpy array."""
    return tensor.detach().cpu().numpy()


def elementwise(
    function: Callable[[torch.Tensor], torch.Tensor], values: Any, like: torch.Tensor
) -> Any:
    """An elementwise torch ``function`` of any input, its result of the input's kind.

    A tensor gives a tensor. Anything else (a Python or numpy number, a numpy array, a
    list, a pandas Series or DataFrame) is evaluated in ``like``'s dtype and device and
    comes back as numpy (a numpy scalar for a scalar, pandas with the same labels for
    pandas), as statsmodels' functions of arrays such as ``Logit.cdf`` return.

    Raises
    ------
    NonNumericDataError
        For input that is not numeric.
    """
    if isinstance(values, torch.Tensor):
        return function(values)
    tensor = to_tensor(values, name="the argument", device=like.device, dtype=like.dtype)
    result = to_numpy(function(tensor))
    if isinstance(values, pd.Series):
        return pd.Series(result, index=values.index, name=values.name)
    if isinstance(values, pd.DataFrame):
        return pd.DataFrame(result, index=values.index, columns=values.columns)
    return result[()] if result.ndim == 0 else result


@dataclass(frozen=True, slots=True)
class OutputFormat:
    """How results leave torchstats: the kind of container and the labels to attach.

    Attributes
    ----------
    kind : {"pandas", "numpy", "torch"}
        Container type, mirroring the input.
    param_names : tuple of str
        Labels of the parameters (index of ``params``, rows/columns of ``cov_params()``).
    row_index : pandas.Index or None
        Labels of the observations used in the fit (after dropping missing rows).
    """

    kind: OutputKind
    param_names: tuple[str, ...]
    row_index: pd.Index | None = None

    def params(self, values: torch.Tensor, name: str | None = None) -> Any:
        """A per-parameter vector: ``pd.Series`` indexed by parameter names, ndarray or tensor."""
        if self.kind == "pandas":
            return pd.Series(to_numpy(values), index=list(self.param_names), name=name)
        return self.plain(values)

    def matrix(self, values: torch.Tensor) -> Any:
        """A parameter-by-parameter matrix: labelled ``pd.DataFrame``, ndarray or tensor."""
        if self.kind == "pandas":
            names = list(self.param_names)
            return pd.DataFrame(to_numpy(values), index=names, columns=names)
        return self.plain(values)

    def table(self, values: torch.Tensor, columns: Sequence[Any]) -> Any:
        """A parameter-by-statistic table such as ``conf_int()``."""
        if self.kind == "pandas":
            return pd.DataFrame(
                to_numpy(values), index=list(self.param_names), columns=list(columns)
            )
        return self.plain(values)

    def observations(self, values: torch.Tensor, index: pd.Index | None = None) -> Any:
        """A per-observation vector (residuals, fitted values, predictions)."""
        if self.kind == "pandas":
            labels = index if index is not None else self.row_index
            return pd.Series(to_numpy(values), index=labels)
        return self.plain(values)

    def observation_table(
        self, values: torch.Tensor, columns: Sequence[Any], index: pd.Index | None = None
    ) -> Any:
        """Several values per observation, shape (n, m): a DataFrame with ``columns`` (one
        per outcome, say) for pandas input, else unlabelled."""
        if self.kind == "pandas":
            labels = index if index is not None else self.row_index
            return pd.DataFrame(to_numpy(values), index=labels, columns=list(columns))
        return self.plain(values)

    def plain(self, values: torch.Tensor) -> Any:
        """Unlabelled output: the tensor itself for torch input, else a numpy array."""
        return values if self.kind == "torch" else to_numpy(values)


def host_arrays(value: Any) -> Any:
    """Tensors (also inside a tuple) as numpy arrays, 0-d ones as ``np.float64``; anything
    else unchanged."""
    if isinstance(value, torch.Tensor):
        array = value.detach().cpu().numpy()
        return np.float64(array) if array.ndim == 0 and array.dtype.kind == "f" else array
    if isinstance(value, tuple):
        return tuple(host_arrays(v) for v in value)
    return value


def _tensor_argument(value: Any, first: bool) -> Any:
    """An array-like argument (numbers too, for the first) as a float64 tensor."""
    if isinstance(value, (np.ndarray, pd.Series, list)) or (
        first and isinstance(value, (float, int, np.number)) and not isinstance(value, bool)
    ):
        return torch.as_tensor(np.asarray(value, dtype=np.float64))
    return value


def accepts_arrays(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method(self, values, ...)`` written for tensors, also callable as statsmodels'
    functions are, with numpy arrays, pandas Series, lists or numbers: those become float64
    tensors and what it returns numpy (``np.float64`` for a scalar). Tensors pass through
    untouched (one ``isinstance`` check)."""
    if getattr(method, "_accepts_arrays", False):
        return method

    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not args or isinstance(args[0], torch.Tensor):
            return method(self, *args, **kwargs)
        args = tuple(_tensor_argument(a, i == 0) for i, a in enumerate(args))
        kwargs = {k: _tensor_argument(v, False) for k, v in kwargs.items()}
        return host_arrays(method(self, *args, **kwargs))

    run._accepts_arrays = True  # type: ignore[attr-defined]
    return run


def arrays_in_public_methods(cls: type) -> None:
    """Wrap ``cls``'s public methods and ``__call__`` (its own and inherited ones) with
    :func:`accepts_arrays`; for families, links and variance functions, whose statsmodels
    counterparts take numpy."""
    for name in dir(cls):
        if name.startswith("_") and name != "__call__":
            continue
        member = inspect.getattr_static(cls, name)
        if isinstance(member, types.FunctionType) and not getattr(member, "_accepts_arrays", False):
            setattr(cls, name, accepts_arrays(member))

"""Errors and warnings raised by torchstats, grouped by the phase that raises them.

Every error derives from :class:`TorchstatsError`, so ``except ts.TorchstatsError``
catches all of them; each also derives from the builtin exception a caller would
expect (``ValueError``, ``KeyError``, ``TypeError``, ``RuntimeError``), so code
written against statsmodels' exceptions keeps working.
"""

from __future__ import annotations

import functools
import sys
import warnings
from pathlib import Path
from types import FrameType

__all__ = [
    "TorchstatsError",
    "DesignError",
    "UnknownColumnError",
    "NonNumericDataError",
    "MissingDataError",
    "EmptyDataError",
    "ShapeMismatchError",
    "RowLabelError",
    "UnseenLevelError",
    "InvalidWeightsError",
    "SingularDesignError",
    "InvalidOptionError",
    "ConstraintError",
    "DeviceError",
    "DistributedError",
    "NumericalError",
    "NumericalRangeError",
    "AutogradError",
    "TorchstatsWarning",
    "ConvergenceWarning",
    "CollinearityWarning",
    "PerfectSeparationWarning",
    "PerfectSeparationError",
    "HessianWarning",
    "LeverageWarning",
    "DegreesOfFreedomWarning",
    "DomainWarning",
    "SpecificationWarning",
    "NumbersAsTextWarning",
    "warn",
]


class TorchstatsError(Exception):
    """Base class of every error torchstats raises."""


# --- design phase: turning user data into a design matrix -------------------------------


class DesignError(TorchstatsError, ValueError):
    """The data or formula cannot be turned into a valid design."""


class UnknownColumnError(DesignError, KeyError):
    """A formula names a variable that is neither a data column nor in the caller's scope."""

    def __str__(self) -> str:  # KeyError would otherwise quote the whole message
        return str(self.args[0]) if self.args else ""


class NonNumericDataError(DesignError, TypeError):
    """A column used as numeric holds strings, objects or other non-numeric values."""


class MissingDataError(DesignError):
    """Missing values (NaN/None) where ``missing="raise"`` forbids them."""


class EmptyDataError(DesignError):
    """No observations are left, or fewer observations than parameters."""


class ShapeMismatchError(DesignError):
    """Arrays that must align (endog, exog, weights, new data) have incompatible shapes."""


class RowLabelError(ShapeMismatchError):
    """A pandas per-row argument (weights, offset, cluster groups) is indexed by labels that
    are not the data's row labels, so it cannot be matched to the rows by label."""


class UnseenLevelError(DesignError):
    """New data for ``predict`` holds a categorical level that was not seen in the fit."""


class InvalidWeightsError(DesignError):
    """Weights are negative, NaN, infinite or all zero."""


# --- solve phase -------------------------------------------------------------------------


class SingularDesignError(TorchstatsError, ValueError):
    """The design (or Hessian) is singular where the chosen method needs full rank."""


class NumericalError(TorchstatsError, RuntimeError):
    """A computation produced non-finite values (overflow, NaN log-likelihood, ...)."""


class NumericalRangeError(NumericalError, OverflowError):
    """A quantity lies beyond float64's range (above ~1.8e308 or below ~2.2e-308), e.g. the
    sum of squared residuals of a response scaled by 1e300, though the fit itself is fine."""


# --- options and environment -------------------------------------------------------------


class InvalidOptionError(TorchstatsError, ValueError):
    """An option (method, cov_type, missing, dtype, ...) has a value outside its choices."""


class ConstraintError(TorchstatsError, ValueError):
    """A hypothesis (a constraint string, or ``R`` and ``q``) is malformed or names an unknown
    parameter."""


class DeviceError(TorchstatsError, RuntimeError):
    """The requested device cannot be used (e.g. ``"cuda"`` on a machine without a GPU)."""


class DistributedError(TorchstatsError, RuntimeError):
    """A process of a distributed fit stopped: it failed with an error that cannot be sent
    to the other processes, or it died (crashed, killed) without reporting."""


class AutogradError(TorchstatsError, TypeError):
    """Autograd cannot give the derivatives asked for: a custom log-likelihood or loss is
    computed outside torch (numpy, scipy, ``.item()``) or detached from the parameters, or
    passes through a Function that cannot be differentiated twice (``@once_differentiable``)."""


class PerfectSeparationError(TorchstatsError, ValueError):
    """A binary-response model is perfectly separated and has no finite maximum."""


# --- warnings ------------------------------------------------------------------------------


class TorchstatsWarning(UserWarning):
    """Base class of every warning torchstats issues."""


class ConvergenceWarning(TorchstatsWarning):
    """An iterative solver stopped before meeting its convergence criterion."""


class CollinearityWarning(TorchstatsWarning):
    """The design is rank deficient or nearly so; some parameters are not identified."""


class PerfectSeparationWarning(TorchstatsWarning):
    """A binary-response model is (quasi-)perfectly separated; some estimates diverge."""


class HessianWarning(TorchstatsWarning):
    """The Hessian is not negative definite at the estimate; standard errors are unreliable."""


class LeverageWarning(TorchstatsWarning):
    """An observation has leverage one (the fit reproduces it exactly): what divides by
    ``1 - h`` (HC2/HC3, studentized residuals, Cook's distance) is undefined for it."""


class DegreesOfFreedomWarning(TorchstatsWarning):
    """No residual degrees of freedom are left (``df_resid = 0``): the estimated scale and
    the inference built on it are undefined (inf or NaN)."""


class DomainWarning(TorchstatsWarning):
    """A GLM link does not map onto the family's range of means (e.g. identity for Poisson)."""


class SpecificationWarning(TorchstatsWarning):
    """An option is combined with a setting it is not fully valid for (statsmodels' name)."""


class NumbersAsTextWarning(TorchstatsWarning):
    """A text (object) column whose values all read as numbers enters a formula as a factor."""


_PACKAGE_DIR = str(Path(__file__).resolve().parent)


def warn(message: str, category: type[Warning]) -> None:
    """Issue a warning attributed to the first frame outside torchstats (the user's call).

    A fixed ``stacklevel`` would point into torchstats whenever the same solver is reached
    through a different number of internal calls.
    """
    level = 2  # stacklevel 2 is warn()'s caller; go further out while inside torchstats
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and (
        frame.f_code.co_filename.startswith(_PACKAGE_DIR)
        or frame.f_code.co_filename == functools.__file__  # a cached_property of ours
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)

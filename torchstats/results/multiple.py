"""The results of a multiple estimation: a list of fits with pyfixest's accessors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd

from torchstats.summary.side_by_side import etable

__all__ = ["MultipleResults"]


class MultipleResults:
    """Several fitted models, in estimation order (pyfixest's ``FixestMulti``).

    Iterate, index by position, or look up by label (``all_fitted_models``); the ``coef``,
    ``se``, ``tstat``, ``pvalue``, ``confint`` and ``tidy`` tables stack every model's with
    the model's label as the outer index level; :meth:`vcov` gives every model another
    covariance; :meth:`etable` puts them side by side.

    Parameters
    ----------
    fits : mapping of str to results
        Each model's label (its formula, with the sample for ``split``) and its results.
    """

    def __init__(self, fits: Mapping[str, Any]) -> None:
        self._fits = dict(fits)

    @property
    def all_fitted_models(self) -> dict[str, Any]:
        """The results by label, pyfixest's name."""
        return dict(self._fits)

    def to_list(self) -> list[Any]:
        """The results, in estimation order."""
        return list(self._fits.values())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._fits.values())

    def __len__(self) -> int:
        return len(self._fits)

    def __getitem__(self, position: int) -> Any:
        return self.to_list()[position]

    def _stacked(self, table: str) -> pd.DataFrame | pd.Series:
        parts = {label: getattr(fit, table)() for label, fit in self._fits.items()}
        return pd.concat(parts, names=["Model", "Coefficient"])

    def coef(self) -> pd.Series:
        """Every model's coefficients."""
        return self._stacked("coef")

    def se(self) -> pd.Series:
        """Every model's standard errors."""
        return self._stacked("se")

    def tstat(self) -> pd.Series:
        """Every model's t statistics."""
        return self._stacked("tstat")

    def pvalue(self) -> pd.Series:
        """Every model's p-values."""
        return self._stacked("pvalue")

    def confint(self) -> pd.DataFrame:
        """Every model's 95% confidence intervals."""
        return self._stacked("confint")

    def tidy(self) -> pd.DataFrame:
        """Every model's ``tidy()`` table."""
        return self._stacked("tidy")

    def vcov(
        self, vcov: str | Mapping[str, str], ssc: Mapping[str, object] | None = None
    ) -> MultipleResults:
        """The same fits with another covariance for every model (pyfixest's
        ``FixestMulti.vcov``; these results are left unchanged)."""
        return MultipleResults({label: fit.vcov(vcov, ssc) for label, fit in self._fits.items()})

    def etable(self, **options: Any) -> Any:
        """The models side by side (:func:`torchstats.etable`)."""
        return etable(self.to_list(), **options)

    def __repr__(self) -> str:
        labels = "\n".join(f"  {label}" for label in self._fits)
        return f"<torchstats.MultipleResults of {len(self)} models>\n{labels}"

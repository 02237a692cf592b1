"""statsmodels' family and link objects read as torchstats' own.

A script half-way through a migration passes ``sm.families.Poisson()`` (or
``sm.families.Gamma(sm.families.links.Log())``) to ``ts.GLM``. Each statsmodels family and
link has a torchstats class of the same name; this module builds it with the same
parameters (``alpha``, ``var_power``, ``eql``, a power link's ``power``). statsmodels is not
imported: its objects are recognised by their module.
"""

from __future__ import annotations

from typing import Any

from torchstats.families import families as F
from torchstats.families import links as L

__all__ = ["from_statsmodels_family"]

_FAMILIES_MODULE = "statsmodels.genmod.families"


def from_statsmodels_family(family: Any) -> F.Family | None:
    """The torchstats family equal to a statsmodels family object, or None when ``family``
    is not one.

    Raises
    ------
    TypeError
        A statsmodels family or link without a torchstats counterpart.
    """
    if not type(family).__module__.startswith(_FAMILIES_MODULE):
        return None
    name = type(family).__name__
    family_class = getattr(F, name, None)
    if not (isinstance(family_class, type) and issubclass(family_class, F.Family)):
        raise TypeError(f"statsmodels' {name} family has no torchstats counterpart")
    options: dict[str, Any] = {
        "link": _link(family.link),
        "check_link": bool(getattr(family, "_check_link", True)),
    }
    if family_class is F.NegativeBinomial:
        options["alpha"] = float(family.alpha)
    if family_class is F.Tweedie:
        options["var_power"] = float(family.var_power)
        options["eql"] = bool(family.eql)
    return family_class(**options)


def _link(link: Any) -> L.Link:
    name = type(link).__name__
    link_class = getattr(L, name, None)
    if not (isinstance(link_class, type) and issubclass(link_class, L.Link)):
        raise TypeError(f"statsmodels' {name} link has no torchstats counterpart")
    if link_class is L.Power:
        return L.Power(power=float(link.power))
    if link_class is L.NegativeBinomial:
        return L.NegativeBinomial(alpha=float(link.alpha))
    return link_class()

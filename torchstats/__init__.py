"""torchstats: statsmodels-style statistical modelling on PyTorch.

>>> import torchstats as ts
>>> res = ts.ols("y ~ x1 + np.log(x2) + C(region)", df).fit()   # doctest: +SKIP
>>> res.params, res.bse, res.summary()                            # doctest: +SKIP
"""

from torchstats import datasets, errors
from torchstats.api import ols, wls
from torchstats.errors import (
    CollinearityWarning,
    ConvergenceWarning,
    TorchstatsError,
    TorchstatsWarning,
)
from torchstats.models.linear import OLS, WLS
from torchstats.results.regression import RegressionResults

__version__ = "0.1.0"

__all__ = [
    "OLS",
    "WLS",
    "ols",
    "wls",
    "RegressionResults",
    "TorchstatsError",
    "TorchstatsWarning",
    "ConvergenceWarning",
    "CollinearityWarning",
    "datasets",
    "errors",
]

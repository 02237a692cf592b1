"""torchstats: statsmodels-style statistical modelling on PyTorch.

>>> import torchstats as ts
>>> res = ts.ols("y ~ x1 + np.log(x2) + C(region)", df).fit()   # doctest: +SKIP
>>> res.params, res.bse, res.summary()                            # doctest: +SKIP
"""

from torchstats import datasets, errors, families, graphics, stats
from torchstats.api import (
    batched_ols,
    batched_wls,
    generalizedpoisson,
    glm,
    hurdlecountmodel,
    logit,
    mnlogit,
    negativebinomial,
    negativebinomialp,
    ols,
    ordered_model,
    poisson,
    probit,
    truncatedlfnegativebinomialp,
    truncatedlfpoisson,
    wls,
    zeroinflatedgeneralizedpoisson,
    zeroinflatednegativebinomialp,
    zeroinflatedpoisson,
)
from torchstats.autodiff.hessian import gradient, hessian, hessian_diag, hvp
from torchstats.errors import (
    CollinearityWarning,
    ConvergenceWarning,
    DomainWarning,
    HessianWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
    TorchstatsError,
    TorchstatsWarning,
)
from torchstats.formula.constant import add_constant
from torchstats.graphics.gofplots import qqline, qqplot
from torchstats.inference.anova import anova_lm
from torchstats.inference.glm_anova import anova_glm
from torchstats.models.batched_ols import BatchedOLS
from torchstats.models.binary import Logit, Probit
from torchstats.models.count import NegativeBinomial, Poisson
from torchstats.models.generalized_count import GeneralizedPoisson, NegativeBinomialP
from torchstats.models.generic import MLE, GenericLikelihoodModel
from torchstats.models.glm import GLM
from torchstats.models.hurdle import HurdleCountModel
from torchstats.models.linear import OLS, WLS
from torchstats.models.module import module_inference
from torchstats.models.multinomial import MNLogit
from torchstats.models.ordinal import OrderedModel
from torchstats.models.streaming import StreamingOLS
from torchstats.models.streaming_discrete import StreamingDiscrete
from torchstats.models.streaming_glm import StreamingGLM
from torchstats.models.truncated import TruncatedLFNegativeBinomialP, TruncatedLFPoisson
from torchstats.models.zero_inflated import (
    ZeroInflatedGeneralizedPoisson,
    ZeroInflatedNegativeBinomialP,
    ZeroInflatedPoisson,
)
from torchstats.results.discrete import BinaryResults, CountResults, NegativeBinomialResults
from torchstats.results.generalized_count import (
    GeneralizedPoissonResults,
    NegativeBinomialPResults,
)
from torchstats.results.glm import GLMResults
from torchstats.results.margins import DiscreteMargins
from torchstats.results.multinomial import MultinomialResults
from torchstats.results.ordinal import OrderedResults
from torchstats.results.persistence import load
from torchstats.results.regression import RegressionResults
from torchstats.results.regularized import (
    L1BinaryResults,
    L1MultinomialResults,
    L1NegativeBinomialResults,
    L1PoissonResults,
    RegularizedResults,
)
from torchstats.results.truncated import HurdleCountResults, TruncatedLFResults
from torchstats.results.zero_inflated import (
    ZeroInflatedGeneralizedPoissonResults,
    ZeroInflatedNegativeBinomialResults,
    ZeroInflatedPoissonResults,
)
from torchstats.summary.side_by_side import etable
from torchstats.summary.summary2 import summary_col

__version__ = "0.1.0"

__all__ = [
    "OLS",
    "WLS",
    "GLM",
    "Logit",
    "Probit",
    "Poisson",
    "NegativeBinomial",
    "MNLogit",
    "NegativeBinomialP",
    "GeneralizedPoisson",
    "ZeroInflatedPoisson",
    "ZeroInflatedNegativeBinomialP",
    "ZeroInflatedGeneralizedPoisson",
    "OrderedModel",
    "TruncatedLFPoisson",
    "TruncatedLFNegativeBinomialP",
    "HurdleCountModel",
    "StreamingOLS",
    "StreamingGLM",
    "StreamingDiscrete",
    "BatchedOLS",
    "ols",
    "wls",
    "batched_ols",
    "batched_wls",
    "glm",
    "logit",
    "probit",
    "poisson",
    "negativebinomial",
    "mnlogit",
    "negativebinomialp",
    "generalizedpoisson",
    "zeroinflatedpoisson",
    "zeroinflatednegativebinomialp",
    "zeroinflatedgeneralizedpoisson",
    "ordered_model",
    "truncatedlfpoisson",
    "truncatedlfnegativebinomialp",
    "hurdlecountmodel",
    "add_constant",
    "qqplot",
    "qqline",
    "anova_lm",
    "summary_col",
    "etable",
    "anova_glm",
    "load",
    "hessian",
    "hvp",
    "hessian_diag",
    "gradient",
    "MLE",
    "GenericLikelihoodModel",
    "module_inference",
    "RegressionResults",
    "GLMResults",
    "DiscreteMargins",
    "BinaryResults",
    "OrderedResults",
    "CountResults",
    "NegativeBinomialResults",
    "MultinomialResults",
    "NegativeBinomialPResults",
    "GeneralizedPoissonResults",
    "ZeroInflatedPoissonResults",
    "ZeroInflatedNegativeBinomialResults",
    "ZeroInflatedGeneralizedPoissonResults",
    "TruncatedLFResults",
    "HurdleCountResults",
    "RegularizedResults",
    "L1BinaryResults",
    "L1PoissonResults",
    "L1NegativeBinomialResults",
    "L1MultinomialResults",
    "TorchstatsError",
    "TorchstatsWarning",
    "ConvergenceWarning",
    "CollinearityWarning",
    "HessianWarning",
    "DomainWarning",
    "PerfectSeparationWarning",
    "PerfectSeparationError",
    "datasets",
    "families",
    "graphics",
    "errors",
    "stats",
]

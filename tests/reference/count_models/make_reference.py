"""Copy statsmodels' stored reference values for its count-model tests into reference.json.

statsmodels checks ``GeneralizedPoisson``, ``NegativeBinomialP`` and its zero-inflated
models against these values (``discrete/tests/test_discrete.py``:
``TestGeneralizedPoisson_p2``, ``TestNegativeBinomialPNB2Newton``;
``discrete/tests/test_count_model.py``: ``TestZeroInflatedModel_logit``, ``_probit``,
``_offset``, ``TestZeroInflatedGeneralizedPoisson``, ``TestZeroInflatedNegativeBinomialP``).
They come from Stata (``gnpoisson``, ``nbreg``, ``zip``, ``zinb``) and R (``MASS::glm.nb``)
on the RAND health insurance data and are stored in statsmodels'
``discrete/tests/results/results_discrete.py`` (``RandHIE``). Run with statsmodels
installed::

    python tests/reference/count_models/make_reference.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import statsmodels
from statsmodels.discrete.tests.results.results_discrete import RandHIE


def _plain(value):
    return np.asarray(value, dtype=float).tolist()


def _fields(result, names):
    return {name: _plain(getattr(result, name)) for name in names if hasattr(result, name)}


def main() -> None:
    zi_fields = ("params", "bse", "llf", "conf_int", "aic", "bic")
    reference = {
        "statsmodels": statsmodels.__version__,
        "randhie_gp2": _fields(
            RandHIE.generalizedpoisson_gp2,
            ("params", "bse", "llf", "lnalpha", "lnalpha_std_err", "aic", "bic", "conf_int"),
        ),
        "randhie_nb2": _fields(
            RandHIE.negativebinomial_nb2_bfgs, ("params", "bse", "llf", "aic", "bic")
        ),
        "randhie_zip_logit": _fields(RandHIE.zero_inflated_poisson_logit, zi_fields),
        "randhie_zip_probit": _fields(RandHIE.zero_inflated_poisson_probit, zi_fields),
        "randhie_zip_offset": _fields(RandHIE.zero_inflated_poisson_offset, zi_fields),
        "randhie_zigp": _fields(RandHIE.zero_inflated_generalized_poisson, zi_fields),
        "randhie_zinb": _fields(RandHIE.zero_inflated_negative_binomial, zi_fields),
    }
    path = Path(__file__).with_name("reference.json")
    path.write_text(json.dumps(reference, indent=1) + "\n")


if __name__ == "__main__":
    main()

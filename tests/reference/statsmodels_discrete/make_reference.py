"""Copy statsmodels' stored reference values for its optimizer tests into reference.json.

statsmodels checks every optimizer of ``LikelihoodModel.fit`` against these values (its
``discrete/tests/test_discrete.py``: ``TestProbitBFGS`` ... ``TestLogitBFGS``,
``TestNegativeBinomialNB2BFGS``, ``TestNegativeBinomialNB1BFGS``); they come from Stata
(spector ``logit``/``probit``, randhie ``nbreg``) and are stored in statsmodels'
``discrete/tests/results/results_discrete.py``. Run with statsmodels installed::

    python tests/reference/statsmodels_discrete/make_reference.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import statsmodels
from statsmodels.discrete.tests.results.results_discrete import RandHIE, Spector

FIELDS = ("params", "bse", "llf", "llnull", "z", "pvalues", "aic", "bic")
NEGBIN_FIELDS = ("params", "bse", "llf", "lnalpha", "lnalpha_std_err", "aic", "bic")


def _plain(value):
    return np.asarray(value, dtype=float).tolist()


def main() -> None:
    reference = {
        "statsmodels": statsmodels.__version__,
        "spector_logit": {f: _plain(getattr(Spector.logit, f)) for f in FIELDS},
        "spector_probit": {f: _plain(getattr(Spector.probit, f)) for f in FIELDS},
        "randhie_nb2_bfgs": {
            f: _plain(getattr(RandHIE.negativebinomial_nb2_bfgs, f)) for f in NEGBIN_FIELDS
        },
        "randhie_nb1_bfgs": {
            f: _plain(getattr(RandHIE.negativebinomial_nb1_bfgs, f)) for f in NEGBIN_FIELDS
        },
    }
    path = Path(__file__).with_name("reference.json")
    path.write_text(json.dumps(reference, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""Copy Stata's marginal effects that statsmodels' tests carry into reference.json.

statsmodels checks ``get_margeff`` against Stata (``margins`` and the older ``margeff``)
in ``discrete/tests/test_discrete.py`` (``CheckMargEff`` on ``Spector.logit``,
``TestPoissonNewton`` on ``RandHIE.poisson``, ``CheckMNLogitBaseZero`` on
``Anes.mnlogit_basezero``) and ``discrete/tests/test_margins.py`` (Poisson and NB2 on the
cpunish data, ``results_count_margins``). The values are stored in
``discrete/tests/results/results_discrete.py`` and ``results_count_margins.py``. Run with
statsmodels installed::

    python tests/reference/margins_stata/make_reference.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import statsmodels
from statsmodels.discrete.tests.results import results_count_margins as count_margins
from statsmodels.discrete.tests.results.results_discrete import Anes, RandHIE, Spector


def _plain(value):
    return np.asarray(value, dtype=float).tolist()


def _prefixed(obj, prefix: str) -> dict:
    return {k: _plain(v) for k, v in vars(obj).items() if k.startswith(prefix)}


def _margins_table(bunch) -> dict:
    """Stata's ``margins`` table: b, se, z, pvalue, ll, ul per regressor."""
    table = np.asarray(bunch.margins_table)
    columns = list(bunch.margins_table_colnames)
    return {
        "rownames": list(bunch.margins_table_rownames),
        **{
            name: _plain(table[:, columns.index(name)])
            for name in ("b", "se", "pvalue", "ll", "ul")
        },
    }


def main() -> None:
    reference = {
        "statsmodels": statsmodels.__version__,
        "spector_logit": _prefixed(Spector.logit, "margeff_"),
        "randhie_poisson": _prefixed(RandHIE.poisson, "margeff_"),
        "anes_mnlogit": _prefixed(Anes.mnlogit_basezero, "margeff_"),
        "cpunish_poisson_cont": _margins_table(count_margins.results_poisson_margins_cont),
        "cpunish_poisson_dummy": _margins_table(count_margins.results_poisson_margins_dummy),
        "cpunish_negbin_cont": _margins_table(count_margins.results_negbin_margins_cont),
        "cpunish_negbin_dummy": _margins_table(count_margins.results_negbin_margins_dummy),
    }
    path = Path(__file__).with_name("reference.json")
    path.write_text(json.dumps(reference, indent=1) + "\n")


if __name__ == "__main__":
    main()

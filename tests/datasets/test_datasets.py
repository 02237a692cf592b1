"""``ts.datasets.longley`` against ``statsmodels.datasets.longley``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import torchstats as ts

NAMES = ["data", "names", "endog", "exog", "endog_name", "exog_name", "raw_data"]
TEXTS = ["TITLE", "SOURCE", "DESCRSHORT", "DESCRLONG", "NOTE", "COPYRIGHT"]


@pytest.mark.parametrize("loader", ["load_pandas", "load"])
@pytest.mark.parametrize("name", NAMES)
def test_dataset_attributes_equal_statsmodels(loader: str, name: str) -> None:
    ours = getattr(getattr(ts.datasets.longley, loader)(), name)
    theirs = getattr(getattr(sm.datasets.longley, loader)(), name)
    assert type(ours) is type(theirs)
    if isinstance(theirs, pd.DataFrame):
        pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
    elif isinstance(theirs, pd.Series):
        pd.testing.assert_series_equal(ours, theirs, check_exact=True)
    else:
        assert ours == theirs


def test_description_strings_are_there() -> None:
    for name in TEXTS:
        assert isinstance(getattr(ts.datasets.longley, name), str)
    assert ts.datasets.longley.TITLE == sm.datasets.longley.TITLE
    assert ts.datasets.longley.COPYRIGHT == sm.datasets.longley.COPYRIGHT
    for column in sm.datasets.longley.load_pandas().names:
        assert column in ts.datasets.longley.NOTE


def test_calling_longley_still_gives_the_frame() -> None:
    frame = ts.datasets.longley()
    assert isinstance(frame, pd.DataFrame) and frame.shape == (16, 7)
    pd.testing.assert_frame_equal(frame, ts.datasets.load("longley"))
    np.testing.assert_array_equal(frame.to_numpy(float), sm.datasets.longley.load().data)


def test_dataset_fits_like_statsmodels() -> None:
    """The statsmodels idiom ``OLS(data.endog, add_constant(data.exog))``."""
    data = ts.datasets.longley.load_pandas()
    ours = ts.OLS(data.endog, sm.add_constant(data.exog)).fit()
    theirs = sm.OLS(data.endog, sm.add_constant(data.exog)).fit()
    pd.testing.assert_series_equal(ours.params, theirs.params, rtol=1e-7)
    assert repr(data) == (
        "Dataset(endog_name='TOTEMP', exog_name=['GNPDEFL', 'GNP', 'UNEMP', 'ARMED', 'POP', "
        "'YEAR'])"
    )

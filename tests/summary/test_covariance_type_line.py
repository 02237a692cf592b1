"""The summary under every cov_type (its "Covariance Type:" line and the notes) reads as
statsmodels' does, for OLS, a GLM and Logit."""

from __future__ import annotations

import pytest

from tests.covariance.test_panel_covariances import (
    LEAST_SQUARES_ONLY,
    SPECS,
    _kwds,
    _models,
    _panel,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

COV_TYPES = {
    **{name: spec for name, spec in SPECS.items() if not name.endswith("-scaled")},
    **LEAST_SQUARES_ONLY,
    "nonrobust": ("nonrobust", {}),
    "hc1-lower-case": ("hc1", {}),
    "HC3": ("HC3", {}),
    "HAC": ("HAC", {"maxlags": 2}),
    "cluster": ("cluster", {"groups": "unit"}),
    "cluster-scaled": SPECS["cluster-scaled"],
}
CASES = [
    (kind, name)
    for kind in ("ols", "glm-poisson", "logit")
    for name in COV_TYPES
    if kind == "ols" or name not in LEAST_SQUARES_ONLY
    if not (kind == "ols" and name == "cluster-scaled")  # statsmodels' OLS ignores it
]


def _lines(results) -> list[str]:
    return [
        line
        for line in str(results.summary()).splitlines()
        if not line.startswith(("Date:", "Time:")) and "Date:" not in line and "Time:" not in line
    ]


@pytest.mark.parametrize(("kind", "name"), CASES, ids=lambda v: str(v))
def test_summary_lines_match_statsmodels(kind, name):
    frame = _panel(0)
    cov_type, spec = COV_TYPES[name]
    ours_model, theirs_model = _models(kind, frame)
    extra = {"disp": 0} if kind == "logit" else {}
    ours = ours_model.fit(
        cov_type=cov_type, cov_kwds=_kwds(frame, spec, statsmodels=False), **extra
    )
    theirs = theirs_model.fit(
        cov_type=cov_type, cov_kwds=_kwds(frame, spec, statsmodels=True), **extra
    )
    expected = _lines(theirs)
    assert [line for line in expected if "Covariance Type:" in line]
    if kind != "ols" and cov_type == "HC3":
        # the numbers differ on purpose: statsmodels' GLM/discrete "HC3" is HC0, torchstats'
        # is R's HC3 (tests/covariance/test_glm_hc_against_r.py); the header must agree
        header = [line for line in expected if "Covariance Type:" in line]
        assert [line for line in _lines(ours) if "Covariance Type:" in line] == header
        return
    assert _lines(ours) == expected

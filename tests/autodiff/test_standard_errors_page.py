"""docs/standard-errors.md runs as written, and its claims hold (beyond its own asserts)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import statsmodels.api as sm
import torch

PAGE = Path(__file__).resolve().parents[2] / "docs" / "standard-errors.md"


def _run_page() -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "docs_standard_errors"}
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    assert len(blocks) >= 8
    for code in blocks:
        exec(compile(code, str(PAGE), "exec"), namespace)
    return namespace


def test_page_runs_and_its_claims_hold():
    ns = _run_page()
    H, net = ns["H"], ns["net"]
    assert H.shape == (41, 41) and ns["H_head"].shape == (9, 9)
    assert all(p.requires_grad for p in net.parameters())  # the page unfroze the layer
    assert list(ns["table"].index[:1]) == ["0.weight[0,0]"]
    assert list(ns["H2"].index) == ["mu", "log_sigma"]

    X, y = ns["X"].numpy(), ns["y"].numpy()
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    res = ns["res"]
    np.testing.assert_allclose(res.bse.to_numpy(), ols.bse[[1, 2, 3, 0]], rtol=1e-9)
    np.testing.assert_allclose(res.pvalues.to_numpy(), ols.pvalues[[1, 2, 3, 0]], rtol=1e-7)

    labels = ns["labels"].numpy()
    logit = sm.Logit(labels, sm.add_constant(X)).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(ns["res_clf"].bse.to_numpy(), logit.bse[[1, 2, 3, 0]], rtol=1e-6)

    full, exponential = ns["full"], ns["exponential"]
    waits = ns["waits"].numpy()
    np.testing.assert_allclose(exponential.params["rate"], 1 / waits.mean(), rtol=1e-10)
    assert full.converged and full.mle_retvals["iterations"] < 15
    tests = [exponential.score_test(), full.lr_test(exponential), full.wald_test("shape = 1")]
    assert all(t.df == 1 and t.pvalue < 0.01 for t in tests)

    probit = sm.Probit(ns["outcome"], ns["design"]).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(ns["probit"].bse, probit.bse, rtol=1e-9)
    assert torch.is_tensor(ns["v"])

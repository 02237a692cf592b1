"""The thread policy: one thread for small designs, the idle cores for large ones, capped by
torch.get_num_threads() and restored after each fit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import torchstats as ts
from torchstats import _threads


@pytest.fixture
def four_threads(monkeypatch):
    """torch at 4 threads on 4 usable cores, restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(4)
    monkeypatch.setattr(_threads, "_usable_cores", lambda: 4)
    monkeypatch.delenv("TORCHSTATS_THREADS", raising=False)
    yield
    torch.set_num_threads(before)


def _load(monkeypatch, value, running=1):
    monkeypatch.setattr(_threads.os, "getloadavg", lambda: (value, value, value))
    monkeypatch.setattr(_threads, "_running_threads", lambda: running)


def test_small_designs_run_on_one_thread(four_threads, monkeypatch):
    _load(monkeypatch, 0.0)
    assert _threads.threads_for(100 * 10) == 1
    assert _threads.threads_for(_threads.SMALL_DESIGN - 1) == 1


@pytest.mark.parametrize(
    ("load", "expected"), [(0.0, 4), (1.0, 4), (2.0, 3), (3.2, 2), (3.6, 1), (9.0, 1)]
)
def test_large_designs_use_the_idle_cores(four_threads, monkeypatch, load, expected):
    # the load average counts this process's own thread: a load of 1 leaves every core idle
    _load(monkeypatch, load)
    assert _threads.threads_for(10**9) == expected


def test_a_process_that_just_started_counts_before_the_average_catches_up(
    four_threads, monkeypatch
):
    _load(monkeypatch, 0.5, running=3)  # two other threads running, the average still low
    assert _threads.threads_for(10**9) == 2


def test_the_users_count_caps_and_max_keeps_it(four_threads, monkeypatch):
    _load(monkeypatch, 0.0)
    torch.set_num_threads(2)
    assert _threads.threads_for(10**9) == 2
    monkeypatch.setenv("TORCHSTATS_THREADS", "max")
    assert _threads.threads_for(100) == 2


def test_a_fit_runs_under_the_policy_and_restores_the_count(four_threads, monkeypatch):
    _load(monkeypatch, 0.0)
    seen = []
    real = torch.set_num_threads
    monkeypatch.setattr(torch, "set_num_threads", lambda n: (seen.append(n), real(n)))
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(100), rng.normal(size=(100, 3))])
    y = (rng.uniform(size=100) < 0.5).astype(float)
    for model in (
        lambda: ts.OLS(y, X),
        lambda: ts.Logit(y, X),
        lambda: ts.GLM(y, X, family=ts.families.Binomial()),
    ):
        seen.clear()
        built = model()
        assert seen == [1, 4]  # the constructor
        seen.clear()
        built.fit(disp=0) if isinstance(built, ts.Logit) else built.fit()
        assert seen == [1, 4]
        assert torch.get_num_threads() == 4


class _ThreadsOfEachOperation(TorchDispatchMode):
    """Records torch's thread count at every tensor operation."""

    def __init__(self):
        super().__init__()
        self.counts = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.counts.add(torch.get_num_threads())
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("name", ["OLS", "WLS", "GLM", "Logit", "Poisson"])
def test_building_fitting_and_reading_results_all_run_on_the_policys_threads(
    four_threads, monkeypatch, name
):
    _load(monkeypatch, 0.0)
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(200), rng.normal(size=(200, 3))])
    y = rng.poisson(1.0, size=200).astype(float)
    models = {
        "OLS": lambda: ts.OLS(y, X),
        "WLS": lambda: ts.WLS(y, X, weights=1.0 + X[:, 1] ** 2),
        "GLM": lambda: ts.GLM(y, X, family=ts.families.Poisson()),
        "Logit": lambda: ts.Logit((y > 0).astype(float), X),
        "Poisson": lambda: ts.Poisson(y, X),
    }
    with _ThreadsOfEachOperation() as record:
        model = models[name]()
        results = model.fit(disp=0) if name in ("Logit", "Poisson") else model.fit()
        results.bse, results.summary(), results.resid_pearson if name == "GLM" else None
        results.get_influence().summary_frame()
        results.predict(X[:5])
    assert record.counts == {1}  # never torch's four
    assert torch.get_num_threads() == 4


def test_the_count_is_restored_when_a_fit_raises(four_threads, monkeypatch):
    _load(monkeypatch, 0.0)
    X = np.ones((10, 2))
    with pytest.raises(ValueError):
        ts.OLS(np.ones(10), X).fit(method="no such method")
    assert torch.get_num_threads() == 4


def test_a_formula_sees_the_callers_names_however_the_model_is_called():
    import pandas as pd

    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.normal(size=50)})
    frame["y"] = 1.0 + 2.0 * frame["x"] + rng.normal(size=50)
    scale = 2.0  # noqa: F841 - looked up by the formulas below
    expected = ts.OLS("y ~ x", frame).fit().params["x"] / 2.0
    for model in (
        ts.OLS("y ~ I(x * scale)", frame),
        ts.OLS(endog="y ~ I(x * scale)", exog=frame),
        ts.WLS("y ~ I(x * scale)", frame, weights=np.ones(50)),
        ts.Logit("I(y > 1) ~ I(x * scale)", frame),
    ):
        results = model.fit(disp=0) if isinstance(model, ts.Logit) else model.fit()
        assert "I(x * scale)" in results.params.index
    direct = ts.OLS("y ~ I(x * scale)", frame).fit().params["I(x * scale)"]
    assert direct == pytest.approx(expected, rel=1e-12)

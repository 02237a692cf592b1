"""Two gloo processes on loopback, each streaming half the data, give the one-process fit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch.distributed as dist

import torchstats as ts
from tests.conftest import make_frame
from tests.parity import mask_clock

WORKER = Path(__file__).with_name("distributed_worker.py")

pytestmark = pytest.mark.skipif(
    not dist.is_available() or not dist.is_gloo_available(), reason="torch built without gloo"
)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("distributed")
    init = f"file://{folder / 'rendezvous'}"
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                "--rank",
                str(rank),
                "--world",
                "2",
                "--init",
                init,
                "--out",
                str(folder),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in range(2)
    ]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    return [json.loads((folder / f"rank{rank}.json").read_text()) for rank in range(2)]


def _memory(name: str):
    frame = make_frame(3, n=600)
    formula = "y ~ x1 * C(g) + np.log(x2) + flag"
    if name == "nonrobust":
        return ts.ols(formula, frame).fit()
    if name == "cluster":
        return ts.ols(formula, frame).fit(cov_type="cluster", cov_kwds={"groups": frame["k"]})
    return ts.wls(formula, frame, weights=frame["w"]).fit(cov_type="HC3")


@pytest.mark.parametrize("name", ["nonrobust", "cluster", "HC3"])
def test_both_ranks_get_the_single_process_fit(outputs, name):
    memory = _memory(name)
    for rank_output in outputs:
        result = rank_output[name]
        np.testing.assert_allclose(result["params"], memory.params, rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(result["bse"], memory.bse, rtol=1e-10)
        assert result["nobs"] == memory.nobs
        np.testing.assert_allclose(result["rsquared"], memory.rsquared, rtol=1e-12)
        np.testing.assert_allclose(result["llf"], memory.llf, rtol=1e-12)


def test_summary_including_durbin_watson_across_ranks(outputs):
    expected = mask_clock(str(_memory("nonrobust").summary()))
    assert mask_clock(outputs[0]["nonrobust"]["summary"]) == expected

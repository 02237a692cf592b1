"""Two gloo processes on loopback, each streaming half the data, give the one-process fit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch.distributed as dist

import torchstats as ts
from tests.conftest import make_frame
from tests.parity import mask_clock
from tests.streaming.distributed_worker import with_binary

WORKER = Path(__file__).with_name("distributed_worker.py")
FAILING = Path(__file__).with_name("failing_worker.py")

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
    frame = with_binary(make_frame(3, n=600))
    formula = "y ~ x1 * C(g) + np.log(x2) + flag"
    if name == "glm":
        return ts.glm(formula, frame, var_weights=frame["w"]).fit(
            cov_type="cluster", cov_kwds={"groups": frame["k"]}
        )
    if name == "logit":
        return ts.logit("above ~ x1 + np.log(x2) + C(g)", frame).fit(disp=0, cov_type="HC0")
    if name == "nonrobust":
        return ts.ols(formula, frame).fit()
    if name == "cluster":
        return ts.ols(formula, frame).fit(cov_type="cluster", cov_kwds={"groups": frame["k"]})
    return ts.wls(formula, frame, weights=frame["w"]).fit(cov_type="HC3")


@pytest.mark.parametrize("name", ["nonrobust", "cluster", "HC3", "glm", "logit"])
def test_both_ranks_get_the_single_process_fit(outputs, name):
    memory = _memory(name)
    for rank_output in outputs:
        result = rank_output[name]
        np.testing.assert_allclose(result["params"], memory.params, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(result["bse"], memory.bse, rtol=1e-10)
        assert result["nobs"] == memory.nobs
        np.testing.assert_allclose(result["llf"], memory.llf, rtol=1e-12)


def test_summary_including_durbin_watson_across_ranks(outputs):
    expected = mask_clock(str(_memory("nonrobust").summary()))
    assert mask_clock(outputs[0]["nonrobust"]["summary"]) == expected


def _run_failing(folder: Path, mode: str) -> list[dict]:
    """Both ranks of a fit in which rank 1 fails; rank 1 stays alive after raising unless it
    dies, so rank 0 finishing at all shows that the error reached it."""
    init = f"file://{folder / 'rendezvous'}"
    processes = [
        subprocess.Popen(
            [sys.executable, str(FAILING), "--rank", str(rank), "--init", init]
            + ["--out", str(folder), "--fail", mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for rank in range(2)
    ]
    try:
        # gloo's own timeout is 30 minutes: without the error exchange rank 0 hangs here
        _, err = processes[0].communicate(timeout=120)
        assert processes[0].returncode == 0, err
        if mode == "die":
            processes[1].communicate(timeout=60)
            assert processes[1].returncode == 3
        else:
            for _ in range(120):  # rank 1 writes its outcome right after raising
                if (folder / "rank1.json").exists():
                    break
                time.sleep(0.5)
            assert processes[1].poll() is None, "the failed rank should still be alive"
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
    ranks = [0] if mode == "die" else [0, 1]
    return [json.loads((folder / f"rank{rank}.json").read_text()) for rank in ranks]


@pytest.mark.parametrize("mode", ["raise", "meat", "glm", "logit"])
def test_an_error_on_one_rank_stops_every_rank_with_it(tmp_path, mode):
    from tests.streaming.failing_worker import MESSAGE

    rank0, rank1 = _run_failing(tmp_path, mode)
    # the failing rank raises its own error; the other raises the same type and message,
    # with a note naming where it came from
    assert rank1 == {**rank1, "raised": "OSError", "message": MESSAGE, "notes": []}
    assert rank0["raised"] == "OSError"
    assert rank0["message"] == MESSAGE
    assert any("raised by rank 1 of 2" in note for note in rank0["notes"])


def test_a_rank_that_dies_stops_the_others_with_a_clear_error(tmp_path):
    (rank0,) = _run_failing(tmp_path, "die")
    assert rank0["raised"] == "DistributedError"
    assert "stopped without reporting an error" in rank0["message"]

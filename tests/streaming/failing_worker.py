"""One process of a two-process streamed fit in which rank 1 fails (``test_distributed.py``).

``--fail raise``: rank 1 raises while reading a chunk and stays alive afterwards (as a
notebook or a server would), so only the error exchange can free rank 0. ``--fail die``:
rank 1 exits without a word. ``--fail meat``: rank 1 fails in the cluster pass of a robust
covariance. ``--fail glm`` and ``--fail logit``: rank 1 fails in the third IRLS pass of a
streamed GLM, or in a Newton pass of a streamed Logit. Each process writes what it raised,
and after how long, to ``rank{r}.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torchstats as ts  # noqa: E402
from tests.streaming.distributed_worker import FORMULA, LOGIT_FORMULA, shard  # noqa: E402

MESSAGE = "unreadable chunk 2 on rank 1 (simulated)"


def failing_source(rank: int, mode: str, passes_before_failure: int):
    """A callable source whose rank-1 copy fails on a chunk of a later pass."""
    chunks = shard(rank, 2)
    opened = {"passes": 0}

    def open_chunks():
        opened["passes"] += 1
        for number, chunk in enumerate(chunks):
            if rank == 1 and opened["passes"] > passes_before_failure and number == 2:
                if mode == "die":
                    os._exit(3)
                raise OSError(MESSAGE)
            yield chunk

    return open_chunks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rank", type=int, required=True)
    parser.add_argument("--init", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--fail", choices=["raise", "die", "meat", "glm", "logit"], required=True
    )
    args = parser.parse_args()
    dist.init_process_group("gloo", init_method=args.init, rank=args.rank, world_size=2)
    # The levels pass and the X'X pass come first; 'meat' fails in the pass after the fit's
    # residual passes, when the cluster scores are summed.
    passes = {"raise": 1, "die": 1, "meat": 4, "glm": 5, "logit": 5}[args.fail]
    source = failing_source(args.rank, args.fail, passes)
    started = time.perf_counter()
    outcome: dict[str, object]
    try:
        if args.fail == "glm":
            ts.StreamingGLM(FORMULA, source, distributed=True).fit()
        elif args.fail == "logit":
            ts.StreamingDiscrete("Logit", LOGIT_FORMULA, source, distributed=True).fit(disp=0)
        else:
            fit = ts.StreamingOLS(FORMULA, source, distributed=True).fit()
            if args.fail == "meat":
                fit.get_robustcov_results("cluster", groups="k")
        outcome = {"raised": None}
    except Exception as error:  # noqa: BLE001 - the test inspects whatever was raised
        outcome = {
            "raised": type(error).__name__,
            "message": str(error),
            "notes": list(getattr(error, "__notes__", [])),
        }
    outcome["seconds"] = time.perf_counter() - started
    # written whole, then renamed: the test reads rank 1's file as soon as it exists and
    # kills the process (an empty file from a kill mid-write failed the test under load)
    partial = Path(args.out, f"rank{args.rank}.json.partial")
    partial.write_text(json.dumps(outcome))
    os.replace(partial, Path(args.out, f"rank{args.rank}.json"))
    if args.rank == 1 and args.fail != "die":
        time.sleep(600)  # a failed process that stays alive: the test kills it
    # Leave without tearing the process group down at interpreter exit: with the other rank
    # still alive, gloo's threads can abort the exit ("terminate called without an active
    # exception", torch 2.14), which is not what the test examines.
    os._exit(0)


if __name__ == "__main__":
    main()

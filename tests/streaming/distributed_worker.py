"""One process of the two-process streamed fit in ``test_distributed.py`` (like torchrun's)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torchstats as ts  # noqa: E402
from tests.conftest import make_frame  # noqa: E402

FORMULA = "y ~ x1 * C(g) + np.log(x2) + flag"
LOGIT_FORMULA = "above ~ x1 + np.log(x2) + C(g)"


def with_binary(frame):
    """The frame with a 0/1 response ``above`` (y above its median) for the Logit fit."""
    return frame.assign(above=(frame["y"] > frame["y"].median()).astype(float))


def shard(rank: int, world: int) -> list:
    """Rank r reads the r-th contiguous part of the data, in chunks."""
    frame = with_binary(make_frame(3, n=600))
    size = len(frame) // world
    mine = frame.iloc[rank * size : (rank + 1) * size if rank < world - 1 else len(frame)]
    return [mine.iloc[i : i + 47] for i in range(0, len(mine), 47)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rank", type=int, required=True)
    parser.add_argument("--world", type=int, required=True)
    parser.add_argument("--init", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    dist.init_process_group("gloo", init_method=args.init, rank=args.rank, world_size=args.world)
    try:
        fits = {
            "nonrobust": ts.StreamingOLS(
                FORMULA, shard(args.rank, args.world), distributed=True
            ).fit(),
            "cluster": ts.StreamingOLS(FORMULA, shard(args.rank, args.world), distributed=True).fit(
                cov_type="cluster", cov_kwds={"groups": "k"}
            ),
            "HC3": ts.StreamingOLS(
                FORMULA, shard(args.rank, args.world), weights="w", distributed=True
            ).fit(cov_type="HC3"),
            "glm": ts.StreamingGLM(
                FORMULA, shard(args.rank, args.world), var_weights="w", distributed=True
            ).fit(cov_type="cluster", cov_kwds={"groups": "k"}),
            "logit": ts.StreamingDiscrete(
                "Logit", LOGIT_FORMULA, shard(args.rank, args.world), distributed=True
            ).fit(disp=0, cov_type="HC0"),
        }
        out = {
            name: {
                "params": res.params.tolist(),
                "bse": res.bse.tolist(),
                "nobs": res.nobs,
                "llf": res.llf,
                "summary": str(res.summary()),
            }
            for name, res in fits.items()
        }
        Path(args.out, f"rank{args.rank}.json").write_text(json.dumps(out))
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()

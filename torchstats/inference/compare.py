"""Likelihood-ratio and score (Lagrange multiplier) tests of restricted fits."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from torchstats.inference.distributions import chi2_pvalue

__all__ = ["TestResult", "lr_test", "score_test"]


@dataclass(frozen=True, slots=True)
class TestResult:
    """A chi-squared test: statistic, p-value and degrees of freedom."""

    statistic: float
    pvalue: float
    df: float
    kind: str

    def summary(self) -> str:
        """One line: ``<kind> test: statistic=..., p-value=..., df=...``."""
        return (
            f"{self.kind} test: statistic={self.statistic:.6g}, p-value={self.pvalue:.6g}, "
            f"df={self.df:g}"
        )

    def __str__(self) -> str:
        return self.summary()


def lr_test(llf_full: float, llf_restricted: float, df: float) -> TestResult:
    """``LR = 2 (llf_full - llf_restricted)`` on chi-squared with ``df`` degrees of freedom."""
    if df <= 0:
        raise ValueError(
            f"the restricted model must have fewer free parameters (difference {df:g})"
        )
    statistic = 2.0 * (llf_full - llf_restricted)
    return TestResult(statistic, chi2_pvalue(statistic, df), float(df), "likelihood-ratio")


def score_test(score: torch.Tensor, hessian: torch.Tensor, df: float) -> TestResult:
    """``LM = s' (-H)^{-1} s``: score and Hessian of the full log-likelihood at the restricted
    estimate (Rao 1948), on chi-squared with ``df`` (the number of restrictions)."""
    information = -hessian
    statistic = float(score @ torch.linalg.solve(information, score))
    return TestResult(statistic, chi2_pvalue(statistic, df), float(df), "score (LM)")

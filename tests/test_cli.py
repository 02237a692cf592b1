"""The ``torchstats`` command line."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import torchstats as ts
from torchstats.cli import main


def test_example_runs_the_main_job(capsys):
    assert main(["fit", "--example", "longley"]) == 0
    out = capsys.readouterr().out
    assert "OLS Regression Results" in out
    assert "Dep. Variable:" in out and "TOTEMP" in out
    expected = smf.ols(ts.datasets.EXAMPLES["longley"].formula, ts.datasets.longley()).fit()
    assert f"{expected.rsquared:#8.3f}".strip() in out


def test_csv_file(tmp_path, capsys, frame):
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    assert main(["fit", "y ~ x1 + C(g)", str(path), "--method", "cholesky"]) == 0
    out = capsys.readouterr().out
    assert "C(g)[T.b]" in out and "x1" in out


def test_parquet_file_and_wls(tmp_path, capsys, frame):
    pytest.importorskip("pyarrow", reason="Parquet support needs pyarrow")
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    assert main(["fit", "y ~ x1", str(path), "--model", "wls", "--weights", "w"]) == 0
    assert "WLS Regression Results" in capsys.readouterr().out


@pytest.mark.parametrize(("fmt", "marker"), [("html", "<table"), ("latex", "\\begin{tabular}")])
def test_other_formats(capsys, fmt, marker):
    assert main(["fit", "--example", "longley", "--format", fmt]) == 0
    assert marker in capsys.readouterr().out


def test_examples_listing(capsys):
    assert main(["examples"]) == 0
    assert "longley" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fit", "y ~ x", "missing.csv"], "does not exist"),
        (["fit", "y ~ x"], "needs a formula and a data file"),
        (["fit", "TOTEMP ~ nothere", "--example", "longley"], "unknown column"),
        (["fit", "--example", "longley", "--method", "lu"], "unknown method 'lu'"),
        (["fit", "--example", "longley", "--model", "wls"], "needs --weights"),
    ],
)
def test_errors_are_reported_cleanly(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("torchstats: error:") and message in err


@pytest.mark.skipif(shutil.which("torchstats") is None, reason="console script not installed")
def test_console_script_is_installed():
    done = subprocess.run(
        ["torchstats", "fit", "--example", "longley"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "OLS Regression Results" in done.stdout


def test_module_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "torchstats.cli", "examples"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "longley" in done.stdout


def test_unknown_extension(tmp_path, capsys):
    path = tmp_path / "data.xlsx"
    pd.DataFrame({"y": np.ones(3)}).to_csv(path)
    assert main(["fit", "y ~ 1", str(path)]) == 2
    assert "cannot tell the format" in capsys.readouterr().err


def test_discrete_models(tmp_path, capsys, frame):
    path = tmp_path / "data.csv"
    frame.assign(b=(frame["y"] > frame["y"].median()).astype(float)).to_csv(path, index=False)
    assert main(["fit", "b ~ x1 + C(g)", str(path), "--model", "logit"]) == 0
    out = capsys.readouterr().out
    assert "Logit Regression Results" in out and "converged:" in out


def test_glm_with_family_and_link(tmp_path, capsys, frame):
    import statsmodels.api as sm

    path = tmp_path / "data.csv"
    data = frame.assign(c=(frame["y"] - frame["y"].min()).round())
    data.to_csv(path, index=False)
    argv = ["fit", "c ~ x1 + C(g)", str(path), "--model", "glm", "--family", "poisson"]
    assert main(argv + ["--link", "sqrt"]) == 0
    out = capsys.readouterr().out
    assert (
        "Model Family:                 Poisson" in out
        and "Link Function:                   Sqrt" in out
    )
    theirs = smf.glm(
        "c ~ x1 + C(g)", pd.read_csv(path), family=sm.families.Poisson(sm.families.links.Sqrt())
    ).fit()
    assert f"{theirs.params['x1']:.4f}" in out


def test_glm_weights_column_must_exist(tmp_path, capsys, frame):
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    assert main(["fit", "y ~ x1", str(path), "--model", "glm", "--weights", "nope"]) != 0
    assert "--weights column 'nope'" in capsys.readouterr().err

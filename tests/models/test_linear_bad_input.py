"""Bad input gets a clear error naming the problem, and no partial result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import torchstats as ts
from torchstats import errors


def test_unknown_column_in_formula(frame):
    with pytest.raises(errors.UnknownColumnError, match=r"unknown column\(s\) 'x9'.*columns: 'x1'"):
        ts.ols("y ~ x1 + x9", frame)


def test_unknown_column_is_a_key_error_too(frame):
    with pytest.raises(KeyError):
        ts.ols("y ~ nothere", frame)


def test_caller_namespace_variables_are_found(frame):
    offset_column = np.arange(len(frame), dtype=float)  # noqa: F841  (used by the formula)
    res = ts.ols("y ~ x1 + offset_column", frame).fit()
    assert "offset_column" in res.params.index


def test_non_numeric_column_used_as_numeric(frame):
    with pytest.raises(errors.NonNumericDataError, match=r"np.log\(g\).*text column"):
        ts.ols("y ~ np.log(g)", frame)


def test_non_numeric_response(frame):
    with pytest.raises(errors.NonNumericDataError, match="response 'g' is not a single numeric"):
        ts.ols("g ~ x1", frame)


def test_non_numeric_array_exog_names_the_column():
    exog = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]})
    with pytest.raises(errors.NonNumericDataError, match=r"column\(s\) 'b' are not numeric"):
        ts.OLS(np.array([1.0, 2.0, 3.0]), exog)


def test_missing_raise_names_the_columns(frame_with_missing):
    with pytest.raises(
        errors.MissingDataError, match=r"'y' \(1 missing\), 'x1' \(2 missing\), 'g' \(1 missing\)"
    ):
        ts.ols("y ~ x1 + C(g)", frame_with_missing, missing="raise")


def test_missing_raise_for_arrays_names_the_columns():
    X = np.ones((5, 2))
    X[2, 1] = np.nan
    with pytest.raises(errors.MissingDataError, match=r"'x1' \(1 missing\)"):
        ts.OLS(np.arange(5.0), X, missing="raise")


def test_missing_none_with_nan_is_refused(frame_with_missing):
    with pytest.raises(errors.MissingDataError, match="non-finite values"):
        ts.ols("y ~ x1", frame_with_missing, missing="none")


def test_infinite_values_are_refused():
    X = np.column_stack([np.ones(5), [1.0, 2.0, np.inf, 4.0, 5.0]])
    with pytest.raises(errors.MissingDataError, match=r"non-finite values .* 'x1'"):
        ts.OLS(np.arange(5.0), X)


def test_unknown_missing_option(frame):
    with pytest.raises(errors.InvalidOptionError, match="unknown missing 'skip'; choose one of"):
        ts.ols("y ~ x1", frame, missing="skip")


def test_empty_after_dropping_missing():
    data = pd.DataFrame({"y": [1.0, np.nan, 3.0], "x": [np.nan, 2.0, np.nan]})
    with pytest.raises(errors.EmptyDataError, match="no observations left .* missing values"):
        ts.ols("y ~ x", data)


def test_more_parameters_than_observations():
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0], "g": ["a", "b", "c"], "x": [1.0, 5.0, 2.0]})
    with pytest.raises(
        errors.EmptyDataError, match=r"more parameters \(4\) than observations \(3\)"
    ):
        ts.ols("y ~ C(g) + x", data)


def test_mismatched_lengths_of_endog_and_exog():
    with pytest.raises(errors.ShapeMismatchError, match="endog has 5 rows but exog has 4"):
        ts.OLS(np.arange(5.0), np.ones((4, 2)))


def test_mismatched_length_of_weights_formula(frame):
    with pytest.raises(errors.ShapeMismatchError, match=r"weights has shape \(3,\) but the data"):
        ts.wls("y ~ x1", frame, weights=np.ones(3))


def test_mismatched_length_of_weights_arrays():
    with pytest.raises(errors.ShapeMismatchError, match="weights has 3 values but endog has 5"):
        ts.WLS(np.arange(5.0), np.ones((5, 1)), weights=np.ones(3))


def test_negative_weights(frame):
    weights = frame["w"].to_numpy().copy()
    weights[3] = -1.0
    with pytest.raises(errors.InvalidWeightsError, match=r"non-negative; found 1 negative"):
        ts.wls("y ~ x1", frame, weights=weights)


def test_nan_weights_raise_without_drop():
    with pytest.raises(errors.MissingDataError, match="weights contain NaN"):
        ts.WLS(np.arange(4.0), np.ones((4, 1)), weights=np.array([1.0, np.nan, 1.0, 1.0]))


def test_nan_weights_drop_the_row_under_missing_drop(frame):
    weights = frame["w"].to_numpy().copy()
    weights[3] = np.nan
    res = ts.wls("y ~ x1", frame, weights=weights).fit()
    assert res.nobs == len(frame) - 1
    assert frame.index[3] not in res.resid.index


def test_all_zero_weights():
    with pytest.raises(errors.InvalidWeightsError, match="all weights are zero"):
        ts.WLS(np.arange(4.0), np.ones((4, 1)), weights=np.zeros(4))


def test_unknown_method(frame):
    model = ts.ols("y ~ x1", frame)
    with pytest.raises(errors.InvalidOptionError, match="unknown method 'lu'.*'qr', 'cholesky'"):
        model.fit(method="lu")


def test_unknown_cov_type(frame):
    with pytest.raises(errors.InvalidOptionError, match="unknown cov_type 'HC9'"):
        ts.ols("y ~ x1", frame).fit(cov_type="HC9")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without a GPU")
def test_cuda_without_gpu(frame):
    with pytest.raises(errors.DeviceError, match="CUDA is not available"):
        ts.ols("y ~ x1", frame, device="cuda")


def test_not_a_device(frame):
    with pytest.raises(errors.DeviceError, match="'gpu0' is not a torch device"):
        ts.ols("y ~ x1", frame, device="gpu0")


def test_unsupported_dtype(frame):
    with pytest.raises(errors.InvalidOptionError, match="unsupported dtype"):
        ts.ols("y ~ x1", frame, dtype=torch.int64)


def test_formula_without_response(frame):
    with pytest.raises(errors.DesignError, match="has no response"):
        ts.ols("~ x1", frame)


def test_formula_data_must_be_a_frame():
    with pytest.raises(errors.DesignError, match="must be a pandas DataFrame"):
        ts.ols("y ~ x", [1, 2, 3])


def test_unseen_level_in_predict(frame):
    res = ts.ols("y ~ x1 + C(g)", frame).fit()
    new = frame.head(3).assign(g=["a", "zzz", "b"])
    with pytest.raises(errors.UnseenLevelError, match="not seen when fitting.*zzz"):
        res.predict(new)


def test_predict_new_data_missing_a_column(frame):
    res = ts.ols("y ~ x1 + C(g)", frame).fit()
    with pytest.raises(errors.UnknownColumnError, match="new data lacks column"):
        res.predict(frame[["x1"]])


def test_predict_wrong_number_of_columns():
    res = ts.OLS(np.arange(6.0), np.ones((6, 2)) + np.eye(6, 2)).fit()
    with pytest.raises(errors.ShapeMismatchError, match="new exog has shape"):
        res.predict(np.ones((3, 3)))


def test_every_error_is_a_torchstats_error():
    for name in errors.__all__:
        cls = getattr(errors, name)
        if not isinstance(cls, type):
            continue
        if issubclass(cls, Warning):
            assert issubclass(cls, errors.TorchstatsWarning)
        else:
            assert issubclass(cls, errors.TorchstatsError)


def test_warnings_point_at_the_callers_line(frame):
    data = frame.assign(x1_copy=frame["x1"])
    model = ts.ols("y ~ x1 + x1_copy", data)
    with pytest.warns(errors.CollinearityWarning) as record:
        model.fit()
    assert record[0].filename == __file__

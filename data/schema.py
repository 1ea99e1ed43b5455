"""Schema checks shared by the loaders. Each raises DataSchemaError with a message naming the problem."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Callable

import pandas as pd

from .errors import DataSchemaError


def is_text(series: pd.Series) -> bool:
    """True for object and string columns (pandas 3 gives strings their own dtype)."""
    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)


def check_not_empty(frame: pd.DataFrame, what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise DataSchemaError(f"{what}: expected a pandas DataFrame, got {type(frame).__name__}")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataSchemaError(f"{what}: the table is empty ({frame.shape[0]} rows, {frame.shape[1]} columns)")


def check_columns(frame: pd.DataFrame, required: list[str], what: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if not missing:
        return
    extra = [c for c in frame.columns if c not in required]
    hints = []
    for col in missing:
        close = difflib.get_close_matches(col, [str(e) for e in extra], n=1, cutoff=0.6)
        if close:
            hints.append(f"'{close[0]}' -> '{col}'?")
    hint = f" (renamed? {', '.join(hints)})" if hints else ""
    raise DataSchemaError(f"{what}: missing columns {missing}{hint}")


def check_numeric(frame: pd.DataFrame, columns: list[str], what: str, allow_missing=()) -> None:
    for col in columns:
        series = frame[col]
        if not (pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)):
            sample = list(series.dropna().astype(str).unique()[:3])
            raise DataSchemaError(f"{what}: column '{col}' must be numeric, got dtype {series.dtype} (e.g. {sample})")
        if col not in allow_missing and series.isna().any():
            raise DataSchemaError(f"{what}: column '{col}' has {int(series.isna().sum())} missing values")


def check_binary(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    for col in columns:
        series = frame[col]
        if series.isna().any():
            raise DataSchemaError(f"{what}: column '{col}' has {int(series.isna().sum())} missing values")
        if is_text(series) or not pd.api.types.is_numeric_dtype(series.dtype):
            raise DataSchemaError(
                f"{what}: column '{col}' must be 0/1 numbers, got dtype {series.dtype} (e.g. {list(series.unique()[:3])})"
            )
        bad = sorted(set(series.unique()) - {0, 1})
        if bad:
            raise DataSchemaError(f"{what}: column '{col}' must be 0/1, found {bad[:5]}")


def check_levels(frame: pd.DataFrame, levels: dict[str, list[str]], what: str) -> None:
    for col, allowed in levels.items():
        series = frame[col]
        if not is_text(series):
            raise DataSchemaError(f"{what}: column '{col}' must hold text categories, got dtype {series.dtype}")
        if series.isna().any():
            raise DataSchemaError(f"{what}: column '{col}' has {int(series.isna().sum())} missing values")
        bad = sorted(set(series.astype(str)) - set(allowed))
        if bad:
            raise DataSchemaError(f"{what}: column '{col}' has unknown values {bad[:5]}; expected one of {allowed}")


def read_source(source, what: str, shipped: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """A copy of the table a loader was given: None (the shipped table), a DataFrame, or a CSV path."""
    if source is None:
        return shipped().copy()
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise DataSchemaError(f"{what}: no such file {path}")
        try:
            return pd.read_csv(path)
        except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise DataSchemaError(f"{what}: cannot read {path} as CSV: {exc}") from exc
    raise DataSchemaError(f"{what}: source must be None, a DataFrame or a CSV path, not {type(source).__name__}")
